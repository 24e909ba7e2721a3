#include "core/http/dashboard_page.hpp"

namespace actormq::core {

namespace {

// Each file is a raw string: no build step, nothing fetched from elsewhere.
// Client ids and topics are set as text by the script, never as HTML.

constexpr std::string_view page = R"page(
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>actormq dashboard</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/dashboard.css">
<script src="/dashboard.js" defer></script>
</head>
<body>
<header>
  <h1>actormq</h1>
  <span id="broker"></span>
  <span class="spacer"></span>
  <span id="who"></span>
  <button type="button" id="logout" hidden>Log out</button>
</header>

<form id="login" hidden>
  <p>Log in with a user of this listener's <code>password_file</code>.</p>
  <label>User <input id="login-user" name="user" autocomplete="username" required></label>
  <label>Password <input id="login-password" name="password" type="password" autocomplete="current-password"></label>
  <button type="submit" id="login-submit">Log in</button>
  <p id="login-error" class="error"></p>
</form>

<main id="board" hidden>
  <p id="notice"></p>
  <p id="error" class="error"></p>
  <section class="tiles">
    <div class="tile"><span class="label">Connections</span><span class="value" id="tile-connections">-</span></div>
    <div class="tile"><span class="label">Sessions</span><span class="value" id="tile-sessions">-</span></div>
    <div class="tile"><span class="label">Subscriptions</span><span class="value" id="tile-subscriptions">-</span></div>
    <div class="tile"><span class="label">Retained, $SYS too</span><span class="value" id="tile-retained">-</span></div>
    <div class="tile"><span class="label">Messages in/s</span><span class="value" id="tile-in">-</span></div>
    <div class="tile"><span class="label">Messages out/s</span><span class="value" id="tile-out">-</span></div>
  </section>

  <section>
    <h2>Messages per second, last 5 minutes</h2>
    <svg id="chart" viewBox="0 0 600 160" role="img" aria-label="messages per second"></svg>
    <p class="legend"><span class="key in"></span> received <span class="key out"></span> sent</p>
  </section>

  <section>
    <h2>Nodes</h2>
    <table id="table-nodes">
      <thead><tr><th>Node</th><th>Status</th><th>Version</th><th>Uptime</th><th>Connections</th><th>Sessions</th><th>Processes</th><th>Memory</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>

  <section>
    <h2>Clients <span class="count" id="count-clients"></span></h2>
    <table id="table-clients">
      <thead><tr><th>Client id</th><th>User</th><th>State</th><th>Address</th><th>Protocol</th><th>Subscriptions</th><th>Queued</th><th></th></tr></thead>
      <tbody></tbody>
    </table>
  </section>

  <section>
    <h2>Subscriptions <span class="count" id="count-subscriptions"></span></h2>
    <table id="table-subscriptions">
      <thead><tr><th>Client id</th><th>Filter</th><th>QoS</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>

  <section>
    <h2>Retained messages <span class="count" id="count-retained"></span></h2>
    <table id="table-retained">
      <thead><tr><th>Topic</th><th>QoS</th><th>Bytes</th><th>From</th><th>Published</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>

