// The notibus console: plain DOM, no library. Every value from the server is
// put in with textContent (never as HTML). The token lives in sessionStorage
// (this tab only) and goes out only as an Authorization header.
"use strict";

const $ = (selector) => document.querySelector(selector);
const views = ["channels", "messages", "dead", "send", "config"];
let pollTimer = null;
let messagesAfter = "";

function token() { return sessionStorage.getItem("notibus-token") || ""; }

function say(text, isError) {
  const status = $("#status");
  status.textContent = text;
  status.className = isError ? "error" : "";
}

async function api(method, path, body) {
  const headers = { Authorization: "Bearer " + token() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
                                  cache: "no-store", credentials: "omit" });
  if (res.status === 401) { logout("The token was refused."); throw new Error("unauthorized"); }
  const text = await res.text();
  const data = text ? JSON.parse(text) : {};
  if (!res.ok && res.status !== 404) throw new Error(data.detail || ("HTTP " + res.status));
  return { status: res.status, data };
}

function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const c of cells) {
    const td = document.createElement("td");
    if (c instanceof Node) td.append(c); else td.textContent = c === undefined ? "" : String(c);
    tr.append(td);
  }
  return tr;
}

function seconds(s) {
  if (!s) return "–";
  return s < 1 ? Math.round(s * 1000) + " ms" : s + " s";
}

function badge(state) { return el("span", state, "badge " + state); }

// --- log in / out ------------------------------------------------------------

async function login(event) {
  event.preventDefault();
  sessionStorage.setItem("notibus-token", $("#token").value);
  $("#token").value = "";
  try {
    await api("GET", "/v1/channels");
    say("");
    show(location.hash.slice(1) || "channels");
  } catch (e) {
    if (e.message !== "unauthorized") say("Cannot reach the server: " + e.message, true);
  }
}

function logout(reason) {
  sessionStorage.removeItem("notibus-token");
  clearInterval(pollTimer);
  $("#tabs").hidden = true;
  for (const v of views) $("#view-" + v).hidden = true;
  $("#view-login").hidden = false;
  say(typeof reason === "string" ? reason : "Logged out.", typeof reason === "string");
  $("#token").focus();
}

function show(view) {
  if (!views.includes(view)) view = "channels";
  $("#view-login").hidden = true;
  $("#tabs").hidden = false;
  for (const v of views) {
    $("#view-" + v).hidden = v !== view;
    const tab = document.querySelector(`[data-view="${v}"]`);
    tab.setAttribute("aria-selected", v === view ? "true" : "false");
  }
  if (location.hash !== "#" + view) history.replaceState(null, "", "#" + view);
  clearInterval(pollTimer);
  const load = { channels: loadChannels, messages: () => loadMessages(true), dead: loadDead,
                 send: loadSend, config: loadConfig }[view];
  load().catch((e) => say(e.message, true));
  if (view === "channels") pollTimer = setInterval(() => {
    if (!document.hidden) loadChannels().catch((e) => say(e.message, true));
  }, 2000);
}

// --- channels ----------------------------------------------------------------

const stateOrder = { failing: 0, retrying: 1, busy: 2, ok: 3, idle: 4 };

async function loadChannels() {
  const { data } = await api("GET", "/v1/channels");
  const channels = data.channels.slice().sort((a, b) =>
    (stateOrder[a.state] - stateOrder[b.state]) || a.name.localeCompare(b.name));
  const body = $("#channels-table tbody");
  body.replaceChildren(...channels.map((c) => {
    const tr = row([c.name, c.type, badge(c.state), c.queued, c.inflight, c.retrying, c.delivered,
                    c.failed, seconds(c.p50_seconds), seconds(c.p99_seconds), c.last_error || "–"]);
    tr.dataset.channel = c.name;
    tr.dataset.state = c.state;
    return tr;
  }));
  say("Updated " + new Date().toLocaleTimeString());
}

// --- messages ----------------------------------------------------------------

function messageState(m) { return !m.finished ? "pending" : (m.delivered ? "delivered" : "failed"); }

function channelSummary(m) {
  return m.channels.map((c) => `${c.channel}: ${c.state} (${c.attempts})`).join(", ");
}

