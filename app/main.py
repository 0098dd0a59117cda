"""The ASGI application object for uvicorn (`app.main:app`)."""

from app.asgi import create_app

app = create_app()
