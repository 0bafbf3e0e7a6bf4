"""ASGI entry point for servers: ``uvicorn arshield.api.asgi:app``."""

from arshield.api.app import create_app

app = create_app()
