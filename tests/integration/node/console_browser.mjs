// The web console in a real browser (issue #16): Debian's chromium, headless,
// driven by puppeteer-core, against a real `notibus serve` and a webhook
// receiver that can be told to fail. Screenshots of each view go to
// SHOTS (the build tree).
//   node console_browser.mjs      (env: NOTIBUS_BIN, NOTIBUS_BUILD_DIR, SHOTS)
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import puppeteer from "puppeteer-core";

const BIN = process.env.NOTIBUS_BIN;
const PLUGINS = path.join(process.env.NOTIBUS_BUILD_DIR, "plugins");
const SHOTS = process.env.SHOTS;
const TOKEN = "console-token-" + Math.random().toString(36).slice(2);
const HOOK_SECRET = "whsec_" + Buffer.from("a-signing-secret-for-the-console!").toString("base64");
const PASSWORD = "smtp-password-" + Math.random().toString(36).slice(2);
const SECRETS = [TOKEN, HOOK_SECRET, PASSWORD];

function fail(why) { console.error("FAIL: " + why); process.exit(1); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, f, timeout = 20000) {
  const end = Date.now() + timeout;
  while (Date.now() < end) { if (await f()) return; await sleep(100); }
  fail("timed out waiting for " + what);
}
function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

// The receiver: 204, or 500 while `failing`; counts deliveries by webhook-id.
const received = new Map();
let failing = false;
const receiver = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    if (failing) { res.writeHead(500); res.end(); return; }
    const id = req.headers["webhook-id"];
    received.set(id, (received.get(id) || 0) + 1);
    res.writeHead(204); res.end();
  });
});
await new Promise((r) => receiver.listen(0, "127.0.0.1", r));

const tmp = mkdtempSync(path.join(os.tmpdir(), "notibus-console-"));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const config = path.join(tmp, "serve.yaml");
writeFileSync(config, `version: 1
plugin_dirs: [${PLUGINS}]
spool: {dir: ${tmp}/spool}
server: {listen: "127.0.0.1:${port}", auth_token: "\${CONSOLE_TOKEN}"}
channels:
  hook:
    type: webhook
    url: http://127.0.0.1:${receiver.address().port}/hook
    signing: {secret: "\${HOOK_SECRET}"}
    retry: {initial_backoff: 50ms, max_backoff: 100ms, max_attempts: 2}
  mail:
    type: email
    host: 127.0.0.1
    port: ${await freePort()}
    from: notibus@example.org
    to: [ops@example.org]
    username: notibus
    password: "\${SMTP_PASSWORD}"
    enabled: false
routes:
  - match: {topic: "notibus.*"}
    to: [hook]
  - to: [hook]
`);
const daemon = spawn(BIN, ["--log-level", "warn", "serve", "-c", config], {
  env: { ...process.env, CONSOLE_TOKEN: TOKEN, HOOK_SECRET, SMTP_PASSWORD: PASSWORD },
  stdio: ["ignore", "inherit", "inherit"],
});
process.on("exit", () => daemon.kill());
await until("the daemon", async () => {
  try { return (await fetch(base + "/healthz", { headers: { Authorization: "Bearer " + TOKEN } })).ok; }
  catch { return false; }
});
const apiPost = (p, body) => fetch(base + p, { method: "POST", headers: {
  Authorization: "Bearer " + TOKEN, "Content-Type": "application/json" }, body: JSON.stringify(body) });

