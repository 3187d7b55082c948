"""A GIN index over the words of headline and bio (PostgreSQL only), the expression
routing's pool matches a question's words with (``messaging.routing.ranking``): the
match reads the index instead of parsing every profile of every workspace."""

from django.db import migrations

FORWARDS = """
CREATE INDEX accounts_profile_words ON accounts_profile USING gin (
    (to_tsvector('english'::regconfig, COALESCE(headline, ''))
     || to_tsvector('english'::regconfig, COALESCE(bio, '')))
);
"""
BACKWARDS = "DROP INDEX IF EXISTS accounts_profile_words;"


def _on_postgresql(sql):
    return lambda apps, editor: editor.execute(sql) if editor.connection.vendor == "postgresql" else None


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_organization_mfa_policy")]

    operations = [migrations.RunPython(_on_postgresql(FORWARDS), _on_postgresql(BACKWARDS))]
