"""Vouching: a talent manager's word for a newcomer, with its own weight."""

import pytest

from accounts.models import AuditEntry
from core.errors import PermissionDenied, ValidationFailed
from tests.trust.factories import observe
from trust import params
from trust.models import TrustEvent
from trust.services.evidence import record_evidence
from trust.services.vouching import vouch_for

pytestmark = pytest.mark.django_db


def test_only_talent_managers_can_vouch(alice, bob, skill):
    with pytest.raises(PermissionDenied):
        vouch_for(manager=alice, subject=bob, skill=skill)
    assert not TrustEvent.objects.exists()


def test_vouching_is_for_newcomers_only(bob, manager, skill):
    for _ in range(params.VOUCH_MAX_EVIDENCE):
        observe(bob)
    with pytest.raises(ValidationFailed) as info:
        vouch_for(manager=manager, subject=bob, skill=skill)
    assert "user" in info.value.fields
    assert not TrustEvent.objects.filter(source_kind="vouch").exists()


def test_nobody_vouches_for_themselves(manager, skill):
    with pytest.raises(ValidationFailed):
        vouch_for(manager=manager, subject=manager, skill=skill)


def test_a_vouch_is_competence_evidence_with_its_own_weight_and_is_audited(bob, manager, skill):
    event = vouch_for(manager=manager, subject=bob, skill=skill)
    assert (event.dimension, event.weight, event.outcome, event.actor) == (
        "competence",
        params.VOUCH_WEIGHT,
        1.0,
        manager,
    )
    assert AuditEntry.objects.filter(action="trust.vouched", target_id=str(bob.pk)).count() == 1


def test_a_vouch_cannot_be_forged_through_record_evidence_by_a_member(alice, bob, skill):
    with pytest.raises(ValidationFailed) as info:
        record_evidence(
            subject=bob,
            actor=alice,
            dimension="competence",
            skill=skill,
            outcome=1.0,
            source_kind="vouch",
            source_id=f"{alice.pk}:{bob.pk}",
        )
    assert info.value.code == "no_shared_context"


def test_vouching_again_returns_the_same_event_and_audits_once(bob, manager, skill):
    first = vouch_for(manager=manager, subject=bob, skill=skill)
    again = vouch_for(manager=manager, subject=bob, skill=skill)
    assert again.pk == first.pk
    entry = AuditEntry.objects.get(action="trust.vouched")
    assert (entry.target_type, entry.target_id, entry.actor_id) == ("user", str(bob.pk), manager.pk)
    assert entry.details == {"skill": skill.name, "event": first.pk}
