// Keeps the console open in Debian's chromium (headless): logs in with the
// token and stays on the Channels view, which polls every 2 seconds, until
// killed. For bench/console_load.sh.
//   node console_open.mjs BASE_URL TOKEN
import puppeteer from "puppeteer-core";

const [base, token] = process.argv.slice(2);
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const page = await browser.newPage();
await page.goto(base + "/ui/", { waitUntil: "networkidle0" });
await page.type("#token", token);
await page.click("#login-form button");
await page.waitForSelector("#channels-table tbody tr");
let polls = 0;
page.on("response", (r) => { if (r.url().endsWith("/v1/channels")) polls++; });
console.log("open");
process.on("SIGTERM", async () => { console.log("polls " + polls); await browser.close(); process.exit(0); });
