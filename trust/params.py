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
# "Not enough evidence yet — building a track record" instead of a number (and so does
# a score on fewer than MIN_EVIDENCE_PIECES pieces, however good: scoring.is_established).
NEWCOMER_EVIDENCE = 3.0

# --- Evidence weights and anti-gaming ----------------------------------------
MAX_WEIGHT = 5.0  # a single piece of evidence never counts more than this
# The repeat-pair window: see PAIR_DAMPING_EXPONENT below (every kind with a counterpart).
REPEAT_RATER_WINDOW = timedelta(days=90)
# Reciprocal praise: if B praises A for a quality (dimension) within this window of A
# praising B for the same quality, beyond RECIPROCAL_FREE_EXCHANGES (below), the praise is
# multiplied by RECIPROCAL_PRAISE_FACTOR per exchange beyond it (compounding), and the
# earlier praise it answers through a compensating void + discounted re-record (the ledger
# stays append-only). Decision 0004; the allowance since issue 12 (decision 0009).
RECIPROCAL_WINDOW = timedelta(days=90)
RECIPROCAL_PRAISE_FACTOR = 0.2
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

# --- Counterpart defences (every piece of evidence with an actor) ---------------------
# Evidence with a counterpart (feedback, answers accepted, commitments confirmed by the
# other side, helpful votes) goes through the same rules whatever its source kind;
# observed facts (no actor: a timeout, an unanswered routed question) and talent
# managers' vouches do not. docs/trust.md §4, docs/decisions/0011-counterpart-defences-and-rater-standing.md.
#
# Repeat pair: the n distinct sources through which the same actor gave evidence about the
# same subject for the same quality (dimension) within REPEAT_RATER_WINDOW, praise and
# complaints alike, share the budget Σ_{k≤n} 1/k^PAIR_DAMPING_EXPONENT equally (each weighs
# the budget / n; the earlier ones are re-recorded as the pair grows): one pair adds at most
# ~1.6 pieces per quality per window (Σ 1/k² = π²/6), however many engagements, commitments
# or accepts it trades, and counts at its own mean (decision 0018).
PAIR_DAMPING_EXPONENT = 2.0
# The group rules below (one voice, suspicious patterns) weigh evidence in the subject's
# favour (outcome >= GOOD_OUTCOME) only (decision 0013); the counterpart's standing weighs
# praise and complaints alike (decision 0014).
# Closed group ("one voice"): praise from A about B is divided by 1 + c, where c counts
# the other people who gave B evidence in the window AND keep trading evidence with A: more
# than RECIPROCAL_FREE_EXCHANGES sources each way (any quality), beyond one engagement. Four
# ring members praising the fifth count as one voice, not four.
CIRCLE_WINDOW = timedelta(days=90)
# Reciprocity: the first RECIPROCAL_FREE_EXCHANGES exchanges of praise for one quality in a
# pair within RECIPROCAL_WINDOW are what one honest engagement produces (double-blind
# feedback both ways, each side confirming the other's commitment); from the next on, each
# exchange multiplies by RECIPROCAL_PRAISE_FACTOR (compounding), and the earlier praise it
# answers is re-recorded discounted.
RECIPROCAL_FREE_EXCHANGES = 2
# Evidence between two members of a dense reciprocal cluster (found nightly, see
# "Suspicious patterns") counts this much, including what they exchanged before it was
# found (re-recorded by the nightly raters_refresh).
CLUSTER_FACTOR = 0.1

# --- Rater standing (refreshed nightly by trust.services.raters) ------------------------
# How much a counterpart's word counts: account age × standing in the workspace's trust
# graph (personalised PageRank seeded from established members and vouched newcomers,
# in the spirit of EigenTrust), floored so nobody's word is worth nothing.
RATER_FULL_AGE_DAYS = 90.0  # an account this old counts fully on age
RATER_MIN_FACTOR = 0.05
PAGERANK_DAMPING = 0.85
PAGERANK_ITERATIONS = 40
# Seeds: members whose account is at least this old and who have live evidence from at
# least ESTABLISHED_RATERS distinct people; plus every newcomer a talent manager vouched for.
ESTABLISHED_AGE_DAYS = 60.0
ESTABLISHED_RATERS = 3
# A rater whose PageRank is at least this share of the median seed's counts fully.
PAGERANK_FULL_SHARE = 0.1
# The graph's verdict counts fully from this many seeds on; with fewer it is blended with
# "no verdict" (1) in proportion (none: nobody is weighed down by the graph, only by age).
PAGERANK_FULL_SEEDS = 5
# A rater nobody has computed a standing for yet (before the first nightly): age × this.
UNKNOWN_RATER_STANDING = 0.5

# --- Rater calibration (Dawid–Skene style leniency offset) --------------------------------
# offset_r = Σ (x − m_other) / (n_r + CALIBRATION_PRIOR_RATINGS): how far above (lenient)
# or below (harsh) the other counterparts of the same people a rater sits, shrunk to 0
# with CALIBRATION_PRIOR_RATINGS pseudo-ratings, so a few ratings change little. Calibrated
# evidence is x − offset, clipped to [0, 1]. CALIBRATION_ROUNDS alternations of subject
# means and offsets.
CALIBRATION_PRIOR_RATINGS = 6.0
CALIBRATION_ROUNDS = 3
MAX_OFFSET = 0.4

# --- Suspicious patterns (the attention list) -----------------------------------------------
# A dense reciprocal cluster: at least CLUSTER_MIN_SIZE people in which every member traded
# evidence both ways with at least CLUSTER_MIN_SIZE − 2 other members within CIRCLE_WINDOW.
CLUSTER_MIN_SIZE = 4
# ... and each member of it is tied both ways to at least this share of the other members.
CLUSTER_MIN_TIE_SHARE = 0.75
# ... and it is closed: at least this share of the evidence its members received in the window
# came from each other (a ring lives on its own praise; a close team of busy colleagues is
# mostly judged by everyone else).
CLUSTER_MIN_INSIDE_SHARE = 2 / 3
# A burst from new accounts: at least BURST_MIN_ACCOUNTS accounts younger than
# BURST_ACCOUNT_AGE gave the same person praise within BURST_WINDOW.
BURST_MIN_ACCOUNTS = 3
BURST_ACCOUNT_AGE = timedelta(days=30)
BURST_WINDOW = timedelta(days=30)

# --- Honest uncertainty -------------------------------------------------------------------
# Ranking uses the lower bound; with fewer than this many distinct counterparts (or
# observed facts) behind a score nobody is ranked on it as established, however good
# the few pieces were ("not enough evidence yet").
MIN_EVIDENCE_PIECES = 5
