"""The workspace prior's lower bound, stored beside its mean: where everyone without enough
evidence is ranked (trust.standing.ranking_lower), readable in SQL (betaincinv is not)."""

from django.db import migrations, models

# Frozen copies of trust.params at the time of this migration (self-contained).
PRIOR_STRENGTH = 4.0
PRIOR_MEAN_BOUNDS = (0.05, 0.95)
LOWER_QUANTILE = 0.10


def backfill(apps, schema_editor):
    from scipy.special import betaincinv

    prior = apps.get_model("trust", "TrustPrior")
    low, high = PRIOR_MEAN_BOUNDS
    for row in prior.objects.all():
        mu = min(max(row.mean, low), high)
        row.lower = float(betaincinv(PRIOR_STRENGTH * mu, PRIOR_STRENGTH * (1.0 - mu), LOWER_QUANTILE))
        row.save(update_fields=["lower"])


class Migration(migrations.Migration):
    dependencies = [("trust", "0006_rater_standing_and_patterns")]

    operations = [
        migrations.AddField(
            model_name="trustprior",
            name="lower",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
