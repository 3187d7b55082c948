"""Every parameter of the trust model, in one place.

The model (DESIGN §5, docs/trust.md): each (subject, dimension[, skill]) has a
Beta(alpha, beta) belief about the chance that the next piece of evidence is
good.

    alpha = PRIOR_STRENGTH * mu       + Σ w · x     · 2^(−age_days / half_life)
    beta  = PRIOR_STRENGTH * (1 − mu) + Σ w · (1 − x) · 2^(−age_days / half_life)

``mu`` is the workspace's own mean for that dimension ("swift trust": a
newcomer starts where a typical colleague stands, not at zero), refreshed by
the nightly recompute. The mean is shown with a band (10th–90th percentile of
the Beta) and people are ranked by the 10th percentile (``lower``).

Change a number here and nowhere else; docs/trust.md explains each one.
"""

from datetime import timedelta

# --- Dimensions --------------------------------------------------------------
COMPETENCE = "competence"
INTEGRITY = "integrity"
RESPONSIVENESS = "responsiveness"
DIMENSIONS = (COMPETENCE, INTEGRITY, RESPONSIVENESS)

# Half-life of a piece of evidence, in days: after one half-life it counts half.
# Responsiveness is about "now" (this fortnight's engagement), competence about
# skills that change slowly.
HALF_LIFE_DAYS = {
    COMPETENCE: 180.0,
    INTEGRITY: 120.0,
    RESPONSIVENESS: 45.0,
}

# --- Prior ("swift trust") ---------------------------------------------------
# Pseudo-evidence the prior is worth: Beta(m·mu, m·(1−mu)) with m = 4.
PRIOR_STRENGTH = 4.0
# mu when a workspace has no evidence yet for a dimension.
DEFAULT_PRIOR_MEAN = 0.6
# The workspace mean itself is shrunk toward DEFAULT_PRIOR_MEAN with this many
# pseudo-events, so a workspace with three events does not set everyone's prior.
WORKSPACE_MEAN_SHRINKAGE = 10.0
# Keep mu away from 0 and 1 so the prior never becomes degenerate.
PRIOR_MEAN_BOUNDS = (0.05, 0.95)

# --- Bands and ranking ---------------------------------------------------------
LOWER_QUANTILE = 0.10  # ranking uses this percentile of the Beta
UPPER_QUANTILE = 0.90  # the band shown is [LOWER, UPPER]

# Below this much (decayed, weighted) evidence a dimension reads
# "New — building a track record" instead of a number.
NEWCOMER_EVIDENCE = 3.0

# --- Evidence weights and anti-gaming ----------------------------------------
MAX_WEIGHT = 5.0  # a single piece of evidence never counts more than this
# The k-th rating from the same rater about the same subject within this window
# weighs 1/k (k counts distinct sources: one feedback = one rating, whatever
# the number of dimensions it touches).
REPEAT_RATER_WINDOW = timedelta(days=90)
# Reciprocal praise: if B praises A for a quality (dimension) within this window of
# A praising B for the same quality, both pieces of praise are multiplied by
# RECIPROCAL_PRAISE_FACTOR (the earlier one through a compensating void +
# discounted re-record: the ledger stays append-only). It compounds: praise that
# follows n earlier praises in the other direction is multiplied by
# RECIPROCAL_PRAISE_FACTOR ** n, so a pair (or a ring) trading praise week after
# week quickly stops counting, while a single honest exchange at the end of an
# engagement still counts at 0.2. Tuned with bench/trust_quality.py (a ring of 5
# moves at most one decile at 0.2; at 0.5 without compounding it moved up to 4
# deciles).
RECIPROCAL_WINDOW = timedelta(days=90)
RECIPROCAL_PRAISE_FACTOR = 0.2
# Closed circles: praise from A about B is multiplied by CLOSED_CIRCLE_FACTOR for
# every third person who traded praise both ways with A and with B within
# RECIPROCAL_WINDOW (in a ring of five: three, once the ring is established).
CLOSED_CIRCLE_FACTOR = 0.5
PRAISE_THRESHOLD = 0.75  # an outcome at or above this is "praise"
GOOD_OUTCOME = 0.5  # explanations call an outcome at or above this "positive"

# Vouching: a talent manager's word for a newcomer in one skill.
VOUCH_SOURCE_KIND = "vouch"
VOUCH_WEIGHT = 3.0
VOUCH_OUTCOME = 1.0
# A person stays "new" for vouching purposes while their live evidence count
# (all dimensions) is below this.
VOUCH_MAX_EVIDENCE = 10

# Explanations read evidence of this recent window ("kept 11 of 12 commitments
# in the last 90 days"); older evidence is summarised as "earlier".
EXPLANATION_WINDOW = timedelta(days=90)
TREND_WINDOWS_DAYS = (30, 90)
TOP_CONTRIBUTIONS = 4

# --- Recompute scheduling ----------------------------------------------------
# record_evidence schedules at most one pending recompute per subject: the first
# event sets a cache flag and enqueues the task with this countdown; events in
# the meantime find the flag and do nothing; the task clears the flag before it
# reads the ledger, so nothing recorded after that point is missed.
RECOMPUTE_COUNTDOWN_SECONDS = 0.25
# The flag expires on its own if the task is lost, so a subject is never stuck.
PENDING_FLAG_TIMEOUT_SECONDS = 30
# PostgreSQL work_mem for the nightly set-based recompute transaction (SET LOCAL).
RECOMPUTE_WORK_MEM = "128MB"
