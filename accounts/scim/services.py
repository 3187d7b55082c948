"""SCIM writes: a workspace's identity provider creates, replaces, patches and deletes its
people. The caller is a ``ScimToken`` (the workspace it belongs to is the only scope).

Every write validates the whole request first and changes nothing when any part is wrong
(RFC 7644 §3.5.2: a PATCH is atomic). Deactivation (``active: false``) and deletion go
through the product's own path, ``accounts.services.workspaces.member_deactivate``, which
ends every session, socket and API token of the person and keeps their history and trust
evidence; a deleted resource keeps its row, and SCIM answers 404 for it from then on.
Every change writes one audit row (``scim.user_created`` / ``_updated`` / ``_deleted``).
"""

from dataclasses import asdict, dataclass, replace

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from accounts.audit import audit_record
from accounts.models import Membership, Organization, ScimIdentity, ScimToken, User, WorkspaceDomain
from accounts.scim.protocol import ScimError, parse_filter
from accounts.services.workspaces import member_deactivate, member_reactivate
from core.clock import now


@dataclass(frozen=True)
class UserState:
    """The SCIM attributes Tandem keeps for a person."""

    user_name: str
    email: str
    external_id: str = ""
    given_name: str = ""
    family_name: str = ""
    display_name: str = ""
    active: bool = True

    @property
    def full_name(self) -> str:
        return (self.display_name or f"{self.given_name} {self.family_name}").strip()[:150]


# --- reading a request's attributes -----------------------------------------------------------


def _invalid(detail: str) -> ScimError:
    return ScimError(400, detail, scim_type="invalidValue")


def _string(value, *, name: str, max_length: int = 254) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _invalid(f"{name} must be a string.")
    if len(value) > max_length:
        raise _invalid(f"{name} is longer than {max_length} characters.")
    return value.strip()


def _boolean(value, *, name: str) -> bool:
    # some identity providers send booleans as strings ("False")
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _invalid(f"{name} must be true or false.")


def _primary_email(emails) -> str:
    if emails in (None, []):
        return ""
    if not isinstance(emails, list) or not all(isinstance(item, dict) for item in emails):
        raise _invalid("emails must be a list of objects with a value.")
    chosen = next((item for item in emails if item.get("primary") in (True, "true", "True")), emails[0])
    return _string(chosen.get("value"), name="emails.value").lower()


def state_from_resource(payload) -> UserState:
    """A User resource (POST or PUT body) → the state it asks for; 400 invalidValue when a
    required attribute is missing or has the wrong type."""
    if not isinstance(payload, dict):
        raise ScimError(400, "The body must be a JSON object (a SCIM User).", scim_type="invalidSyntax")
    user_name = _string(payload.get("userName"), name="userName")
    if not user_name:
        raise _invalid("userName is required.")
    name = payload.get("name") or {}
    if not isinstance(name, dict):
        raise _invalid("name must be an object (givenName, familyName).")
    email = _primary_email(payload.get("emails")) or user_name.lower()
    return UserState(
        user_name=user_name,
        email=email,
        external_id=_string(payload.get("externalId"), name="externalId"),
        given_name=_string(name.get("givenName"), name="name.givenName", max_length=150),
        family_name=_string(name.get("familyName"), name="name.familyName", max_length=150),
        display_name=_string(
            payload.get("displayName") or name.get("formatted"), name="displayName", max_length=150
        ),
        active=_boolean(payload.get("active", True), name="active"),
    )


_PATH_FIELDS = {
    "username": "user_name",
    "externalid": "external_id",
    "displayname": "display_name",
    "name.givenname": "given_name",
    "name.familyname": "family_name",
    "name.formatted": "display_name",
    "active": "active",
    "emails": "email",
    'emails[type eq "work"].value': "email",
    "emails[primary eq true].value": "email",
}


def _patched_value(field: str, value, *, path: str):
    if field == "active":
        return _boolean(value, name=path)
    if field == "email":
        return _primary_email(value) if isinstance(value, list) else _string(value, name=path).lower()
    return _string(value, name=path, max_length=254 if field in ("user_name", "external_id") else 150)


def _apply_value_object(state: UserState, value: dict) -> UserState:
    changes = {}
    for key, item in value.items():
        if key == "name" and isinstance(item, dict):
            for part, part_value in item.items():
                field = _PATH_FIELDS.get(f"name.{part}".lower())
                if field is None:
                    raise ScimError(400, f"name.{part} cannot be changed.", scim_type="invalidPath")
                changes[field] = _patched_value(field, part_value, path=f"name.{part}")
            continue
        field = _PATH_FIELDS.get(key.lower())
        if field is None:
            raise ScimError(400, f"{key} cannot be changed.", scim_type="invalidPath")
        changes[field] = _patched_value(field, item, path=key)
    return replace(state, **changes)


