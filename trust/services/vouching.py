"""Vouching: a talent manager's word for a newcomer's competence in one skill.

A vouch is competence evidence from the source kind ``params.VOUCH_SOURCE_KIND``
(registered at start-up by ``register_builtin_sources``), shared by exactly the
manager and the newcomer, with its own weight.
"""

from django.db import transaction

from accounts.access import active_membership, is_talent_manager
from accounts.audit import audit_record
from accounts.models import Membership, Skill
from core.errors import NotFound, PermissionDenied, ValidationFailed
from trust import params, sources
from trust.models import TrustEvent
from trust.services.evidence import record_evidence


def _vouch_participants(source_id: str) -> set[int]:
    """A vouch "m:s" is shared by talent manager m and newcomer s of the same workspace."""
    try:
        manager_id, subject_id = (int(part) for part in source_id.split(":"))
    except ValueError:
        return set()
    manager = Membership.objects.filter(
        user_id=manager_id, is_active=True, role=Membership.Role.TALENT_MANAGER
    ).first()
    if manager is None:
        return set()
    if not Membership.objects.filter(
        user_id=subject_id, is_active=True, organization_id=manager.organization_id
    ).exists():
        return set()
    return {manager_id, subject_id}


def register_builtin_sources() -> None:
    sources.register_source(params.VOUCH_SOURCE_KIND, participants=_vouch_participants, is_rating=False)


def vouch_for(*, manager, subject, skill: Skill) -> TrustEvent:
    """A talent manager vouches for a newcomer's competence in one skill.

    One vouch per (manager, newcomer, skill); repeating it returns the same event.
    Only for people with little evidence yet (params.VOUCH_MAX_EVIDENCE)."""
    membership = active_membership(manager)
    if not is_talent_manager(membership):
        raise PermissionDenied("Only talent managers can vouch for a newcomer.")
    subject_membership = active_membership(subject) if subject is not None else None
    if subject_membership is None or subject_membership.organization_id != membership.organization_id:
        raise NotFound(
            "No such person in your workspace.", fields={"user": ["Choose a member of your workspace."]}
        )
    if subject.pk == manager.pk:
        raise ValidationFailed(
            "Nobody can vouch for themselves.",
            fields={"user": ["Choose someone else."]},
            code="self_evidence",
        )
    if skill is None or skill.organization_id != membership.organization_id:
        raise ValidationFailed("Choose a skill of your workspace.", fields={"skill": ["Unknown skill."]})
    source_id = f"{manager.pk}:{subject.pk}"
    already = TrustEvent.objects.filter(
        source_kind=params.VOUCH_SOURCE_KIND, source_id=source_id, subject=subject, skill_key=skill.pk
    ).first()
    if already is None:
        live_count = TrustEvent.objects.live().filter(subject=subject).count()
        if live_count >= params.VOUCH_MAX_EVIDENCE:
            raise ValidationFailed(
                "Vouching is for newcomers; this person already has a track record.",
                fields={
                    "user": [
                        f"Has {live_count} pieces of evidence "
                        f"(vouching stops at {params.VOUCH_MAX_EVIDENCE})."
                    ]
                },
            )
    with transaction.atomic():
        event = record_evidence(
            subject=subject,
            actor=manager,
            dimension=params.COMPETENCE,
            skill=skill,
            outcome=params.VOUCH_OUTCOME,
            weight=params.VOUCH_WEIGHT,
            source_kind=params.VOUCH_SOURCE_KIND,
            source_id=source_id,
        )
        if already is None:
            audit_record(
                organization_id=membership.organization_id,
                actor=manager,
                action="trust.vouched",
                target_type="user",
                target_id=subject.pk,
                details={"skill": skill.name, "event": event.pk},
            )
    return event
