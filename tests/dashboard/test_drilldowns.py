"""Drill-downs behind the overview's figures: the engagements, requests and network
questions a figure counts, filtered and paginated, metadata only, talent managers of the
workspace only, every view audited, bad filters answered with the field to fix."""

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from mentoring.models import Engagement
from tests.clients import client_for
from tests.dashboard.test_overview import (
    JUNE_QUERY,
    _engagement,
    build_workspace,
    workspace,  # noqa: F401 — the shared fixture
)
from tests.factories import talent_manager

pytestmark = pytest.mark.django_db

ENGAGEMENTS = reverse("dashboard:drill_engagements")
REQUESTS = reverse("dashboard:drill_requests")
QUESTIONS = reverse("dashboard:drill_questions")


def rows(response, context_name="page"):
    return list(response.context[context_name].object_list)


def _get(user, url, query=""):
    client = client_for(user)
    return client.get(f"{url}?{JUNE_QUERY}{query}")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("&scope=running", ["e3", "e1", "e2"]),  # newest start first
        ("&scope=started", ["e3", "e1"]),
        ("&scope=ended", ["e3", "e2"]),
        ("&scope=feedback", ["e2"]),
        ("&scope=commitments", ["e1"]),  # e3's commitment was released, e2's decided in May
        ("&scope=running&kind=ongoing", ["e2"]),
        ("&scope=running&state=cancelled", ["e3"]),
        ("&scope=running&kind=group", []),
    ],
)
def test_the_engagement_drill_down_lists_what_each_figure_counts(workspace, query, expected):  # noqa: F811
    response = _get(workspace["manager"], ENGAGEMENTS, query)
    assert response.status_code == 200
    assert [e.pk for e in rows(response)] == [workspace[name].pk for name in expected]


def test_an_engagement_row_shows_people_commitments_and_the_first_answer(workspace):  # noqa: F811
    response = _get(workspace["manager"], ENGAGEMENTS, "&scope=started")
    e1 = next(e for e in rows(response) if e.pk == workspace["e1"].pk)
    assert (e1.people, e1.kept, e1.missed) == (2, 2, 1)
    assert e1.first_reply_at - e1.starts_at == workspace["e1"].chat_first_reply.replied_at - e1.starts_at
    html = response.content.decode()
    assert "=Terraform basics" in html
    assert "4\xa0hours" in html  # the first mentor message came 4 h after the start
    assert "never read by the dashboard" not in html


def test_the_request_drill_down_splits_matched_and_unmatched(workspace):  # noqa: F811
    manager = workspace["manager"]
    every = rows(_get(manager, REQUESTS))
    matched = rows(_get(manager, REQUESTS, "&outcome=matched"))
    unmatched = rows(_get(manager, REQUESTS, "&outcome=unmatched"))
    assert len(every) == 3  # June only; the other workspace's June request is not here
    assert {r.seeker for r in matched} == {workspace["s1"], workspace["s2"]}
    assert [r.seeker for r in unmatched] == [workspace["s3"]]


def test_the_question_drill_down_lists_network_questions_with_their_routing(workspace):  # noqa: F811
    manager = workspace["manager"]
    every = rows(_get(manager, QUESTIONS))
    assert [q.pk for q in every] == [workspace[n].pk for n in ("q3", "q2", "q1")]
    answered = rows(_get(manager, QUESTIONS, "&outcome=answered"))
    assert {q.pk for q in answered} == {workspace["q1"].pk, workspace["q2"].pk}
    q1 = next(q for q in every if q.pk == workspace["q1"].pk)
    assert (q1.attempts, q1.answered_in_window) == (2, 1)
    assert rows(_get(manager, QUESTIONS, "&outcome=unanswered")) == [every[0]]


@pytest.mark.parametrize(
    ("url", "query", "field"),
    [
        (ENGAGEMENTS, "&scope=everything", "scope"),
        (ENGAGEMENTS, "&kind=marathon", "kind"),
        (ENGAGEMENTS, "&state=sleeping", "state"),
        (REQUESTS, "&outcome=maybe", "outcome"),
        (QUESTIONS, "&outcome=maybe", "outcome"),
    ],
)
def test_an_unknown_filter_is_a_400_naming_it_and_nothing_is_audited(workspace, url, query, field):  # noqa: F811
    response = _get(workspace["manager"], url, query)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert 'role="alert"' in response.content.decode()
    assert not AuditEntry.objects.filter(action__startswith="dashboard.").exists()


@pytest.mark.parametrize("url", [ENGAGEMENTS, REQUESTS, QUESTIONS])
def test_an_inverted_or_huge_range_on_a_drill_down_is_a_400(workspace, url):  # noqa: F811
    client = client_for(workspace["manager"])
    inverted = client.get(f"{url}?period=custom&start=2026-06-30&end=2026-06-01")
    huge = client.get(f"{url}?period=custom&start=2020-01-01&end=2026-06-01")
    assert (inverted.status_code, huge.status_code) == (400, 400)
    assert "The end date must be after the start date." in inverted.content.decode()
    assert "at most 366 days" in huge.content.decode()


