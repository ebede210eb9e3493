// Baseline for email_load.sh: N messages through nodemailer's pooled SMTP
// transport (5 connections), at most 50 sends in flight.
//   node nodemailer_load.mjs PORT N
import nodemailer from 'nodemailer';

const [port, n] = [Number(process.argv[2]), Number(process.argv[3])];
const transport = nodemailer.createTransport({
  host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: 5,
  maxMessages: Infinity,
});
const message = {
  from: 'Alerts <alerts@example.com>', to: 'oncall@example.com', subject: '[normal] Load test',
  text: 'A body of a typical notification, about eighty bytes long, give or take some.',
};
let next = 0, failed = 0;
async function worker() {
  while (next < n) {
    next++;
    try {
      await transport.sendMail(message);
    } catch (e) {
      failed++;
    }
  }
}
const start = process.hrtime.bigint();
await Promise.all(Array.from({ length: 50 }, worker));
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
transport.close();
const rss = process.resourceUsage().maxRSS / 1024;
console.log(`nodemailer: ${n} messages in ${seconds.toFixed(3)} s = ${Math.round(n / seconds)} msg/s, ` +
            `${failed} failed, peak RSS ${rss.toFixed(1)} MB`);
