"""The engagement KPIs are defined once (mentoring/programs/kpis.py): the program page,
the dashboard's overview (page and API) and its exports show the same numbers for the
same engagements."""

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from mentoring.models import Commitment, Engagement, Feedback, Participant, ProgramParticipant
from mentoring.programs.kpis import ProgramKpis, hours, kept_rate, program_kpis, rate
from messaging.chat import activity
from messaging.models import Conversation, Message
from tests.clients import api_client_for, client_for
from tests.factories import member, talent_manager
from tests.mentoring.factories import EngagementFactory, ProgramFactory, mentor

pytestmark = pytest.mark.django_db

S, M = Participant.Role.SEEKER, Participant.Role.MENTOR
JUNE = datetime(2026, 6, 2, 9, tzinfo=UTC)
JUNE_QUERY = "period=custom&start=2026-06-01&end=2026-06-30"


def _message(engagement, author, when):
    conversation, _ = Conversation.objects.get_or_create(
        engagement=engagement, defaults={"organization_id": engagement.organization_id}
    )
    conversation.last_seq += 1
    conversation.save(update_fields=["last_seq"])
    Message.objects.create(
        conversation=conversation,
        seq=conversation.last_seq,
        author=author,
        body="never read",
        client_id=uuid.uuid4(),
        created_at=when,
    )


@pytest.fixture
def program(org, other_org):
    """Every engagement of the workspace is in the program and everything happens in June
    2026: first mentor answers after 1 h, 2 h and 6 h (median 2 h; one never answered),
    commitments kept 3, missed 1, released 1, open 1 (3/4), feedback 4/5, 3/2 and 5/5."""
    program = ProgramFactory(organization=org, name="Cohort June")
    mentors = [mentor(org, full_name=f"Mentor {i}") for i in range(4)]
    seekers = [member(org, full_name=f"Seeker {i}") for i in range(4)]
    for user, role in [*((m, M) for m in mentors), *((s, S) for s in seekers)]:
        ProgramParticipant.objects.create(program=program, user=user, role=role)
    engagements = [
        EngagementFactory(
            organization=org,
            program=program,
            starts_at=JUNE + timedelta(days=i),
            participants=[(mentors[i], M), (seekers[i], S)],
        )
        for i in range(4)
    ]
    for engagement, wait, m, s in zip(engagements[:3], (1, 2, 6), mentors, seekers, strict=False):
        _message(engagement, s, engagement.starts_at + timedelta(minutes=10))  # the seeker's: not an answer
        _message(engagement, m, engagement.starts_at + timedelta(hours=wait))
    decided = JUNE + timedelta(days=10)

    def commitment(engagement, owner, state, confirmer=None):
        Commitment.objects.create(
            engagement=engagement,
            owner=owner,
            text="x",
            due_at=decided,
            state=state,
            confirmed_by=confirmer,
            decided_at=None if state == "open" else decided,
        )

    (e0, e1, e2, e3), (m0, m1, m2, _m3), (s0, s1, s2, s3) = engagements, mentors, seekers
    commitment(e0, s0, "kept", m0)
    commitment(e0, m0, "kept", s0)
    commitment(e1, s1, "kept", m1)
    commitment(e2, s2, "missed", m2)
    commitment(e3, s3, "released")
    commitment(e1, m1, "open")
    ratings = {"respectful": True, "honest": True, "would_work_again": True}
    for i, (competence, responsiveness) in enumerate(((4, 5), (3, 2), (5, 5))):
        Feedback.objects.create(
            engagement=engagements[i],
            rater=seekers[i],
            ratee=mentors[i],
            competence=competence,
            responsiveness=responsiveness,
            submitted_at=JUNE + timedelta(days=12),
            **ratings,
        )
    # another workspace's engagement in June changes nothing
    EngagementFactory(
        organization=other_org, starts_at=JUNE, participants=[(mentor(other_org), M), (member(other_org), S)]
    )
    activity.rebuild_all(organization_id=org.pk)
    return program


def test_the_definitions_round_and_say_no_data_instead_of_zero():
    assert kept_rate(2, 1) == 0.6667
    assert kept_rate(0, 0) is None
    assert rate(0, 3) == 0.0
    assert hours(5400) == 1.5
    assert hours(None) is None


def test_the_program_kpis_are_the_hand_computed_ones(program):
    assert program_kpis([program])[program.pk] == ProgramKpis(
        mentors=4,
        seekers=4,
        engagements=4,
        active=4,
        completed=0,
        commitments_kept_rate=0.75,
        feedback_average=4.0,  # competence (4 + 3 + 5) / 3 = 4, responsiveness (5 + 2 + 5) / 3 = 4
        feedback_count=3,
        median_hours_to_first_answer=2.0,
    )


def test_the_program_page_and_the_dashboard_overview_agree(org, program):
    manager = talent_manager(org)

    page = client_for(manager).get(reverse("dashboard:program_detail", args=[program.pk]))
    api = api_client_for(manager).get("/api/manage/overview?start=2026-06-01&end=2026-06-30")
    overview = client_for(manager).get(f"{reverse('dashboard:overview')}?{JUNE_QUERY}")

    kpis = page.context["kpis"]
    figures = {name: figure["current"] for name, figure in api.json()["figures"].items()}
    cards = {card["name"]: card["figure"].current for card in overview.context["cards"]}
    assert figures == cards
    assert figures["active_engagements"] == kpis.engagements == 4
    assert figures["median_hours_to_first_answer"] == kpis.median_hours_to_first_answer == 2.0
    assert figures["commitments_kept_rate"] == kpis.commitments_kept_rate == 0.75
    assert (figures["feedback_competence"] + figures["feedback_responsiveness"]) / 2 == kpis.feedback_average


def test_the_program_page_and_the_exports_agree(org, program):
    manager = talent_manager(org)
    client = client_for(manager)
    kpis = client.get(reverse("dashboard:program_detail", args=[program.pk])).context["kpis"]

    engagements = client.get(f"{reverse('dashboard:export_engagements')}?{JUNE_QUERY}&program={program.pk}")
    monthly = client.get(f"{reverse('dashboard:export_kpis')}?{JUNE_QUERY}&bucket=month")

    header, *rows = list(csv.reader(io.StringIO(b"".join(engagements.streaming_content).decode())))
    kept = sum(int(row[header.index("commitments_kept")]) for row in rows)
    missed = sum(int(row[header.index("commitments_missed")]) for row in rows)
    assert len(rows) == kpis.engagements
    assert {row[header.index("program")] for row in rows} == {program.name}
    assert kept_rate(kept, missed) == kpis.commitments_kept_rate
    header, june = list(csv.reader(io.StringIO(b"".join(monthly.streaming_content).decode())))
    assert float(june[header.index("median_hours_to_first_answer")]) == kpis.median_hours_to_first_answer
    assert float(june[header.index("commitments_kept_rate")]) == kpis.commitments_kept_rate
    assert Engagement.objects.filter(organization=org).count() == kpis.engagements
