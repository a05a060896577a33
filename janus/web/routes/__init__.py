"""One module per resource; each exposes ``register(api)``."""
