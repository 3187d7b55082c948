"""Profiles, working hours, onboarding, expertise and learning goals (writes).

Every function here validates all of its input before writing, raises
``core.errors.ValidationFailed`` (with ``fields``) or ``NotFound``, and
writes in one transaction, so a rejected call leaves nothing half-saved.
Skills are always resolved inside the caller's own workspace: a skill id that
does not exist and one from another workspace get the same "not found".
"""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import read_topics
from accounts import working_hours as wh
from accounts.models import Expertise, LearningGoal, Membership, Organization, Profile, Skill, User
from accounts.services.skills import skill_get_or_create
from core.clock import now
from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.markdown import render_markdown
from core.text import clean_display_text

logger = logging.getLogger(__name__)

BIO_MAX_CHARS = 5000
HEADLINE_MAX_CHARS = 120
FULL_NAME_MAX_CHARS = 150
YEARS_MAX = 60
GOAL_NOTE_MAX_CHARS = 200

PROFILE_FIELDS = frozenset(
    {
        "full_name",
        "headline",
        "bio",
        "timezone",
        "working_hours",
        "capacity",
        "work_mode",
        "cadence",
        "feedback_style",
        "open_to_mentor",
        "seeking",
        "is_away",
    }
)
_CHOICES = {
    "work_mode": Profile.WorkMode,
    "cadence": Profile.Cadence,
    "feedback_style": Profile.FeedbackStyle,
}
_FLAGS = ("open_to_mentor", "seeking", "is_away")


def _workspace_of(user: User) -> Organization:
    membership = Membership.objects.select_related("organization").filter(user=user, is_active=True).first()
    if membership is None:
        raise PermissionDenied("Join a workspace first.")
    return membership.organization


def _as_int(value, *, field: str, what: str, errors: dict) -> int | None:
    if isinstance(value, bool):
        errors[field] = [f"{what} must be a whole number."]
        return None
    try:
        return int(str(value).strip()) if not isinstance(value, int) else value
    except (TypeError, ValueError):
        errors[field] = [f"{what} must be a whole number."]
        return None


def _clean_text(value, *, field: str, label: str, limit: int, errors: dict) -> str | None:
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").strip()
    if len(text) > limit:
        errors[field] = [
            f"{label} can be at most {limit:,} characters; this one has {len(text):,}. Shorten it."
        ]
        return None
    return text


