"""Writes for accounts. Split by topic; import from the submodule:

- ``accounts.services.workspaces``: workspaces, memberships, invites, domains, roles, deactivation
- ``accounts.services.sessions``: recording sessions and ``sessions_end``, the one way they end
- ``accounts.services.profiles``: profiles, working hours, onboarding, expertise, learning goals
- ``accounts.services.skills``: the workspace skill taxonomy and aliases
"""
