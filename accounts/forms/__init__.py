"""HTML forms of the accounts pages: ``profiles`` (onboarding, profile edit, directory)
and ``workspaces`` (start, invites, members, domains)."""
