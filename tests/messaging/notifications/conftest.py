import pytest

from messaging.notifications.notify import notify
from tests.factories import member


@pytest.fixture(autouse=True)
def production_delay(settings):
    """The product default (the test settings use 0 for older tests that expect mail at once)."""
    settings.TANDEM_NOTIFICATION_EMAIL_DELAY_MINUTES = 30


@pytest.fixture
def ana(org):
    return member(org, full_name="Ana Mentor")


@pytest.fixture
def ben(org):
    return member(org, full_name="Ben Builder")


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    """``invite(*people, title=...)``: an invitation notification for each, committed
    (so its deliveries ran)."""

    def invite(*people, title="Sam asks for your help: Terraform"):
        with django_capture_on_commit_callbacks(execute=True):
            notify(
                recipients=people,
                kind="invitation.received",
                subject=title,
                body="I must ship my first module.\n\nPlease answer by Friday.",
                link="/mentoring/invitations/",
            )

    return invite
