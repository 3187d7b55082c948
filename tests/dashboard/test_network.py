"""The mentoring network: edges from engagements and accepted answers, bridges, brokers,
groups and isolated people against a hand-drawn workspace; the graph algorithm on small
graphs; the page, the JSON endpoint, access, audit and the pinned query count."""

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import AuditEntry, Membership
from core import clock
from dashboard import network as dashboard_network
from dashboard import period as dashboard_period
from dashboard.network import graph_structure
from mentoring.models import Engagement, EngagementKind, Participant
from messaging.models import Answer, Question
from tests.clients import client_for
from tests.factories import member, talent_manager
from tests.mentoring.factories import EngagementFactory, mentor

pytestmark = pytest.mark.django_db

M, S = Participant.Role.MENTOR, Participant.Role.SEEKER


def engagement(org, people, *, days_ago=10, ended_days_ago=None, kind=EngagementKind.SITUATIONAL):
    starts = clock.now() - timedelta(days=days_ago)
    ended = clock.now() - timedelta(days=ended_days_ago) if ended_days_ago is not None else None
    return EngagementFactory(
        organization=org,
        kind=kind,
        participants=people,
        starts_at=starts,
        ends_at=starts + timedelta(days=14),
        state=Engagement.State.COMPLETED if ended else Engagement.State.ACTIVE,
        ended_at=ended,
    )


def accepted_answer(org, asker, answerer, *, days_ago=5):
    q = Question.objects.create(
        organization=org, author=asker, title="(title)", body="(never shown)", state=Question.State.ANSWERED
    )
    answer = Answer.objects.create(
        question=q,
        author=answerer,
        body="(never shown)",
        accepted=True,
        created_at=clock.now() - timedelta(days=days_ago),
    )
    Question.objects.filter(pk=q.pk).update(accepted_answer=answer)
    return answer


def build(org):
    """Group A: Mia mentors Sara and Sven (Sara twice), Sara answered Sven.
    Group B: Max mentors Sol and Sue in one group engagement, Sol answered Sue.
    Across: Max answered Mia — the only link between A and B (a bridge); Mia and Max
    are brokers. Xena and the manager took part in nothing (isolated)."""
    mia, max_ = mentor(org, full_name="Mia Mentor"), mentor(org, full_name="Max Mentor")
    sara, sven, sol, sue = (
        member(org, full_name=n) for n in ("Sara One", "Sven Two", "Sol Three", "Sue Four")
    )
    xena = member(org, full_name="Xena Alone")
    gone = member(org, full_name="Gone Person")
    engagement(org, [(mia, M), (sara, S)])
    engagement(org, [(mia, M), (sara, S)], days_ago=20)
    engagement(org, [(mia, M), (sven, S)])
    engagement(org, [(max_, M), (sol, S), (sue, S)], kind=EngagementKind.GROUP)
    accepted_answer(org, sven, sara)
    accepted_answer(org, sue, sol)
    accepted_answer(org, mia, max_)
    # outside the period, unaccepted, or with someone who left: no edge
    engagement(org, [(mia, M), (xena, S)], days_ago=200, ended_days_ago=150)
    Answer.objects.create(
        question=Question.objects.create(organization=org, author=xena, title="t", body="b"),
        author=mia,
        body="(not accepted)",
    )
    engagement(org, [(gone, M), (xena, S)])
    Membership.objects.filter(user=gone).update(is_active=False)
    return {"mia": mia, "max": max_, "sara": sara, "sven": sven, "sol": sol, "sue": sue, "xena": xena}


@pytest.fixture
def ws(org, other_org):
    people = build(org)
    people["org"] = org
    people["manager"] = talent_manager(org, full_name="Maya Manager")
    other = other_org
    engagement(other, [(mentor(other), M), (member(other), S)])
    people["other"] = other
    return people


def period():
    return dashboard_period.resolve_period(days=90)


def test_edges_point_from_the_helper_to_the_helped_and_count_each_kind(ws):
    net = dashboard_network.network(ws["manager"].membership, period())
    name = net.names
    edges = {(name[e.source], name[e.target]): (e.engagements, e.answers) for e in net.edges.values()}
    assert edges == {
        ("Mia Mentor", "Sara One"): (2, 0),
        ("Mia Mentor", "Sven Two"): (1, 0),
        ("Sara One", "Sven Two"): (0, 1),
        ("Max Mentor", "Sol Three"): (1, 0),
        ("Max Mentor", "Sue Four"): (1, 0),
        ("Sol Three", "Sue Four"): (0, 1),
        ("Max Mentor", "Mia Mentor"): (0, 1),
    }


def test_the_bridge_brokers_groups_and_isolated_people_are_found(ws):
    net = dashboard_network.network(ws["manager"].membership, period())
    mia, max_ = ws["mia"].pk, ws["max"].pk
    assert net.bridges == [(min(mia, max_), max(mia, max_), 3, 3)]
    assert sorted(u for u, _ in net.brokers) == sorted([mia, max_])
    assert dict(net.brokers)[mia] == [3, 2]
    assert len(net.group_sizes) == 1 and net.group_sizes[0] == 6
    assert [net.names[u] for u in net.isolated] == ["Maya Manager", "Xena Alone"]
    summary = dashboard_network.network_summary(net)
    counts = (summary["people"], summary["connected"], summary["connections"], summary["groups"])
    assert counts == (8, 6, 7, 1)
    assert summary["isolated_total"] == 2


