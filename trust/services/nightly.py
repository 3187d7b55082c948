"""The nightly recompute: every workspace prior and every belief as of one moment.

``recompute_all`` is the entry (the ``trust.recompute_all`` task). Its default path
derives every belief from the stored tallies without reading the ledger (see
``trust.services.recompute`` for what a tally is); ``from_ledger=True`` is the
repair path in ``trust.services.repair``.
"""

from collections import defaultdict
from datetime import datetime

import numpy as np
from django.db import connection, transaction
from django.db.models import Q

from core import clock
from trust import params, scoring
from trust.models import TrustEvent, TrustScore
from trust.services.priors import (
    belief_columns,
    beliefs_from_sums,
    dimension_codes,
    established_lowers,
    established_weight,
    group_sums,
    independent,
    refresh_priors,
    stored_priors,
)
from trust.services.repair import half_life_sql, rebuild_all


def recompute_all(
    *, organization_id: int | None = None, as_of: datetime | None = None, from_ledger: bool = False
) -> int:
    """Nightly, set-based: refresh workspace priors and every score as of ``as_of``.

    Default (the nightly job): derive every belief from the stored tallies — the
    ledger is not read, except for the rare keys whose newest evidence is younger
    than ``as_of`` (clock skew, or ``as_of`` in the past), which are recomputed from
    their events. On PostgreSQL the tallies travel out and the results back with
    binary COPY, the Beta quantiles are vectorized, and one UPDATE writes the
    beliefs; a row written by anyone else since it was read (its ``xmin`` changed)
    or computed later than ``as_of`` is left alone.

    ``from_ledger=True`` (the repair path): one GROUP BY over the whole live ledger
    rebuilds tallies and beliefs of every key, inserts missing rows and deletes rows
    without live evidence. Needed after a change of ``params.HALF_LIFE_DAYS`` and to
    repair tallies; gives the same scores as the default path.

    Returns the number of scores written."""
    as_of = as_of or clock.now()
    if from_ledger:
        return rebuild_all(as_of=as_of, organization_id=organization_id)
    if connection.vendor == "postgresql":
        return _refresh_all_postgres(as_of=as_of, organization_id=organization_id)
    return _refresh_all_portable(as_of=as_of, organization_id=organization_id)


# The nightly refresh --------------------------------------------------------------------


def _ahead_sums(keys: list[tuple[int, int, str, int]], *, as_of: datetime) -> dict[int, tuple]:
    """Exact decayed (good, bad, pattern good, pattern bad) at ``as_of`` from the ledger for the
    keys whose newest evidence is younger than ``as_of``: keys are (score id, subject id,
    dimension, skill_key)."""
    if not keys:
        return {}
    wanted = Q()
    for _pk, subject_id, dimension, skill_key in keys:
        wanted |= Q(subject_id=subject_id, dimension=dimension, skill_key=skill_key)
    groups: dict[tuple[int, str, int], list[scoring.Evidence]] = defaultdict(list)
    for subject_id, dimension, skill_key, outcome, weight, occurred_at, in_pattern in (
        TrustEvent.objects.live()
        .filter(wanted)
        .values_list("subject_id", "dimension", "skill_key", "outcome", "weight", "occurred_at", "in_pattern")
    ):
        groups[(subject_id, dimension, skill_key)].append(
            scoring.Evidence(outcome, weight, occurred_at, in_pattern=in_pattern)
        )
    prior_a, prior_b = scoring.prior(0.5)
    sums = {}
    for pk, subject_id, dimension, skill_key in keys:
        evidence = groups[(subject_id, dimension, skill_key)]
        b = scoring.belief(evidence, dimension=dimension, prior_mean=0.5, as_of=as_of)
        p = scoring.belief(
            [e for e in evidence if e.in_pattern], dimension=dimension, prior_mean=0.5, as_of=as_of
        )
        sums[pk] = (b.alpha - prior_a, b.beta - prior_b, p.alpha - prior_a, p.beta - prior_b)
    return sums


