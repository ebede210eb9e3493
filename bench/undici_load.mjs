// Baseline for webhook_load.sh and attachment_load.sh: N POSTs of the same
// notification with undici's request(), at most C in flight over a pool of C
// keep-alive connections. With FILE, each is multipart/form-data built with
// undici's FormData: the notification as part "payload" and FILE (read once,
// shared by every request's Blob) as part "attachments".
//   node undici_load.mjs URL N C [FILE]
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Pool, FormData } from 'undici';

const [url, n, c, file] = [new URL(process.argv[2]), Number(process.argv[3]), Number(process.argv[4]),
  process.argv[5]];
const pool = new Pool(url.origin, { connections: c, pipelining: 1 });
const body = JSON.stringify({
  id: '01M8EA4RR6A6NG000000000000', topic: 'load.test', title: 'Load test',
  body: 'A body of a typical notification, about eighty bytes long, give or take some.',
  priority: 'normal', tags: [], attributes: {}, created_at: new Date().toISOString(),
});
const bytes = file && new Blob([readFileSync(file)], { type: 'application/octet-stream' });
function request() {
  if (!file) return { body, headers: { 'content-type': 'application/json' } };
  const form = new FormData();
  form.append('payload', new Blob([body], { type: 'application/json' }));
  form.append('attachments', bytes, basename(file));
  return { body: form };
}
let next = 0, failed = 0;
async function worker() {
  while (next < n) {
    next++;
    const res = await pool.request({ path: url.pathname, method: 'POST', ...request() });
    await res.body.dump();
    if (res.statusCode < 200 || res.statusCode >= 300) failed++;
  }
}
const start = process.hrtime.bigint();
await Promise.all(Array.from({ length: c }, worker));
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
await pool.close();
const rss = process.resourceUsage().maxRSS / 1024;
console.log(`undici: ${n} messages in ${seconds.toFixed(3)} s = ${Math.round(n / seconds)} msg/s, ` +
            `${failed} failed, peak RSS ${rss.toFixed(1)} MB`);
