"""The mentoring network: who helped whom, for talent managers.

Edges (directed helper → helped, merged per ordered pair with a count per kind):

- ``engagement``: each mentor → each seeker of an engagement of the workspace that ran
  at some moment of the period (people who left count too: they did work together);
- ``answer``: the author of an accepted answer → the asker, for answers written in the
  period on the workspace's questions.

Computed here, server-side, on the undirected graph (``graph_structure``):

- **groups** — connected groups of people;
- **bridges between groups** — connections whose removal splits a group into two parts
  of at least ``MIN_SIDE`` people each (nobody else links them): the workspace depends
  on that one pair. A link to a single person is not counted;
- **brokers** (articulation points) — people whose absence leaves at least two parts of
  ``MIN_SIDE`` or more people;
- **isolated** — active members with no connection in the period.

The workspace has no team field (accounts has none), so "between teams" is read from
the graph itself. The search is Tarjan's low-link depth-first search, written
iteratively so a long chain cannot overflow Python's stack, with subtree sizes for the
number of people on each side. Three queries whatever the size of the workspace;
names and ids only, never content.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse

from accounts.models import Membership
from dashboard.period import Period
from mentoring.models import Participant
from messaging.models import Answer

# The graph drawn in the browser keeps the best-connected people up to this many nodes
# (the tables of bridges, brokers and isolated people are complete).
MAX_GRAPH_NODES = 1500
MAX_ISOLATED_NODES = 300
# A "group" on either side of a bridge or around a broker has at least this many people.
MIN_SIDE = 2
# The page's text alternative lists at most this many people per table.
TABLE_LIMIT = 300


@dataclass
class Edge:
    source: int  # helper
    target: int  # helped
    engagements: int = 0
    answers: int = 0

    @property
    def weight(self) -> int:
        return self.engagements + self.answers


@dataclass
class Network:
    names: dict[int, str]
    edges: dict[tuple[int, int], Edge]
    degree: dict[int, int]
    group_of: dict[int, int]
    group_sizes: dict[int, int]
    # (a, b, people on a's side, people on b's side): only bridges with two or more
    # people on each side — a link to a single person is not a bridge between groups
    bridges: list[tuple[int, int, int, int]]
    # (person, sizes of the pieces without them): only people whose absence leaves two
    # or more pieces of at least two people each
    brokers: list[tuple[int, list[int]]]
    isolated: list[int]

    @property
    def connected(self) -> list[int]:
        return sorted(self.degree, key=lambda u: (-self.degree[u], self.names.get(u, ""), u))


def _name(full_name: str, email: str) -> str:
    return full_name or email.split("@")[0]


def helped_edges(membership: Membership, period: Period) -> dict[tuple[int, int], Edge]:
    """Directed helper → helped edges of the period, merged per pair. Two queries."""
    org_id = membership.organization_id
    edges: dict[tuple[int, int], Edge] = {}

    def edge(source: int, target: int) -> Edge:
        key = (source, target)
        if key not in edges:
            edges[key] = Edge(source, target)
        return edges[key]

    running = Q(engagement__starts_at__lt=period.end) & (
        Q(engagement__ended_at__isnull=True) | Q(engagement__ended_at__gt=period.start)
    )
    people: dict[int, dict[str, set[int]]] = defaultdict(lambda: {"mentor": set(), "seeker": set()})
    for engagement_id, user_id, role in (
        Participant.objects.filter(engagement__organization_id=org_id)
        .filter(running)
        .order_by()
        .values_list("engagement_id", "user_id", "role")
    ):
        people[engagement_id][role].add(user_id)
    for sides in people.values():
        for mentor_id in sides[Participant.Role.MENTOR]:
            for seeker_id in sides[Participant.Role.SEEKER]:
                if mentor_id != seeker_id:
                    edge(mentor_id, seeker_id).engagements += 1
    for author_id, asker_id in (
        Answer.objects.filter(
            accepted=True,
            question__organization_id=org_id,
            created_at__gte=period.start,
            created_at__lt=period.end,
        )
        .order_by()
        .values_list("author_id", "question__author_id")
    ):
        if author_id != asker_id:
            edge(author_id, asker_id).answers += 1
    return edges


def _adjacency(edges) -> dict[int, set[int]]:
    adjacent: dict[int, set[int]] = defaultdict(set)
    for a, b in edges:
        adjacent[a].add(b)
        adjacent[b].add(a)
    return adjacent


@dataclass(frozen=True)
class Structure:
    """What the low-link search finds in an undirected graph."""

    group_of: dict[int, int]  # node → connected-group number (0, 1, ... by smallest node)
    group_sizes: dict[int, int]
    bridges: list[tuple[int, int, int, int]]  # (a, b, people on a's side, people on b's side)
    brokers: list[tuple[int, list[int]]]  # (node, sizes of the pieces left without it)


def graph_structure(adjacent: dict[int, set[int]]) -> Structure:
    """Tarjan's low-link depth-first search over an undirected simple graph, iteratively.

    A bridge is an edge whose removal splits its group; an articulation point ("broker")
    a node whose removal does. Subtree sizes of the search tree give how many people end
    up on each side: the child's subtree, and the rest of the group."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    size: dict[int, int] = {}
    group: dict[int, int] = {}
    group_sizes: dict[int, int] = {}
    raw_bridges: list[tuple[int, int]] = []  # (parent, child) in the search tree
    separated: dict[int, list[int]] = defaultdict(list)  # node → subtree sizes cut off without it
    counter = 0
    for root in sorted(adjacent):
        if root in index:
            continue
        group_id = len(group_sizes)
        index[root] = low[root] = counter
        counter += 1
        size[root] = 1
        group[root] = group_id
        stack = [(root, None, iter(sorted(adjacent[root])))]
        while stack:
            node, parent, neighbours = stack[-1]
            advanced = False
            for nxt in neighbours:
                if nxt == parent:
                    continue
                if nxt in index:
                    low[node] = min(low[node], index[nxt])
                    continue
                index[nxt] = low[nxt] = counter
                counter += 1
                size[nxt] = 1
                group[nxt] = group_id
                stack.append((nxt, node, iter(sorted(adjacent[nxt]))))
                advanced = True
                break
            if advanced:
                continue
            stack.pop()
            if parent is not None:
                low[parent] = min(low[parent], low[node])
                size[parent] += size[node]
                if low[node] > index[parent]:
                    raw_bridges.append((parent, node))
                if low[node] >= index[parent]:
                    separated[parent].append(size[node])
        group_sizes[group_id] = size[root]
    bridges = []
    for parent, child in raw_bridges:
        below = size[child]
        above = group_sizes[group[child]] - below
        a, b = min(parent, child), max(parent, child)
        bridges.append((a, b, above, below) if a == parent else (a, b, below, above))
    brokers = []
    for node, cut in separated.items():
        rest = group_sizes[group[node]] - 1 - sum(cut)
        pieces = sorted([*cut, rest] if rest > 0 else cut, reverse=True)
        if len(pieces) >= 2:
            brokers.append((node, pieces))
    return Structure(group, group_sizes, sorted(bridges), sorted(brokers))