def state_after_patch(state: UserState, payload) -> UserState:
    """Apply RFC 7644 §3.5.2 PatchOp operations to a state, all or nothing."""
    operations = payload.get("Operations") if isinstance(payload, dict) else None
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, "A PatchOp needs a non-empty Operations list.", scim_type="invalidSyntax")
    for operation in operations:
        if not isinstance(operation, dict):
            raise ScimError(400, "Each operation must be an object.", scim_type="invalidSyntax")
        op = str(operation.get("op", "")).lower()
        path = operation.get("path")
        value = operation.get("value")
        if op not in ("add", "replace", "remove"):
            raise ScimError(
                400,
                f"Unknown op “{operation.get('op')}”: use add, replace or remove.",
                scim_type="invalidSyntax",
            )
        if path is None:
            if op == "remove" or not isinstance(value, dict):
                raise ScimError(
                    400, "An operation without a path needs an object value.", scim_type="noTarget"
                )
            state = _apply_value_object(state, value)
            continue
        field = _PATH_FIELDS.get(str(path).strip().lower())
        if field is None:
            raise ScimError(400, f"The path “{path}” is not supported.", scim_type="invalidPath")
        if op == "remove":
            if field in ("user_name", "email", "active"):
                raise ScimError(400, f"{path} is required and cannot be removed.", scim_type="mutability")
            state = replace(state, **{field: ""})
        else:
            state = replace(state, **{field: _patched_value(field, value, path=str(path))})
    return state


# --- checks shared by every write --------------------------------------------------------------------


def _check_state(state: UserState, *, organization_id, identity: ScimIdentity | None) -> None:
    if not state.user_name:
        raise _invalid("userName is required.")
    try:
        validate_email(state.email)
    except ValidationError:
        raise _invalid(f"“{state.email}” is not an e-mail address (emails.value, or userName).") from None
    domain = state.email.rpartition("@")[2]
    if not WorkspaceDomain.objects.filter(organization_id=organization_id, domain__iexact=domain).exists():
        raise _invalid(f"{state.email} is not at one of the workspace's allowed domains.")
    same_name = ScimIdentity.objects.annotate(name_ci=Lower("user_name")).filter(
        organization_id=organization_id, deleted_at__isnull=True, name_ci=state.user_name.lower()
    )
    if identity is not None:
        same_name = same_name.exclude(pk=identity.pk)
    if same_name.exists():
        raise ScimError(409, f"userName “{state.user_name}” is already provisioned.", scim_type="uniqueness")
    same_email = User.objects.filter(email__iexact=state.email)
    if identity is not None:
        same_email = same_email.exclude(pk=identity.user_id)
    other = same_email.select_related("membership").first()
    if other is not None:
        membership = getattr(other, "membership", None)
        adoptable = (
            identity is None
            and membership is not None
            and membership.organization_id == organization_id
            and not ScimIdentity.objects.filter(user=other, deleted_at__isnull=True).exists()
        )
        if not adoptable:
            raise ScimError(409, f"Another account already uses {state.email}.", scim_type="uniqueness")


def _check_version(identity: ScimIdentity, if_match: str | None) -> None:
    if (
        if_match
        and if_match.strip() != "*"
        and identity.etag not in [tag.strip() for tag in if_match.split(",")]
    ):
        raise ScimError(412, f"The resource changed: its version is {identity.etag}, not {if_match}.")


def access_scim_user(*, token: ScimToken, scim_id, for_update: bool = False) -> ScimIdentity:
    """A live SCIM identity of the token's workspace; one 404 for missing, deleted and other
    workspaces'."""
    rows = ScimIdentity.objects.select_related("user", "user__membership").filter(
        organization_id=token.organization_id, deleted_at__isnull=True
    )
    if for_update:
        rows = rows.select_for_update(of=("self",))
    try:
        identity = rows.filter(scim_id=str(scim_id)).first()
    except ValidationError:
        identity = None
    if identity is None:
        raise ScimError(404, f"There is no User {scim_id}.")
    return identity


def scim_user_list(*, token: ScimToken, filter_expression: str | None):
    rows = ScimIdentity.objects.select_related("user", "user__membership").filter(
        organization_id=token.organization_id, deleted_at__isnull=True
    )
    if filter_expression:
        field, value = parse_filter(filter_expression)
        if field == "user_name":
            rows = rows.annotate(name_ci=Lower("user_name")).filter(name_ci=value.lower())
        elif field == "scim_id":
            try:
                rows = rows.filter(scim_id=value)
            except ValidationError:
                rows = rows.none()
        else:
            rows = rows.filter(external_id=value)
    return rows.order_by("created_at", "id")


# --- writes -----------------------------------------------------------------------------------------------


def _set_active(identity: ScimIdentity, *, active: bool, token: ScimToken) -> None:
    membership = identity.user.membership
    if membership.is_active == active:
        return
    if active:
        member_reactivate(actor=None, membership_id=membership.pk, provisioned_by=token)
    else:
        member_deactivate(actor=None, membership_id=membership.pk, provisioned_by=token)


