"""The network graph's labels (issue 15): names drawn on the graph never overlap one
another; isolated people, who sit close together, show their name on hover or search."""

from playwright.sync_api import expect

from tests.browser.login import log_in_through_form
from tests.dashboard import test_network as test_dashboard_network
from tests.factories import member, talent_manager

# every node's label box as drawn (page pixels), and whether it is visible now
LABELS = """() => {
  const cy = document.getElementById("network-graph")._cyreg.cy;
  return cy.nodes().map((node) => {
    const box = node.renderedBoundingBox({ includeNodes: false, includeEdges: false, includeLabels: true });
    const shown = Number(node.style("text-opacity")) > 0 && node.style("label") !== "";
    return { id: node.id(), label: node.data("label"), isolated: !!node.data("isolated"), shown,
             x1: box.x1, y1: box.y1, x2: box.x2, y2: box.y2 };
  });
}"""


def overlapping(labels):
    shown = [label for label in labels if label["shown"]]
    return [
        (a["label"], b["label"])
        for i, a in enumerate(shown)
        for b in shown[i + 1 :]
        if a["x1"] < b["x2"] and b["x1"] < a["x2"] and a["y1"] < b["y2"] and b["y1"] < a["y2"]
    ]


def test_drawn_names_do_not_overlap_and_isolated_names_show_on_hover(page):
    manager = talent_manager(full_name="Tina Manager")
    org = manager.membership.organization
    test_dashboard_network.build(org)
    for n in range(14):  # a crowd of people who took part in nothing yet
        member(org, full_name=f"Newcomer Number{n:02d}")

    log_in_through_form(page, manager.email)
    page.goto("/manage/network/")
    expect(page.locator("#network-graph")).to_have_attribute("data-rendered", "true")

    labels = page.evaluate(LABELS)
    isolated = [label for label in labels if label["isolated"]]
    assert len(isolated) >= 14
    assert not any(label["shown"] for label in isolated)
    assert {label["label"] for label in labels if label["shown"]} >= {"Mia Mentor", "Max Mentor", "Sara One"}
    assert overlapping(labels) == []

    someone = isolated[0]
    page.evaluate(
        "(id) => document.getElementById('network-graph')._cyreg.cy.$id(id).emit('mouseover')", someone["id"]
    )
    hovered = {label["id"]: label for label in page.evaluate(LABELS)}[someone["id"]]
    assert hovered["shown"]
    page.problems.assert_none()