async function loadMessages(fresh) {
  if (fresh) messagesAfter = "";
  const params = new URLSearchParams({ limit: "50" });
  const state = $("#state-filter").value;
  if (state) params.set("state", state);
  if (messagesAfter) params.set("after", messagesAfter);
  const { data } = await api("GET", "/v1/messages?" + params);
  const body = $("#messages-table tbody");
  const rows = data.messages.map((m) => {
    const link = el("button", m.id, "link");
    link.type = "button";
    link.addEventListener("click", () => showMessage(m));
    return row([link, m.source, badge(messageState(m)), channelSummary(m)]);
  });
  if (fresh) body.replaceChildren(...rows); else body.append(...rows);
  messagesAfter = data.next_after || "";
  $("#messages-more").hidden = !messagesAfter;
}

// "2 sent, 1 omitted": what a channel did with the message's files.
function fatesText(fates) {
  if (!fates || !fates.length) return "";
  const counts = {};
  for (const f of fates) counts[f] = (counts[f] || 0) + 1;
  return Object.entries(counts).map(([fate, n]) => n + " " + fate).join(", ");
}

// The message's files: name, type and size (names are text, never markup).
function filesList(files) {
  const list = el("ul", null, "files");
  for (const f of files || []) list.append(el("li", f.name + " (" + f.type + ", " + f.size + " bytes)"));
  return list;
}

function showMessage(m) {
  const box = $("#message-detail");
  const title = el("h3", "Message " + m.id);
  const state = el("p");
  state.append("From: " + m.source + " · State: ", badge(messageState(m)));
  const table = document.createElement("table");
  table.className = "detail";
  const head = document.createElement("thead");
  const headRow = document.createElement("tr");
  for (const name of ["Channel", "State", "Attempts", "Last error", "Note", "Files"]) {
    const th = el("th", name);
    th.scope = "col";
    headRow.append(th);
  }
  head.append(headRow);
  const body = document.createElement("tbody");
  body.append(...m.channels.map((c) => row([c.channel, badge(c.state), c.attempts, c.last_error || "–", c.detail || "",
    fatesText(c.attachments)])));
  table.append(head, body);
  box.replaceChildren(title, state, filesList(m.attachments), table);
  box.dataset.id = m.id;
}

async function lookup(event) {
  event.preventDefault();
  const what = $("#lookup").value.trim();
  let found = null;
  const byId = await api("GET", "/v1/messages/" + encodeURIComponent(what));
  if (byId.status === 200) found = byId.data;
  else {
    const byKey = await api("GET", "/v1/messages?" + new URLSearchParams({ key: what }));
    if (byKey.data.messages && byKey.data.messages.length) found = byKey.data.messages[0];
  }
  if (found) { showMessage(found); say(""); }
  else { $("#message-detail").replaceChildren(el("p", "No message with that id or key (or it is older than status.retention).")); }
}

// --- dead letters ------------------------------------------------------------

// A page at a time (the API's 100), "More" for the next one.
let deadAfter = "";

async function loadDead(fresh = true) {
  if (fresh) deadAfter = "";
  const params = new URLSearchParams({ limit: "100" });
  if (deadAfter) params.set("after", deadAfter);
  const { data } = await api("GET", "/v1/dead-letters?" + params);
  const body = $("#dead-table tbody");
  const rows = data.dead_letters.map((d) => {
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = d.id;
    box.setAttribute("aria-label", "Select " + d.id);
    const retry = el("button", "Retry");
    retry.type = "button";
    retry.addEventListener("click", () => act("retry", [d.id]));
    const purge = el("button", "Purge", "danger");
    purge.type = "button";
    purge.addEventListener("click", () => act("purge", [d.id]));
    const actions = el("span", null, "actions");
    actions.append(retry, purge);
    const tr = row([box, d.id, d.title, d.failed.map((f) => f.channel).join(", "),
                    d.failed.map((f) => f.reason).join("; "), actions]);
    tr.dataset.id = d.id;
    return tr;
  });
  if (fresh) body.replaceChildren(...rows); else body.append(...rows);
  if (fresh && !rows.length) body.append(row(["", "No dead letters.", "", "", "", ""]));
  deadAfter = data.next_after || "";
  $("#dead-more").hidden = !deadAfter;
}