def _clean_profile_fields(fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Validate and normalise; return (cleaned, errors). Collects every error, not just the first."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}

    # (field, label, limit, one line: white space folded)
    for name, label, limit, one_line in (
        ("full_name", "Your name", FULL_NAME_MAX_CHARS, True),
        ("headline", "The headline", HEADLINE_MAX_CHARS, True),
        ("bio", "The bio", BIO_MAX_CHARS, False),
    ):
        if name not in fields:
            continue
        raw = fields[name]
        if one_line:  # names people see: normalised, no control, bidi or zero-width characters
            raw, problem = clean_display_text(raw)
            if problem:
                errors[name] = [problem]
                continue
        value = _clean_text(raw, field=name, label=label, limit=limit, errors=errors)
        if value is not None:
            cleaned[name] = " ".join(value.split()) if one_line else value
            if name == "full_name" and not cleaned[name]:
                errors[name] = ["Enter your name as colleagues should see it."]
    if "timezone" in fields:
        try:
            cleaned["timezone"] = wh.validate_timezone(str(fields["timezone"] or "").strip())
        except ValidationError as exc:
            errors["timezone"] = list(exc.messages)
    if "working_hours" in fields:
        try:
            cleaned["working_hours"] = wh.validate_working_hours(fields["working_hours"])
        except ValidationError as exc:
            errors["working_hours"] = list(exc.messages)
    if "capacity" in fields:
        maximum = settings.TANDEM_MAX_CAPACITY
        capacity = _as_int(fields["capacity"], field="capacity", what="Capacity", errors=errors)
        if capacity is not None:
            if capacity < 0:
                errors["capacity"] = [
                    f"Capacity can't be negative. Use 0 (no new engagements) up to {maximum}."
                ]
            elif capacity > maximum:
                errors["capacity"] = [
                    f"{capacity} concurrent engagements is more than anyone can mentor well; "
                    f"use at most {maximum}."
                ]
            else:
                cleaned["capacity"] = capacity
    for name, choices in _CHOICES.items():
        if name in fields:
            value = fields[name]
            if value not in choices.values:
                allowed = ", ".join(choices.values)
                errors[name] = [f"“{value}” is not one of the options ({allowed})."]
            else:
                cleaned[name] = value
    for name in _FLAGS:
        if name in fields:
            value = fields[name]
            if not isinstance(value, bool):
                errors[name] = ["Must be true or false."]
            else:
                cleaned[name] = value
    return cleaned, errors


def profile_update(*, user: User, **fields: Any) -> Profile:
    """Update a person's own profile (and their ``full_name``).

    Accepts any subset of ``PROFILE_FIELDS``; an unknown keyword is a
    programming error (TypeError). Validates everything first — IANA time
    zone, working-hour windows (overlapping or inverted windows are named),
    capacity 0..TANDEM_MAX_CAPACITY, bio ≤ 5000 characters, choice fields,
    boolean flags — and raises ValidationFailed with one message per bad field.
    On success renders the bio to sanitized ``bio_html`` and recomputes
    ``utc_week_mask`` for the current week. The profile row is locked for the
    update; user and profile are saved in one transaction.
    """
    unknown = set(fields) - PROFILE_FIELDS
    if unknown:
        raise TypeError(f"profile_update() got unexpected fields: {', '.join(sorted(unknown))}")
    cleaned, errors = _clean_profile_fields(fields)
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(f"Please fix the highlighted fields: {first}", fields=errors)

    with transaction.atomic():
        profile = Profile.objects.select_for_update().get(user=user)
        if "full_name" in cleaned and cleaned["full_name"] != user.full_name:
            user.full_name = cleaned["full_name"]
            user.save(update_fields=["full_name"])
        for name, value in cleaned.items():
            if name != "full_name":
                setattr(profile, name, value)
        if "bio" in cleaned:
            profile.bio_html = render_markdown(profile.bio)
        profile.utc_week_mask = wh.mask_to_hex(wh.utc_week_mask(profile.working_hours, profile.timezone))
        profile.save()
    return profile


def profile_complete_onboarding(*, user: User) -> Profile:
    """Mark onboarding as finished (idempotent: the first completion time is kept)."""
    with transaction.atomic():
        profile = Profile.objects.select_for_update().get(user=user)
        if profile.onboarded_at is None:
            profile.onboarded_at = now()
            profile.save(update_fields=["onboarded_at", "updated_at"])
    return profile


def profile_refresh_week_masks(*, batch_size: int = 500) -> int:
    """Recompute every profile's ``utc_week_mask`` for the current week.

    Masks are computed for one concrete week, so a daylight-saving change moves
    them by an hour; run this weekly (and just after DST switches) from beat.
    Idempotent; writes only rows whose mask changed; returns that count. Reads
    only the three columns it needs, so it is cheap even for large workspaces.
    """
    changed = []
    rows = Profile.objects.only("id", "user_id", "timezone", "working_hours", "utc_week_mask").order_by("id")
    for profile in rows.iterator(chunk_size=batch_size):
        try:
            mask = wh.mask_to_hex(wh.utc_week_mask(profile.working_hours or [], profile.timezone))
        except Exception:
            # A row saved before validation existed must not stop the sweep; say which one.
            logger.warning("Skipping profile %s: cannot compute its week mask", profile.pk, exc_info=True)
            continue
        if mask != profile.utc_week_mask:
            profile.utc_week_mask = mask
            changed.append(profile)
    Profile.objects.bulk_update(changed, ["utc_week_mask"], batch_size=batch_size)
    if changed:  # the directory's overlap filter reads the masks
        read_topics.people_changed(profile.user_id for profile in changed)
    return len(changed)


# --- Expertise and learning goals -------------------------------------------------


def _skill_in_workspace(organization: Organization, skill_id, *, field: str = "skill_id") -> Skill:
    try:
        pk = int(skill_id)
    except (TypeError, ValueError):
        pk = None
    skill = Skill.objects.filter(organization=organization, pk=pk).first() if pk else None
    if skill is None:
        raise NotFound(
            "That skill was not found in your workspace.",
            fields={
                field: ["No such skill in your workspace. Pick one from the suggestions or type a name."]
            },
        )
    return skill


def _resolve_skill(organization: Organization, *, skill_id, skill_name) -> Skill:
    """An existing skill by id (NotFound if not in this workspace), or by name
    or alias, created when nothing matches. Call inside the caller's transaction."""
    if skill_id not in (None, ""):
        return _skill_in_workspace(organization, skill_id)
    if not str(skill_name or "").strip():
        raise ValidationFailed(
            "Which skill?", fields={"skill": ["Type a skill name or pick one from the list."]}
        )
    skill, _created = skill_get_or_create(organization=organization, name=skill_name)
    return skill


def expertise_set(
    *, user: User, level, years=0, skill_id: int | None = None, skill_name: str | None = None
) -> Expertise:
    """Add or update the user's expertise in a skill of their own workspace.

    Give ``skill_id`` (must be in the user's workspace, otherwise NotFound on
    field ``skill_id``) or ``skill_name`` (an existing skill by name or alias,
    or a new one). ``level`` 1–5 and ``years`` 0–60 are checked before anything
    is written, so a bad level never leaves a freshly created skill behind.
    """
    errors: dict[str, list[str]] = {}
    level_int = _as_int(level, field="level", what="Level", errors=errors)
    if level_int is not None and not 1 <= level_int <= 5:
        errors["level"] = [f"Level must be between 1 (familiar) and 5 (expert), not {level_int}."]
    years_int = _as_int(0 if years in (None, "") else years, field="years", what="Years", errors=errors)
    if years_int is not None and not 0 <= years_int <= YEARS_MAX:
        errors["years"] = [f"Years of experience must be between 0 and {YEARS_MAX}, not {years_int}."]
    if errors:
        raise ValidationFailed("Please fix the expertise fields.", fields=errors)
    organization = _workspace_of(user)
    with transaction.atomic():
        skill = _resolve_skill(organization, skill_id=skill_id, skill_name=skill_name)
        expertise, _ = Expertise.objects.update_or_create(
            user=user, skill=skill, defaults={"level": level_int, "years": years_int}
        )
    return expertise


def _remove_skill_row(model, user: User, skill_id, *, missing: tuple[str, str]) -> None:
    """Delete the user's ``model`` row (expertise or learning goal) for a skill of their
    workspace; NotFound with ``missing`` (message, field hint) when there is none."""
    skill = _skill_in_workspace(_workspace_of(user), skill_id)
    deleted, _ = model.objects.filter(user=user, skill=skill).delete()
    if not deleted:
        message, hint = missing
        raise NotFound(message, fields={"skill_id": [hint]})


def expertise_remove(*, user: User, skill_id) -> None:
    """Remove the user's expertise in a skill. NotFound when they have none there."""
    _remove_skill_row(
        Expertise, user, skill_id, missing=("You have no expertise in that skill.", "Not in your expertise.")
    )


def learning_goal_add(
    *, user: User, skill_id: int | None = None, skill_name: str | None = None, note: str = ""
) -> LearningGoal:
    """Add (or update the note of) a skill the user wants to learn, in their workspace."""
    errors: dict[str, list[str]] = {}
    note_clean = _clean_text(note, field="note", label="The note", limit=GOAL_NOTE_MAX_CHARS, errors=errors)
    if errors:
        raise ValidationFailed("Please fix the learning goal.", fields=errors)
    organization = _workspace_of(user)
    with transaction.atomic():
        skill = _resolve_skill(organization, skill_id=skill_id, skill_name=skill_name)
        goal, _ = LearningGoal.objects.update_or_create(user=user, skill=skill, defaults={"note": note_clean})
    return goal


def learning_goal_remove(*, user: User, skill_id) -> None:
    """Remove a learning goal. NotFound when the user has none for that skill."""
    _remove_skill_row(
        LearningGoal,
        user,
        skill_id,
        missing=("That is not one of your learning goals.", "Not a learning goal."),
    )
