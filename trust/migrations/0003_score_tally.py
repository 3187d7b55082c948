"""The score tally: per (subject, dimension, skill) the decayed sums of the live
evidence referenced to the newest evidence (``good_at_last``, ``bad_at_last``),
kept current by every ledger write, so the nightly refresh need not read the
ledger (docs/trust.md §5).

The backfill rebuilds the tally — and the belief, as of now — of every key from
the live ledger, with the parameters as they are at this migration (half-lives
180/120/45 days, prior strength 4), creates missing rows and deletes rows
without live evidence. Self-contained on purpose: later code changes must not
change what this migration does."""

from collections import defaultdict
from datetime import UTC, datetime

from django.db import migrations, models

HALF_LIFE_DAYS = {"competence": 180.0, "integrity": 120.0, "responsiveness": 45.0}
PRIOR_STRENGTH = 4.0
DEFAULT_PRIOR_MEAN = 0.6
PRIOR_MEAN_BOUNDS = (0.05, 0.95)


def backfill_tallies(apps, schema_editor):
    from scipy.special import betaincinv

    TrustEvent = apps.get_model("trust", "TrustEvent")
    TrustScore = apps.get_model("trust", "TrustScore")
    TrustPrior = apps.get_model("trust", "TrustPrior")
    alias = schema_editor.connection.alias
    now = datetime.now(UTC)
    voided = set(
        TrustEvent.objects.using(alias).filter(voids__isnull=False).values_list("voids_id", flat=True)
    )
    groups = defaultdict(list)
    for pk, org_id, subject_id, dimension, skill_key, outcome, weight, occurred_at, actor_id in (
        TrustEvent.objects.using(alias)
        .filter(voids__isnull=True)
        .values_list(
            "pk", "organization_id", "subject_id", "dimension", "skill_key", "outcome", "weight",
            "occurred_at", "actor_id",
        )
        .iterator(chunk_size=5000)
    ):  # fmt: skip
        if pk not in voided:
            groups[(org_id, subject_id, dimension, skill_key)].append(
                (occurred_at, outcome, weight, actor_id)
            )
    priors = {
        (o, d): m
        for o, d, m in TrustPrior.objects.using(alias).values_list("organization_id", "dimension", "mean")
    }
    low, high = PRIOR_MEAN_BOUNDS
    rows = []
    for (org_id, subject_id, dimension, skill_key), items in groups.items():
        items.sort(key=lambda item: (item[0], item[1], item[2], item[3] or 0))
        h = HALF_LIFE_DAYS[dimension]
        last = max(item[0] for item in items)
        good = bad = good_last = bad_last = 0.0
        for occurred_at, outcome, weight, _actor in items:
            age = max((now - occurred_at).total_seconds() / 86400.0, 0.0)
            w = weight * 2.0 ** (-age / h)
            good += w * outcome
            bad += w * (1.0 - outcome)
            w_last = weight * 2.0 ** (-((last - occurred_at).total_seconds() / 86400.0) / h)
            good_last += w_last * outcome
            bad_last += w_last * (1.0 - outcome)
        mu = min(max(priors.get((org_id, dimension), DEFAULT_PRIOR_MEAN), low), high)
        alpha, beta = PRIOR_STRENGTH * mu + good, PRIOR_STRENGTH * (1.0 - mu) + bad
        rows.append(
            TrustScore(
                organization_id=org_id,
                subject_id=subject_id,
                dimension=dimension,
                skill_id=skill_key or None,
                skill_key=skill_key,
                alpha=alpha,
                beta=beta,
                mean=alpha / (alpha + beta),
                lower=float(betaincinv(alpha, beta, 0.10)),
                upper=float(betaincinv(alpha, beta, 0.90)),
                evidence_weight=good + bad,
                evidence_count=len(items),
                distinct_raters=len({item[3] for item in items if item[3] is not None}),
                last_evidence_at=last,
                computed_at=now,
                good_at_last=good_last,
                bad_at_last=bad_last,
            )
        )
    TrustScore.objects.using(alias).bulk_create(
        rows,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["subject", "dimension", "skill_key"],
        update_fields=[
            "organization", "skill", "alpha", "beta", "mean", "lower", "upper", "evidence_weight",
            "evidence_count", "distinct_raters", "last_evidence_at", "computed_at", "good_at_last",
            "bad_at_last",
        ],
    )  # fmt: skip
    TrustScore.objects.using(alias).filter(computed_at__lt=now).delete()


class Migration(migrations.Migration):
    dependencies = [("trust", "0002_score_fillfactor")]

    operations = [
        migrations.AddField(
            model_name="trustscore",
            name="good_at_last",
            field=models.FloatField(db_default=0.0, default=0.0),
        ),
        migrations.AddField(
            model_name="trustscore",
            name="bad_at_last",
            field=models.FloatField(db_default=0.0, default=0.0),
        ),
        migrations.RunPython(backfill_tallies, migrations.RunPython.noop),
    ]
