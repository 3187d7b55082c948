"""REST of routing: /api/questions/<id>/routing (+ /pass, /refer) and /api/routing/inbox.
Who sees what (asker: names and outcomes; candidate: own request with its score;
talent manager: everything; anyone else: not found), and the live progress frame."""

from datetime import UTC, datetime

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import working_hours as wh
from core import clock
from messaging.models import RoutingAttempt
from messaging.qa import services as qa
from messaging.routing import replies
from tests.clients import api_client_for as client_for
from tests.factories import ExpertiseFactory, OrganizationFactory, SkillFactory, member, talent_manager

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def monday_morning(settings):
    settings.ROUTING_EXPLORATION_SHARE = 0.0
    with clock.travel_to(MONDAY_10):
        yield


def person(org, skill=None, level=4, **kwargs):
    user = member(org, **kwargs)
    profile = user.profile
    profile.working_hours = wh.DEFAULT_WORKING_HOURS
    profile.utc_week_mask = wh.mask_to_hex(
        wh.utc_week_mask(wh.DEFAULT_WORKING_HOURS, "UTC", reference=MONDAY_10)
    )
    profile.save()
    if skill is not None:
        ExpertiseFactory(user=user, skill=skill, level=level)
    return user


@pytest.fixture
def world(org, django_capture_on_commit_callbacks):
    skill = SkillFactory(organization=org, name="Kubernetes")
    asker = person(org, full_name="Asa Asker")
    experts = [person(org, skill, level=5 - i, full_name=f"Expert {i}") for i in range(4)]
    with django_capture_on_commit_callbacks(execute=True):
        question = qa.question_ask(
            author=asker,
            title="Pods keep restarting",
            body="CrashLoopBackOff",
            scope="network",
            skill_ids=[skill.pk],
        )
    return {"org": org, "skill": skill, "asker": asker, "experts": experts, "question": question}


def url(question, suffix=""):
    return f"/api/questions/{question.pk}/routing{suffix}"


@pytest.mark.django_db
def test_the_asker_sees_progress_and_who_was_asked_without_scores(world):
    response = client_for(world["asker"]).get(url(world["question"]))
    assert response.status_code == 200
    body = response.json()
    assert body["role"] == "asker"
    assert body["progress"]["sent"] == 3 and body["progress"]["pending"] == 3
    assert [a["candidate"]["name"] for a in body["attempts"]] == ["Expert 0", "Expert 1", "Expert 2"]
    assert all(a["score"] is None and a["breakdown"] is None for a in body["attempts"])
    assert body["mine"] is None


@pytest.mark.django_db
def test_a_candidate_sees_only_their_own_request_with_why_they_were_asked(world):
    response = client_for(world["experts"][0]).get(url(world["question"]))
    body = response.json()
    assert body["role"] == "candidate"
    assert body["attempts"] == []
    assert body["mine"]["candidate"]["id"] == world["experts"][0].pk
    assert body["mine"]["score"] > 0 and "match" in body["mine"]["breakdown"]


@pytest.mark.django_db
def test_a_talent_manager_of_the_workspace_sees_the_scores(world):
    manager = talent_manager(world["org"])
    body = client_for(manager).get(url(world["question"])).json()
    assert body["role"] == "manager"
    assert all(a["score"] is not None and a["breakdown"] for a in body["attempts"])


@pytest.mark.django_db
def test_anyone_else_gets_the_same_not_found_as_for_a_missing_question(world):
    bystander = person(world["org"])  # can read the question, was not asked
    stranger = person(OrganizationFactory())
    answers = [
        client_for(bystander).get(url(world["question"])),
        client_for(world["experts"][3]).get(url(world["question"])),  # not (yet) asked
        client_for(stranger).get(url(world["question"])),
        client_for(world["asker"]).get("/api/questions/999999/routing"),
    ]
    assert [r.status_code for r in answers] == [404, 404, 404, 404]
    assert len({r.json()["error"]["code"] for r in answers}) == 1
    assert client_for(stranger).post(url(world["question"], "/pass")).status_code == 404