def _audit(token: ScimToken, action: str, identity: ScimIdentity, details: dict) -> None:
    audit_record(
        organization_id=token.organization_id,
        actor=None,
        action=action,
        target=identity,
        details={"scim_token": token.prefix, "user_id": identity.user_id, **details},
    )


def scim_user_create(*, token: ScimToken, payload) -> ScimIdentity:
    """POST /Users: a new person in the workspace (or an existing member of it, not yet
    provisioned, adopted by address). 409 uniqueness for a userName or address in use."""
    state = state_from_resource(payload)
    try:
        with transaction.atomic():
            Organization.objects.select_for_update().get(pk=token.organization_id)
            _check_state(state, organization_id=token.organization_id, identity=None)
            user = User.objects.filter(email__iexact=state.email).first()
            if user is None:
                user = User.objects.create_user(email=state.email, password=None, full_name=state.full_name)
                EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
                Membership.objects.create(user=user, organization_id=token.organization_id)
            identity, _ = ScimIdentity.objects.update_or_create(
                user=user,
                defaults={
                    "organization_id": token.organization_id,
                    "user_name": state.user_name,
                    "external_id": state.external_id,
                    "given_name": state.given_name,
                    "family_name": state.family_name,
                    "deleted_at": None,
                    "created_at": now(),
                    "updated_at": now(),
                },
            )
            if state.full_name and user.full_name != state.full_name:
                user.full_name = state.full_name
                user.save(update_fields=["full_name"])
            _audit(token, "scim.user_created", identity, {"userName": state.user_name, "email": state.email})
            # a person provisioned again after a delete comes back active, if asked
            _set_active(identity, active=state.active, token=token)
    except IntegrityError:
        raise ScimError(
            409, f"userName “{state.user_name}” is already provisioned.", scim_type="uniqueness"
        ) from None
    return access_scim_user(token=token, scim_id=identity.scim_id)


def _current_state(identity: ScimIdentity) -> UserState:
    user = identity.user
    derived = f"{identity.given_name} {identity.family_name}".strip()
    return UserState(
        user_name=identity.user_name,
        email=user.email,
        external_id=identity.external_id,
        given_name=identity.given_name,
        family_name=identity.family_name,
        # a name made of the given and family names follows them; one set apart stays
        display_name="" if user.full_name == derived else user.full_name,
        active=user.membership.is_active,
    )


def _write(*, token: ScimToken, scim_id, if_match: str | None, change) -> ScimIdentity:
    with transaction.atomic():
        Organization.objects.select_for_update().get(pk=token.organization_id)
        identity = access_scim_user(token=token, scim_id=scim_id, for_update=True)
        _check_version(identity, if_match)
        before = _current_state(identity)
        after = change(before)
        _check_state(after, organization_id=token.organization_id, identity=identity)
        changed = {key: value for key, value in asdict(after).items() if asdict(before)[key] != value}
        if changed:
            user = identity.user
            identity.user_name = after.user_name
            identity.external_id = after.external_id
            identity.given_name = after.given_name
            identity.family_name = after.family_name
            identity.version += 1
            identity.updated_at = now()
            identity.save()
            if user.email != after.email or user.full_name != after.full_name:
                EmailAddress.objects.filter(user=user, email__iexact=user.email).update(email=after.email)
                user.email = after.email
                user.full_name = after.full_name
                user.save(update_fields=["email", "full_name"])
            _audit(token, "scim.user_updated", identity, {"changed": changed})
            _set_active(identity, active=after.active, token=token)
    return access_scim_user(token=token, scim_id=scim_id)


def scim_user_replace(*, token: ScimToken, scim_id, payload, if_match: str | None = None) -> ScimIdentity:
    """PUT /Users/{id}: the resource becomes the body (attributes left out are cleared)."""
    state = state_from_resource(payload)
    return _write(token=token, scim_id=scim_id, if_match=if_match, change=lambda before: state)


def scim_user_patch(*, token: ScimToken, scim_id, payload, if_match: str | None = None) -> ScimIdentity:
    """PATCH /Users/{id}: RFC 7644 §3.5.2 operations, applied all or nothing."""
    return _write(
        token=token,
        scim_id=scim_id,
        if_match=if_match,
        change=lambda before: state_after_patch(before, payload),
    )


def scim_user_delete(*, token: ScimToken, scim_id, if_match: str | None = None) -> None:
    """DELETE /Users/{id}: the person is deactivated (sessions, sockets and API tokens end)
    and the resource is gone for SCIM; their account, history and trust evidence stay."""
    with transaction.atomic():
        Organization.objects.select_for_update().get(pk=token.organization_id)
        identity = access_scim_user(token=token, scim_id=scim_id, for_update=True)
        _check_version(identity, if_match)
        _set_active(identity, active=False, token=token)
        identity.deleted_at = now()
        identity.version += 1
        identity.save(update_fields=["deleted_at", "version"])
        _audit(token, "scim.user_deleted", identity, {"userName": identity.user_name})
