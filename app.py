"""gunicorn entry point: ``gunicorn app:app`` (settings in gunicorn.conf.py)."""
from janus.web.app import create_app

app = create_app()
