"""ASGI entry point for servers: ``uvicorn arshield.api.asgi:app`` (``arshield serve``).

Once the application is built, a server process holds some 220,000 objects that live as long as
the process (modules, models, compiled statements). A full garbage collection walks all of them:
120-190 ms in which the worker answers nothing, some three times a minute under load, enough to
set the tail of every request's latency. They are moved out of the collector's reach
(``gc.freeze``) once here, so collections walk only what the requests allocate. Objects freed by
reference counting are freed as before; only a reference cycle among these first objects, if it
ever became garbage, would stay.
"""

import gc

from arshield.api.app import create_app

app = create_app()
gc.collect()
gc.freeze()
