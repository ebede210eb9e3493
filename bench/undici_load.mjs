// Baseline for webhook_load.sh: N POSTs of the same JSON body with undici's
// request(), at most C in flight over a pool of C keep-alive connections.
//   node undici_load.mjs URL N C
import { Pool } from 'undici';

const [url, n, c] = [new URL(process.argv[2]), Number(process.argv[3]), Number(process.argv[4])];
const pool = new Pool(url.origin, { connections: c, pipelining: 1 });
const body = JSON.stringify({
  id: '01M8EA4RR6A6NG000000000000', topic: 'load.test', title: 'Load test',
  body: 'A body of a typical notification, about eighty bytes long, give or take some.',
  priority: 'normal', tags: [], attributes: {}, created_at: new Date().toISOString(),
});
let next = 0, failed = 0;
async function worker() {
  while (next < n) {
    next++;
    const res = await pool.request({
      path: url.pathname, method: 'POST', body, headers: { 'content-type': 'application/json' },
    });
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
