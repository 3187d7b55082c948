"""SAML 2.0 for company sign-in: reading the identity provider's metadata when a talent
manager saves it, and the allauth ``saml`` app settings built from what was read. The
protocol itself (AuthnRequest, signature and condition checks on the response) is
allauth's ``saml`` provider on python3-saml, which verifies signatures with xmlsec."""

import requests
from django.conf import settings
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

from core.errors import ValidationFailed


def _refuse(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed("The identity provider's metadata could not be read.", fields={field: [reason]})


def _fetch(url: str) -> str:
    try:
        response = requests.get(url, timeout=settings.SOCIALACCOUNT_REQUESTS_TIMEOUT)
    except requests.RequestException as exc:
        raise _refuse(
            "saml_metadata_url", f"{url} could not be reached ({exc.__class__.__name__})."
        ) from None
    if response.status_code != 200:
        raise _refuse("saml_metadata_url", f"{url} answered HTTP {response.status_code}.")
    return response.text


def saml_idp_from_metadata(*, entity_id: str, metadata_url: str, metadata_xml: str) -> dict:
    """The IdP's ``entity_id``, ``sso_url`` (HTTP-Redirect binding) and signing ``x509cert``
    read from its metadata (fetched from ``metadata_url``, else ``metadata_xml``).
    ``ValidationFailed`` naming the field when the metadata cannot be fetched or parsed, does
    not describe ``entity_id``, or lacks a sign-in URL or a signing certificate."""
    field = "saml_metadata_url" if metadata_url else "saml_metadata_xml"
    xml = _fetch(metadata_url) if metadata_url else metadata_xml
    try:
        described = OneLogin_Saml2_IdPMetadataParser.parse(xml).get("idp")
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(xml, entity_id=entity_id).get("idp", {})
    except Exception as exc:  # the parser raises lxml's and its own errors alike
        raise _refuse(field, f"This is not SAML metadata ({exc.__class__.__name__}).") from None
    if not described:
        raise _refuse(field, "This is not an identity provider's SAML metadata (no IDPSSODescriptor).")
    if parsed.get("entityId") != entity_id:
        raise _refuse(
            "saml_idp_entity_id", f"The metadata does not describe an IdP with entity ID “{entity_id}”."
        )
    sso_url = (parsed.get("singleSignOnService") or {}).get("url")
    certificate = parsed.get("x509cert") or ((parsed.get("x509certMulti") or {}).get("signing") or [None])[0]
    if not sso_url:
        raise _refuse(field, "The metadata has no SingleSignOnService with the HTTP-Redirect binding.")
    if not certificate:
        raise _refuse(field, "The metadata has no signing certificate, so responses could not be verified.")
    return {"entity_id": entity_id, "sso_url": sso_url, "x509cert": certificate}


def saml_app_settings(connection) -> dict:
    """allauth ``saml`` app settings: signed assertions required, strict checks (audience,
    destination, validity window), IdP-initiated sign-in refused (so every response answers
    a request Tandem made, once)."""
    return {
        "idp": dict(connection.saml_idp),
        "attribute_mapping": {
            "email": [connection.saml_email_attribute],
            "name": [connection.saml_name_attribute],
        },
        "advanced": {
            "strict": True,
            "want_assertion_signed": True,
            "reject_idp_initiated_sso": True,
        },
    }
