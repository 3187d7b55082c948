"""Cohort fit: every seeker × mentor pair of a program scored, in a constant number of
queries (docs/programs.md, "Cohort matching").

``cohort_fit_matrix`` loads a program's (or explicit) seekers and mentors and scores
every pair with the factors and weights of mentor suggestions
(``mentoring.engagements.matching`` / ``mentoring.engagements.matching_params``),
vectorised with numpy. Trust comes from ``trust.standing`` (lower bounds, the
workspace prior for whoever has no evidence yet) and mentor load from
``mentoring.engagements.selectors`` (the one definition of load). ``cohort_pair``
explains one pair (factor breakdown, covered learning goals).

The fit of a pair is the suggestion score without the text match (a cohort has no
need text): skill fit is the mentor's declared level in the seeker's learning goals
(mean of level / 5 over the goals), the other five factors are the same as for a
single suggestion. The assignment itself is ``mentoring.programs.assignment``.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from accounts.models import Expertise, LearningGoal, Organization, Profile, User
from accounts.working_hours import hex_to_mask
from core.errors import ValidationFailed
from mentoring.engagements import matching_params as mp
from mentoring.engagements.matching import FACTOR_LABELS, Factor, work_style_fit
from mentoring.engagements.selectors import mentor_load_subquery
from mentoring.models import Program, ProgramParticipant
from trust.standing import standings

MASK_BYTES = 21  # 168 hours of a week, one bit each (accounts.working_hours)
FACTOR_KEYS = tuple(mp.WEIGHTS.as_dict())


@dataclass
class CohortData:
    """Everything the assignment and its explanation need, indexed like ``fit``."""

    organization: Organization
    program: Program | None
    seekers: list[User]  # partial users (id, full_name, email)
    mentors: list[User]
    capacity: np.ndarray  # profile capacity per mentor
    load: np.ndarray  # active engagements as mentor, per mentor
    capacity_left: np.ndarray
    fit: np.ndarray  # seekers × mentors, NaN where forbidden
    factors: dict[str, np.ndarray]  # factor key → seekers × mentors values
    overlap_hours: np.ndarray  # seekers × mentors, −1 where a side has no working hours
    skill_ids: list[int]  # the learning-goal skills, columns of goals/levels
    skill_names: list[str]
    goals: np.ndarray  # seekers × skills, 1 where the seeker wants to learn it
    levels: np.ndarray  # mentors × skills, declared level (0 = none)
    min_level: int
    seeker_styles: list[tuple[str, str, str]] = field(default_factory=list)  # (mode, cadence, feedback)
    mentor_styles: list[tuple[str, str, str]] = field(default_factory=list)
    mentor_problems: dict[int, str] = field(default_factory=dict)  # mentor index → why no slot
    # The factor weights used for ``fit`` (the program's, else matching_params.WEIGHTS).
    weights: dict[str, float] = field(default_factory=mp.WEIGHTS.as_dict)


def _ids(people: Iterable) -> list[int]:
    return list(dict.fromkeys(int(getattr(p, "pk", p)) for p in people))


def _mask_bits(masks: Sequence[str]) -> np.ndarray:
    """people × 168 matrix of working hours (float32, for a matrix product)."""
    raw = b"".join(hex_to_mask(m or "").to_bytes(MASK_BYTES, "big") for m in masks)
    return (
        np.unpackbits(np.frombuffer(raw, dtype=np.uint8))
        .reshape(len(masks), MASK_BYTES * 8)
        .astype(np.float32)
    )


# A program's own weights: each factor from 0 to MAX_FACTOR_WEIGHT, at least one above 0.
MAX_FACTOR_WEIGHT = 1.0


def program_weights(rules) -> dict[str, float]:
    """The factor weights of a program's ``matching_rules["weights"]`` (factors left out
    keep the default of ``matching_params.WEIGHTS``); ValidationFailed naming
    ``matching_rules`` when a factor is unknown, a weight is not a number from 0 to
    ``MAX_FACTOR_WEIGHT`` or all of them are 0."""
    weights = mp.WEIGHTS.as_dict()
    given = rules.get("weights") if isinstance(rules, dict) else None
    if given is None:
        return weights
    errors = []
    if not isinstance(given, dict):
        errors.append("weights must map factor names to numbers.")
    else:
        for key, value in given.items():
            if key not in weights:
                errors.append(f"{key} is not a matching factor (use {', '.join(FACTOR_KEYS)}).")
            elif isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                errors.append(f"The weight of {key} must be a number.")
            elif not 0 <= value <= MAX_FACTOR_WEIGHT:
                errors.append(f"The weight of {key} must be from 0 to {MAX_FACTOR_WEIGHT:g}.")
            else:
                weights[key] = float(value)
        if not errors and sum(weights.values()) <= 0:
            errors.append("At least one weight must be above 0.")
    if errors:
        raise ValidationFailed(
            "The program's matching rules are not valid.", fields={"matching_rules": errors}
        )
    return weights


def _min_level(program: Program | None) -> int:
    rules = program.matching_rules if program is not None and isinstance(program.matching_rules, dict) else {}
    value = rules.get("min_level", 1)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= mp.MAX_LEVEL:
        raise ValidationFailed(
            "The program's matching rules are not valid.",
            fields={"matching_rules": ["min_level must be a whole number from 1 to 5."]},
        )
    return value


def cohort_fit_matrix(
    *,
    organization: Organization | None = None,
    program: Program | None = None,
    seekers: Iterable | None = None,
    mentors: Iterable | None = None,
) -> CohortData:
    """Load seekers and mentors and score every pair. Reads only; the caller checks access.

    With ``program``, seekers and mentors default to its participants (by role)
    and ``matching_rules["min_level"]`` (1–5, default 1) is the lowest level that
    counts as expertise. Explicit ``seekers``/``mentors`` (users or ids) must be
    active members of the workspace, else ValidationFailed naming the field.

    A pair is forbidden when it is one person twice, when the mentor has no
    expertise (at ``min_level``) in any of the seeker's learning goals, or when
    the mentor is not open to mentoring or is away. Queries: participants (only
    when taken from the program), people with profile and load, expertise,
    learning goals, the workspace's trust prior and the mentors' scores
    (``trust.standing.standings``) — six at most, whatever the number of people."""
    if program is not None:
        organization = program.organization
    if organization is None:
        raise ValueError("Pass a program or an organization.")
    min_level = _min_level(program)
    weights = program_weights(program.matching_rules) if program is not None else mp.WEIGHTS.as_dict()
    problems: dict[str, list[str]] = {}
    if (seekers is None or mentors is None) and program is None:
        raise ValueError("Without a program, pass seekers and mentors.")
    if seekers is None or mentors is None:
        enrolled = list(
            ProgramParticipant.objects.filter(program=program)
            .order_by("user_id")
            .values_list("user_id", "role")
        )
        if seekers is None:
            seekers = [u for u, role in enrolled if role == ProgramParticipant.Role.SEEKER]
        if mentors is None:
            mentors = [u for u, role in enrolled if role == ProgramParticipant.Role.MENTOR]
        explicit = False
    else:
        explicit = True
    seeker_ids, mentor_ids = _ids(seekers), _ids(mentors)
    people = {
        row["user_id"]: row
        for row in Profile.objects.filter(
            user_id__in=set(seeker_ids) | set(mentor_ids),
            user__is_active=True,
            user__membership__organization_id=organization.pk,
            user__membership__is_active=True,
        )
        .annotate(load=mentor_load_subquery("user_id"))
        .values(
            "user_id",
            "user__full_name",
            "user__email",
            "capacity",
            "load",
            "open_to_mentor",
            "is_away",
            "utc_week_mask",
            "work_mode",
            "cadence",
            "feedback_style",
        )
    }
    for key, ids in (("seekers", seeker_ids), ("mentors", mentor_ids)):
        missing = [i for i in ids if i not in people]
        if missing and explicit:
            problems[key] = [
                f"{len(missing)} of them are not active members of this workspace (ids {missing[:10]})."
            ]
    if problems:
        raise ValidationFailed("Some people cannot be matched.", fields=problems)
    # Program participants who left the workspace since they enrolled are left out.
    seeker_ids = [i for i in seeker_ids if i in people]
    mentor_ids = [i for i in mentor_ids if i in people]

    goal_rows = list(
        LearningGoal.objects.filter(
            user_id__in=seeker_ids, skill__organization_id=organization.pk
        ).values_list("user_id", "skill_id", "skill__name")
    )
    skill_names = dict(sorted({(skill_id, name) for _u, skill_id, name in goal_rows}))
    skill_ids = list(skill_names)
    skill_col = {skill_id: k for k, skill_id in enumerate(skill_ids)}
    seeker_row = {user_id: i for i, user_id in enumerate(seeker_ids)}
    mentor_col = {user_id: j for j, user_id in enumerate(mentor_ids)}
    n_s, n_m, n_k = len(seeker_ids), len(mentor_ids), len(skill_ids)

    goals = np.zeros((n_s, n_k), dtype=np.float32)
    for user_id, skill_id, _name in goal_rows:
        goals[seeker_row[user_id], skill_col[skill_id]] = 1.0
    levels = np.zeros((n_m, n_k), dtype=np.float32)
    if n_k and n_m:
        for user_id, skill_id, level in Expertise.objects.filter(
            user_id__in=mentor_ids, skill_id__in=skill_ids
        ).values_list("user_id", "skill_id", "level"):
            levels[mentor_col[user_id], skill_col[skill_id]] = level

    # Lower bounds (prior-filled: the workspace prior for whoever has no evidence yet).
    beliefs = standings(organization_id=organization.pk, user_ids=mentor_ids, skill_ids=skill_ids)
    competence = np.zeros((n_m, n_k), dtype=np.float32)
    responsiveness = np.zeros(n_m, dtype=np.float32)
    for j, user_id in enumerate(mentor_ids):
        standing = beliefs[user_id]
        responsiveness[j] = standing.responsiveness.lower
        competence[j, :] = standing.default_competence.lower
        for skill_id, belief in standing.competence.items():
            if skill_id in skill_col:
                competence[j, skill_col[skill_id]] = belief.lower

    seeker_rows = [people[i] for i in seeker_ids]
    mentor_rows = [people[i] for i in mentor_ids]
    capacity = np.array([r["capacity"] for r in mentor_rows], dtype=np.int64)
    load = np.array([r["load"] for r in mentor_rows], dtype=np.int64)
    capacity_left = np.maximum(capacity - load, 0)
    mentor_problems: dict[int, str] = {}
    for j, row in enumerate(mentor_rows):
        if not row["open_to_mentor"]:
            mentor_problems[j] = "not open to mentoring"
        elif row["is_away"]:
            mentor_problems[j] = "away"
        elif capacity_left[j] == 0:
            mentor_problems[j] = "no capacity left"
    eligible = np.array([j not in mentor_problems for j in range(n_m)], dtype=bool)

    n_goals = goals.sum(axis=1)
    per_goal = 1.0 / np.maximum(n_goals, 1.0)
    skill_fit = (goals @ levels.T) * (per_goal / mp.MAX_LEVEL)[:, None]
    competence_fit = (goals @ competence.T) * per_goal[:, None]
    covered = goals @ (levels >= min_level).astype(np.float32).T

    seeker_bits, mentor_bits = (
        _mask_bits([r["utc_week_mask"] for r in seeker_rows]),
        _mask_bits([r["utc_week_mask"] for r in mentor_rows]),
    )
    hours = seeker_bits @ mentor_bits.T
    known = (seeker_bits.sum(axis=1) > 0)[:, None] & (mentor_bits.sum(axis=1) > 0)[None, :]
    hours_fit = np.where(known, np.minimum(hours / mp.OVERLAP_FULL_HOURS, 1.0), mp.OVERLAP_UNKNOWN)

    load_fit = np.where(capacity > 0, 1.0 - load / np.maximum(capacity, 1), 0.0).clip(0.0, 1.0)

    style_keys: dict[tuple, int] = {}
    seeker_style = np.array(
        [style_keys.setdefault(_style(r), len(style_keys)) for r in seeker_rows], dtype=int
    )
    mentor_style = np.array(
        [style_keys.setdefault(_style(r), len(style_keys)) for r in mentor_rows], dtype=int
    )
    styles = list(style_keys)
    style_table = np.array(
        [[work_style_fit(_style_dict(a), _style_dict(b))[0] for b in styles] for a in styles], dtype=float
    ).reshape(len(styles), len(styles))
    style_fit = (
        style_table[np.ix_(seeker_style, mentor_style)] if n_s and n_m else np.zeros((n_s, n_m), dtype=float)
    )

    factors = {
        "skill_fit": np.clip(skill_fit, 0.0, 1.0),
        "competence": competence_fit.astype(float),
        # Per-mentor factors stay read-only broadcast views (no S × M copy).
        "responsiveness": np.broadcast_to(responsiveness.astype(float)[None, :], (n_s, n_m)),
        "working_hours": hours_fit,
        "load": np.broadcast_to(load_fit[None, :], (n_s, n_m)),
        "work_style": style_fit,
    }
    score = sum(weights[key] * factors[key] for key in FACTOR_KEYS) / sum(weights.values())
    allowed = (covered > 0) & eligible[None, :]
    if n_s and n_m:
        same = np.array(seeker_ids)[:, None] == np.array(mentor_ids)[None, :]
        allowed &= ~same
    fit = np.where(allowed, np.clip(score, 0.0, 1.0), np.nan)
    return CohortData(
        organization=organization,
        program=program,
        seekers=[_partial_user(r) for r in seeker_rows],
        mentors=[_partial_user(r) for r in mentor_rows],
        capacity=capacity,
        load=load,
        capacity_left=np.where(eligible, capacity_left, 0),
        fit=fit,
        factors=factors,
        overlap_hours=np.where(known, hours, -1).astype(int),
        skill_ids=skill_ids,
        skill_names=[skill_names[k] for k in skill_ids],
        goals=goals,
        levels=levels,
        min_level=min_level,
        seeker_styles=[_style(r) for r in seeker_rows],
        mentor_styles=[_style(r) for r in mentor_rows],
        mentor_problems=mentor_problems,
        weights=weights,
    )


def _style(row: dict) -> tuple[str, str, str]:
    return (row["work_mode"], row["cadence"], row["feedback_style"])


def _style_dict(style: tuple[str, str, str]) -> dict:
    return {"work_mode": style[0], "cadence": style[1], "feedback_style": style[2]}


def _partial_user(row: dict) -> User:
    # Only what a preview shows; other fields load on access (never a default).
    # from_db pairs the values with the model's concrete fields in their declared
    # order (email comes before full_name), so the names are given in that order.
    values = {"id": row["user_id"], "full_name": row["user__full_name"], "email": row["user__email"]}
    names = [f.attname for f in User._meta.concrete_fields if f.attname in values]
    return User.from_db(User.objects.db, names, [values[name] for name in names])


@dataclass(frozen=True)
class CohortPair:
    seeker: User
    mentor: User
    fit: float
    factors: list[Factor]
    skills: list[tuple[int, str, int]]  # (skill id, name, mentor's level) of the seeker's goals they cover

    @property
    def percent(self) -> int:
        return round(self.fit * 100)


def _breakdown(data: CohortData, s: int, m: int) -> tuple[list[Factor], list[tuple[int, str, int]]]:
    weights = data.weights
    skills = [
        (data.skill_ids[k], data.skill_names[k], int(data.levels[m, k]))
        for k in np.flatnonzero(data.goals[s]).tolist()
    ]
    covered = ", ".join(f"{name} {level}/5" if level else f"{name}: none" for _i, name, level in skills)
    hours = int(data.overlap_hours[s, m])
    _style_value, style_detail = work_style_fit(
        _style_dict(data.seeker_styles[s]), _style_dict(data.mentor_styles[m])
    )
    details = {
        "skill_fit": f"Learning goals vs levels: {covered}.",
        "competence": "Cautious estimate in the seeker's learning goals (the workspace's typical level where "
        "there is no evidence yet).",
        "responsiveness": "Cautious estimate from answering in time (typical level without a track record).",
        "working_hours": (
            f"{hours} hour{'s' if hours != 1 else ''} a week at the same time."
            if hours >= 0
            else "Working hours not set on one side."
        ),
        "load": f"Mentoring {int(data.load[m])} of {int(data.capacity[m])} people right now.",
        "work_style": style_detail.replace(" you", " the seeker"),
    }
    factors = [
        Factor(
            key=key,
            label=FACTOR_LABELS[key],
            value=float(data.factors[key][s, m]),
            weight=weights[key],
            detail=details[key],
        )
        for key in FACTOR_KEYS
    ]
    return factors, skills


def cohort_pair(data: CohortData, s: int, m: int) -> CohortPair:
    """Seeker ``s`` with mentor ``m`` of ``data``: fit, factor breakdown and covered goals
    (also for a pair placed by hand; the caller checks the pair is allowed)."""
    factors, skills = _breakdown(data, s, m)
    return CohortPair(
        seeker=data.seekers[s],
        mentor=data.mentors[m],
        fit=float(data.fit[s, m]),
        factors=factors,
        skills=[x for x in skills if x[2] >= data.min_level],
    )


def why_forbidden(data: CohortData, m: int) -> str:
    """Why mentor ``m`` of ``data`` may not take a seeker (for a pair placed by hand)."""
    problem = data.mentor_problems.get(m)
    if problem:
        return f"the mentor is {problem}" if problem in ("away",) else f"the mentor is now {problem}"
    return "the mentor has no expertise in the seeker's learning goals"
