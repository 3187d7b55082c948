"""Plain-words explanations of a person's trust, per dimension.

Privacy: explanations are built from counts per source kind; they never name
who rated whom, and never show a raw rating.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from accounts.models import Skill
from core import clock
from trust import params, scoring, sources
from trust.models import TrustEvent, TrustScore, TrustSnapshot
from trust.standing import prior_means

NEWCOMER_HEADLINE = "Not enough evidence yet — building a track record"

# Why some evidence counted less (``TrustEvent.weight_note`` fragments written by the
# defences in trust.services.evidence and trust.services.raters), in words that name no one.
DAMPING_REASONS = (
    ("from the same person", "repeated evidence from the same person counts less each time"),
    ("reciprocal praise", "praise traded back and forth counts less"),
    ("one voice", "colleagues who all work closely together count as one voice"),
    ("suspicious pattern", "evidence inside a tight group or a burst from new accounts counts a tenth"),
    ("new or little-connected", "evidence from new or little-connected accounts counts less"),
    ("calibrated", "ratings are adjusted for raters who rate everyone high or low"),
)
UNVERIFIED_REASON = "evidence confirmed before it could be checked counts less"

DIMENSION_LABELS = {
    params.COMPETENCE: "Competence",
    params.INTEGRITY: "Integrity",
    params.RESPONSIVENESS: "Responsiveness",
}
DIMENSION_QUESTIONS = {
    params.COMPETENCE: "Can they help with this?",
    params.INTEGRITY: "Do they keep their word and treat people well?",
    params.RESPONSIVENESS: "Will they answer in time?",
}
HOW_TO_MOVE = {
    params.COMPETENCE: "Answers accepted{skill_phrase} and good feedback from engagements{skill_phrase} "
    "raise it.",
    params.INTEGRITY: "Keeping commitments (or releasing them early, openly) and respectful, honest feedback "
    "raise it; missed commitments and no-shows lower it.",
    params.RESPONSIVENESS: "Replying to invitations, routed questions and messages within your working hours "
    "raises it; a quick decline, pass or referral counts as responsive too.",
}


@dataclass
class Trend:
    days: int
    delta_points: int | None  # change of the mean in percentage points; None = no history then
    text: str


@dataclass
class DimensionExplanation:
    dimension: str
    label: str
    question: str
    skill_id: int | None
    skill_name: str | None
    is_new: bool
    headline: str
    mean: int  # percent
    lower: int
    upper: int
    evidence_count: int
    distinct_raters: int
    contributions: list[str] = field(default_factory=list)
    damped: str = ""  # when evidence was damped, and why (no names)
    trends: list[Trend] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.label} in {self.skill_name}" if self.skill_name else self.label

    @property
    def band_text(self) -> str:
        return f"{self.lower}–{self.upper}%"

    @property
    def level_word(self) -> str:
        return level_word(self.mean / 100.0)


def level_word(mean: float) -> str:
    if mean >= 0.85:
        return "Very strong"
    if mean >= 0.7:
        return "Strong"
    if mean >= 0.55:
        return "Fair"
    return "Weak"


def _pct(value: float) -> int:
    return round(100 * value)


def _plural_fix(text: str) -> str:
    # "1 of 1 times" reads oddly; keep it simple and honest.
    return text.replace(" 1 of 1 times", " once out of once")


def _contributions(rows, *, dimension: str, skill_name: str | None, as_of: datetime) -> list[str]:
    """Top source kinds by how much they weigh now, in plain words."""
    half_life = params.HALF_LIFE_DAYS[dimension]
    skill_phrase = f" in {skill_name}" if skill_name else ""
    buckets: dict[tuple[str, bool], dict] = defaultdict(lambda: {"good": 0, "total": 0, "weight": 0.0})
    for row in rows:
        recent = as_of - row["occurred_at"] <= params.EXPLANATION_WINDOW
        bucket = buckets[(row["source_kind"], recent)]
        bucket["total"] += 1
        bucket["good"] += row["outcome"] >= params.GOOD_OUTCOME
        bucket["weight"] += row["weight"] * scoring.decay(
            scoring.age_days(row["occurred_at"], as_of), half_life
        )
    ranked = sorted(buckets.items(), key=lambda item: (-item[1]["weight"], item[0]))
    texts = []
    window_days = params.EXPLANATION_WINDOW.days
    for (kind, recent), bucket in ranked[: params.TOP_CONTRIBUTIONS]:
        summary, _label = sources.describe(kind)
        window = f" in the last {window_days} days" if recent else f" more than {window_days} days ago"
        text = summary.format(
            good=bucket["good"], total=bucket["total"], skill_phrase=skill_phrase, window=window
        )
        texts.append(_plural_fix(text[0].upper() + text[1:]))
    return texts


def damped_text(rows) -> str:
    """ "3 of 7 pieces counted less: …" from the weight notes of live evidence; "" when none."""
    reasons: list[str] = []
    damped = 0
    for row in rows:
        note = row.get("weight_note") or ""
        found = [text for fragment, text in DAMPING_REASONS if fragment in note]
        if row.get("base_weight", 1.0) < 1.0:
            found.append(UNVERIFIED_REASON)
        if found:
            damped += 1
            reasons += [text for text in found if text not in reasons]
    if not damped:
        return ""
    pieces = "piece" if len(rows) == 1 else "pieces"
    return f"{damped} of {len(rows)} {pieces} counted less: " + "; ".join(reasons) + "."


def _trend(
    rows, *, dimension: str, prior_mean: float, now_mean: float, days: int, as_of: datetime, snapshot_mean
) -> Trend:
    then = as_of - timedelta(days=days)
    if snapshot_mean is None:
        earlier = [
            scoring.Evidence(r["outcome"], r["weight"], r["occurred_at"])
            for r in rows
            if r["occurred_at"] <= then
        ]
        if not earlier:
            return Trend(
                days=days, delta_points=None, text=f"All of the evidence is from the last {days} days."
            )
        snapshot_mean = scoring.belief(earlier, dimension=dimension, prior_mean=prior_mean, as_of=then).mean
    delta = _pct(now_mean) - _pct(snapshot_mean)
    if delta == 0:
        text = f"Steady over the last {days} days."
    elif delta > 0:
        text = f"Up {delta} points over the last {days} days."
    else:
        text = f"Down {-delta} points over the last {days} days."
    return Trend(days=days, delta_points=delta, text=text)


def _next_steps(belief: scoring.Belief, *, dimension: str, skill_name, is_new) -> list[str]:
    skill_phrase = f" in {skill_name}" if skill_name else ""
    steps = []
    if is_new:
        steps.append(
            "Little evidence yet, so others see the workspace's usual level instead of a number, and "
            "suggestions rank this signal at that level, with everyone nobody knows yet — never above "
            "or below them on a few pieces. Every engagement, answer and kept commitment builds the "
            "record."
        )
    else:
        # one more fresh item of weight 1 on top of the current belief
        up_lower, _ = scoring.quantiles(belief.alpha + 1.0, belief.beta)
        down_lower, _ = scoring.quantiles(belief.alpha, belief.beta + 1.0)
        steps.append(
            f"One more positive piece of evidence would move the ranking bound from {_pct(belief.lower)}% "
            f"to {_pct(float(up_lower))}%; a negative one to {_pct(float(down_lower))}%."
        )
    steps.append(HOW_TO_MOVE[dimension].format(skill_phrase=skill_phrase))
    steps.append(
        f"Evidence counts half after {params.HALF_LIFE_DAYS[dimension]:.0f} days, "
        "so recent work matters most."
    )
    return steps


def explain_subject(
    subject, *, as_of: datetime | None = None, with_details: bool = True
) -> list[DimensionExplanation]:
    """Integrity, responsiveness, then competence per skill with evidence (strongest first)."""
    as_of = as_of or clock.now()
    organization_id = getattr(getattr(subject, "membership", None), "organization_id", None)
    priors = (
        prior_means(organization_id)
        if organization_id
        else dict.fromkeys(params.DIMENSIONS, params.DEFAULT_PRIOR_MEAN)
    )
    scores = {(s.dimension, s.skill_key): s for s in TrustScore.objects.filter(subject=subject)}
    rows_by_key: dict[tuple[str, int], list[dict]] = defaultdict(list)
    if with_details:
        for row in (
            TrustEvent.objects.live()
            .filter(subject=subject)
            .values(
                "dimension",
                "skill_key",
                "source_kind",
                "outcome",
                "weight",
                "occurred_at",
                "weight_note",
                "base_weight",
                "in_pattern",
            )
        ):
            rows_by_key[(row["dimension"], row["skill_key"])].append(row)
    snapshots = {}
    if with_details:
        wanted = [(as_of - timedelta(days=d)).date() for d in params.TREND_WINDOWS_DAYS]
        for snap in TrustSnapshot.objects.filter(subject=subject, date__in=wanted):
            snapshots[(snap.dimension, snap.skill_key, (as_of.date() - snap.date).days)] = snap.mean

    keys = [(params.INTEGRITY, 0), (params.RESPONSIVENESS, 0)]
    competence_keys = {k for k in list(scores) + list(rows_by_key) if k[0] == params.COMPETENCE}
    skills = Skill.objects.in_bulk([k[1] for k in competence_keys])
    competence_sorted = sorted(
        competence_keys,
        key=lambda k: (
            -(scores[k].lower if k in scores else 0.0),
            skills[k[1]].name if k[1] in skills else "",
        ),
    )
    keys += competence_sorted

    explanations = []
    for dimension, skill_key in keys:
        score = scores.get((dimension, skill_key))
        rows = rows_by_key.get((dimension, skill_key), [])
        if score is not None:
            belief = scoring.Belief(
                alpha=score.alpha,
                beta=score.beta,
                mean=score.mean,
                lower=score.lower,
                upper=score.upper,
                evidence_weight=score.evidence_weight,
                evidence_count=score.evidence_count,
                established_weight=score.established_weight,
                established_count=score.established_count,
                distinct_raters=score.distinct_raters,
                last_evidence_at=score.last_evidence_at,
            )
        else:
            evidence = [
                scoring.Evidence(r["outcome"], r["weight"], r["occurred_at"], in_pattern=r["in_pattern"])
                for r in rows
            ]
            belief = scoring.belief(evidence, dimension=dimension, prior_mean=priors[dimension], as_of=as_of)
        skill = skills.get(skill_key) if skill_key else None
        skill_name = skill.name if skill else None
        # little evidence (or only a few pieces, however good) reads "not enough evidence yet"
        is_new = not scoring.is_established(belief.established_weight, belief.established_count)
        explanation = DimensionExplanation(
            dimension=dimension,
            label=DIMENSION_LABELS[dimension],
            question=DIMENSION_QUESTIONS[dimension],
            skill_id=skill_key or None,
            skill_name=skill_name,
            is_new=is_new,
            headline=NEWCOMER_HEADLINE if is_new else f"{level_word(belief.mean)} · {_pct(belief.mean)}%",
            mean=_pct(belief.mean),
            lower=_pct(belief.lower),
            upper=_pct(belief.upper),
            evidence_count=belief.evidence_count,
            distinct_raters=belief.distinct_raters,
        )
        if with_details:
            explanation.contributions = _contributions(
                rows, dimension=dimension, skill_name=skill_name, as_of=as_of
            )
            explanation.damped = damped_text(rows)
            if not is_new:
                explanation.trends = [
                    _trend(
                        rows,
                        dimension=dimension,
                        prior_mean=priors[dimension],
                        now_mean=belief.mean,
                        days=days,
                        as_of=as_of,
                        snapshot_mean=snapshots.get((dimension, skill_key, days)),
                    )
                    for days in params.TREND_WINDOWS_DAYS
                ]
                # "no history 30 days ago" already says there was none 90 days ago
                first_gap = next(
                    (i for i, t in enumerate(explanation.trends) if t.delta_points is None), None
                )
                if first_gap is not None:
                    explanation.trends = explanation.trends[: first_gap + 1]
            explanation.next_steps = _next_steps(
                belief, dimension=dimension, skill_name=skill_name, is_new=is_new
            )
        explanations.append(explanation)
    return explanations