def network(membership: Membership, period: Period) -> Network:
    """The whole network of the period with its bridges, brokers, groups and isolated members."""
    edges = helped_edges(membership, period)
    members = {
        user_id: _name(full_name, email)
        for user_id, full_name, email in Membership.objects.filter(
            organization_id=membership.organization_id, is_active=True
        )
        .order_by()
        .values_list("user_id", "user__full_name", "user__email")
    }
    # people who left the workspace keep their past connections, but are drawn only when
    # still members (a deactivated person is not someone a manager can act on)
    edges = {key: e for key, e in edges.items() if e.source in members and e.target in members}
    adjacent = _adjacency(edges)
    structure = graph_structure(adjacent)
    isolated = sorted((u for u in members if u not in adjacent), key=lambda u: (members[u].lower(), u))
    return Network(
        names=members,
        edges=edges,
        degree={u: len(n) for u, n in adjacent.items()},
        group_of=structure.group_of,
        group_sizes=structure.group_sizes,
        bridges=[b for b in structure.bridges if min(b[2], b[3]) >= MIN_SIDE],
        brokers=sorted(
            (
                (node, pieces)
                for node, pieces in structure.brokers
                if sum(1 for piece in pieces if piece >= MIN_SIDE) >= 2
            ),
            key=lambda item: (members[item[0]].lower(), item[0]),
        ),
        isolated=isolated,
    )


