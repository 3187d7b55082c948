"""Reads for accounts, always scoped to the viewer's workspace. Import from the submodule:

- ``accounts.selectors.workspaces``: memberships, invites, access checks
- ``accounts.selectors.profiles``: profiles, directory search, skills autocomplete
"""