def _refresh_all_postgres(*, as_of: datetime, organization_id: int | None) -> int:
    # Identifiers below come from model metadata and params; every value is a query parameter.
    score = TrustScore._meta.db_table
    factor = (
        "POWER(2.0::float8, -(date_part('epoch', %(as_of)s::timestamptz - s.last_evidence_at) / 86400.0) / "
        f"({half_life_sql('s.dimension')}))"
    )
    org = "" if organization_id is None else " AND s.organization_id = %(org)s"
    dimension_code = (
        "CASE s.dimension "
        + " ".join(f"WHEN '{d}' THEN {i}" for i, d in enumerate(params.DIMENSIONS))
        + " END"
    )
    args = {"as_of": as_of, "org": organization_id}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{params.RECOMPUTE_WORK_MEM}'")
        cursor.execute("SET LOCAL jit = off")
        # 1. One scan of the scores: every key's decayed sums at as_of, from its tally, as one
        # row of packed big-endian columns (a per-row result costs more on the client than
        # the whole query).
        rows = _fetch_packed(
            cursor,
            {
                "id": "int8send(s.id)",
                "xmin": "xidsend(s.xmin)",
                "org": "int8send(s.organization_id)",
                "dim": f"int4send({dimension_code})",
                # 1: evidence younger than as_of; 2: no tally (a row no ledger write produced)
                "ahead": "int4send(CASE WHEN s.evidence_count = 0 OR s.last_evidence_at IS NULL THEN 2 "
                "WHEN s.last_evidence_at > %(as_of)s THEN 1 ELSE 0 END)",
                # never NULL: string_agg would skip it and misalign the columns
                "good": f"float8send(COALESCE(s.good_at_last * {factor}, 0.0))",
                "bad": f"float8send(COALESCE(s.bad_at_last * {factor}, 0.0))",
                # the part found inside a suspicious pattern (decision 0018)
                "pgood": f"float8send(COALESCE(s.pattern_good_at_last * {factor}, 0.0))",
                "pbad": f"float8send(COALESCE(s.pattern_bad_at_last * {factor}, 0.0))",
            },
            f"FROM {score} s WHERE TRUE{org}",
            args,
        )
        orphans = rows["ahead"] == 2
        if orphans.any():
            # rows without a tally: no live evidence, as in the repair path
            cursor.execute(f"DELETE FROM {score} WHERE id = ANY(%s)", [rows["id"][orphans].tolist()])  # noqa: S608
            rows = {name: column[~orphans] for name, column in rows.items()}
        ids, xmins, good, bad = rows["id"], rows["xmin"], rows["good"], rows["bad"]
        pattern_good, pattern_bad = rows["pgood"], rows["pbad"]
        org_ids, dim_codes = rows["org"], rows["dim"].astype(np.int64)
        # 2. Keys with evidence younger than as_of (clock skew, as_of in the past): the tally
        # cannot say "counts as fresh", so those few come from their events.
        ahead = np.flatnonzero(rows["ahead"] == 1)
        if len(ahead):
            keys = TrustScore.objects.filter(pk__in=ids[ahead].tolist()).values_list(
                "pk", "subject_id", "dimension", "skill_key"
            )
            sums = _ahead_sums(list(keys), as_of=as_of)
            good[ahead] = [sums[pk][0] for pk in ids[ahead].tolist()]
            bad[ahead] = [sums[pk][1] for pk in ids[ahead].tolist()]
            pattern_good[ahead] = [sums[pk][2] for pk in ids[ahead].tolist()]
            pattern_bad[ahead] = [sums[pk][3] for pk in ids[ahead].tolist()]
        # 3. Workspace priors from the same sums but what suspicious patterns traded; then every
        # belief, vectorized.
        refresh_priors(
            group_sums(org_ids, dim_codes, *independent(good, bad, pattern_good, pattern_bad)), as_of=as_of
        )
        written = 0
        if len(ids):
            alpha, beta, mean, lower, upper = beliefs_from_sums(
                org_ids, dim_codes, good, bad, stored_priors()
            )
            # 4. Beliefs back in (binary COPY into a temporary table), one UPDATE of the scores:
            # HOT (no indexed column changes), and only where the row is still the version read.
            # ON COMMIT DROP, but a caller's outer transaction may run this twice
            cursor.execute("DROP TABLE IF EXISTS pg_temp.trust_refresh")
            cursor.execute(
                "CREATE TEMPORARY TABLE trust_refresh (id bigint, x xid, a float8, b float8, m float8, "
                "lo float8, up float8, w float8, ew float8, el float8) ON COMMIT DROP"
            )
            _copy_in(
                cursor,
                "trust_refresh",
                {
                    "id": ids,
                    "xmin": xmins,
                    "alpha": alpha,
                    "beta": beta,
                    "mean": mean,
                    "lower": lower,
                    "upper": upper,
                    "weight": good + bad,
                    "established": established_weight(good, bad, pattern_good, pattern_bad),
                    "established_lower": established_lowers(lower, alpha, beta, pattern_good, pattern_bad),
                },
            )
            cursor.execute("ANALYZE trust_refresh")  # a hash join on id, not a nested loop
            cursor.execute(
                f"UPDATE {score} s SET alpha = t.a, beta = t.b, mean = t.m, lower = t.lo, "  # noqa: S608
                "upper = t.up, evidence_weight = t.w, established_weight = t.ew, established_lower = t.el, "
                "computed_at = %(as_of)s "
                "FROM trust_refresh t WHERE s.id = t.id AND s.xmin = t.x",
                args,
            )
            written = cursor.rowcount
        return written


_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_COPY_TRAILER = b"\xff\xff"
# What the nightly refresh reads per score: id, xmin, organization, dimension (index into
# params.DIMENSIONS) and the decayed sums at as_of, as big-endian binary.
_PACKED_FIELDS = {
    "id": ">i8",
    "xmin": ">u4",
    "org": ">i8",
    "dim": ">i4",
    "ahead": ">i4",
    "good": ">f8",
    "bad": ">f8",
    "pgood": ">f8",
    "pbad": ">f8",
}
# What it writes back (binary COPY): id, xmin and the belief.
_IN_FIELDS = (
    ("id", ">i8"),
    ("xmin", ">u4"),
    *(
        (name, ">f8")
        for name in ("alpha", "beta", "mean", "lower", "upper", "weight", "established", "established_lower")
    ),
)


