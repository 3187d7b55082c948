"""Cohort (bulk) matching: many seekers to many mentors with mentor capacity.

Two layers (docs/matching.md, "Cohort matching"):

* **A pure core** on a fit matrix (seekers × mentors, values in [0, 1], ``None``
  / NaN / −inf for forbidden pairs) and per-mentor capacities:
  ``assign_optimal`` maximises the total fit exactly (scipy's
  ``linear_sum_assignment`` over one column per capacity slot),
  ``assign_greedy`` takes the best remaining pair first. Both return an
  ``Assignment`` (pairs with their fit, total, number matched) so the two can
  be compared on the same data.
* **A database layer**: ``cohort_fit_matrix`` loads a program's (or explicit)
  seekers and mentors with a constant number of queries whatever their number
  and scores every pair with the factors and weights of mentor suggestions
  (``mentoring.engagements.matching`` / ``mentoring.engagements.matching_params``), vectorised with
  numpy; ``cohort_assign`` returns a preview (reads only) and ``cohort_save``
  turns a preview into engagements of the program, in one transaction.

The fit of a pair is the suggestion score without the text match (a cohort has
no need text): skill fit is the mentor's declared level in the seeker's
learning goals (mean of level / 5 over the goals), the other five factors are
the same as for a single suggestion.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.db import transaction
from django.db.models import Count
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from accounts.models import AuditEntry, Expertise, LearningGoal, Membership, Organization, Profile, User
from accounts.working_hours import hex_to_mask
from core import clock
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mentoring.engagements import matching_params as mp
from mentoring.engagements.matching import FACTOR_LABELS, Factor, work_style_fit
from mentoring.engagements.selectors import LOAD_STATES, active_membership, mentor_load_subquery
from mentoring.models import (
    DEFAULT_DURATION_DAYS,
    MAX_DURATION_DAYS,
    Engagement,
    EngagementKind,
    EngagementTransition,
    Participant,
    Program,
    ProgramParticipant,
)
from messaging.notifications.notify import notify, page_link
from trust import params as trust_params
from trust.models import TrustPrior, TrustScore
from trust.scoring import prior, quantiles

MASK_BYTES = 21  # 168 hours of a week, one bit each (accounts.working_hours)
FACTOR_KEYS = tuple(mp.WEIGHTS.as_dict())


# --- Pure core ------------------------------------------------------------------


@dataclass(frozen=True)
class Assignment:
    """The result of one assignment method on a fit matrix.

    ``pairs`` are (seeker index, mentor index, fit), sorted by seeker index;
    ``unassigned`` the seeker indices left without a mentor."""

    method: str
    pairs: list[tuple[int, int, float]]
    unassigned: list[int]

    @property
    def total_fit(self) -> float:
        return float(sum(fit for _s, _m, fit in self.pairs))

    @property
    def matched(self) -> int:
        return len(self.pairs)

    @property
    def mean_fit(self) -> float:
        return self.total_fit / self.matched if self.pairs else 0.0


def fit_array(fit, *, mentors: int | None = None) -> np.ndarray:
    """``fit`` as a float matrix with NaN for forbidden pairs (``None``, NaN, −inf).

    ``mentors`` gives the width of an empty list of rows. ValueError when it is
    not two-dimensional or an allowed value is outside [0, 1]."""
    if isinstance(fit, np.ndarray):
        array = fit.astype(float, copy=True)
    else:
        array = np.array(
            [[math.nan if value is None else float(value) for value in row] for row in fit], dtype=float
        )
        if array.size == 0:
            width = (mentors or 0) if len(fit) == 0 else 0  # rows of length 0, or no rows at all
            array = array.reshape(len(fit), width)
    if array.ndim != 2:
        raise ValueError("The fit matrix must have one row per seeker and one column per mentor.")
    array[np.isneginf(array)] = math.nan
    allowed = ~np.isnan(array)
    if np.any((array[allowed] < 0.0) | (array[allowed] > 1.0)):
        raise ValueError("Allowed fits must lie in [0, 1]; mark forbidden pairs with None or -inf.")
    return array


def _capacities(capacities: Sequence[int], mentors: int) -> np.ndarray:
    array = np.asarray(list(capacities), dtype=np.int64)
    if array.shape != (mentors,):
        raise ValueError(f"Expected {mentors} capacities, one per mentor column, got {array.size}.")
    if np.any(array < 0):
        raise ValueError("Capacities cannot be negative.")
    return array


def assign_optimal(fit, capacities: Sequence[int], *, solver: str = "sparse") -> Assignment:
    """The assignment with the largest total fit: each seeker at most one mentor,
    each mentor at most ``capacities[m]`` seekers, never a forbidden pair.

    One column per capacity slot (a mentor's slots are capped at the number of
    seekers allowed with them, which changes nothing but the size); a seeker
    left unassigned counts 0. Two exact solvers, same optimum (the property
    test checks both against brute force):

    * ``"sparse"`` (default): scipy's ``min_weight_full_bipartite_matching``
      (LAPJVsp) on the allowed (seeker, slot) edges only, weighted 2 − fit, plus
      one dummy "unassigned" column per seeker weighted 2 — so a full matching
      always exists and a dummy is chosen only when no slot adds fit. At 2,000 ×
      800 × 3 with 13 % allowed pairs it is 2–3× faster than the dense solver.
    * ``"dense"``: ``linear_sum_assignment`` on −fit per slot, forbidden cells at
      0 (the value of staying unassigned; a pick of one reads as unassigned).
      No dummy columns are needed: with at least as many slots as seekers, any
      partial matching extends to a full one through spare slots at no cost;
      with fewer, the rectangular solver leaves the surplus seekers out.

    Ties go to the solver's deterministic choice."""
    if solver not in ("sparse", "dense"):
        raise ValueError('solver must be "sparse" or "dense".')
    capacities = list(capacities)
    array = fit_array(fit, mentors=len(capacities))
    n_seekers, n_mentors = array.shape
    caps = _capacities(capacities, n_mentors)
    allowed = ~np.isnan(array) & (caps > 0)[None, :]
    rows = np.flatnonzero(allowed.any(axis=1))
    cols = np.flatnonzero(allowed.any(axis=0))
    pairs: list[tuple[int, int, float]] = []
    if rows.size and cols.size:
        sub_allowed = allowed[np.ix_(rows, cols)]
        sub_fit = np.where(sub_allowed, array[np.ix_(rows, cols)], 0.0)
        slots = np.minimum(caps[cols], sub_allowed.sum(axis=0))
        slot_mentor = np.repeat(np.arange(cols.size), slots)  # slot column → position in cols
        if solver == "dense":
            row_index, col_index = linear_sum_assignment(-sub_fit[:, slot_mentor])
        else:
            edge_rows, edge_slots = np.nonzero(sub_allowed[:, slot_mentor])
            n_rows, n_slots = rows.size, slot_mentor.size
            graph = csr_matrix(
                (
                    np.concatenate([2.0 - sub_fit[edge_rows, slot_mentor[edge_slots]], np.full(n_rows, 2.0)]),
                    (
                        np.concatenate([edge_rows, np.arange(n_rows)]),
                        np.concatenate([edge_slots, n_slots + np.arange(n_rows)]),
                    ),
                ),
                shape=(n_rows, n_slots + n_rows),
            )
            row_index, col_index = min_weight_full_bipartite_matching(graph)
        for r, c in zip(row_index.tolist(), col_index.tolist(), strict=True):
            if c < slot_mentor.size and sub_allowed[r, slot_mentor[c]]:
                s, m = int(rows[r]), int(cols[slot_mentor[c]])
                pairs.append((s, m, float(array[s, m])))
    pairs.sort()
    matched = {s for s, _m, _f in pairs}
    return Assignment("optimal", pairs, [s for s in range(n_seekers) if s not in matched])


