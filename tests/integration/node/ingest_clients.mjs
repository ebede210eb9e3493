// The real npm clients of ntfy, Gotify and Slack's incoming webhooks, used
// as their users use them, against `notibus serve` (tests/integration/ingest_test.py).
// Usage: node ingest_clients.mjs ntfy|gotify|slack SERVER_URL TOKEN
// Prints what the client returned as JSON; exits 1 with the error otherwise.
import { createRequire } from 'node:module';
import { NtfyClient } from 'ntfy';

const require = createRequire(import.meta.url);
const [client, server, token] = process.argv.slice(2);

async function ntfy() {
  const c = new NtfyClient({ server });
  return c.publish({
    topic: 'disk-alerts',
    message: 'Disk **92%** full on `db1`',
    title: 'Disk almost full',
    tags: ['warning', 'db'],
    priority: 4,
    markdown: true,
    clickURL: 'https://example.org/disk',
    authorization: token,
  });
}

async function gotify() {
  const { gotify: send } = require('gotify');
  return send({
    server,
    app: token,
    title: 'Backup done',
    message: 'Backup of **db1** finished',
    priority: 8,
    extras: { 'client::display': { contentType: 'text/markdown' } },
  });
}

async function slack() {
  const { IncomingWebhook } = require('@slack/webhook');
  const hook = new IncomingWebhook(`${server}/hooks/slack/${token}`);
  return hook.send({
    text: 'fallback',
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: 'Deploy finished' } },
      { type: 'section', text: { type: 'mrkdwn', text: '*api* v2.3 is live: <https://example.org/r|release notes>' } },
    ],
  });
}

try {
  const run = { ntfy, gotify, slack }[client];
  console.log(JSON.stringify(await run()));
} catch (e) {
  console.error(String(e && e.stack || e));
  process.exit(1);
}
