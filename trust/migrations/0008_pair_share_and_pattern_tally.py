"""Decision 0018: the share of its pair's budget a piece of counterpart evidence weighs
(``TrustEvent.pair_share``), whether it was found inside a suspicious pattern
(``TrustEvent.in_pattern``), and per score the tally of that pattern evidence beside the
established test's inputs without it.

Existing rows: ``pair_share`` is the repeat factor they were recorded with (the "piece k from
the same person …: ×f" part of their note), so a later piece of the pair re-weighs them from
what they weigh; ``in_pattern`` is read from the note the pattern rules wrote; every score's
established weight, count and lower bound start as its evidence weight, count and lower bound,
and the keys with pattern evidence get their pattern tally and established weight and count
from their events (few: the people of suspicious patterns); their established lower bound
follows at the next nightly."""

import re
from collections import defaultdict

from django.db import migrations, models

PAIR_NOTE = re.compile(r"from the same person[^;]*×([0-9.eE+-]+)")
PATTERN_NOTE = "inside a suspicious pattern"
# Frozen copy of trust.params.HALF_LIFE_DAYS at the time of this migration (self-contained).
HALF_LIFE_DAYS = {"competence": 180.0, "integrity": 120.0, "responsiveness": 45.0}


def backfill(apps, schema_editor):
    event = apps.get_model("trust", "TrustEvent")
    score = apps.get_model("trust", "TrustScore")
    for row in event.objects.filter(weight_note__contains="from the same person").only("id", "weight_note"):
        match = PAIR_NOTE.search(row.weight_note)
        if match:
            try:
                share = float(match.group(1))
            except ValueError:
                continue
            if 0.0 < share <= 1.0:
                event.objects.filter(pk=row.pk).update(pair_share=share)
    event.objects.filter(weight_note__contains=PATTERN_NOTE).update(in_pattern=True)
    score.objects.update(
        established_weight=models.F("evidence_weight"),
        established_count=models.F("evidence_count"),
        established_lower=models.F("lower"),
    )
    voided = set(event.objects.filter(voids__isnull=False).values_list("voids_id", flat=True))
    pattern = defaultdict(list)
    for row in event.objects.filter(in_pattern=True, voids__isnull=True):
        if row.pk not in voided:
            pattern[(row.subject_id, row.dimension, row.skill_key)].append(row)
    for (subject_id, dimension, skill_key), rows in pattern.items():
        current = score.objects.filter(subject_id=subject_id, dimension=dimension, skill_key=skill_key).first()
        if current is None or current.last_evidence_at is None:
            continue
        half_life = HALF_LIFE_DAYS[dimension]

        def decay(moment, reference, half_life=half_life):
            age = max((reference - moment).total_seconds() / 86400.0, 0.0)
            return 2.0 ** (-age / half_life)

        at_last = [(r, r.weight * decay(r.occurred_at, current.last_evidence_at)) for r in rows]
        at_computed = sum(r.weight * decay(r.occurred_at, current.computed_at) for r in rows)
        score.objects.filter(pk=current.pk).update(
            pattern_good_at_last=sum(w * r.outcome for r, w in at_last),
            pattern_bad_at_last=sum(w * (1.0 - r.outcome) for r, w in at_last),
            established_weight=max(current.evidence_weight - at_computed, 0.0),
            established_count=max(current.evidence_count - len(rows), 0),
        )


class Migration(migrations.Migration):
    dependencies = [("trust", "0007_prior_lower")]

    operations = [
        migrations.AddField(
            model_name="trustevent",
            name="pair_share",
            field=models.FloatField(db_default=1.0, default=1.0),
        ),
        migrations.AddField(
            model_name="trustevent",
            name="in_pattern",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name="trustscore",
            name="pattern_good_at_last",
            field=models.FloatField(db_default=0.0, default=0.0),
        ),
        migrations.AddField(
            model_name="trustscore",
            name="pattern_bad_at_last",
            field=models.FloatField(db_default=0.0, default=0.0),
        ),
        migrations.AddField(
            model_name="trustscore",
            name="established_weight",
            field=models.FloatField(db_default=0.0, default=0.0),
        ),
        migrations.AddField(
            model_name="trustscore",
            name="established_count",
            field=models.PositiveIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name="trustscore",
            name="established_lower",
            field=models.FloatField(db_default=0.0, default=0.0),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
