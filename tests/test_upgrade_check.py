"""The upgrade check's row comparison: what it lets through and what it refuses."""

import importlib.util
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location(
    "upgrade_check", Path(__file__).resolve().parent.parent / ".ci" / "upgrade_check.py"
)
upgrade_check = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(upgrade_check)


def keys(migrations=(), content_types=(), permissions=()):
    return {
        "django_migrations": set(migrations),
        "django_content_type": set(content_types),
        "auth_permission": set(permissions),
    }


BASE = keys(
    migrations={("trust", "0001_initial")},
    content_types={(7, "trust", "trustsignal")},
    permissions={("trust", "trustsignal", "view_trustsignal")},
)


def test_new_migrations_and_models_are_allowed_and_listed():
    after = keys(
        migrations=BASE["django_migrations"] | {("trust", "0002_rater")},
        content_types=BASE["django_content_type"] | {(8, "trust", "trustrater")},
        permissions=BASE["auth_permission"] | {("trust", "trustrater", "view_trustrater")},
    )
    problems, additions = upgrade_check.compare_bookkeeping(BASE, after)
    assert problems == []
    assert additions == ["django_migrations +1", "django_content_type +1", "auth_permission +1"]


def test_a_base_row_gone_fails():
    after = keys(content_types=BASE["django_content_type"], permissions=BASE["auth_permission"])
    problems, _ = upgrade_check.compare_bookkeeping(BASE, after)
    assert problems == ["  django_migrations: base row gone: ('trust', '0001_initial')"]


def test_a_model_moved_to_another_app_label_fails_even_when_the_old_row_stays():
    after = keys(
        migrations=BASE["django_migrations"],
        content_types=BASE["django_content_type"] | {(9, "signals", "trustsignal")},
        permissions=BASE["auth_permission"],
    )
    problems, _ = upgrade_check.compare_bookkeeping(BASE, after)
    assert problems == ["  django_content_type: signals.trustsignal added, the base had trust.trustsignal"]


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ({"accounts_user": 5, "django_migrations": 60}, []),
        ({"accounts_user": 4, "django_migrations": 50}, [f"  {'accounts_user':<45} {5:>8} -> 4        (-1)"]),
        ({"django_migrations": 50}, [f"  {'accounts_user':<45} {5:>8} -> (table gone)"]),
    ],
)
def test_application_tables_keep_their_count(after, expected):
    assert upgrade_check.compare({"accounts_user": 5, "django_migrations": 50}, after) == expected
