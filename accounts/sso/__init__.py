"""Company sign-in for a workspace: its SSO connection (OpenID Connect or SAML 2.0, set up
by a talent manager), login discovery by e-mail domain, just-in-time provisioning, and the
"SSO required" rule for password login and reset.

- ``models``: ``SsoConnection`` (one per workspace)
- ``services``: saving the connection (checked against the identity provider when saved),
  the sign-in decisions (which workspace, whose identity, provisioning), SSO-required checks
- ``socialaccount``: allauth's socialaccount adapter; each workspace's connection is an
  allauth ``SocialApp`` built per request from its row (``openid_connect`` or ``saml``)
- ``views``, ``forms``: the talent manager's settings page and the login page's discovery step
"""
