"""Tables: registered model versions and the log of which model grades the platform's buyers."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from arshield.kit.db import Base, IdMixin, UTCDateTime


class ModelVersion(IdMixin, Base):
    """One fitted model, immutable once written: artifact, features, data, metrics, versions.

    ``artifact`` is text (LightGBM's model string or the scorecard's JSON), never a pickle.
    """

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("name", "version"),)

    name: Mapped[str] = mapped_column(String(48), index=True)
    version: Mapped[int] = mapped_column(Integer)
    algorithm: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200))
    features: Mapped[list[str]] = mapped_column(JSON)
    artifact: Mapped[str] = mapped_column(Text)
    # Platt calibration of the raw log-odds: {"a": ..., "b": ...}.
    calibration: Mapped[dict[str, float]] = mapped_column(JSON)
    data_fingerprint: Mapped[str] = mapped_column(String(80))
    data_source: Mapped[str] = mapped_column(Text)
    rows: Mapped[int] = mapped_column(Integer)
    defaults: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    library_versions: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))


class ModelActivation(Base):
    """An entry of the activation log; the latest names the active model (none: expert).

    Append-only: activating another model (or the expert one) adds a row, so the log says which
    model graded buyers when, and who chose it.
    """

    __tablename__ = "model_activations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_version_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("model_versions.id"), default=None
    )
    activated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
