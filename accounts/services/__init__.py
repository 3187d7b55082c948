"""Writes for accounts. Split by topic; import from the submodule:

- ``accounts.services.workspaces``: workspaces, memberships, invites, domains, roles, deactivation
- ``accounts.services.profiles``: profiles, working hours, onboarding, expertise, learning goals
- ``accounts.services.skills``: the workspace skill taxonomy and aliases
"""