def _fetch_packed(cursor, columns: dict[str, str], from_where: str, args: dict) -> dict[str, np.ndarray]:
    """Each column aggregated server-side into one bytea of its binary send format
    (``string_agg`` of ``*send()``; every aggregate of one query sees the rows in the same
    order), read by numpy without a per-row step."""
    select = ", ".join(f"string_agg({expression}, ''::bytea)" for expression in columns.values())
    raw = cursor.cursor
    raw.execute("SET LOCAL max_parallel_workers_per_gather = 0")  # one ordered stream of rows
    raw.execute(f"SELECT {select} {from_where}", args)  # bytea arrives hex-encoded, decoded in C
    values = raw.fetchone()
    return {
        name: np.frombuffer(value or b"", dtype=_PACKED_FIELDS[name]).astype(
            _PACKED_FIELDS[name].replace(">", "=")
        )
        for name, value in zip(columns, values, strict=True)
    }


def _binary_row_dtype(fields) -> np.dtype:
    """A binary COPY row of non-null fixed-width fields: int16 field count, then per field an
    int32 length and the big-endian value."""
    layout = [("n", ">i2")]
    for name, kind in fields:
        layout += [(f"l_{name}", ">i4"), (name, kind)]
    return np.dtype(layout)


def _copy_in(cursor, table: str, columns: dict[str, np.ndarray]) -> None:
    """``COPY table FROM STDIN (FORMAT BINARY)`` of numpy columns (in ``_IN_FIELDS`` order)."""
    dtype = _binary_row_dtype(_IN_FIELDS)
    out = np.empty(len(columns["id"]), dtype=dtype)
    out["n"] = len(_IN_FIELDS)
    for name, _ in _IN_FIELDS:
        out[f"l_{name}"] = dtype[name].itemsize
        out[name] = columns[name]
    with cursor.cursor.copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(_COPY_HEADER + out.tobytes() + _COPY_TRAILER)


def _refresh_all_portable(*, as_of: datetime, organization_id: int | None) -> int:
    """SQLite (development, tests): the same refresh through the ORM, in one write transaction
    (SQLite serializes writers, so nothing changes between the read and the write)."""
    with transaction.atomic():
        scores = TrustScore.objects.filter(evidence_count__gt=0, last_evidence_at__isnull=False)
        if organization_id is not None:
            scores = scores.filter(organization_id=organization_id)
        rows = list(
            scores.values_list(
                "id", "subject_id", "dimension", "skill_key", "organization_id", "last_evidence_at",
                "good_at_last", "bad_at_last", "pattern_good_at_last", "pattern_bad_at_last",
            )
        )  # fmt: skip
        ahead_sums = _ahead_sums([row[:4] for row in rows if row[5] > as_of], as_of=as_of)
        good, bad, pattern_good, pattern_bad = (np.zeros(len(rows)) for _ in range(4))
        for i, (pk, _subject, dimension, _skill, _org, last, g, b, pg, pb) in enumerate(rows):
            if pk in ahead_sums:
                good[i], bad[i], pattern_good[i], pattern_bad[i] = ahead_sums[pk]
            else:
                good[i], bad[i] = scoring.decayed(g, b, last=last, dimension=dimension, as_of=as_of)
                pattern_good[i], pattern_bad[i] = scoring.decayed(
                    pg, pb, last=last, dimension=dimension, as_of=as_of
                )
        org_ids = np.asarray([row[4] for row in rows], dtype=np.int64)
        dim_codes = dimension_codes([row[2] for row in rows])
        refresh_priors(
            group_sums(org_ids, dim_codes, *independent(good, bad, pattern_good, pattern_bad)), as_of=as_of
        )
        if rows:
            beliefs = beliefs_from_sums(org_ids, dim_codes, good, bad, stored_priors())
            established = established_weight(good, bad, pattern_good, pattern_bad)
            alpha, beta, _mean, lower, _upper = beliefs
            ranked = established_lowers(lower, alpha, beta, pattern_good, pattern_bad)
            TrustScore.objects.bulk_update(
                [
                    TrustScore(
                        pk=row[0],
                        **belief_columns(beliefs, good, bad, i),
                        established_weight=float(established[i]),
                        established_lower=float(ranked[i]),
                        computed_at=as_of,
                    )
                    for i, row in enumerate(rows)
                ],
                [
                    "alpha",
                    "beta",
                    "mean",
                    "lower",
                    "upper",
                    "evidence_weight",
                    "established_weight",
                    "established_lower",
                    "computed_at",
                ],
                batch_size=500,
            )
        orphans = TrustScore.objects.filter(Q(evidence_count=0) | Q(last_evidence_at__isnull=True))
        if organization_id is not None:
            orphans = orphans.filter(organization_id=organization_id)
        orphans.delete()
        return len(rows)