def test_the_graph_json_marks_bridges_brokers_and_isolated_nodes(ws):
    graph = dashboard_network.network_graph(dashboard_network.network(ws["manager"].membership, period()))
    by_label = {n["label"]: n for n in graph["nodes"]}
    assert by_label["Mia Mentor"]["broker"] and by_label["Max Mentor"]["broker"]
    assert by_label["Mia Mentor"]["degree"] == 3
    assert by_label["Xena Alone"]["isolated"] and by_label["Xena Alone"]["group"] is None
    bridge_edges = [e for e in graph["edges"] if e["bridge"]]
    assert [(e["source"], e["target"]) for e in bridge_edges] == [(str(ws["max"].pk), str(ws["mia"].pk))]
    assert graph["counts"] == {
        "people": 8,
        "connected": 6,
        "groups": 1,
        "bridges": 1,
        "brokers": 2,
        "isolated": 2,
    }
    assert graph["truncated"] is False


# --- the algorithm on small graphs -----------------------------------------------------------------


def graph(*pairs):
    adjacent = {}
    for a, b in pairs:
        adjacent.setdefault(a, set()).add(b)
        adjacent.setdefault(b, set()).add(a)
    return adjacent


def test_a_path_has_every_edge_a_bridge_and_its_middle_nodes_as_articulation_points():
    found = graph_structure(graph((1, 2), (2, 3), (3, 4)))
    assert found.bridges == [(1, 2, 1, 3), (2, 3, 2, 2), (3, 4, 3, 1)]
    assert found.brokers == [(2, [2, 1]), (3, [2, 1])]


def test_a_cycle_has_no_bridge_and_no_articulation_point():
    found = graph_structure(graph((1, 2), (2, 3), (3, 4), (4, 1)))
    assert found.bridges == [] and found.brokers == []


def test_two_triangles_joined_at_one_node_share_an_articulation_point():
    found = graph_structure(graph((1, 2), (2, 3), (3, 1), (3, 4), (4, 5), (5, 3)))
    assert found.bridges == []
    assert found.brokers == [(3, [2, 2])]


def test_separate_groups_are_numbered_and_sized():
    found = graph_structure(graph((1, 2), (5, 6), (6, 7)))
    assert found.group_of == {1: 0, 2: 0, 5: 1, 6: 1, 7: 1}
    assert found.group_sizes == {0: 2, 1: 3}


def test_a_long_chain_does_not_overflow_the_stack():
    found = graph_structure(graph(*[(i, i + 1) for i in range(5000)]))
    assert len(found.bridges) == 5000


# --- pages, api, access, audit ----------------------------------------------------------------------


def test_the_network_page_has_the_text_alternative_and_audits_the_visit(ws):
    client = client_for(ws["manager"])
    response = client.get(reverse("dashboard:network"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="network-graph"' in html and 'data-url="/api/manage/network?period=90"' in html
    assert "vendor/cytoscape/cytoscape.min.js" in html
    bridges_table = html[html.index('id="bridges-table"') :]
    assert "Mia Mentor" in bridges_table and "Max Mentor" in bridges_table
    isolated = html[html.index('id="isolated-list"') :]
    assert "Xena Alone" in isolated
    assert "never shown" not in html
    assert AuditEntry.objects.filter(action="dashboard.view_network", actor=ws["manager"]).count() == 1


def test_the_network_api_returns_the_graph_and_audits_the_call(ws):
    client = client_for(ws["manager"])
    response = client.get("/api/manage/network", {"period": "30"})
    assert response.status_code == 200
    body = response.json()
    assert body["counts"]["connected"] == 6
    assert {n["label"] for n in body["nodes"]} >= {"Mia Mentor", "Xena Alone"}
    assert AuditEntry.objects.filter(action="dashboard.api_network").count() == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "45"}, "period"),
        ({"start": "2026-06-30", "end": "2026-06-01"}, "end"),
        ({"start": "nope", "end": "2026-06-01"}, "start"),
    ],
)
def test_bad_api_input_is_a_400_naming_the_field(ws, params, field):
    client = client_for(ws["manager"])
    response = client.get("/api/manage/network", params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_another_workspace_manager_sees_only_their_network(ws):
    client = client_for(talent_manager(ws["other"]))
    body = client.get("/api/manage/network").json()
    assert body["counts"] == {
        "people": 3,
        "connected": 2,
        "groups": 1,
        "bridges": 0,
        "brokers": 0,
        "isolated": 1,
    }
    assert "Mia Mentor" not in {n["label"] for n in body["nodes"]}


@pytest.mark.parametrize("url", ["/manage/network/", "/api/manage/network"])
def test_a_member_gets_403(ws, url):
    client = client_for(ws["sara"])
    assert client.get(url).status_code == 403
    assert not AuditEntry.objects.filter(action__startswith="dashboard.").exists()


PAGE_BUDGET = 10


def test_the_network_reads_a_fixed_number_of_queries(ws, django_assert_max_num_queries):
    client = client_for(ws["manager"])
    counts = []
    for _ in range(2):
        for url in (reverse("dashboard:network"), "/api/manage/network"):
            with django_assert_max_num_queries(PAGE_BUDGET) as captured:
                assert client.get(url).status_code == 200
            counts.append(len(captured.captured_queries))
        build(ws["org"])  # twice the people and connections
    assert counts[:2] == counts[2:]