@pytest.mark.parametrize("url", [ENGAGEMENTS, REQUESTS, QUESTIONS])
def test_a_member_gets_403_and_another_workspace_manager_sees_only_theirs(workspace, url):  # noqa: F811
    assert _get(workspace["s1"], url).status_code == 403
    other = _get(talent_manager(workspace["other"]), url)
    assert other.status_code == 200
    assert len(rows(other)) == 1  # their own engagement / request / question, none of ours


def test_a_drill_down_view_is_audited_with_its_filters(workspace):  # noqa: F811
    _get(workspace["manager"], ENGAGEMENTS, "&scope=ended&kind=situational")
    entry = AuditEntry.objects.get(action="dashboard.drill_engagements")
    assert entry.actor == workspace["manager"]
    assert entry.details["scope"] == "ended"
    assert entry.details["kind"] == "situational"


def test_a_drill_down_links_back_to_the_overview_of_the_same_period(workspace):  # noqa: F811
    html = _get(workspace["manager"], REQUESTS).content.decode()
    assert 'href="/manage/?period=custom&amp;start=2026-06-01&amp;end=2026-06-30"' in html


def test_without_parameters_a_drill_down_shows_the_last_thirty_days(workspace):  # noqa: F811
    client = client_for(workspace["manager"])
    response = client.get(ENGAGEMENTS)
    assert response.status_code == 200
    assert "Last 30 days" in response.content.decode()


def test_a_drill_down_pages_fifty_rows_and_reads_a_fixed_number_of_queries(
    workspace,  # noqa: F811
    django_assert_max_num_queries,
):
    org = workspace["org"]
    people = [(workspace["s1"], "seeker"), (workspace["m1"], "mentor")]
    client = client_for(workspace["manager"])
    with django_assert_max_num_queries(15) as small:
        assert client.get(f"{ENGAGEMENTS}?{JUNE_QUERY}").status_code == 200
    for day in range(1, 29):
        for hour in (1, 2):
            _engagement(org, people, starts=_june(day, hour), state=Engagement.State.ACTIVE)
    build_workspace(org)
    with django_assert_max_num_queries(15) as large:
        response = client.get(f"{ENGAGEMENTS}?{JUNE_QUERY}")
    assert len(rows(response)) == 50
    assert response.context["page"].paginator.count == 3 * 2 + 56
    assert len(large.captured_queries) == len(small.captured_queries)
    second = client.get(f"{ENGAGEMENTS}?{JUNE_QUERY}&page=2")
    assert len(rows(second)) == 12
    assert 'rel="prev"' in second.content.decode()


def _june(day, hour):
    from tests.dashboard.test_overview import at

    return at(6, day, hour)


PEOPLE = reverse("dashboard:drill_people")


def test_the_people_drill_down_lists_the_active_members_with_what_they_did(workspace):  # noqa: F811
    response = _get(workspace["manager"], PEOPLE)
    assert response.status_code == 200
    people = {p.user.full_name: (p.messages, p.commitments) for p in rows(response)}
    # the four people the "active members" figure counts for June (the hand-computed fixture)
    assert people == {
        "Sara One": (1, 2),
        "Sven Two": (1, 0),
        "Sol Three": (0, 1),
        "Mia Mentor": (3, 1),
    }
    assert response.context["page"].paginator.count == 4
    html = response.content.decode()
    assert "never read by the dashboard" not in html
    assert AuditEntry.objects.filter(action="dashboard.drill_people").count() == 1


def test_the_active_members_card_links_to_the_people_drill_down(workspace):  # noqa: F811
    client = client_for(workspace["manager"])
    html = client.get(reverse("dashboard:overview") + "?" + JUNE_QUERY).content.decode()
    assert f'href="{PEOPLE}?period=custom&amp;start=2026-06-01&amp;end=2026-06-30"' in html


def test_the_people_drill_down_is_for_managers_of_the_workspace_only(workspace):  # noqa: F811
    assert _get(workspace["s1"], PEOPLE).status_code == 403
    other = _get(talent_manager(workspace["other"]), PEOPLE)
    assert {p.user.pk for p in rows(other)}.isdisjoint({workspace[n].pk for n in ("s1", "s2", "s3", "m1")})
    assert len(rows(other)) == 2  # their seeker and mentor


def test_the_people_drill_down_reads_a_fixed_number_of_queries_per_page(
    workspace,  # noqa: F811
    django_assert_max_num_queries,
):
    client = client_for(workspace["manager"])
    with django_assert_max_num_queries(15) as small:
        client.get(f"{PEOPLE}?{JUNE_QUERY}")
    build_workspace(workspace["org"])
    with django_assert_max_num_queries(15) as large:
        response = client.get(f"{PEOPLE}?{JUNE_QUERY}")
    assert response.context["page"].paginator.count == 8  # the four active people of each copy
    assert len(large.captured_queries) == len(small.captured_queries)
