"""The HTTP API: ``create_app()`` wires routers, error handlers and the database."""

from __future__ import annotations

import functools

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from arshield import __version__
from arshield.api.deps import DbSlot
from arshield.api.errors import install_error_handlers
from arshield.api.fast_checks import FastCreditChecks
from arshield.api.limits import BodyLimit
from arshield.audit.endpoints import router as audit_router
from arshield.buyers.endpoints import router as buyers_router
from arshield.buyers.import_endpoints import router as buyers_import_router
from arshield.config import Settings, get_settings
from arshield.cover.endpoints import router as cover_router
from arshield.fx.endpoints import router as fx_router
from arshield.kit.db import make_engine, make_session_factory
from arshield.orgs.endpoints import router as orgs_router
from arshield.receivables.endpoints import router as receivables_router
from arshield.receivables.report_endpoints import router as reports_router
from arshield.risk.endpoints import router as risk_router
from arshield.risk.tables.endpoints import router as risk_tables_router
from arshield.workbench import service as workbench_service

API_PREFIX = "/api/v1"


class Api(FastAPI):
    """The application. On PostgreSQL the credit checks an ERP sends before every shipment go
    to :class:`FastCreditChecks` first, ahead of the framework's middleware."""

    fast_checks: FastCreditChecks | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.fast_checks is not None:
            await self.fast_checks(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> Api:
    """Build the application for ``settings`` (the environment's by default)."""
    settings = settings or get_settings()
    app = Api(
        title="arshield",
        version=__version__,
        summary="Accounts-receivable protection: buyers, grades, cover, receivables, claims.",
    )
    engine = make_engine(settings.database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    install_error_handlers(app)
    # Grades come from the active trained model when one is active (arshield model activate).
    workbench_service.install()

    app.add_middleware(
        BodyLimit, max_body=settings.max_body_bytes, max_upload=settings.max_upload_bytes
    )
    if settings.credit_check_fast_path and engine.dialect.name == "postgresql":
        app.fast_checks = FastCreditChecks(
            functools.partial(FastAPI.__call__, app),
            database_url=settings.database_url,
            pool_size=settings.credit_check_pool_size,
        )

    @app.get("/healthz", tags=["health"], dependencies=[DbSlot])
    def healthz() -> dict[str, str]:
        """Liveness and database reachability."""
        from sqlalchemy import text

        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    # Routes are matched in order: the credit checks an ERP sends before every shipment first.
    routers = (
        cover_router,
        orgs_router,
        buyers_router,
        buyers_import_router,
        risk_router,
        risk_tables_router,
        fx_router,
        receivables_router,
        reports_router,
        audit_router,
    )
    for router in routers:
        app.include_router(router, prefix=API_PREFIX)
    return app
