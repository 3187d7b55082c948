"""Questions keep their full-text vector (title A, body B, answers C) in a column, kept
current by triggers, with a GIN index that starts with the workspace: a search reads
only its own workspace's matches, whatever other workspaces hold. PostgreSQL only;
SQLite keeps the column NULL and searches with LIKE."""

import django.contrib.postgres.search
from django.contrib.postgres.operations import BtreeGinExtension
from django.db import migrations

VECTOR = """
    setweight(to_tsvector('english', coalesce({title}, '')), 'A')
    || setweight(to_tsvector('english', coalesce({body}, '')), 'B')
    || setweight(to_tsvector('english', coalesce(
        (SELECT string_agg(a.body, ' ') FROM messaging_answer a WHERE a.question_id = {id}), '')), 'C')
"""

FORWARDS = f"""
CREATE FUNCTION messaging_question_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector := {VECTOR.format(title="NEW.title", body="NEW.body", id="NEW.id")};
    RETURN NEW;
END $$;
CREATE TRIGGER messaging_question_vector BEFORE INSERT OR UPDATE OF title, body
    ON messaging_question FOR EACH ROW EXECUTE FUNCTION messaging_question_vector();

CREATE FUNCTION messaging_answer_vector() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    question bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN question := OLD.question_id; ELSE question := NEW.question_id; END IF;
    UPDATE messaging_question q
       SET search_vector = {VECTOR.format(title="q.title", body="q.body", id="q.id")}
     WHERE q.id = question;
    RETURN NULL;
END $$;
CREATE TRIGGER messaging_answer_vector AFTER INSERT OR DELETE OR UPDATE OF body
    ON messaging_answer FOR EACH ROW EXECUTE FUNCTION messaging_answer_vector();

UPDATE messaging_question q SET search_vector = {VECTOR.format(title="q.title", body="q.body", id="q.id")};
CREATE INDEX messaging_question_search ON messaging_question USING gin (organization_id, search_vector);
"""

BACKWARDS = """
DROP INDEX IF EXISTS messaging_question_search;
DROP TRIGGER IF EXISTS messaging_answer_vector ON messaging_answer;
DROP FUNCTION IF EXISTS messaging_answer_vector();
DROP TRIGGER IF EXISTS messaging_question_vector ON messaging_question;
DROP FUNCTION IF EXISTS messaging_question_vector();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0007_member_activity_month"),
    ]

    operations = [
        BtreeGinExtension(),  # GIN over (organization_id, …): a no-op elsewhere than PostgreSQL
        migrations.AddField(
            model_name="question",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(_on_postgresql(FORWARDS), _on_postgresql(BACKWARDS)),
    ]
