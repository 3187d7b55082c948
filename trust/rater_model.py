"""The rater model: pure functions, no database. Parameters live in trust.params.

Three questions about every counterpart (docs/trust.md §4, decision 0009):

- **Calibration** — how lenient or harsh is this person? ``calibration_offsets``: a
  Dawid–Skene style alternation between each subject's mean (from everyone else's
  calibrated evidence) and each rater's mean residual against it, shrunk toward 0 by a
  prior of ``CALIBRATION_PRIOR_RATINGS`` pseudo-ratings.
- **Standing** — is this person's word backed by the workspace? ``pagerank``:
  personalised PageRank over "gave good evidence about" edges, restarting at the seeds
  (established members and vouched newcomers), as in EigenTrust. A cluster nobody
  established ever praised gets only what leaks in from its own target.
- **Patterns** — ``dense_clusters`` (people trading evidence both ways with most of a
  group), suspicious when ``is_closed`` (most of what its members received came from each
  other), and bursts (new accounts praising the same person, found in the nightly).

Every function takes its input as a collection and sorts it first, so the result does
not depend on the order events were recorded in (property-tested).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from trust import params


@dataclass(frozen=True)
class PairEvidence:
    """What one rater said about one subject for one quality, summed over the window."""

    rater: int
    subject: int
    dimension: str
    count: int
    outcome_sum: float
    praise: int  # how many of the pieces were praise (outcome ≥ PRAISE_THRESHOLD)


def calibration_offsets(pairs: Iterable[PairEvidence]) -> dict[tuple[int, str], float]:
    """{(rater, dimension): leniency offset}. Positive: the rater says more than the other
    counterparts of the same people. A rater whose subjects nobody else rated keeps 0
    (no comparison); few ratings move the offset little (the prior)."""
    by_dimension: dict[str, list[PairEvidence]] = defaultdict(list)
    for pair in sorted(
        pairs, key=lambda p: (p.dimension, p.subject, p.rater, p.count, p.outcome_sum, p.praise)
    ):
        by_dimension[pair.dimension].append(pair)
    offsets: dict[tuple[int, str], float] = {}
    k = params.CALIBRATION_PRIOR_RATINGS
    for dimension, rows in by_dimension.items():
        total_n = sum(p.count for p in rows)
        workspace_mean = sum(p.outcome_sum for p in rows) / total_n if total_n else 0.5
        offset: dict[int, float] = defaultdict(float)
        for _ in range(params.CALIBRATION_ROUNDS):
            # per subject: Σ calibrated outcome and count, so leave-one-rater-out is a subtraction
            subject_sum: dict[int, float] = defaultdict(float)
            subject_n: dict[int, int] = defaultdict(int)
            for p in rows:
                subject_sum[p.subject] += p.outcome_sum - p.count * offset[p.rater]
                subject_n[p.subject] += p.count
            residual: dict[int, float] = defaultdict(float)
            rated: dict[int, int] = defaultdict(int)
            for p in rows:
                others_n = subject_n[p.subject] - p.count
                if others_n <= 0:
                    continue  # nobody else to compare with
                others = subject_sum[p.subject] - (p.outcome_sum - p.count * offset[p.rater])
                # the others' mean, itself shrunk toward the workspace mean
                others_mean = (others + workspace_mean) / (others_n + 1)
                residual[p.rater] += p.outcome_sum - p.count * others_mean
                rated[p.rater] += p.count
            offset = defaultdict(
                float,
                {
                    rater: float(
                        np.clip(residual[rater] / (rated[rater] + k), -params.MAX_OFFSET, params.MAX_OFFSET)
                    )
                    for rater in sorted(residual)
                },
            )
        for rater, value in offset.items():
            offsets[(rater, dimension)] = value
    return offsets


def pagerank(
    edges: dict[tuple[int, int], float], *, nodes: Iterable[int], seeds: Iterable[int]
) -> dict[int, float]:
    """Personalised PageRank: trust flows along ``edges`` (rater, subject) → weight (how much
    good evidence the rater gave), restarting at ``seeds``. Dangling mass returns to the
    seeds. {node: score}, the scores summing to 1; empty seeds → every node 0."""
    order = sorted(set(nodes) | {a for a, _ in edges} | {b for _, b in edges})
    seed_list = sorted(set(seeds) & set(order))
    if not order or not seed_list:
        return dict.fromkeys(order, 0.0)
    index = {node: i for i, node in enumerate(order)}
    n = len(order)
    keys = sorted((a, b) for (a, b), w in edges.items() if w > 0 and a != b)
    src = np.asarray([index[a] for a, _ in keys], dtype=np.int64)
    dst = np.asarray([index[b] for _, b in keys], dtype=np.int64)
    weight = np.asarray([edges[key] for key in keys], dtype=np.float64)
    out = np.bincount(src, weights=weight, minlength=n) if len(keys) else np.zeros(n)
    share = weight / out[src] if len(keys) else weight
    restart = np.zeros(n)
    restart[[index[s] for s in seed_list]] = 1.0 / len(seed_list)
    rank = restart.copy()
    d = params.PAGERANK_DAMPING
    dangling = out == 0
    for _ in range(params.PAGERANK_ITERATIONS):
        flow = np.bincount(dst, weights=rank[src] * share, minlength=n) if len(keys) else np.zeros(n)
        rank = (1 - d) * restart + d * (flow + rank[dangling].sum() * restart)
    return {node: float(rank[index[node]]) for node in order}


def standing(*, pagerank_share: float, age_days: float, seeds: int | None = None) -> tuple[float, float]:
    """(standing, age factor): how much a rater's word counts, from the share of the median
    seed's PageRank they hold and the age of their account, never below RATER_MIN_FACTOR.

    A trust graph with few seeds says little about anyone (with none, nothing: everyone's
    share is 0): below PAGERANK_FULL_SEEDS seeds its verdict is blended with "no verdict"
    (1, as before the first nightly) in proportion, so a workspace's first weeks do not weigh
    every colleague's praise down to the floor. ``seeds=None``: a graph with enough seeds."""
    age_factor = min(1.0, max(age_days, 0.0) / params.RATER_FULL_AGE_DAYS)
    graph_factor = min(1.0, pagerank_share / params.PAGERANK_FULL_SHARE)
    if seeds is not None and seeds < params.PAGERANK_FULL_SEEDS:
        confidence = seeds / params.PAGERANK_FULL_SEEDS
        graph_factor = (1.0 - confidence) + confidence * graph_factor
    return max(params.RATER_MIN_FACTOR, min(1.0, age_factor * graph_factor)), age_factor


