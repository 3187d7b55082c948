"""Trust test fixtures: people of the shared ``org`` workspace (tests/conftest.py) and the
test-only evidence sources."""

import pytest

from tests.factories import SkillFactory, member, talent_manager
from tests.trust.shared_sources import register_test_sources, unregister_test_sources


@pytest.fixture(autouse=True)
def _test_sources():
    register_test_sources()
    yield
    unregister_test_sources()


@pytest.fixture
def skill(org):
    return SkillFactory(organization=org, name="Python")


@pytest.fixture
def alice(org):
    return member(org, full_name="Alice Archer")


@pytest.fixture
def bob(org):
    return member(org, full_name="Bob Baker")


@pytest.fixture
def carol(org):
    return member(org, full_name="Carol Cruz")


@pytest.fixture
def manager(org):
    return talent_manager(org, full_name="Maya Manager")
