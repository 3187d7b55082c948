"""Exports: participation, KPIs and skills gaps as streamed CSV, checked cell by cell
against hand-built workspaces; CSV injection defused; access, audit and query counts."""

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connections
from django.urls import reverse

from accounts.access import require_talent_manager
from accounts.models import AuditEntry
from core import clock
from dashboard import exports as dashboard_exports
from dashboard import overview as dashboard_overview
from dashboard import period as dashboard_period
from mentoring.models import Engagement, Participant
from messaging.models import Answer, Conversation, Message, Question
from tests.clients import client_for
from tests.factories import (
    ExpertiseFactory,
    LearningGoalFactory,
    SkillFactory,
    member,
    talent_manager,
)
from tests.mentoring.factories import EngagementFactory, MentoringRequestFactory, mentor

pytestmark = pytest.mark.django_db

M, S = Participant.Role.MENTOR, Participant.Role.SEEKER


def ago(**kwargs):
    return clock.now() - timedelta(**kwargs)


def rows_of(response) -> list[list[str]]:
    assert response.streaming
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def message(engagement, author, when):
    conversation, _ = Conversation.objects.get_or_create(
        engagement=engagement, defaults={"organization_id": engagement.organization_id}
    )
    conversation.last_seq += 1
    conversation.save(update_fields=["last_seq"])
    return Message.objects.create(
        conversation=conversation,
        seq=conversation.last_seq,
        author=author,
        body="(never exported)",
        client_id=uuid.uuid4(),
        created_at=when,
    )


def build_participation(org):
    """Last 30 days. Ana mentors Sam (10 days ago) and mentored Bob long before; Sam sent
    3 messages, Ana 1 (+1 before the period); Sam asked 2 questions, Ana answered both
    (one twice, one accepted), Bob answered one. Eve did nothing."""
    ana = mentor(org, full_name="Ana Mentor")
    sam, bob = member(org, full_name="Sam Seeker"), member(org, full_name="Bob Other")
    eve = member(org, full_name="=HYPERLINK(1)")
    e1 = EngagementFactory(
        organization=org, participants=[(ana, M), (sam, S)], starts_at=ago(days=10), ends_at=ago(days=-4)
    )
    EngagementFactory(
        organization=org,
        participants=[(ana, M), (bob, S)],
        starts_at=ago(days=60),
        ends_at=ago(days=46),
        state=Engagement.State.COMPLETED,
        ended_at=ago(days=45),
    )
    for hours in (30, 20, 10):
        message(e1, sam, ago(hours=hours))
    message(e1, ana, ago(hours=15))
    message(e1, ana, ago(days=45))
    q1 = Question.objects.create(organization=org, author=sam, title="t", body="b", created_at=ago(days=5))
    q2 = Question.objects.create(organization=org, author=sam, title="t", body="b", created_at=ago(days=4))
    Answer.objects.create(question=q1, author=ana, body="x", created_at=ago(days=4))
    Answer.objects.create(question=q1, author=ana, body="y", created_at=ago(days=3), accepted=True)
    Answer.objects.create(question=q2, author=ana, body="z", created_at=ago(hours=2))
    Answer.objects.create(question=q2, author=bob, body="w", created_at=ago(hours=3))
    return {"ana": ana, "sam": sam, "bob": bob, "eve": eve, "e1": e1}


@pytest.fixture
def ws(org, other_org):
    data = build_participation(org)
    data["org"] = org
    data["manager"] = talent_manager(org, full_name="Maya Manager")
    other = other_org
    member(other, full_name="Someone Else")
    data["other"] = other
    return data


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def test_the_participation_csv_has_one_hand_computed_row_per_member(ws):
    client = client_for(ws["manager"])
    response = client.get(reverse("dashboard:export_participation") + "?period=30")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="participation-' in response["Content-Disposition"]
    rows = rows_of(response)
    assert rows[0] == list(dashboard_exports.PARTICIPATION_HEADER)
    by_id = {row[0]: row for row in rows[1:]}
    assert len(by_id) == 5  # Ana, Sam, Bob, Eve, Maya — nobody of the other workspace
    ana, sam, bob, eve = (by_id[str(ws[k].pk)] for k in ("ana", "sam", "bob", "eve"))
    # engagements as mentor/seeker, messages, asked, answered, accepted
    assert ana[1:4] == ["Ana Mentor", ws["ana"].email, "member"]
    assert ana[5:11] == ["1", "0", "1", "0", "2", "1"]
    assert sam[5:11] == ["0", "1", "3", "2", "0", "0"]
    assert bob[5:11] == ["0", "0", "0", "0", "1", "0"]
    assert eve[1] == "'=HYPERLINK(1)"  # defused, not dropped
    assert eve[5:] == ["0", "0", "0", "0", "0", "0", ""]
    # last active: the latest message, question, answer, commitment or join
    answers = Answer.objects.filter(author=ws["ana"]).order_by("-created_at")
    assert ana[11] == iso(answers[0].created_at)
    assert sam[11] == iso(Message.objects.filter(author=ws["sam"]).order_by("-created_at")[0].created_at)
    assert (
        "never exported"
        not in b"".join(client.get(reverse("dashboard:export_participation")).streaming_content).decode()
    )
    entry = AuditEntry.objects.filter(action="dashboard.export_participation").first()
    assert entry.actor == ws["manager"] and entry.organization == ws["org"]