  <section>
    <h2>Bridges <span class="count" id="count-bridges"></span></h2>
    <table id="table-bridges">
      <thead><tr><th>Name</th><th>Type</th><th>Remote</th><th>State</th><th>Enabled</th><th>Received</th><th>Sent</th><th>Dropped</th><th>Buffered</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
</main>
</body>
</html>
)page";

constexpr std::string_view style = R"style(
[hidden] { display: none !important; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #f5f6f8; }
header { display: flex; align-items: center; gap: 1em; padding: 0.6em 1.2em; background: #223; color: #eee; }
header h1 { font-size: 1.2em; margin: 0; }
.spacer { flex: 1; }
main, form { padding: 1em 1.2em; max-width: 1100px; }
form label { display: block; margin: 0.5em 0; }
section { margin: 1.2em 0; }
h2 { font-size: 1.05em; margin: 0 0 0.4em; }
.count { color: #777; font-weight: normal; }
.tiles { display: flex; flex-wrap: wrap; gap: 0.8em; }
.tile { background: #fff; border: 1px solid #dde; border-radius: 4px; padding: 0.5em 1em; min-width: 8em; }
.tile .label { display: block; color: #666; font-size: 0.85em; }
.tile .value { font-size: 1.6em; }
table { border-collapse: collapse; background: #fff; width: 100%; }
th, td { text-align: left; padding: 0.25em 0.6em; border-bottom: 1px solid #e4e4ea; }
td.none { color: #888; font-style: italic; }
#chart { width: 100%; max-width: 900px; height: auto; background: #fff; border: 1px solid #dde; }
#chart .axis { stroke: #999; }
#chart text { fill: #666; font-size: 10px; }
#chart .in, .key.in { stroke: #2a7; fill: none; stroke-width: 1.5; }
#chart .out, .key.out { stroke: #36c; fill: none; stroke-width: 1.5; }
.key { display: inline-block; width: 1.5em; border-top: 3px solid; vertical-align: middle; }
.key.in { border-color: #2a7; }
.key.out { border-color: #36c; }
.error { color: #b00; }
#notice { color: #275; }
button.kick { color: #b00; }
)style";

constexpr std::string_view script = R"script(
// The actormq dashboard. It polls the HTTP API every few seconds with the
// Basic credentials of its own login form, kept in sessionStorage (this tab
// only: gone when it closes), and draws what it reads. Everything shown is
// set as text, never parsed as HTML: client ids and topics come from clients.
"use strict";

const POLL_MS = 3000;
const HISTORY = 100; // polls the chart keeps: 5 minutes at POLL_MS
const AUTH_KEY = "actormq.authorization";
const USER_KEY = "actormq.user";
const SVG = "http://www.w3.org/2000/svg";
const PROTOCOLS = { 3: "3.1", 4: "3.1.1", 5: "5.0" }; // by protocol level

const $ = (id) => document.getElementById(id);
const samples = []; // the message counters at each poll: {t, received, sent}
let pollTimer = null;
let polling = false;
let pollAgain = false;

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function authorization() {
  return sessionStorage.getItem(AUTH_KEY);
}

// base64 of "user:password" in UTF-8, as the broker's challenge
// (charset="UTF-8") asks; btoa alone takes Latin-1 only.
function basic(user, password) {
  let binary = "";
  for (const b of new TextEncoder().encode(user + ":" + password)) {
    binary += String.fromCharCode(b);
  }
  return "Basic " + btoa(binary);
}

// credentials "omit": the browser adds no credentials of its own and shows
// no prompt on a 401; the header set here is the only authentication.
async function api(method, path) {
  const headers = {};
  if (authorization() !== null) {
    headers.Authorization = authorization();
  }
  const response = await fetch("/api/v1/" + path, { method, headers, credentials: "omit", cache: "no-store" });
  if (response.status === 204) {
    return null;
  }
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    body = null;
  }
  if (!response.ok) {
    const why = body && body.message ? body.message : "HTTP " + response.status;
    throw new ApiError(response.status, method + " /api/v1/" + path + ": " + why);
  }
  return body;
}

function setError(text) {
  $("error").textContent = text;
}

function setNotice(text) {
  $("notice").textContent = text;
}

async function logIn(event) {
  event.preventDefault();
  const user = $("login-user").value;
  sessionStorage.setItem(AUTH_KEY, basic(user, $("login-password").value));
  try {
    await api("GET", "nodes");
  } catch (e) {
    sessionStorage.removeItem(AUTH_KEY);
    $("login-error").textContent = e.status === 401 ? "Wrong user or password." : e.message;
    return;
  }
  sessionStorage.setItem(USER_KEY, user);
  $("login-password").value = "";
  $("login-error").textContent = "";
  show();
}

function logOut() {
  sessionStorage.removeItem(AUTH_KEY);
  sessionStorage.removeItem(USER_KEY);
  clearTimeout(pollTimer);
  pollTimer = null;
  samples.length = 0;
  show();
}

function show() {
  const loggedIn = authorization() !== null;
  $("login").hidden = loggedIn;
  $("board").hidden = !loggedIn;
  $("logout").hidden = !loggedIn;
  $("who").textContent = loggedIn ? sessionStorage.getItem(USER_KEY) || "" : "";
  if (loggedIn) {
    poll();
  }
}

// One poll at a time: one asked for meanwhile (after a kick) runs next.
async function poll() {
  if (polling) {
    pollAgain = true;
    return;
  }
  polling = true;
  clearTimeout(pollTimer);
  pollTimer = null;
  try {
    const answers = await Promise.all([
      api("GET", "nodes"),
      api("GET", "stats"),
      api("GET", "clients?limit=100"),
      api("GET", "subscriptions?limit=100"),
      api("GET", "retained?limit=100"),
      api("GET", "bridges"),
    ]);
    render(...answers);
    setError("");
  } catch (e) {
    if (e.status === 401) {
      logOut();
      $("login-error").textContent = "The broker no longer accepts this user; log in again.";
    } else {
      setError(e.message);
    }
  } finally {
    polling = false;
  }
  if (authorization() === null) {
    return;
  }
  if (pollAgain) {
    pollAgain = false;
    poll();
  } else {
    pollTimer = setTimeout(poll, POLL_MS);
  }
}

function sum(list, key) {
  return list.reduce((n, x) => n + (Number(x[key]) || 0), 0);
}

function render(nodes, stats, clients, subscriptions, retained, bridges) {
  $("tile-connections").textContent = sum(nodes, "connections");
  $("tile-sessions").textContent = sum(nodes, "sessions");
  $("tile-subscriptions").textContent = sum(nodes, "subscriptions");
  $("tile-retained").textContent = sum(nodes, "retained");
  record(sum(stats, "messages.received"), sum(stats, "messages.sent"));
  fill("nodes", nodes, [(n) => n.node, (n) => n.node_status, (n) => n.version, (n) => duration(n.uptime),
    (n) => n.connections, (n) => n.sessions, (n) => n.process_count, (n) => megabytes(n.memory_rss)]);
  fill("clients", clients.data, [(c) => c.clientid, (c) => c.username, (c) => (c.connected ? "connected" : "offline"),
    (c) => (c.connected ? c.ip_address + ":" + c.port : ""), (c) => "MQTT " + (PROTOCOLS[c.proto_ver] || c.proto_ver),
    (c) => c.subscriptions_cnt, (c) => c.mqueue_len, kickButton], clients.meta);
  fill("subscriptions", subscriptions.data, [(s) => s.clientid, (s) => s.topic, (s) => s.qos], subscriptions.meta);
  fill("retained", retained.data, [(m) => m.topic, (m) => m.qos, (m) => m.payload_bytes, (m) => m.from_clientid,
    (m) => (m.publish_at ? new Date(m.publish_at).toLocaleString() : "")], retained.meta);
  fill("bridges", bridges, [(b) => b.name, (b) => b.type, (b) => b.remote, (b) => b.state,
    (b) => (b.enabled ? "yes" : "no"), (b) => b.messages.received, (b) => b.messages.sent,
    (b) => b.messages.dropped, (b) => b.buffered.messages], { count: bridges.length });
}

// Replaces the rows of table-`name` with one per item, a cell per column
// (a function of the item giving text or a node).
function fill(name, items, columns, meta) {
  const rows = items.map((item) => {
    const tr = document.createElement("tr");
    for (const column of columns) {
      const td = document.createElement("td");
      const value = column(item);
      if (value instanceof Node) {
        td.append(value);
      } else {
        td.textContent = value === null || value === undefined ? "" : String(value);
      }
      tr.append(td);
    }
    return tr;
  });
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.className = "none";
    td.colSpan = columns.length;
    td.textContent = "none";
    tr.append(td);
    rows.push(tr);
  }
  $("table-" + name).tBodies[0].replaceChildren(...rows);
  if (meta) {
    $("count-" + name).textContent = meta.count > items.length
      ? "(" + items.length + " of " + meta.count + ")" : "(" + meta.count + ")";
  }
}

function duration(seconds) {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return (d > 0 ? d + "d " : "") + (d > 0 || h > 0 ? h + "h " : "") + m + "m " + (seconds % 60) + "s";
}

function megabytes(bytes) {
  return (bytes / 1048576).toFixed(1) + " MiB";
}

function kickButton(client) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "kick";
  button.textContent = "Kick";
  button.dataset.clientid = client.clientid;
  button.addEventListener("click", () => kick(client.clientid));
  return button;
}

async function kick(clientId) {
  if (!confirm("Disconnect client " + clientId + " and end its session?")) {
    return;
  }
  try {
    await api("DELETE", "clients/" + encodeURIComponent(clientId));
    setNotice("Kicked " + clientId + ".");
  } catch (e) {
    setError(e.message);
  }
  poll();
}

// The rates between polls, from the counters' differences.
function record(received, sent) {
  samples.push({ t: Date.now(), received, sent });
  while (samples.length > HISTORY + 1) {
    samples.shift();
  }
  const rates = [];
  for (let i = 1; i < samples.length; ++i) {
    const a = samples[i - 1];
    const b = samples[i];
    const seconds = Math.max((b.t - a.t) / 1000, 0.001);
    rates.push({ t: b.t, received: Math.max(0, b.received - a.received) / seconds,
      sent: Math.max(0, b.sent - a.sent) / seconds });
  }
  const last = rates[rates.length - 1];
  $("tile-in").textContent = last ? last.received.toFixed(1) : "-";
  $("tile-out").textContent = last ? last.sent.toFixed(1) : "-";
  draw(rates);
}

function svg(tag, attributes, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) {
    element.setAttribute(key, value);
  }
  if (text !== undefined) {
    element.textContent = text;
  }
  return element;
}

// Two lines over the last HISTORY polls: x is time (now at the right), y
// the rate from 0 to the largest one shown.
function draw(rates) {
  const width = 600;
  const height = 160;
  const left = 40;
  const bottom = height - 18;
  const top = 10;
  const span = HISTORY * POLL_MS;
  const now = Date.now();
  const max = Math.max(1, ...rates.map((r) => Math.max(r.received, r.sent)));
  const x = (t) => left + (width - left - 5) * Math.max(0, 1 - (now - t) / span);
  const y = (v) => bottom - (bottom - top) * (v / max);
  const line = (key) => svg("polyline", { class: key === "received" ? "in" : "out",
    points: rates.map((r) => x(r.t).toFixed(1) + "," + y(r[key]).toFixed(1)).join(" ") });
  $("chart").replaceChildren(
    svg("line", { class: "axis", x1: left, y1: bottom, x2: width - 5, y2: bottom }),
    svg("line", { class: "axis", x1: left, y1: top, x2: left, y2: bottom }),
    svg("text", { x: left - 4, y: top + 8, "text-anchor": "end" }, max.toFixed(max < 10 ? 1 : 0)),
    svg("text", { x: left - 4, y: bottom, "text-anchor": "end" }, "0"),
    svg("text", { x: left, y: height - 4 }, "-5 min"),
    svg("text", { x: width - 5, y: height - 4, "text-anchor": "end" }, "now"),
    line("received"),
    line("sent"));
}

async function showBroker() {
  try {
    const status = await api("GET", "status");
    $("broker").textContent = status.node + " \u00b7 " + status.version;
  } catch (e) {
    $("broker").textContent = "";
  }
}

$("login").addEventListener("submit", logIn);
$("logout").addEventListener("click", logOut);
showBroker();
show();
)script";

// The page names its icon: a browser then asks for no /favicon.ico, whose
// 404 it would log as an error.
constexpr std::string_view icon = R"svg(
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">
<rect width="16" height="16" rx="3" fill="#223"/><path d="M3 12V5l5 4 5-4v7" stroke="#2a7" stroke-width="2" fill="none"/>
</svg>
)svg";

// The page's own origin only: the script and style are files of their own
// (no inline code to allow), fetches go to the API beside them.
constexpr std::string_view content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

net::HttpResponse file(std::string_view content_type, std::string_view body) {
  net::HttpResponse r;
  r.content_type = std::string(content_type);
  r.body = std::string(body.substr(1));  // the raw string's first line break
  r.headers.emplace_back("Content-Security-Policy", std::string(content_security_policy));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

}  // namespace

std::optional<net::HttpResponse> dashboard_file(std::string_view path) {
  if (path == "/" || path == "/index.html") {
    return file("text/html; charset=utf-8", page);
  }
  if (path == "/dashboard.js") {
    return file("text/javascript; charset=utf-8", script);
  }
  if (path == "/dashboard.css") {
    return file("text/css; charset=utf-8", style);
  }
  if (path == "/favicon.svg") {
    return file("image/svg+xml", icon);
  }
  return std::nullopt;
}

}  // namespace actormq::core
