"""Workspace priors ("swift trust"): where a newcomer starts, per workspace and dimension.

- ``prior_means(organization_id)``: the stored prior means, the default where the
  nightly recompute has not stored one yet (one definition, in ``trust.standing``).
- ``refresh_priors``: the nightly write, from the workspace's decayed sums.
- ``beliefs_from_sums``: every belief at once from decayed sums and the priors
  (vectorized; the nightly refresh and the repair path share it); ``belief_columns``
  reads one row of it as score fields.
"""

from datetime import datetime

import numpy as np

from trust import params, scoring
from trust.models import TrustPrior
from trust.standing import prior_belief, prior_means

__all__ = [
    "belief_columns",
    "beliefs_from_sums",
    "dimension_codes",
    "established_lowers",
    "established_weight",
    "group_sums",
    "independent",
    "prior_means",
    "refresh_priors",
    "stored_priors",
]


def stored_priors() -> dict[tuple[int, str], float]:
    """Every stored prior mean: {(organization id, dimension): mean}."""
    return {
        (org_id, dimension): mean
        for org_id, dimension, mean in TrustPrior.objects.values_list("organization_id", "dimension", "mean")
    }


def refresh_priors(totals: dict[tuple[int, str], tuple[float, float]], *, as_of: datetime) -> None:
    """Swift-trust priors: the decayed workspace mean per (workspace, dimension) and the prior's
    lower bound (where everyone without enough evidence is ranked), one upsert."""
    if not totals:
        return
    rows = []
    for (org_id, dimension), (good, total) in totals.items():
        mean = scoring.workspace_mean(good, total)
        rows.append(
            TrustPrior(
                organization_id=org_id, dimension=dimension, mean=mean, lower=prior_belief(mean).lower,
                evidence=total, computed_at=as_of,
            )
        )  # fmt: skip
    TrustPrior.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["organization", "dimension"],
        update_fields=["mean", "lower", "evidence", "computed_at"],
    )


def dimension_codes(dimensions) -> np.ndarray:
    index = {dimension: i for i, dimension in enumerate(params.DIMENSIONS)}
    return np.asarray([index[d] for d in dimensions], dtype=np.int64)


def group_sums(org_ids: np.ndarray, dim_codes: np.ndarray, good: np.ndarray, bad: np.ndarray) -> dict:
    """{(organization, dimension): (Σ good, Σ good + bad)} — the inputs of the workspace priors."""
    if not len(org_ids):
        return {}
    keys = org_ids.astype(np.int64) * len(params.DIMENSIONS) + dim_codes
    unique, inverse = np.unique(keys, return_inverse=True)
    good_sum = np.bincount(inverse, weights=good, minlength=len(unique))
    total_sum = np.bincount(inverse, weights=good + bad, minlength=len(unique))
    return {
        (int(key) // len(params.DIMENSIONS), params.DIMENSIONS[int(key) % len(params.DIMENSIONS)]): (
            float(g),
            float(t),
        )
        for key, g, t in zip(unique.tolist(), good_sum, total_sum, strict=True)
    }


def independent(good, bad, pattern_good, pattern_bad):
    """(good, bad) decayed sums without what was found inside a suspicious pattern: the inputs of
    the workspace priors (decision 0018: a pattern's traded evidence, even damped, must not move
    the usual level everyone without enough evidence is ranked at)."""
    return np.maximum(good - pattern_good, 0.0), np.maximum(bad - pattern_bad, 0.0)


def established_weight(good, bad, pattern_good, pattern_bad):
    """The weight the established test reads: the decayed weight of the evidence not found
    inside a suspicious pattern (``TrustScore.established_weight``)."""
    kept_good, kept_bad = independent(good, bad, pattern_good, pattern_bad)
    return kept_good + kept_bad


def established_lowers(lower, alpha, beta, pattern_good, pattern_bad):
    """The lower bounds without what suspicious patterns traded (what people are ranked by):
    ``lower`` where a key has none, the Beta quantile of the rest where it has (few keys)."""
    out = np.array(lower, dtype=np.float64, copy=True)
    some = (pattern_good + pattern_bad) > 0.0
    if some.any():
        prior_floor = 1e-9
        rest_alpha = np.maximum(alpha[some] - pattern_good[some], prior_floor)
        rest_beta = np.maximum(beta[some] - pattern_bad[some], prior_floor)
        out[some] = scoring.quantiles(rest_alpha, rest_beta)[0]
    return out


def beliefs_from_sums(org_ids, dim_codes, good, bad, priors: dict[tuple[int, str], float]):
    """Vectorized: alpha, beta, mean, lower, upper from decayed sums and the workspace priors."""
    org_ids = np.asarray(org_ids, dtype=np.int64)
    dim_codes = np.asarray(dim_codes, dtype=np.int64)
    keys = org_ids * len(params.DIMENSIONS) + dim_codes
    unique, inverse = np.unique(keys, return_inverse=True)
    table = np.asarray(
        [
            priors.get(
                (int(key) // len(params.DIMENSIONS), params.DIMENSIONS[int(key) % len(params.DIMENSIONS)]),
                params.DEFAULT_PRIOR_MEAN,
            )
            for key in unique.tolist()
        ],
        dtype=np.float64,
    )
    low, high = params.PRIOR_MEAN_BOUNDS
    mu = np.clip(table, low, high)[inverse] if len(keys) else np.zeros(0)
    alpha = params.PRIOR_STRENGTH * mu + good
    beta = params.PRIOR_STRENGTH * (1.0 - mu) + bad
    lower, upper = scoring.quantiles(alpha, beta)
    return alpha, beta, alpha / (alpha + beta), lower, upper


def belief_columns(beliefs, good, bad, i: int) -> dict[str, float]:
    """Row ``i`` of ``beliefs_from_sums``' arrays as ``TrustScore`` fields, with the
    evidence weight of its decayed sums."""
    alpha, beta, mean, lower, upper = beliefs
    return {
        "alpha": float(alpha[i]),
        "beta": float(beta[i]),
        "mean": float(mean[i]),
        "lower": float(lower[i]),
        "upper": float(upper[i]),
        "evidence_weight": float(good[i] + bad[i]),
    }
