"""People and skills for the mentoring tests (here and in the folders below): a seeker,
three mentors, a talent manager and two skills, all in the shared ``org`` workspace
(``tests/conftest.py``)."""

import pytest

from accounts.models import Skill
from tests.factories import SkillFactory, member, talent_manager
from tests.mentoring.factories import mentor


@pytest.fixture
def terraform(org) -> Skill:
    return SkillFactory(organization=org, name="Terraform")


@pytest.fixture
def python_skill(org) -> Skill:
    return SkillFactory(organization=org, name="Python")


@pytest.fixture
def seeker(org):
    return member(org, full_name="Sam Seeker")


@pytest.fixture
def ana(org):
    return mentor(org, full_name="Ana Mentor")


@pytest.fixture
def ben(org):
    return mentor(org, full_name="Ben Mentor")


@pytest.fixture
def cleo(org):
    return mentor(org, full_name="Cleo Mentor")


@pytest.fixture
def manager(org):
    return talent_manager(org, full_name="Maya Manager")
