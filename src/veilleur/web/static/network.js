// The exchange network, drawn with sigma.js on graphology (WebGL). The server caps the graph and
// computes positions (GET /api/v1/cases/<case>/graph); this module only draws and handles clicks.
// Clicking an edge loads the exchanges behind it (with citations) into the side panel through htmx.

const ROLE_COLOURS = {
  distributor: "#c0392b",
  requester: "#8e44ad",
  administrator: "#d68910",
  receiver: "#2471a3",
};
const COMMUNITY = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"];

function colourOf(node) {
  for (const role of ["distributor", "requester", "administrator", "receiver"]) {
    if (node.roles.includes(role)) return ROLE_COLOURS[role];
  }
  return "#95a5a6";
}

const form = document.getElementById("graph-controls");
const status = document.getElementById("graph-status");
const container = document.getElementById("graph");
const cid = form.dataset.case;
let renderer = null;

async function draw() {
  const params = new URLSearchParams();
  for (const [k, v] of new FormData(form).entries()) if (v) params.set(k, v);
  status.textContent = "Loading…";
  container.dataset.ready = "false";
  const started = performance.now();
  const response = await fetch(`/api/v1/cases/${encodeURIComponent(cid)}/graph?${params}`, {
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  const data = await response.json();
  if (!response.ok) {
    status.textContent = data.error || `refused (${response.status})`;
    return;
  }
  const Graph = window.graphology.Graph || window.graphology;
  const SigmaClass = window.Sigma.Sigma || window.Sigma.default || window.Sigma;
  const graph = new Graph({ type: "directed", multi: false });
  for (const n of data.nodes) {
    graph.addNode(n.account, {
      x: n.x,
      y: n.y,
      label: n.label,
      size: 3 + Math.min(12, Math.sqrt(n.sent + n.received) * 2),
      color: colourOf(n),
      borderColor: n.community === null ? "#ffffff" : COMMUNITY[n.community % COMMUNITY.length],
      account: n.account,
    });
  }
  for (const e of data.edges) {
    if (!graph.hasNode(e.source) || !graph.hasNode(e.target)) continue;
    graph.addDirectedEdge(e.source, e.target, {
      size: 1 + Math.min(6, Math.log2(1 + e.exchanges)),
      color: e.private ? "#7f8c8d" : "#bdc3c7",
      label: `${e.exchanges} exchange(s)`,
      type: "arrow",
    });
  }
  if (renderer) renderer.kill();
  renderer = new SigmaClass(graph, container, { enableEdgeEvents: true, renderEdgeLabels: false });
  renderer.on("clickEdge", ({ edge }) => {
    const [a, b] = graph.extremities(edge);
    const url = `/cases/${encodeURIComponent(cid)}/network/edge?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`;
    window.htmx.ajax("GET", url, { target: "#edge-panel", swap: "innerHTML" });
  });
  renderer.on("clickNode", ({ node }) => {
    const panel = document.getElementById("edge-panel");
    panel.replaceChildren();
    const h = document.createElement("h2");
    h.textContent = graph.getNodeAttribute(node, "label");
    const open = document.createElement("a");
    open.href = `/cases/${encodeURIComponent(cid)}/accounts/${encodeURIComponent(node).replace(/%3A/g, ":")}`;
    open.textContent = "Open the account";
    open.className = "open-account";
    const centre = document.createElement("button");
    centre.type = "button";
    centre.textContent = "Centre the network here";
    centre.addEventListener("click", () => {
      form.elements.center.value = node;
      draw();
    });
    panel.append(h, open, document.createElement("br"), centre);
  });
  const ms = Math.round(performance.now() - started);
  status.textContent =
    `${data.nodes.length} of ${data.total_accounts} accounts, ${data.edges.length} edges` +
    (data.truncated ? " (capped: the best-connected are drawn; narrow the window or centre on an account)" : "") +
    (data.edges_truncated ? ` (the ${data.edges.length} strongest of ${data.total_edges} edges)` : "") +
    ` · drawn in ${ms} ms`;
  window.veilleurNetwork = { renderer, graph }; // for the browser tests to find what is drawn
  container.dataset.center = data.center || "";
  container.dataset.ready = "true";
  container.dataset.nodes = String(data.nodes.length);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  draw();
});
draw();
