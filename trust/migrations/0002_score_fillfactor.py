"""PostgreSQL only: leave room on each page of trust_trustscore so the nightly
update of every score can be a HOT update (no index column changes), which
keeps the set-based recompute cheap and the table from bloating."""

from django.db import migrations


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE trust_trustscore SET (fillfactor = 50)")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE trust_trustscore RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("trust", "0001_ledger_scores_disputes")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
