"""The SCIM 2.0 wire format (RFC 7643 resources, RFC 7644 messages) for Tandem's Users:
schema URNs, the Error and ListResponse messages, the ``filter`` parameter, and a person
as a User resource. No database writes here."""

import re

from core.errors import DomainError

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
SERVICE_PROVIDER_CONFIG_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
MAX_RESULTS = 200


class ScimError(DomainError):
    """An RFC 7644 §3.12 error: HTTP ``status`` and, for 400/409, a ``scimType``."""

    def __init__(self, status: int, detail: str, *, scim_type: str = ""):
        super().__init__(detail, code=scim_type or "scim_error")
        self.status = status
        self.scim_type = scim_type


def error_body(status: int, detail: str, scim_type: str = "") -> dict:
    body = {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return body


# --- filter ---------------------------------------------------------------------------------

# The attributes an identity provider filters Users by (RFC 7644 §3.4.2.2), compared with
# "eq"; the value is a JSON string.
FILTER_ATTRIBUTES = {"username": "user_name", "externalid": "external_id", "id": "scim_id"}
_FILTER_RE = re.compile(r'^\s*([A-Za-z][\w.:]*)\s+(\w+)\s+"((?:[^"\\]|\\.)*)"\s*$')


def parse_filter(raw: str) -> tuple[str, str]:
    """``userName eq "ann@acme.com"`` → ("user_name", "ann@acme.com"). Anything else is a
    400 ``invalidFilter`` naming what is supported."""
    match = _FILTER_RE.match(raw or "")
    supported = 'Use attribute eq "value" with userName, externalId or id.'
    if match is None:
        raise ScimError(400, f"The filter “{raw}” is not valid. {supported}", scim_type="invalidFilter")
    attribute, operator, value = match.groups()
    field = FILTER_ATTRIBUTES.get(attribute.rsplit(":", 1)[-1].lower())
    if field is None or operator.lower() != "eq":
        raise ScimError(400, f"The filter “{raw}” is not supported. {supported}", scim_type="invalidFilter")
    return field, re.sub(r"\\(.)", r"\1", value)


def positive_int(raw, *, name: str, default: int, minimum: int) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ScimError(400, f"{name} must be an integer.", scim_type="invalidValue") from None
    return max(value, minimum)


# --- resources ------------------------------------------------------------------------------


def user_resource(identity, *, location: str) -> dict:
    """A person as an RFC 7643 §4.1 User resource."""
    user = identity.user
    membership = getattr(user, "membership", None)
    active = bool(user.is_active and membership is not None and membership.is_active)
    resource = {
        "schemas": [USER_SCHEMA],
        "id": str(identity.scim_id),
        "userName": identity.user_name,
        "name": {
            "givenName": identity.given_name,
            "familyName": identity.family_name,
            "formatted": user.full_name,
        },
        "displayName": user.full_name,
        "emails": [{"value": user.email, "type": "work", "primary": True}],
        "active": active,
        "meta": {
            "resourceType": "User",
            "created": identity.created_at.isoformat(),
            "lastModified": identity.updated_at.isoformat(),
            "location": location,
            "version": identity.etag,
        },
    }
    if identity.external_id:
        resource["externalId"] = identity.external_id
    return resource


def list_response(resources: list[dict], *, total: int, start_index: int) -> dict:
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


def service_provider_config(*, documentation_uri: str) -> dict:
    return {
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "documentationUri": documentation_uri,
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A workspace SCIM token, created by a talent manager on the "
                "workspace's company sign-in page.",
                "primary": True,
            }
        ],
        "meta": {"resourceType": "ServiceProviderConfig"},
    }


def user_resource_type(*, location: str) -> dict:
    return {
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "schema": USER_SCHEMA,
        "meta": {"resourceType": "ResourceType", "location": location},
    }
