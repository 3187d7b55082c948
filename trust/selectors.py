"""Trust reads, always scoped to the viewer's workspace.

Members see bands and explanations, never who rated them what. Talent managers
see distributions and the dispute queue, still without raters' names. Who is a
member or a talent manager of which workspace comes from ``accounts.access``.
"""

from dataclasses import dataclass

from django.db.models import Count, F, FloatField, Prefetch, Q
from django.db.models.functions import Cast, Floor, Least

from accounts.access import active_membership, require_talent_manager
from accounts.models import Membership, Skill, User
from core.errors import NotFound
from trust import params, sources
from trust.explain import DimensionExplanation, explain_subject
from trust.models import TrustDispute, TrustEvent, TrustScore

CARD_SKILLS = 3


def _member_of(membership, user_id) -> User:
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        raise NotFound("No such person.") from None
    if membership is None:
        raise NotFound("No such person.")
    user = (
        User.objects.select_related("membership")
        .filter(
            pk=user_id, membership__organization_id=membership.organization_id, membership__is_active=True
        )
        .first()
    )
    if user is None:
        raise NotFound("No such person.")
    return user


def access_member(viewer, user_id) -> User:
    """An active member of the viewer's workspace; one NotFound for missing and not-yours."""
    return _member_of(active_membership(viewer), user_id)


def vouch_target(viewer, *, user_id, skill_id) -> tuple[User, Skill]:
    """The newcomer and the skill a talent manager vouches for, both of the viewer's
    workspace; a NotFound names the field (``user`` or ``skill``) it is about."""
    membership = require_talent_manager(viewer)
    try:
        subject = _member_of(membership, user_id)
    except NotFound:
        raise NotFound("No such person.", fields={"user": ["Choose a member of your workspace."]}) from None
    skill_id = str(skill_id).strip()
    skill = (
        Skill.objects.filter(pk=int(skill_id), organization_id=membership.organization_id).first()
        if skill_id.isdigit()
        else None
    )
    if skill is None:
        raise NotFound("No such skill.", fields={"skill": ["Choose a skill of your workspace."]})
    return subject, skill


@dataclass
class TrustCard:
    user: User
    integrity: DimensionExplanation
    responsiveness: DimensionExplanation
    competence: list[DimensionExplanation]
    more_skills: int

    @property
    def dimensions(self) -> list[DimensionExplanation]:
        return [*self.competence, self.integrity, self.responsiveness]


def trust_card_for(user, *, with_details: bool = True) -> TrustCard:
    explanations = explain_subject(user, with_details=with_details)
    by_dimension = {e.dimension: e for e in explanations if not e.skill_id}
    competence = [e for e in explanations if e.dimension == params.COMPETENCE]
    return TrustCard(
        user=user,
        integrity=by_dimension[params.INTEGRITY],
        responsiveness=by_dimension[params.RESPONSIVENESS],
        competence=competence[:CARD_SKILLS],
        more_skills=max(len(competence) - CARD_SKILLS, 0),
    )


def trust_card(viewer, user_id, *, with_details: bool = True) -> TrustCard:
    """The card of ``user_id`` as ``viewer`` may see it (same workspace, else NotFound)."""
    return trust_card_for(access_member(viewer, user_id), with_details=with_details)


@dataclass
class EvidenceItem:
    id: int
    label: str
    dimension: str
    skill_name: str | None
    occurred_at: object
    assessment: str  # "positive" | "mixed" | "negative": never the raw rating
    dispute: TrustDispute | None

    @property
    def can_dispute(self) -> bool:
        return self.dispute is None or self.dispute.state == TrustDispute.State.REJECTED


def _assessment(outcome: float) -> str:
    if outcome >= params.PRAISE_THRESHOLD:
        return "positive"
    if outcome >= params.GOOD_OUTCOME - 0.25:
        return "mixed"
    return "negative"


