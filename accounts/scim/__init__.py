"""SCIM 2.0 provisioning (RFC 7643 / RFC 7644) of a workspace's people by its identity
provider: the ``/scim/v2/`` Users endpoints, authenticated by a per-workspace bearer token.

- ``models``: ``ScimToken`` (stored as a SHA-256 digest), ``ScimIdentity`` (a person's
  SCIM resource: id, userName, externalId, version for ETags)
- ``services``: token create/revoke, and the user writes (create, replace, patch,
  deactivate through ``accounts.services.workspaces``, delete)
- ``filters``: the ``filter`` parameter (``attr eq "value"``), malformed → invalidFilter
- ``resources``: a person as a SCIM User resource, ListResponse, Error
- ``views``, ``authentication``, ``urls``: the HTTP adapter on DRF (application/scim+json)
"""
