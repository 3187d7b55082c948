import pytest

from tests.messaging.factories import engagement_chat


@pytest.fixture
def chat(org):
    """An engagement chat between Sam Seeker and Ana Mentor: (conversation, sam, ana)."""
    conversation, (sam, ana) = engagement_chat(org)
    return conversation, sam, ana
