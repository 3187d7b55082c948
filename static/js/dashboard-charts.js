// Draws the talent-manager dashboard's charts with Chart.js (loaded before this module
// from static/vendor/chartjs). The data comes from a <script type="application/json">
// block written by Django's json_script: nothing here is inline or evaluated.

const COLORS = ["#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c"];

function readData() {
  const node = document.getElementById("dashboard-data");
  return node ? JSON.parse(node.textContent) : null;
}

function drawActivity(Chart, canvas, activity) {
  return new Chart(canvas, {
    type: "bar",
    data: {
      labels: activity.labels,
      datasets: [
        {
          type: "bar",
          label: "Engagements started",
          data: activity.engagements_started,
          backgroundColor: COLORS[0],
          yAxisID: "y",
        },
        {
          type: "line",
          label: "Messages",
          data: activity.messages,
          borderColor: COLORS[1],
          backgroundColor: COLORS[1],
          yAxisID: "y1",
        },
      ],
    },
    options: {
      animation: false,
      scales: {
        y: { beginAtZero: true, position: "left", title: { display: true, text: "Engagements" } },
        y1: {
          beginAtZero: true,
          position: "right",
          grid: { drawOnChartArea: false },
          title: { display: true, text: "Messages" },
        },
      },
    },
  });
}

function drawKinds(Chart, canvas, byKindState) {
  return new Chart(canvas, {
    type: "bar",
    data: {
      labels: byKindState.kinds,
      datasets: byKindState.states.map((state, index) => ({
        label: byKindState.state_labels[index],
        data: byKindState.counts[state],
        backgroundColor: COLORS[index % COLORS.length],
      })),
    },
    options: {
      animation: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
    },
  });
}

function drawTrust(Chart, canvas, trust) {
  return new Chart(canvas, {
    type: "bar",
    data: {
      labels: trust.labels,
      datasets: trust.dimensions.map((row, index) => ({
        label: row.dimension,
        data: row.histogram,
        backgroundColor: COLORS[index % COLORS.length],
      })),
    },
    options: { animation: false, scales: { y: { beginAtZero: true } } },
  });
}

function start() {
  const Chart = window.Chart;
  const data = readData();
  if (!Chart || !data) return;
  const charts = [
    ["chart-activity", (canvas) => drawActivity(Chart, canvas, data.activity)],
    ["chart-kinds", (canvas) => drawKinds(Chart, canvas, data.by_kind_state)],
    ["chart-trust", (canvas) => drawTrust(Chart, canvas, data.trust)],
  ];
  for (const [id, draw] of charts) {
    const canvas = document.getElementById(id);
    if (canvas) {
      draw(canvas);
      canvas.dataset.rendered = "true";
    }
  }
}

start();