def my_evidence(viewer, *, limit: int = 200) -> list[EvidenceItem]:
    """The live evidence about the viewer, newest first, with the latest dispute of each item."""
    events = (
        TrustEvent.objects.live()
        .filter(subject_id=viewer.pk)
        .select_related("skill")
        .prefetch_related(Prefetch("disputes", queryset=TrustDispute.objects.order_by("-created_at", "-id")))
        .order_by("-occurred_at", "-id")[:limit]
    )
    items = []
    for event in events:
        _summary, label = sources.describe(event.source_kind)
        disputes = list(event.disputes.all())
        items.append(
            EvidenceItem(
                id=event.pk,
                label=label,
                dimension=event.dimension,
                skill_name=event.skill.name if event.skill_id else None,
                occurred_at=event.occurred_at,
                assessment=_assessment(event.outcome),
                dispute=disputes[0] if disputes else None,
            )
        )
    return items


def my_disputes(viewer):
    """Every dispute the viewer raised, with its outcome."""
    return (
        TrustDispute.objects.filter(raised_by_id=viewer.pk)
        .select_related("event", "event__skill")
        .order_by("-created_at", "-id")
    )


def dispute_queue(viewer, *, include_decided: bool = False):
    """Open disputes of the manager's workspace (oldest first), optionally with decided ones."""
    membership = require_talent_manager(viewer)
    disputes = TrustDispute.objects.filter(organization_id=membership.organization_id).select_related(
        "event", "event__skill", "raised_by", "decided_by"
    )
    if not include_decided:
        return disputes.filter(state=TrustDispute.State.OPEN).order_by("created_at", "id")
    return disputes.order_by("-created_at", "-id")


def describe_event(event: TrustEvent) -> dict:
    """What a talent manager sees of a disputed item: the source, not the rater, not the raw value."""
    _summary, label = sources.describe(event.source_kind)
    return {
        "label": label,
        "source_kind": event.source_kind,
        "source_id": event.source_id,
        "dimension": event.dimension,
        "skill": event.skill.name if event.skill_id else None,
        "occurred_at": event.occurred_at,
        "assessment": _assessment(event.outcome),
    }


def distributions(viewer) -> dict:
    """Per dimension: how many people have a score, how many are still new, and a histogram
    of means in tenths; competence per skill for the busiest skills. Set-based queries only."""
    membership = require_talent_manager(viewer)
    scores = TrustScore.objects.filter(organization_id=membership.organization_id)
    bucket = Least(Cast(Floor(F("mean") * 10), FloatField()), 9.0)
    histogram_rows = (
        scores.filter(skill_key=0)
        .annotate(bucket=bucket)
        .values("dimension", "bucket")
        .annotate(n=Count("id"), new=Count("id", filter=Q(evidence_weight__lt=params.NEWCOMER_EVIDENCE)))
    )
    result = {
        d: {"dimension": d, "people": 0, "new": 0, "histogram": [0] * 10}
        for d in (params.INTEGRITY, params.RESPONSIVENESS)
    }
    for row in histogram_rows:
        entry = result[row["dimension"]]
        entry["histogram"][int(row["bucket"])] += row["n"] - row["new"]
        entry["people"] += row["n"]
        entry["new"] += row["new"]
    skills = (
        scores.filter(dimension=params.COMPETENCE)
        .values("skill_id", "skill__name")
        .annotate(
            people=Count("id"),
            new=Count("id", filter=Q(evidence_weight__lt=params.NEWCOMER_EVIDENCE)),
            strong=Count("id", filter=Q(lower__gte=0.7, evidence_weight__gte=params.NEWCOMER_EVIDENCE)),
        )
        .order_by("-people", "skill__name")[:20]
    )
    members = Membership.objects.filter(organization_id=membership.organization_id, is_active=True).count()
    return {
        "members": members,
        "dimensions": list(result.values()),
        "skills": [
            {
                "skill_id": s["skill_id"],
                "skill": s["skill__name"],
                "people": s["people"],
                "new": s["new"],
                "strong": s["strong"],
            }
            for s in skills
        ],
        "open_disputes": TrustDispute.objects.filter(
            organization_id=membership.organization_id, state=TrustDispute.State.OPEN
        ).count(),
    }
