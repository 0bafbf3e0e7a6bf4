"""Every query on model versions and activations."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from arshield.workbench.models import ModelActivation, ModelVersion


def next_version(session: Session, *, name: str) -> int:
    """The version number the next model saved under ``name`` gets."""
    latest = session.scalar(select(func.max(ModelVersion.version)).where(ModelVersion.name == name))
    return int(latest or 0) + 1


def add_version(session: Session, version: ModelVersion) -> ModelVersion:
    session.add(version)
    session.flush()
    return version


def get_version(
    session: Session, *, name: str, version: int | None = None, with_artifact: bool = True
) -> ModelVersion | None:
    """Version ``version`` of ``name``, or its latest when ``version`` is None."""
    query = select(ModelVersion).where(ModelVersion.name == name)
    if version is not None:
        query = query.where(ModelVersion.version == version)
    query = query.order_by(ModelVersion.version.desc()).limit(1)
    if not with_artifact:
        query = query.options(defer(ModelVersion.artifact))
    return session.scalars(query).first()


def get_by_id(session: Session, version_id: uuid.UUID) -> ModelVersion | None:
    return session.get(ModelVersion, version_id)


def list_versions(session: Session) -> list[ModelVersion]:
    """Every version, by name then version, without artifacts."""
    query = (
        select(ModelVersion)
        .options(defer(ModelVersion.artifact))
        .order_by(ModelVersion.name, ModelVersion.version)
    )
    return list(session.scalars(query))


def add_activation(session: Session, activation: ModelActivation) -> ModelActivation:
    session.add(activation)
    session.flush()
    return activation


def latest_activation(session: Session) -> ModelActivation | None:
    query = select(ModelActivation).order_by(ModelActivation.id.desc()).limit(1)
    return session.scalars(query).first()


def active_version_id(session: Session) -> uuid.UUID | None:
    """The id of the active model version (None: the expert model grades)."""
    query = select(ModelActivation.model_version_id).order_by(ModelActivation.id.desc()).limit(1)
    return session.scalars(query).first()


def activations(session: Session) -> list[ModelActivation]:
    """The activation log, oldest first."""
    return list(session.scalars(select(ModelActivation).order_by(ModelActivation.id)))
