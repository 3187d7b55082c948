// Draws the mentoring network (who helped whom) with Cytoscape.js, loaded before this
// module from static/vendor/cytoscape (npm, never a CDN). The data comes from
// /api/manage/network (the URL is on the container's data-url). Pan and zoom are
// Cytoscape's own (drag, wheel, pinch); the search box selects and centres people whose
// name contains the text. The page's tables are the text alternative.

import { getJson } from "./http.js";

const COLORS = {
  person: "#1d4ed8",
  broker: "#b45309",
  bridge: "#be123c",
  isolated: "#6b7280",
  edge: "#94a3b8",
  found: "#047857",
};

function say(id, text) {
  const node = document.getElementById(id);
  if (node) node.textContent = text;
}

function elements(data) {
  const nodes = data.nodes.map((node) => ({
    group: "nodes",
    data: { ...node },
    classes: [node.broker ? "broker" : "", node.isolated ? "isolated" : ""].join(" ").trim(),
  }));
  const edges = data.edges.map((edge) => ({
    group: "edges",
    data: { ...edge },
    classes: edge.bridge ? "bridge" : "",
  }));
  return nodes.concat(edges);
}

function style() {
  return [
    {
      selector: "node",
      style: {
        "background-color": COLORS.person,
        label: "data(label)",
        "font-size": 10,
        "text-valign": "bottom",
        "text-margin-y": 3,
        "text-wrap": "wrap",
        "text-max-width": "80px",
        "min-zoomed-font-size": 7, // zoomed far out, labels would only pile up
        width: "mapData(degree, 0, 12, 10, 34)",
        height: "mapData(degree, 0, 12, 10, 34)",
      },
    },
    { selector: "node.broker", style: { "background-color": COLORS.broker, shape: "diamond" } },
    // isolated people sit close together: their names show on hover, tap or search
    { selector: "node.isolated", style: { "background-color": COLORS.isolated, shape: "round-rectangle", "text-opacity": 0 } },
    { selector: "node.isolated.show-label", style: { "text-opacity": 1, "z-index": 10 } },
    {
      selector: "edge",
      style: {
        width: "mapData(weight, 1, 6, 1, 5)",
        "line-color": COLORS.edge,
        "target-arrow-color": COLORS.edge,
        "target-arrow-shape": "triangle",
        "curve-style": "bezier",
      },
    },
    {
      selector: "edge.bridge",
      style: { "line-color": COLORS.bridge, "target-arrow-color": COLORS.bridge, "line-style": "dashed", width: 4 },
    },
    {
      selector: "node.found",
      style: { "border-width": 4, "border-color": COLORS.found, "font-weight": "bold", "font-size": 14, "text-opacity": 1 },
    },
    { selector: ".faded", style: { opacity: 0.15 } },
  ];
}

function setUpSearch(cy) {
  const form = document.getElementById("network-search");
  const input = document.getElementById("network-search-input");
  const fit = document.getElementById("network-fit");
  if (!form || !input) return;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim().toLowerCase();
    cy.elements().removeClass("found faded");
    if (!text) {
      say("network-search-status", "Type part of a name.");
      return;
    }
    const found = cy.nodes().filter((node) => node.data("label").toLowerCase().includes(text));
    if (found.empty()) {
      say("network-search-status", `Nobody named “${input.value.trim()}” is in the graph.`);
      return;
    }
    const neighbourhood = found.closedNeighborhood();
    cy.elements().difference(neighbourhood).addClass("faded");
    found.addClass("found");
    cy.animate({ fit: { eles: neighbourhood, padding: 40 } }, { duration: 300 });
    const names = found.map((node) => node.data("label")).slice(0, 5).join(", ");
    const more = found.length > 5 ? ` and ${found.length - 5} more` : "";
    say("network-search-status", `Found ${found.length}: ${names}${more}.`);
  });
  if (fit) {
    fit.addEventListener("click", () => {
      cy.stop(true, false); // a search's zoom may still be running: it must not win over this
      cy.elements().removeClass("found faded");
      cy.fit(undefined, 20);
      say("network-search-status", "Showing everyone.");
    });
  }
}

async function start() {
  const container = document.getElementById("network-graph");
  const cytoscape = window.cytoscape;
  if (!container || !cytoscape) return;
  say("network-status", "Loading the network…");
  let data;
  try {
    data = await getJson(container.dataset.url);
  } catch {
    say("network-status", "The network could not be loaded; reload the page. The tables below still list everything.");
    return;
  }
  if (!data.nodes.length) {
    say("network-status", "Nobody in the workspace yet.");
    return;
  }
  const cy = cytoscape({
    container,
    elements: elements(data),
    style: style(),
    layout:
      data.nodes.length > 400
        ? { name: "grid", avoidOverlap: true }
        : {
            name: "cose",
            animate: false,
            randomize: false,
            nodeOverlap: 40,
            componentSpacing: 90,
            nodeRepulsion: () => 90_000,
            idealEdgeLength: () => 90,
            padding: 24,
          },
    minZoom: 0.05,
    maxZoom: 4,
    wheelSensitivity: 0.3,
  });
  cy.on("tap", "node", (event) => {
    const node = event.target;
    say(
      "network-search-status",
      `${node.data("label")}: ${node.data("degree")} connection(s)` +
        (node.data("broker") ? ", a broker" : "") +
        (node.data("isolated") ? ", isolated" : "") +
        ".",
    );
  });
  cy.on("mouseover tap", "node.isolated", (event) => event.target.addClass("show-label"));
  cy.on("mouseout", "node.isolated", (event) => event.target.removeClass("show-label"));
  cy.on("dbltap", "node", (event) => {
    window.location.assign(event.target.data("url"));
  });
  setUpSearch(cy);
  container.dataset.rendered = "true";
  const truncated = data.truncated ? " Only the best-connected people are drawn; the tables list everyone." : "";
  say(
    "network-status",
    `Drawn: ${data.nodes.length} people and ${data.edges.length} connections.${truncated} Double-click a person to open their profile.`,
  );
}

start();
