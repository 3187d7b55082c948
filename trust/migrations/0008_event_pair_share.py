"""The share of its pair's budget a piece of counterpart evidence weighs (decision 0016):
a pair's sources share one budget equally, so the earlier ones are re-recorded when the
pair adds one. Existing rows get the repeat factor they were recorded with (the "piece k
from the same person …: ×f" part of their note), so a later piece of the pair re-weighs
them from what they weigh."""

import re

from django.db import migrations, models

PAIR_NOTE = re.compile(r"from the same person[^;]*×([0-9.eE+-]+)")


def backfill(apps, schema_editor):
    event = apps.get_model("trust", "TrustEvent")
    for row in event.objects.filter(weight_note__contains="from the same person").only("id", "weight_note"):
        match = PAIR_NOTE.search(row.weight_note)
        if match:
            try:
                share = float(match.group(1))
            except ValueError:
                continue
            if 0.0 < share <= 1.0:
                event.objects.filter(pk=row.pk).update(pair_share=share)


class Migration(migrations.Migration):
    dependencies = [("trust", "0007_prior_lower")]

    operations = [
        migrations.AddField(
            model_name="trustevent",
            name="pair_share",
            field=models.FloatField(db_default=1.0, default=1.0),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
