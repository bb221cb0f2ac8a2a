"""The JSON API: its document (OpenAPI 3.1) and the shapes of its responses."""
