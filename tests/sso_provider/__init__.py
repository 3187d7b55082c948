"""A real OpenID Connect provider for the company sign-in tests: django-oauth-toolkit in its
own small Django project (own settings, own SQLite file), started by ``serve.py`` in a
subprocess on a free port. Nothing in Tandem imports it."""