async function act(action, ids) {
  if (!ids.length) { say("Select dead letters first.", true); return; }
  const what = ids.length === 1 ? ids[0] : ids.length + " dead letters";
  const question = action === "retry" ? `Send ${what} again to the channels that failed?`
                                      : `Purge ${what}? This cannot be undone.`;
  if (!confirm(question)) return;
  const done = [];
  for (const id of ids) {
    const path = "/v1/dead-letters/" + encodeURIComponent(id) + (action === "retry" ? "/retry" : "");
    const res = await api(action === "retry" ? "POST" : "DELETE", path);
    if (res.status === 404) done.push(`${id} (already gone)`);
    else done.push(action === "retry" ? `${id} → ${res.data.id}` : id);
  }
  await loadDead();
  say((action === "retry" ? "Queued again: " : "Purged: ") + done.join(", "));
}

function selected() {
  return [...document.querySelectorAll("#dead-table tbody input:checked")].map((b) => b.value);
}

// --- send --------------------------------------------------------------------

async function loadSend() {
  const { data } = await api("GET", "/v1/channels");
  const select = $("#send-channel");
  const current = select.value;
  select.replaceChildren(el("option", "through the routes"));
  select.firstChild.value = "";
  for (const c of data.channels) {
    const o = el("option", c.name + " (" + c.type + ")");
    o.value = c.name;
    select.append(o);
  }
  select.value = current;
}

async function send(event) {
  event.preventDefault();
  const message = { topic: $("#send-topic").value, title: $("#send-title").value, body: $("#send-body").value };
  if ($("#send-channel").value) message.channels = [$("#send-channel").value];
  const res = await api("POST", "/v1/messages", message);
  const out = $("#send-result");
  if (res.status === 202 || res.status === 200) {
    out.textContent = "Accepted as " + res.data.id + ". Look it up under Messages.";
    out.dataset.id = res.data.id;
  } else {
    out.textContent = "Refused: " + (res.data.detail || res.status);
  }
}

// --- config ------------------------------------------------------------------

async function loadConfig() {
  const { data } = await api("GET", "/v1/config");
  $("#config-durability").textContent = data.durability;
  const backend = $("#config-backend");
  backend.replaceChildren();
  for (const [k, v] of Object.entries(data.spool || data.queue || {})) backend.append(el("dt", k), el("dd", v));
  $("#config-routes").replaceChildren(...data.routes.map((r) => el("li", r)));
  $("#config-channels").replaceChildren(...data.channels.map((c) => {
    const box = el("section", null, "card");
    box.append(el("h4", c.name + " (" + c.type + (c.enabled ? "" : ", disabled") + ")"));
    const dl = document.createElement("dl");
    for (const [k, v] of Object.entries(c.options)) dl.append(el("dt", k), el("dd", v));
    box.append(dl);
    return box;
  }));
}

// --- wiring ------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("#login-form").addEventListener("submit", login);
  $("#logout").addEventListener("click", () => logout());
  for (const b of document.querySelectorAll("[data-view]"))
    b.addEventListener("click", () => show(b.dataset.view));
  $("#lookup-form").addEventListener("submit", (e) => lookup(e).catch((x) => say(x.message, true)));
  $("#state-filter").addEventListener("change", () => loadMessages(true).catch((x) => say(x.message, true)));
  $("#messages-refresh").addEventListener("click", () => loadMessages(true).catch((x) => say(x.message, true)));
  $("#messages-more").addEventListener("click", () => loadMessages(false).catch((x) => say(x.message, true)));
  $("#dead-refresh").addEventListener("click", () => loadDead().catch((x) => say(x.message, true)));
  $("#dead-more").addEventListener("click", () => loadDead(false).catch((x) => say(x.message, true)));
  $("#dead-retry-selected").addEventListener("click", () => act("retry", selected()).catch((x) => say(x.message, true)));
  $("#dead-purge-selected").addEventListener("click", () => act("purge", selected()).catch((x) => say(x.message, true)));
  $("#send-form").addEventListener("submit", (e) => send(e).catch((x) => say(x.message, true)));
  window.addEventListener("hashchange", () => { if (token()) show(location.hash.slice(1)); });
  if (token()) show(location.hash.slice(1) || "channels");
  else $("#token").focus();
});