def test_kpis_per_week_call_the_overview_for_each_week(ws):
    org = ws["org"]
    for day in (3, 3, 16):
        MentoringRequestFactory(
            organization=org, seeker=ws["sam"], created_at=datetime(2026, 6, day, 12, tzinfo=UTC)
        )
    client = client_for(ws["manager"])
    response = client.get(
        reverse("dashboard:export_kpis"),
        {"period": "custom", "start": "2026-06-01", "end": "2026-06-30", "bucket": "week"},
    )
    assert response.status_code == 200
    rows = rows_of(response)
    header = rows[0]
    period = dashboard_period.resolve_period(
        start=datetime(2026, 6, 1).date(), end=datetime(2026, 6, 30).date()
    )
    assert header == [
        "bucket_start",
        "bucket_end",
        *dashboard_overview.overview(ws["manager"].membership, period),
    ]
    column = header.index("new_requests")
    assert [(r[0][:10], r[1][:10], r[column]) for r in rows[1:]] == [
        ("2026-06-01", "2026-06-08", "2"),
        ("2026-06-08", "2026-06-15", "0"),
        ("2026-06-15", "2026-06-22", "1"),
        ("2026-06-22", "2026-06-29", "0"),
        ("2026-06-29", "2026-07-01", "0"),
    ]
    # a rate with nothing to divide by is an empty cell, never 0
    assert rows[2][header.index("match_rate")] == ""
    entry = AuditEntry.objects.get(action="dashboard.export_kpis")
    assert entry.details["bucket"] == "week"


def test_kpis_per_month_clip_the_first_and_last_month_to_the_period(ws):
    for day in (12, 20):
        MentoringRequestFactory(
            organization=ws["org"], seeker=ws["sam"], created_at=datetime(2026, 6, day, tzinfo=UTC)
        )
    MentoringRequestFactory(
        organization=ws["org"], seeker=ws["sam"], created_at=datetime(2026, 7, 2, tzinfo=UTC)
    )
    client = client_for(ws["manager"])
    rows = rows_of(
        client.get(
            reverse("dashboard:export_kpis"),
            {"period": "custom", "start": "2026-06-10", "end": "2026-07-05", "bucket": "month"},
        )
    )
    column = rows[0].index("new_requests")
    assert [(r[0][:10], r[1][:10], r[column]) for r in rows[1:]] == [
        ("2026-06-10", "2026-07-01", "2"),
        ("2026-07-01", "2026-07-06", "1"),
    ]


def test_the_skills_gaps_csv_lists_each_skill_with_its_figures(ws):
    org = ws["org"]
    t = SkillFactory(organization=org, name="Terraform")
    evil = SkillFactory(organization=org, name="=SUM(A1)", slug="sum")
    LearningGoalFactory(user=ws["sam"], skill=t)
    LearningGoalFactory(user=ws["bob"], skill=evil)
    LearningGoalFactory(user=ws["eve"], skill=evil)
    ExpertiseFactory(user=ws["ana"], skill=t, level=5)  # capacity 2, mentoring 1 → 1.0
    client = client_for(ws["manager"])
    rows = rows_of(client.get(reverse("dashboard:export_skills")))
    assert rows[0] == list(dashboard_exports.SKILLS_HEADER)
    assert rows[1:] == [
        [str(evil.pk), "'=SUM(A1)", "2", "2", "0", "0", "0", "0", "0.0", "2.0", "0", "0", "0", "0", "0", "0"],
        [str(t.pk), "Terraform", "1", "1", "0", "0", "1", "1", "1.0", "0.0", "0", "0", "0", "0", "0", "0"],
    ]
    assert AuditEntry.objects.filter(action="dashboard.export_skills").count() == 1


def test_the_exports_page_links_every_export_for_the_period(ws):
    client = client_for(ws["manager"])
    response = client.get(reverse("dashboard:exports"), {"period": "7"})
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("export_engagements", "export_participation", "export_kpis", "export_skills"):
        assert reverse(f"dashboard:{name}") + "?period=7" in html
    assert AuditEntry.objects.filter(action="dashboard.view_exports").count() == 1


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("dashboard:export_participation", {"period": "custom", "start": "2026-06-30", "end": "2026-06-01"}),
        ("dashboard:export_kpis", {"period": "custom", "start": "2020-01-01", "end": "2026-06-01"}),
        ("dashboard:export_kpis", {"period": "30", "bucket": "year"}),
        ("dashboard:export_skills", {"period": "45"}),
        ("dashboard:exports", {"period": "custom", "start": "x", "end": "2026-06-01"}),
    ],
)
def test_bad_input_is_a_400_and_nothing_is_exported_or_audited(ws, url, params):
    client = client_for(ws["manager"])
    response = client.get(reverse(url), params)
    assert response.status_code == 400
    assert not response.streaming
    assert not AuditEntry.objects.filter(action__startswith="dashboard.").exists()


