"""The one trust read other apps use: lower bounds for these people in these skills,
with the workspace prior as the fallback for whoever has no evidence yet.

Matching, cohort matching and routing rank people by the lower bound of their belief
(competence per skill, responsiveness overall), never by the mean: little evidence
means a wide interval and a low bound, and a score without enough evidence
(``scoring.is_established``) is ranked at the workspace prior: "not enough evidence yet",
tied with everyone nobody knows (``ranking_lower``).
Nothing outside trust reads ``TrustScore`` or
``TrustPrior``; they read this module.

- ``prior_means(organization_id)``: the stored prior mean per dimension, the default
  where the nightly recompute has not stored one yet (the one fallback: the
  recomputes in ``trust.services`` read the same function).
- ``workspace_prior(organization_id)``: the prior beliefs (lower bound and mean) of a
  workspace, built on ``prior_means``.
- ``standings(organization_id=…, user_ids=…, skill_ids=…)``: every person's beliefs in
  one query, prior-filled.
- ``standing_annotations(...)``: the same as subquery expressions, for a candidate
  queryset that is filtered and ordered in SQL (mentor suggestions).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from django.db.models import Case, Count, F, FloatField, IntegerField, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from core.lookups import AnyOf
from trust import params
from trust.models import TrustPrior, TrustScore
from trust.scoring import is_established, prior, quantiles

COMPETENCE = params.COMPETENCE
RESPONSIVENESS = params.RESPONSIVENESS
INTEGRITY = params.INTEGRITY


@dataclass(frozen=True)
class Belief:
    lower: float
    mean: float
    evidence: int = 0  # pieces of evidence behind it; 0 for the prior


@lru_cache(maxsize=256)
def prior_belief(mean: float | None) -> Belief:
    """The belief of someone with no evidence, in a workspace whose prior mean is ``mean``."""
    alpha, beta = prior(params.DEFAULT_PRIOR_MEAN if mean is None else mean)
    lower, _upper = quantiles(alpha, beta)
    return Belief(lower=float(lower), mean=alpha / (alpha + beta))


@dataclass(frozen=True)
class WorkspacePrior:
    competence: Belief
    responsiveness: Belief
    integrity: Belief
    means: dict[str, float]  # the stored prior mean per dimension (the default when none)


def prior_means(organization_id: int) -> dict[str, float]:
    """The workspace's prior mean per dimension: the one the nightly recompute stored, or
    ``params.DEFAULT_PRIOR_MEAN`` where it has not stored one yet. One query."""
    stored = dict(TrustPrior.objects.filter(organization_id=organization_id).values_list("dimension", "mean"))
    return {dimension: stored.get(dimension, params.DEFAULT_PRIOR_MEAN) for dimension in params.DIMENSIONS}


def workspace_prior(organization_id: int) -> WorkspacePrior:
    """The beliefs of someone without evidence in this workspace, per dimension (built on
    ``prior_means``)."""
    means = prior_means(organization_id)
    return WorkspacePrior(
        competence=prior_belief(means[COMPETENCE]),
        responsiveness=prior_belief(means[RESPONSIVENESS]),
        integrity=prior_belief(means[INTEGRITY]),
        means=means,
    )


def ranking_lower(lower: float, *, evidence_weight: float, evidence_count: int, prior_lower: float) -> float:
    """The bound people are ranked by. With established evidence (``scoring.is_established``:
    enough weight after the defences, from enough pieces) it is the lower bound. Without, the
    person reads "not enough evidence yet" and is ranked as what the card shows, the
    workspace's usual level: exactly tied with everyone nobody knows, neither above them
    (however good the few pieces, or the many heavily damped ones, were) nor below them (one
    harsh or retaliating rater does not sink a newcomer); five complaints make a record.
    Callers pass a score's ``established_lower``, ``established_weight`` and
    ``established_count``: what the nightly found inside a suspicious pattern makes nobody
    established and raises nobody's bound (decision 0018)."""
    if is_established(evidence_weight, evidence_count):
        return lower
    return prior_lower


def _prior_lower_sql():
    """The workspace prior's lower bound of a TrustScore row's workspace and dimension (the
    stored ``TrustPrior.lower``; the default prior's where none is stored yet)."""
    stored = TrustPrior.objects.filter(
        organization_id=OuterRef("organization_id"), dimension=OuterRef("dimension")
    ).values("lower")[:1]
    return Coalesce(Subquery(stored, output_field=FloatField()), Value(prior_belief(None).lower))


