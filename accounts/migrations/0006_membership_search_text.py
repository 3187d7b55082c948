"""The directory's searched text of each member, kept on the membership with a trigram
GIN index that starts with the workspace (PostgreSQL only): a search reads only its own
workspace's matches, whatever other workspaces hold (docs/decisions/0016).

``accounts_membership.search_text`` is the member's full name, headline and bio, one
per line (a search term never holds a line break, so it matches the whole exactly when
it matches one of them). The column is the database's alone: it is not a model field,
the ORM never writes it, and triggers keep it current when a membership is created, a
name changes or a profile's headline or bio does. SQLite has no such column (its
directory search stays the portable ``icontains``)."""

from django.db import migrations

TEXT = """
CREATE FUNCTION accounts_member_text(member bigint) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(u.full_name, '') || E'\\n' || coalesce(p.headline, '') || E'\\n' || coalesce(p.bio, '')
      FROM accounts_user u LEFT JOIN accounts_profile p ON p.user_id = u.id
     WHERE u.id = member
$$;
"""

FORWARDS = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm;",
    "CREATE EXTENSION IF NOT EXISTS btree_gin;",
    "ALTER TABLE accounts_membership ADD COLUMN search_text text NOT NULL DEFAULT '';",
    TEXT,
    """
CREATE FUNCTION accounts_membership_search_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_text := coalesce(accounts_member_text(NEW.user_id), '');
    RETURN NEW;
END $$;
CREATE TRIGGER accounts_membership_search_text BEFORE INSERT OR UPDATE OF user_id
    ON accounts_membership FOR EACH ROW EXECUTE FUNCTION accounts_membership_search_text();
""",
    """
CREATE FUNCTION accounts_member_text_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    member bigint;
BEGIN
    IF TG_TABLE_NAME = 'accounts_user' THEN
        member := NEW.id;
    ELSIF TG_OP = 'DELETE' THEN
        member := OLD.user_id;
    ELSE
        member := NEW.user_id;
    END IF;
    UPDATE accounts_membership SET search_text = coalesce(accounts_member_text(member), '')
     WHERE user_id = member;
    RETURN NULL;
END $$;
CREATE TRIGGER accounts_user_search_text AFTER UPDATE OF full_name ON accounts_user
    FOR EACH ROW WHEN (OLD.full_name IS DISTINCT FROM NEW.full_name)
    EXECUTE FUNCTION accounts_member_text_changed();
CREATE TRIGGER accounts_profile_search_text_new AFTER INSERT OR DELETE ON accounts_profile
    FOR EACH ROW EXECUTE FUNCTION accounts_member_text_changed();
CREATE TRIGGER accounts_profile_search_text AFTER UPDATE OF headline, bio ON accounts_profile
    FOR EACH ROW WHEN (OLD.headline IS DISTINCT FROM NEW.headline OR OLD.bio IS DISTINCT FROM NEW.bio)
    EXECUTE FUNCTION accounts_member_text_changed();
""",
    "UPDATE accounts_membership SET search_text = coalesce(accounts_member_text(user_id), '');",
    "CREATE INDEX accounts_membership_search ON accounts_membership "
    "USING gin (organization_id, upper(search_text) gin_trgm_ops);",
)

BACKWARDS = (
    "DROP INDEX IF EXISTS accounts_membership_search;",
    "DROP TRIGGER IF EXISTS accounts_profile_search_text ON accounts_profile;",
    "DROP TRIGGER IF EXISTS accounts_profile_search_text_new ON accounts_profile;",
    "DROP TRIGGER IF EXISTS accounts_user_search_text ON accounts_user;",
    "DROP FUNCTION IF EXISTS accounts_member_text_changed();",
    "DROP TRIGGER IF EXISTS accounts_membership_search_text ON accounts_membership;",
    "DROP FUNCTION IF EXISTS accounts_membership_search_text();",
    "DROP FUNCTION IF EXISTS accounts_member_text(bigint);",
    "ALTER TABLE accounts_membership DROP COLUMN IF EXISTS search_text;",
    # the extensions stay: other indexes (messaging's question search) use btree_gin
)


def _on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_profile_text_index")]

    operations = [migrations.RunPython(_on_postgresql(FORWARDS), _on_postgresql(BACKWARDS))]