def assign_greedy(fit, capacities: Sequence[int]) -> Assignment:
    """Best remaining pair first (ties: lower seeker, then lower mentor index) —
    what a person filling the list from the top would get. For comparison."""
    capacities = list(capacities)
    array = fit_array(fit, mentors=len(capacities))
    n_seekers, n_mentors = array.shape
    left = _capacities(capacities, n_mentors).copy()
    seeker_idx, mentor_idx = np.nonzero(~np.isnan(array) & (left > 0)[None, :])
    values = array[seeker_idx, mentor_idx]
    order = np.lexsort((mentor_idx, seeker_idx, -values))
    taken = np.zeros(n_seekers, dtype=bool)
    pairs: list[tuple[int, int, float]] = []
    for k in order.tolist():
        s, m = int(seeker_idx[k]), int(mentor_idx[k])
        if taken[s] or left[m] == 0:
            continue
        taken[s] = True
        left[m] -= 1
        pairs.append((s, m, float(values[k])))
        if len(pairs) == n_seekers:
            break
    pairs.sort()
    return Assignment("greedy", pairs, [s for s in range(n_seekers) if not taken[s]])


# --- Loading and scoring ---------------------------------------------------------


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


def _prior_lower(mean: float | None) -> float:
    alpha, beta = prior(trust_params.DEFAULT_PRIOR_MEAN if mean is None else mean)
    lower, _upper = quantiles(alpha, beta)
    return float(lower)


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
    learning goals, trust scores, trust priors — six at most, whatever the
    number of people."""
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

    priors = dict(
        TrustPrior.objects.filter(
            organization_id=organization.pk,
            dimension__in=[trust_params.COMPETENCE, trust_params.RESPONSIVENESS],
        ).values_list("dimension", "mean")
    )
    prior_competence = _prior_lower(priors.get(trust_params.COMPETENCE))
    prior_responsiveness = _prior_lower(priors.get(trust_params.RESPONSIVENESS))
    competence = np.full((n_m, n_k), prior_competence, dtype=np.float32)
    responsiveness = np.full(n_m, prior_responsiveness, dtype=np.float32)
    if n_m:
        for subject_id, dimension, skill_key, lower in TrustScore.objects.filter(
            subject_id__in=mentor_ids,
            dimension__in=[trust_params.COMPETENCE, trust_params.RESPONSIVENESS],
            skill_key__in=[0, *skill_ids],
        ).values_list("subject_id", "dimension", "skill_key", "lower"):
            j = mentor_col[subject_id]
            if dimension == trust_params.RESPONSIVENESS and skill_key == 0:
                responsiveness[j] = lower
            elif dimension == trust_params.COMPETENCE and skill_key in skill_col:
                competence[j, skill_col[skill_key]] = lower

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


# --- Preview and save ----------------------------------------------------------


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


@dataclass(frozen=True)
class CohortPreview:
    """What ``cohort_save`` would create, with the greedy pass for comparison.
    Kept in memory; the programs UI stores a draft's pairs in ``CohortDraft``
    (``mentoring.programs.services``) and rebuilds the preview from them."""

    organization: Organization
    program: Program | None
    pairs: list[CohortPair]
    unassigned: list[tuple[User, str]]  # seeker, why
    mentors_without_slots: list[tuple[User, str]]
    optimal: Assignment
    greedy: Assignment
    seats: int  # capacity slots available in total

    @property
    def gain(self) -> float:
        """How much more total fit the optimal assignment reaches than the greedy pass."""
        return self.optimal.total_fit - self.greedy.total_fit


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


def _program_in_workspace(actor, program) -> tuple[Organization, Program | None]:
    membership = active_membership(actor)
    if not membership.is_talent_manager:
        raise PermissionDenied("Only a talent manager can match a cohort.")
    if program is None:
        return membership.organization, None
    program_id = getattr(program, "pk", program)
    found = (
        Program.objects.select_related("organization")
        .filter(pk=program_id, organization_id=membership.organization_id)
        .first()
    )
    if found is None:
        raise NotFound("No such program.")
    if found.kind == EngagementKind.GROUP:
        raise ValidationFailed(
            "Cohort matching pairs one seeker with one mentor; a group program's groups are started by hand.",
            fields={"program": ["Choose a situational or ongoing program."]},
        )
    return found.organization, found


def cohort_assign(*, actor, program=None, seekers: Iterable | None = None, mentors: Iterable | None = None):
    """Preview a cohort assignment. Reads only.

    Who may call: a talent manager; ``program`` (instance or id) must be of their
    workspace (NotFound otherwise, the same as a missing one) and not of kind
    group. Without a program, ``seekers`` and ``mentors`` are required and are
    matched inside the manager's workspace. Returns a ``CohortPreview`` with the
    optimal pairs, each with its factor breakdown, and the greedy totals."""
    organization, program = _program_in_workspace(actor, program)
    if program is None and (seekers is None or mentors is None):
        raise ValidationFailed(
            "Choose a program or list the seekers and mentors.",
            fields={"program": ["Choose a program, or pass both seekers and mentors."]},
        )
    data = cohort_fit_matrix(organization=organization, program=program, seekers=seekers, mentors=mentors)
    return preview_from(data)


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


def preview_from(data: CohortData) -> CohortPreview:
    """Both assignments on ``data`` and the explanation of the optimal one."""
    optimal = assign_optimal(data.fit, data.capacity_left)
    greedy = assign_greedy(data.fit, data.capacity_left)
    pairs = [cohort_pair(data, s, m) for s, m, _fit in optimal.pairs]
    allowed_any = ~np.isnan(data.fit).all(axis=1) if data.fit.size else np.zeros(len(data.seekers), bool)
    unassigned = []
    for s in optimal.unassigned:
        if not data.goals[s].any():
            why = "has no learning goals in this workspace"
        elif not allowed_any[s]:
            why = "no available mentor has expertise in their learning goals"
        else:
            why = "the mentors who fit were full"
        unassigned.append((data.seekers[s], why))
    return CohortPreview(
        organization=data.organization,
        program=data.program,
        pairs=pairs,
        unassigned=unassigned,
        mentors_without_slots=[(data.mentors[j], why) for j, why in sorted(data.mentor_problems.items())],
        optimal=optimal,
        greedy=greedy,
        seats=int(data.capacity_left.sum()),
    )


def cohort_save(*, actor, preview: CohortPreview, announce: bool = True) -> list[Engagement]:
    """Start one engagement per pair of ``preview`` (from ``cohort_assign``), all or nothing.

    Who may call: a talent manager of the preview's workspace. Locks the
    mentors' profile rows (id order), re-reads their load and raises Conflict
    (nothing written) when a mentor no longer has room for their seekers — the
    manager previews again. Each engagement has the program's kind and default
    duration, the covered learning goals as skills, a mentor and a seeker
    participant and its creation audit row; both people are enrolled in the
    program (existing enrolments kept); one workspace audit entry. Bulk inserts:
    a constant number of queries. With ``announce`` (the default) everyone matched
    is told (``cohort_announce``, same transaction, delivered after commit);
    ``announce=False`` leaves that to the caller, e.g. once the manager has
    briefed the mentors."""
    organization, program = _program_in_workspace(actor, preview.program)
    if organization.pk != preview.organization.pk:
        raise NotFound("No such program.")
    if not preview.pairs:
        raise ValidationFailed(
            "Nobody could be matched, so there is nothing to save.",
            fields={
                "seekers": ["Add mentors with expertise in the seekers' learning goals, or more capacity."]
            },
        )
    kind = program.kind if program is not None else EngagementKind.SITUATIONAL
    days = program.default_duration_days if program is not None else None
    if days is None:
        days = DEFAULT_DURATION_DAYS[EngagementKind(kind)]
    if days > MAX_DURATION_DAYS[EngagementKind(kind)]:
        raise ValidationFailed(
            f"A {kind} engagement lasts at most {MAX_DURATION_DAYS[EngagementKind(kind)]} days.",
            fields={"program": ["Shorten the program's default duration or change its kind."]},
        )
    wanted: dict[int, int] = {}
    for pair in preview.pairs:
        wanted[pair.mentor.pk] = wanted.get(pair.mentor.pk, 0) + 1
    starts_at = clock.now()
    ends_at = starts_at + timedelta(days=days)
    with transaction.atomic():
        # A mentor who went away or closed mentoring since the preview has no room either.
        locked = dict(
            Profile.objects.select_for_update()
            .filter(user_id__in=list(wanted), open_to_mentor=True, is_away=False)
            .order_by("user_id")
            .values_list("user_id", "capacity")
        )
        loads = dict(
            Participant.objects.filter(
                user_id__in=list(wanted),
                role=Participant.Role.MENTOR,
                left_at__isnull=True,
                engagement__state__in=LOAD_STATES,
            )
            .values("user_id")
            .annotate(n=Count("id"))
            .values_list("user_id", "n")
        )
        active = set(
            Membership.objects.filter(
                user_id__in=list(wanted) + [p.seeker.pk for p in preview.pairs],
                organization_id=organization.pk,
                is_active=True,
                user__is_active=True,
            ).values_list("user_id", flat=True)
        )
        full = [
            user_id
            for user_id, n in wanted.items()
            if user_id not in active or locked.get(user_id, 0) - loads.get(user_id, 0) < n
        ]
        gone = [p.seeker.pk for p in preview.pairs if p.seeker.pk not in active]
        if full or gone:
            raise Conflict(
                "Capacity or membership changed since the preview; preview the cohort again.",
                fields={
                    "preview": [f"{len(full)} mentor(s) and {len(gone)} seeker(s) are no longer available."]
                },
            )
        prefix = f"{program.name}: " if program is not None else ""
        engagements = Engagement.objects.bulk_create(
            [
                Engagement(
                    organization_id=organization.pk,
                    program=program,
                    kind=kind,
                    title=(prefix + (", ".join(name for _i, name, _l in pair.skills) or "Mentoring"))[:160],
                    goal="Learning goals: " + ", ".join(name for _i, name, _l in pair.skills) + ".",
                    starts_at=starts_at,
                    ends_at=ends_at,
                    created_by=actor,
                    created_at=starts_at,
                )
                for pair in preview.pairs
            ]
        )
        Participant.objects.bulk_create(
            [
                Participant(engagement_id=e.pk, user_id=user.pk, role=role, joined_at=starts_at)
                for e, pair in zip(engagements, preview.pairs, strict=True)
                for user, role in (
                    (pair.mentor, Participant.Role.MENTOR),
                    (pair.seeker, Participant.Role.SEEKER),
                )
            ]
        )
        EngagementTransition.objects.bulk_create(
            [
                EngagementTransition(
                    engagement_id=e.pk,
                    from_state="",
                    to_state=Engagement.State.ACTIVE,
                    actor_id=actor.pk,
                    reason="cohort",
                    at=starts_at,
                )
                for e in engagements
            ]
        )
        through = Engagement.skills.through
        through.objects.bulk_create(
            [
                through(engagement_id=e.pk, skill_id=skill_id)
                for e, pair in zip(engagements, preview.pairs, strict=True)
                for skill_id, _name, _level in pair.skills
            ]
        )
        if program is not None:
            enrolled = set(
                ProgramParticipant.objects.filter(program=program).values_list("user_id", flat=True)
            )
            ProgramParticipant.objects.bulk_create(
                [
                    ProgramParticipant(program_id=program.pk, user_id=user.pk, role=role, joined_at=starts_at)
                    for user, role in dict.fromkeys(
                        (user, role)
                        for pair in preview.pairs
                        for user, role in (
                            (pair.mentor, ProgramParticipant.Role.MENTOR),
                            (pair.seeker, ProgramParticipant.Role.SEEKER),
                        )
                    )
                    if user.pk not in enrolled
                ],
                ignore_conflicts=True,  # someone enrolled meanwhile keeps their row
            )
        AuditEntry.objects.create(
            organization_id=organization.pk,
            actor=actor,
            action="program.cohort_matched",
            target_type="program" if program is not None else "",
            target_id=str(program.pk) if program is not None else "",
            details={
                "pairs": len(preview.pairs),
                "unassigned": len(preview.unassigned),
                "optimal_total_fit": round(preview.optimal.total_fit, 4),
                "greedy_total_fit": round(preview.greedy.total_fit, 4),
            },
        )
        if announce:
            cohort_announce(preview=preview)
    return engagements


def cohort_announce(*, preview: CohortPreview) -> None:
    """Tell everyone matched in ``preview`` (mentors and seekers) through ``notify``:
    one in-app notification each, delivered after the surrounding transaction
    commits. Called by ``cohort_save``; call it yourself after ``announce=False``."""
    program = preview.program
    with transaction.atomic():
        notify(
            recipients=[u for pair in preview.pairs for u in (pair.mentor, pair.seeker)],
            kind="engagement.started",
            subject=f"You have a new mentoring match{' in ' + program.name if program is not None else ''}",
            body="A talent manager matched you with a mentoring partner: see your engagements.",
            link=page_link("mentoring:engagement_list", fallback="/engagements/"),
        )


__all__ = [
    "Assignment",
    "CohortData",
    "CohortPair",
    "CohortPreview",
    "assign_greedy",
    "assign_optimal",
    "cohort_announce",
    "cohort_assign",
    "cohort_fit_matrix",
    "cohort_pair",
    "cohort_save",
    "fit_array",
    "preview_from",
    "program_weights",
]