mkdirSync(SHOTS, { recursive: true });
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 800 });
  const answers = [];   // every API answer the page received
  const problems = [];  // CSP violations, script errors
  page.on("response", async (r) => {
    if (r.url().startsWith(base)) answers.push({ url: r.url(), text: await r.text().catch(() => "") });
  });
  page.on("console", (m) => { if (m.type() === "error" && !/401/.test(m.text())) problems.push(m.text()); });
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("dialog", (d) => d.accept());
  const shot = (name) => page.screenshot({ path: path.join(SHOTS, name + ".png"), fullPage: true });
  const text = (sel) => page.$eval(sel, (e) => e.textContent);

  // Log in: a wrong token is refused, the right one opens the channels.
  await page.goto(base + "/", { waitUntil: "networkidle0" });
  if (!page.url().endsWith("/ui/")) fail("/ did not lead to /ui/: " + page.url());
  await page.type("#token", "not-the-token");
  await page.click("#login-form button");
  await until("the refusal", async () => (await text("#status")).includes("refused"));
  if (!(await page.$eval("#view-login", (e) => !e.hidden))) fail("a wrong token got in");
  await shot("login-refused");
  await page.type("#token", TOKEN);
  await page.click("#login-form button");
  await page.waitForSelector("#channels-table tbody tr[data-channel='hook']");
  console.log("login: a wrong token refused, the right one accepted");

  // A channel turns failing when its receiver answers 500.
  failing = true;
  const r1 = await (await apiPost("/v1/messages", { topic: "notibus.test", title: "doomed", body: "x",
    attachments: [{ name: "<img src=x onerror=alert(1)>.png", content: "iVBORw0KGgo=" }] })).json();
  await until("hook failing", async () =>
    (await page.$eval("#channels-table tbody tr[data-channel='hook']", (e) => e.dataset.state)) === "failing");
  await shot("channels");
  console.log("channels: hook shows failing after a 500");

  // Find the message by id and see its attempts.
  await page.click("[data-view='messages']");
  await page.type("#lookup", r1.id);
  await page.click("#lookup-form button");
  await until("the message's details", async () =>
    (await page.$eval("#message-detail", (e) => e.textContent)).includes("HTTP 500"));
  const detail = await text("#message-detail");
  if (!detail.includes(r1.id) || !/failed\s*2/.test(detail)) fail("message details: " + detail);
  // Its file is listed as text: a name that looks like markup stays text.
  if (!detail.includes("<img src=x onerror=alert(1)>.png (image/png, 8 bytes)")) fail("files: " + detail);
  if (await page.$("#message-detail img")) fail("an attachment's name became markup");
  await shot("messages");
  console.log("messages: found by id, 2 attempts, the 500 shown");

  // Retry the dead letter (the receiver is fine again): delivered.
  failing = false;
  await page.click("[data-view='dead']");
  await page.waitForSelector(`#dead-table tr[data-id='${r1.id}']`);
  await shot("dead-letters");
  await page.click(`#dead-table tr[data-id='${r1.id}'] .actions button`);
  await until("the retry", async () => (await text("#status")).startsWith("Queued again"));
  const copy = (await text("#status")).split("→ ")[1].trim();
  await until("the retried copy delivered", async () => received.get(copy) === 1);
  if (await page.$(`#dead-table tr[data-id='${r1.id}']`)) fail("the retried dead letter is still listed");
  console.log("dead letters: retried, the copy " + copy + " delivered");

  // Purge one (selected, then confirmed).
  failing = true;
  const r2 = await (await apiPost("/v1/messages", { topic: "notibus.test", title: "to purge", body: "x" })).json();
  await until("the second dead letter", async () => {
    const r = await fetch(base + "/v1/dead-letters", { headers: { Authorization: "Bearer " + TOKEN } });
    return (await r.json()).dead_letters.some((d) => d.id === r2.id);
  });
  failing = false;
  await page.click("#dead-refresh");
  await page.waitForSelector(`#dead-table tr[data-id='${r2.id}'] input`);
  await page.click(`#dead-table tr[data-id='${r2.id}'] input`);
  await page.click("#dead-purge-selected");
  await until("the purge", async () => (await text("#status")).startsWith("Purged"));
  if (await page.$(`#dead-table tr[data-id='${r2.id}']`)) fail("the purged dead letter is still listed");
  console.log("dead letters: one purged");

  // Send a test message to a chosen channel.
  await page.click("[data-view='send']");
  await page.waitForSelector("#send-channel option[value='hook']");
  await page.select("#send-channel", "hook");
  await page.click("#send-form button");
  await until("the send", async () => (await text("#send-result")).startsWith("Accepted as"));
  const sent = await page.$eval("#send-result", (e) => e.dataset.id);
  await until("the test message delivered", async () => received.get(sent) === 1);
  await shot("send");
  console.log("send: accepted as " + sent + " and delivered");

  // The config, redacted.
  await page.click("[data-view='config']");
  await until("the config", async () => (await text("#config-channels")).includes("signing.secret"));
  const shown = await text("#view-config");
  if (!shown.includes("<redacted>")) fail("no redaction shown in the config view");
  await shot("config");

  // The recent messages list.
  await page.click("[data-view='messages']");
  await page.waitForSelector(`#messages-table tbody button`);
  await shot("messages-list");

  // A phone.
  await page.setViewport({ width: 390, height: 844, isMobile: true });
  await page.click("[data-view='channels']");
  await page.waitForSelector("#channels-table tbody tr[data-channel='hook']");
  await shot("phone-channels");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 2) fail("the page is wider than a phone by " + overflow + " px");

  // Every control has a name, and the keyboard reaches the tabs.
  const unnamed = await page.evaluate(() => [...document.querySelectorAll("input, select, textarea, button")]
    .filter((e) => !e.closest("[hidden]") && !(e.labels && e.labels.length) && !e.getAttribute("aria-label")
                   && !e.textContent.trim()).map((e) => e.outerHTML));
  if (unnamed.length) fail("controls without a name: " + unnamed.join(" "));
  await page.focus("[data-view='channels']");
  await page.keyboard.press("Tab");
  const focused = await page.evaluate(() => document.activeElement.dataset.view);
  if (focused !== "messages") fail("Tab from Channels went to " + focused);

  // No secret in anything the page received or shows.
  const pageText = await page.evaluate(() => document.documentElement.outerHTML);
  for (const s of SECRETS) {
    for (const a of answers) if (a.text.includes(s)) fail(`a secret in the answer to ${a.url}`);
    if (pageText.includes(s)) fail("a secret in the page");
  }
  console.log(`secrets: none in ${answers.length} answers the page received, nor in the page`);

  // The files: CSP on each, and their size.
  let bytes = 0;
  for (const f of ["/ui/", "/ui/console.js", "/ui/console.css"]) {
    const r = await fetch(base + f);
    const csp = r.headers.get("content-security-policy") || "";
    if (!csp.includes("script-src 'self'") || csp.includes("unsafe-inline")) fail("CSP of " + f + ": " + csp);
    bytes += (await r.arrayBuffer()).byteLength;
  }
  if (bytes > 150 * 1024) fail(`the console's files are ${bytes} bytes (over 150 KB)`);
  console.log(`files: ${bytes} bytes, each with a strict Content-Security-Policy`);
  if (problems.length) fail("errors in the page: " + problems.join(" | "));
  console.log("console test passed; screenshots in " + SHOTS);
} finally {
  await browser.close();
  daemon.kill();
  receiver.close();
}
process.exit(0);
