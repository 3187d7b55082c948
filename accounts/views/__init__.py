"""HTML views for accounts: ``workspaces`` and ``profiles``."""
