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

function drawFirstAnswer(Chart, canvas, firstAnswer) {
  return new Chart(canvas, {
    type: "bar",
    data: {
      labels: firstAnswer.labels,
      datasets: [
        { label: "This period", data: firstAnswer.current, backgroundColor: COLORS[0] },
        { label: "Period before", data: firstAnswer.previous, backgroundColor: COLORS[3] },
      ],
    },
    options: {
      animation: false,
      scales: { y: { beginAtZero: true, title: { display: true, text: "Engagements" } } },
    },
  });
}

function drawTrustMovement(Chart, canvas, trust, movement) {
  // One pair of bars per dimension and tenth would be unreadable: draw each dimension's
  // distribution at the start (dashed line) and at the end (solid line) of the period.
  const datasets = [];
  movement.dimensions.forEach((row, index) => {
    const color = COLORS[index % COLORS.length];
    if (movement.then_date) {
      datasets.push({
        label: `${row.dimension} (${movement.then_date})`,
        data: row.then,
        borderColor: color,
        backgroundColor: color,
        borderDash: [6, 4],
      });
    }
    datasets.push({
      label: `${row.dimension} (${movement.now_date})`,
      data: row.now,
      borderColor: color,
      backgroundColor: color,
    });
  });
  return new Chart(canvas, {
    type: "line",
    data: { labels: trust.labels, datasets },
    options: { animation: false, scales: { y: { beginAtZero: true, title: { display: true, text: "People" } } } },
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
    ["chart-first-answer", (canvas) => drawFirstAnswer(Chart, canvas, data.first_answer)],
    ["chart-trust-movement", (canvas) => drawTrustMovement(Chart, canvas, data.trust, data.trust_movement)],
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