_URL_MARKER = "987654321"


def _profile_urls():
    """A function id → profile path that reverses the URL once, not once per person."""
    pattern = reverse("accounts:profile_detail", args=[_URL_MARKER])
    return lambda user_id: pattern.replace(_URL_MARKER, str(user_id))


def network_summary(net: Network) -> dict:
    """What the HTML page's text alternative shows: counts, bridges, brokers, isolated
    (each table at most ``TABLE_LIMIT`` rows, with the total)."""

    profile_url = _profile_urls()

    def person(u: int) -> dict:
        return {"id": u, "name": net.names[u], "url": profile_url(u)}

    return {
        "people": len(net.names),
        "connected": len(net.degree),
        "connections": len({tuple(sorted(k)) for k in net.edges}),
        "groups": len(net.group_sizes),
        "bridges": [
            {"a": person(a), "b": person(b), "a_side": a_side, "b_side": b_side}
            for a, b, a_side, b_side in net.bridges[:TABLE_LIMIT]
        ],
        "bridges_total": len(net.bridges),
        "brokers": [
            {**person(u), "degree": net.degree[u], "pieces": pieces}
            for u, pieces in net.brokers[:TABLE_LIMIT]
        ],
        "brokers_total": len(net.brokers),
        "isolated": [person(u) for u in net.isolated[:TABLE_LIMIT]],
        "isolated_total": len(net.isolated),
    }


def network_graph(net: Network) -> dict:
    """The JSON the browser draws (cytoscape elements), limited to ``MAX_GRAPH_NODES``
    best-connected people plus up to ``MAX_ISOLATED_NODES`` isolated ones."""
    profile_url = _profile_urls()
    shown = net.connected[:MAX_GRAPH_NODES]
    shown_set = set(shown)
    bridge_set = {(a, b) for a, b, _, _ in net.bridges}
    brokers = {u for u, _ in net.brokers}
    nodes = [
        {
            "id": str(u),
            "label": net.names[u],
            "url": profile_url(u),
            "degree": net.degree[u],
            "group": net.group_of[u],
            "broker": u in brokers,
            "isolated": False,
        }
        for u in shown
    ]
    nodes += [
        {
            "id": str(u),
            "label": net.names[u],
            "url": profile_url(u),
            "degree": 0,
            "group": None,
            "broker": False,
            "isolated": True,
        }
        for u in net.isolated[:MAX_ISOLATED_NODES]
    ]
    edges = [
        {
            "id": f"{e.source}-{e.target}",
            "source": str(e.source),
            "target": str(e.target),
            "engagements": e.engagements,
            "answers": e.answers,
            "weight": e.weight,
            "bridge": (min(e.source, e.target), max(e.source, e.target)) in bridge_set,
        }
        for e in sorted(net.edges.values(), key=lambda e: (e.source, e.target))
        if e.source in shown_set and e.target in shown_set
    ]
    return {
        "nodes": nodes,
        "edges": edges,
        "bridges": [[str(a), str(b)] for a, b, _, _ in net.bridges],
        "brokers": [str(u) for u, _ in net.brokers],
        "isolated": [str(u) for u in net.isolated],
        "truncated": len(net.degree) > len(shown) or len(net.isolated) > MAX_ISOLATED_NODES,
        "counts": {
            "people": len(net.names),
            "connected": len(net.degree),
            "groups": len(net.group_sizes),
            "bridges": len(net.bridges),
            "brokers": len(net.brokers),
            "isolated": len(net.isolated),
        },
    }
