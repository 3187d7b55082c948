"""Trust writes: the only code that writes trust tables, one module per job.

- ``evidence``: ``record_evidence`` (validation, idempotency, the anti-gaming rules)
- ``voids``: compensating records (``void_event``)
- ``vouching``: a talent manager's vouch for a newcomer (``vouch_for``)
- ``disputes``: ``dispute_raise`` and ``dispute_decide`` (``DISPUTE_MOVES``)
- ``recompute``: per subject (``recompute_subject``, ``refresh_keys``)
- ``nightly``: every score from the tallies (``recompute_all``); ``repair``: from the ledger
- ``priors``: workspace priors; ``snapshots``: daily snapshots and distributions
- ``scheduling``: per-subject locks and the coalesced recompute after commit

Other apps call the names re-exported here (``from trust.services import
record_evidence``); code inside trust imports from the sub-modules. Recomputes are
scheduled after commit and coalesced per subject.
"""

from trust.services.disputes import dispute_decide, dispute_raise
from trust.services.evidence import record_evidence
from trust.services.nightly import recompute_all
from trust.services.priors import prior_means
from trust.services.recompute import recompute_subject
from trust.services.snapshots import distribution_rebuild, snapshot_daily
from trust.services.vouching import vouch_for

__all__ = [
    "dispute_decide",
    "dispute_raise",
    "distribution_rebuild",
    "prior_means",
    "recompute_all",
    "recompute_subject",
    "record_evidence",
    "snapshot_daily",
    "vouch_for",
]