@pytest.mark.parametrize(
    "url",
    [
        "/manage/exports/",
        "/manage/export/participation.csv",
        "/manage/export/kpis.csv",
        "/manage/export/skills.csv",
    ],
)
def test_a_member_gets_403(ws, url):
    client = client_for(ws["sam"])
    assert client.get(url).status_code == 403
    assert not AuditEntry.objects.filter(action__startswith="dashboard.").exists()


EXPORT_BUDGET = 12


def test_the_participation_export_reads_a_fixed_number_of_queries(ws, django_assert_max_num_queries):
    client = client_for(ws["manager"])
    url = reverse("dashboard:export_participation")
    with django_assert_max_num_queries(EXPORT_BUDGET) as small:
        first = rows_of(client.get(url))
    build_participation(ws["org"])
    with django_assert_max_num_queries(EXPORT_BUDGET) as large:
        second = rows_of(client.get(url))
    assert (len(first), len(second)) == (6, 10)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_kpi_export_queries_grow_with_buckets_not_with_data(ws, django_assert_max_num_queries):
    client = client_for(ws["manager"])
    params = {"period": "custom", "start": "2026-06-01", "end": "2026-06-30", "bucket": "month"}
    with django_assert_max_num_queries(EXPORT_BUDGET + 15) as small:
        rows_of(client.get(reverse("dashboard:export_kpis"), params))
    build_participation(ws["org"])
    for day in range(1, 29):
        MentoringRequestFactory(
            organization=ws["org"], seeker=ws["sam"], created_at=datetime(2026, 6, day, tzinfo=UTC)
        )
    with django_assert_max_num_queries(EXPORT_BUDGET + 15) as large:
        rows_of(client.get(reverse("dashboard:export_kpis"), params))
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_skills_export_and_the_exports_page_read_a_fixed_number_of_queries(
    ws, django_assert_max_num_queries
):
    client = client_for(ws["manager"])
    skill = SkillFactory(organization=ws["org"], name="Terraform")
    urls = [reverse("dashboard:export_skills"), reverse("dashboard:exports")]

    def counts():
        found = []
        for url in urls:
            with django_assert_max_num_queries(EXPORT_BUDGET + 4) as captured:
                response = client.get(url)
                if response.streaming:
                    rows_of(response)
            found.append(len(captured.captured_queries))
        return found

    small = counts()
    people = build_participation(ws["org"])
    for person in people.values():
        if hasattr(person, "email"):
            LearningGoalFactory(user=person, skill=skill)
            SkillFactory(organization=ws["org"])
    assert counts() == small


@pytest.mark.django_db(transaction=True)
async def test_under_asgi_the_csv_streams_in_batches_instead_of_being_buffered(ws, monkeypatch):
    from asgiref.sync import sync_to_async
    from django.test import AsyncClient

    from core import csv_stream

    monkeypatch.setattr(csv_stream, "STREAM_BATCH_LINES", 2)
    client = AsyncClient()
    await client.aforce_login(ws["manager"])
    response = await client.get(reverse("dashboard:export_participation"), {"period": "30"})
    assert response.status_code == 200
    assert response.is_async  # Django sends it chunk by chunk, not buffered whole
    chunks = [chunk async for chunk in response.streaming_content]
    assert len(chunks) == 3  # header + 5 members in batches of 2 lines
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode())))
    assert rows[0] == list(dashboard_exports.PARTICIPATION_HEADER)
    members = await sync_to_async(list)(ws["org"].memberships.values_list("user_id", flat=True))
    assert {row[0] for row in rows[1:]} == {str(pk) for pk in members}
    # the request's sync thread keeps its own connection: close it so the test database can go
    await sync_to_async(connections.close_all)()


@pytest.mark.django_db(transaction=True)
async def test_under_asgi_the_engagements_csv_streams_too(ws, monkeypatch):
    from asgiref.sync import sync_to_async
    from django.test import AsyncClient

    from core import csv_stream

    monkeypatch.setattr(csv_stream, "STREAM_BATCH_LINES", 1)
    client = AsyncClient()
    await client.aforce_login(ws["manager"])
    response = await client.get(reverse("dashboard:export_engagements"), {"period": "90"})
    assert response.status_code == 200
    assert response.is_async
    chunks = [chunk async for chunk in response.streaming_content]
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode())))
    assert rows[0] == list(dashboard_exports.ENGAGEMENTS_HEADER)

    def expected_ids():
        membership = require_talent_manager(ws["manager"])
        rows = dashboard_exports.engagements_for_export(membership, dashboard_period.resolve_period(days=90))
        return sorted(str(pk) for pk in rows.values_list("pk", flat=True))

    assert len(rows) > 2  # the header and engagements of the workspace
    assert len(chunks) == len(rows)  # one line per batch: nothing was buffered into one
    assert sorted(row[0] for row in rows[1:]) == await sync_to_async(expected_ids)()
    await sync_to_async(connections.close_all)()
