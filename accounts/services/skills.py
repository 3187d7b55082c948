"""The workspace skill taxonomy: skills and their aliases.

A skill's name and every alias share one case-insensitive namespace per
workspace: "k8s" cannot be both an alias of Kubernetes and a skill of its own,
so a name always resolves to at most one skill. The database enforces
uniqueness within names and within aliases; these services also check across
the two and turn races into the same clear error.
"""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.text import slugify

from accounts.models import Organization, Skill, SkillAlias
from core.errors import ValidationFailed
from core.text import clean_display_text

SKILL_NAME_MAX = 80


def _clean_name(name, *, field: str) -> str:
    cleaned, problem = clean_display_text(name)
    if problem:
        raise ValidationFailed(
            "That skill name has a character that is not allowed.", fields={field: [problem]}
        )
    if not cleaned:
        raise ValidationFailed(
            "A skill needs a name.", fields={field: ["Enter a skill name, for example Terraform."]}
        )
    if not any(char.isalnum() for char in cleaned):
        raise ValidationFailed(
            "A skill name needs letters or digits.",
            fields={field: [f"“{cleaned}” is not a name; write the skill, for example Terraform or C++."]},
        )
    if len(cleaned) > SKILL_NAME_MAX:
        raise ValidationFailed(
            "That skill name is too long.",
            fields={field: [f"Use at most {SKILL_NAME_MAX} characters (this has {len(cleaned)})."]},
        )
    return cleaned


def skill_find(*, organization: Organization | int, name: str) -> Skill | None:
    """The workspace's (a workspace or its id) skill whose name or alias equals ``name``
    (case-insensitive, NFKC-normalised, white space folded), or None."""
    cleaned, _ = clean_display_text(name)
    if not cleaned:
        return None
    return (
        Skill.objects.filter(organization=organization)
        .filter(Q(name__iexact=cleaned) | Q(aliases__name__iexact=cleaned))
        .order_by("pk")
        .first()
    )


def _name_taken(organization: Organization, name: str) -> str | None:
    existing = skill_find(organization=organization, name=name)
    return existing.name if existing else None


def _unique_slug(organization: Organization, name: str) -> str:
    base = slugify(name)[:80] or "skill"
    slug, n = base, 2
    while Skill.objects.filter(organization=organization, slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def skill_create(
    *, organization: Organization, name: str, aliases: Iterable[str] = (), description: str = ""
) -> Skill:
    """Add a skill (with optional aliases) to a workspace's taxonomy.

    Any member may call this (the taxonomy grows as people describe themselves).
    Raises ValidationFailed (field ``name`` or ``aliases``) when the name or an
    alias is empty, too long, or already used by a skill name or alias in the
    workspace. All or nothing: one transaction.
    """
    cleaned = _clean_name(name, field="name")
    if clash := _name_taken(organization, cleaned):
        raise ValidationFailed(
            f"“{cleaned}” already exists.",
            fields={"name": [f"“{cleaned}” is already in the taxonomy as {clash}; pick it instead."]},
            code="duplicate",
        )
    alias_names: list[str] = []
    for alias in aliases:
        alias_clean = _clean_name(alias, field="aliases")
        lowered = {a.lower() for a in alias_names} | {cleaned.lower()}
        if alias_clean.lower() in lowered:
            continue  # the same alias twice, or the name itself: one entry is enough
        alias_names.append(alias_clean)
    for alias_clean in alias_names:
        if clash := _name_taken(organization, alias_clean):
            raise ValidationFailed(
                f"“{alias_clean}” is already used.",
                fields={"aliases": [f"“{alias_clean}” already names {clash}; remove it from the aliases."]},
                code="duplicate",
            )
    try:
        with transaction.atomic():
            skill = Skill.objects.create(
                organization=organization,
                name=cleaned,
                slug=_unique_slug(organization, cleaned),
                description=(description or "")[:300],
            )
            SkillAlias.objects.bulk_create(
                SkillAlias(skill=skill, organization=organization, name=alias_name)
                for alias_name in alias_names
            )
    except IntegrityError:
        # Someone created the same name a moment ago.
        raise ValidationFailed(
            f"“{cleaned}” already exists.",
            fields={"name": [f"“{cleaned}” was just added by someone else; pick it from the list."]},
            code="duplicate",
        ) from None
    return skill


def skill_alias_add(*, skill: Skill, name: str) -> SkillAlias:
    """Give ``skill`` another name. Raises ValidationFailed (field ``name``) when the
    alias is empty, too long, or already names a skill or alias in the workspace."""
    cleaned = _clean_name(name, field="name")
    if clash := _name_taken(skill.organization, cleaned):
        raise ValidationFailed(
            f"“{cleaned}” is already used.",
            fields={"name": [f"“{cleaned}” already names {clash}."]},
            code="duplicate",
        )
    try:
        with transaction.atomic():
            return SkillAlias.objects.create(skill=skill, organization_id=skill.organization_id, name=cleaned)
    except IntegrityError:
        raise ValidationFailed(
            f"“{cleaned}” is already used.",
            fields={"name": [f"“{cleaned}” was just added."]},
            code="duplicate",
        ) from None


def skill_get_or_create(*, organization: Organization, name: str) -> tuple[Skill, bool]:
    """The skill a member typed: an existing one when the name or an alias matches
    (case-insensitive), otherwise a new skill. Returns ``(skill, created)``."""
    cleaned = _clean_name(name, field="skill")
    if existing := skill_find(organization=organization, name=cleaned):
        return existing, False
    try:
        return skill_create(organization=organization, name=cleaned), True
    except ValidationFailed:
        # Lost a race with another member creating the same skill: use theirs.
        if existing := skill_find(organization=organization, name=cleaned):
            return existing, False
        raise