@pytest.mark.django_db
def test_pass_and_refer_over_rest(world, django_capture_on_commit_callbacks):
    first, second = world["experts"][0], world["experts"][1]
    with django_capture_on_commit_callbacks(execute=True):
        passed = client_for(first).post(url(world["question"], "/pass"))
    assert passed.status_code == 200
    assert passed.json()["attempt"]["outcome"] == "passed"
    assert passed.json()["referral_status"] is None
    assert client_for(first).post(url(world["question"], "/pass")).status_code == 409

    colleague = person(world["org"], full_name="Cleo")
    with django_capture_on_commit_callbacks(execute=True):
        referred = client_for(second).post(
            url(world["question"], "/refer"), {"refer_to": colleague.pk}, format="json"
        )
    assert referred.status_code == 200
    assert referred.json()["referral_status"] == "asked"
    assert (
        RoutingAttempt.objects.get(question=world["question"], candidate=colleague).referred_by_id
        == second.pk
    )


@pytest.mark.django_db
def test_refer_validation_errors_name_the_field(world):
    third = world["experts"][2]
    client = client_for(third)
    assert client.post(url(world["question"], "/refer"), {}, format="json").status_code == 400
    to_self = client.post(url(world["question"], "/refer"), {"refer_to": third.pk}, format="json")
    assert to_self.status_code == 400 and "refer_to" in to_self.json()["error"]["fields"]
    to_asker = client.post(url(world["question"], "/refer"), {"refer_to": world["asker"].pk}, format="json")
    assert to_asker.status_code == 400 and "refer_to" in to_asker.json()["error"]["fields"]
    stranger = person(OrganizationFactory())
    outside = client.post(url(world["question"], "/refer"), {"refer_to": stranger.pk}, format="json")
    missing = client.post(url(world["question"], "/refer"), {"refer_to": 999999}, format="json")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    assert RoutingAttempt.objects.get(question=world["question"], candidate=third).outcome == "pending"


@pytest.mark.django_db
def test_the_inbox_lists_my_requests_with_a_constant_number_of_queries(
    world, django_capture_on_commit_callbacks
):
    expert = world["experts"][0]
    for i in range(3):
        other = person(world["org"])
        with django_capture_on_commit_callbacks(execute=True):
            qa.question_ask(
                author=other, title=f"More pods {i}", body="b", scope="network", skill_ids=[world["skill"].pk]
            )
    client = client_for(expert)
    with CaptureQueriesContext(connection) as small:
        one = client.get("/api/routing/inbox?page_size=1")
    with CaptureQueriesContext(connection) as large:
        page = client.get("/api/routing/inbox?page_size=50")
    assert one.status_code == page.status_code == 200
    body = page.json()
    assert body["count"] == 3  # the daily cap: three requests a day
    assert {item["outcome"] for item in body["results"]} == {"pending"}
    assert body["results"][0]["question"]["link"].startswith("/")
    assert len(large.captured_queries) == len(small.captured_queries)
    assert client_for(person(OrganizationFactory())).get("/api/routing/inbox").json()["count"] == 0


# --- the live progress frame -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_asker_watches_progress_live():
    from tests.messaging.sockets.client import TIMEOUT, connect, next_frame

    def setup():
        org = OrganizationFactory()
        skill = SkillFactory(organization=org, name="Kubernetes")
        asker = person(org)
        experts = [person(org, skill) for _ in range(3)]
        return org, skill, asker, experts

    _org, skill, asker, experts = await database_sync_to_async(setup)()
    socket = await connect(asker)

    question = await database_sync_to_async(qa.question_ask)(
        author=asker,
        title="Pods keep restarting",
        body="CrashLoopBackOff",
        scope="network",
        skill_ids=[skill.pk],
    )
    frame = await next_frame(socket, "question.progress", skip=("presence", "notification", "typing"))
    assert frame["question"] == question.pk
    assert (frame["state"], frame["sent"], frame["pending"]) == ("routing", 3, 3)

    await database_sync_to_async(replies.answer_typing)(experts[0], question.pk)
    frame = await next_frame(socket, "question.progress", skip=("presence", "notification", "typing"))
    assert frame["typing"] == 1

    await database_sync_to_async(replies.routing_respond)(
        user=experts[1], question_id=question.pk, action="pass"
    )
    frame = await next_frame(socket, "question.progress", skip=("presence", "notification", "typing"))
    assert (frame["passed"], frame["pending"]) == (1, 2)

    await database_sync_to_async(qa.answer_post)(
        author=experts[0], question_id=question.pk, body="Check probes."
    )
    frame = await next_frame(socket, "question.progress", skip=("presence", "notification", "typing"))
    assert (frame["state"], frame["answered"]) == ("done", 1)
    await socket.disconnect(timeout=TIMEOUT)