def _ranking_lower_sql():
    """``ranking_lower`` as a SQL expression over a TrustScore row (its established weight and
    count: the evidence not found inside a suspicious pattern)."""
    return Case(
        When(
            established_weight__gte=params.NEWCOMER_EVIDENCE,
            established_count__gte=params.MIN_EVIDENCE_PIECES,
            then=F("established_lower"),
        ),
        default=_prior_lower_sql(),
        output_field=FloatField(),
    )


@dataclass
class Standing:
    """One person's beliefs: competence per skill id, responsiveness overall."""

    competence: dict[int, Belief] = field(default_factory=dict)
    responsiveness: Belief | None = None
    default_competence: Belief | None = None

    def competence_in(self, skill_id: int) -> Belief:
        return self.competence.get(skill_id) or self.default_competence


def standings(
    *,
    organization_id: int,
    user_ids: Iterable[int],
    skill_ids: Iterable[int],
    prior: WorkspacePrior | None = None,
) -> dict[int, Standing]:
    """Beliefs of ``user_ids`` in ``skill_ids`` (and responsiveness), prior-filled: a person
    or a skill without evidence gets the workspace prior (``prior`` when the caller has
    just read ``workspace_prior``). Two queries whatever the count (one given ``prior``)."""
    user_ids = list(user_ids)
    skill_ids = list(skill_ids)
    base = prior or workspace_prior(organization_id)
    result = {
        user_id: Standing(responsiveness=base.responsiveness, default_competence=base.competence)
        for user_id in user_ids
    }
    if not user_ids:
        return result
    rows = TrustScore.objects.filter(
        AnyOf("subject_id", user_ids),
        dimension__in=[COMPETENCE, RESPONSIVENESS],
        skill_key__in=[0, *skill_ids],
    ).values_list(
        "subject_id", "dimension", "skill_key", "established_lower", "mean", "evidence_count",
        "established_weight", "established_count",
    )  # fmt: skip
    floors = {COMPETENCE: base.competence.lower, RESPONSIVENESS: base.responsiveness.lower}
    for subject_id, dimension, skill_key, lower, mean, count, weight, independent in rows:
        ranked = ranking_lower(
            lower, evidence_weight=weight, evidence_count=independent, prior_lower=floors[dimension]
        )
        belief = Belief(lower=ranked, mean=mean, evidence=count)
        if dimension == RESPONSIVENESS and skill_key == 0:
            result[subject_id].responsiveness = belief
        elif dimension == COMPETENCE and skill_key:
            result[subject_id].competence[skill_key] = belief
    return result


def standing_annotations(*, user_ref: str, skill_ids: Iterable[int]) -> dict:
    """Subquery annotations for a queryset of people (``OuterRef(user_ref)`` is the user id):
    ``competence_sum`` and ``competence_n`` (sum and count of competence lower bounds in
    ``skill_ids``) and ``responsiveness_lower``; NULL where there is no evidence, so the
    caller fills in ``workspace_prior``."""
    skill_ids = list(skill_ids) or [0]
    competence_rows = TrustScore.objects.filter(
        subject_id=OuterRef(user_ref), dimension=COMPETENCE, skill_key__in=skill_ids
    ).order_by()
    return {
        "competence_sum": Subquery(
            competence_rows.values("subject_id").annotate(s=Sum(_ranking_lower_sql())).values("s"),
            output_field=FloatField(),
        ),
        "competence_n": Subquery(
            competence_rows.values("subject_id").annotate(n=Count("id")).values("n"),
            output_field=IntegerField(),
        ),
        "responsiveness_lower": Subquery(
            TrustScore.objects.filter(subject_id=OuterRef(user_ref), dimension=RESPONSIVENESS, skill_key=0)
            .order_by()
            .annotate(ranked=_ranking_lower_sql())
            .values("ranked")[:1],
            output_field=FloatField(),
        ),
    }


def prior_mean_subquery(*, organization_ref: str, dimension: str) -> Subquery:
    """The workspace's stored prior mean for ``dimension`` as a subquery (NULL when none;
    ``prior_belief(None)`` is the default)."""
    return Subquery(
        TrustPrior.objects.filter(organization_id=OuterRef(organization_ref), dimension=dimension).values(
            "mean"
        )[:1]
    )
