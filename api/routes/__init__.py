"""The API's routes, one module per resource (as the API grows, each one stays findable)."""