def mutual_partners(pairs: Iterable[tuple[int, int]]) -> dict[int, set[int]]:
    """{person: the people they traded evidence with both ways}."""
    given = set(pairs)
    partners: dict[int, set[int]] = defaultdict(set)
    for a, b in given:
        if a != b and (b, a) in given:
            partners[a].add(b)
    return partners


def dense_clusters(pairs: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Groups of at least CLUSTER_MIN_SIZE people, linked by mutual ties that share at least
    CLUSTER_MIN_SIZE − 2 mutual partners (a ring of five: every tie shares three). Honest
    colleagues rarely have two partners in common with each partner."""
    partners = mutual_partners(pairs)
    need = params.CLUSTER_MIN_SIZE - 2
    links: dict[int, set[int]] = defaultdict(set)
    for a in sorted(partners):
        for b in sorted(partners[a]):
            if a < b and len(partners[a] & partners[b]) >= need:
                links[a].add(b)
                links[b].add(a)
    seen: set[int] = set()
    clusters = []
    for start in sorted(links):
        if start in seen:
            continue
        component, stack = set(), [start]
        while stack:
            person = stack.pop()
            if person in component:
                continue
            component.add(person)
            stack.extend(links[person] - component)
        seen |= component
        core = _dense_core(component, partners)
        if len(core) >= params.CLUSTER_MIN_SIZE:
            clusters.append(sorted(core))
    return clusters


def is_closed(cluster: Iterable[int], received: dict[tuple[int, int], int]) -> bool:
    """Whether a dense cluster is closed: at least CLUSTER_MIN_INSIDE_SHARE of the evidence its
    members received (``received``: (rater, subject) → pieces) came from each other. A ring's
    standing comes from itself; a close team of busy colleagues is mostly judged by everyone
    else, and that outside evidence checks whatever they say about each other."""
    inside = set(cluster)
    total = sum(n for (_rater, subject), n in received.items() if subject in inside)
    within = sum(n for (rater, subject), n in received.items() if subject in inside and rater in inside)
    return total > 0 and within >= params.CLUSTER_MIN_INSIDE_SHARE * total


def _dense_core(component: set[int], partners: dict[int, set[int]]) -> set[int]:
    """Peel off, one at a time, the member tied both ways to the smallest share of the others
    while that share is below CLUSTER_MIN_TIE_SHARE: a popular colleague who worked with three
    of a ring's five members is not part of the ring."""
    core = set(component)
    while len(core) >= params.CLUSTER_MIN_SIZE:
        shares = {person: len(partners[person] & core) / (len(core) - 1) for person in core}
        weakest = min(sorted(core), key=lambda person: shares[person])
        if shares[weakest] >= params.CLUSTER_MIN_TIE_SHARE:
            break
        core.discard(weakest)
    return core
