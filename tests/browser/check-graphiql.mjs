// Loads GraphiQL from a running zhaoshang in Debian's Chromium with every request that
// is not to this machine blocked (an intranet with no internet), types a query, runs it,
// and reads the answer from the result pane. Fails on any outside request, page error or
// console error, or a missing answer.
// Usage: node check-graphiql.mjs BASE_URL SCREENSHOT_FILE
import { chromium } from "playwright-core";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";

const [base, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const failures = [];
const blocked = [];
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
// The network is off: only this machine answers.
await context.route("**/*", (route) => {
  const url = new URL(route.request().url());
  if (["127.0.0.1", "localhost", "[::1]"].includes(url.hostname) || url.protocol === "data:") {
    return route.continue();
  }
  blocked.push(url.href);
  return route.abort("internetdisconnected");
});
const page = await context.newPage();
page.on("console", (m) => { if (m.type() === "error") failures.push(`console error: ${m.text()}`); });
page.on("pageerror", (e) => failures.push(`page error: ${e.message}`));
const local = [];
page.on("requestfinished", (r) => local.push(new URL(r.url()).pathname));

const response = await page.goto(`${base}/graphiql`, { waitUntil: "load" });
if (!response || response.status() !== 200) failures.push(`/graphiql: HTTP ${response && response.status()}`);
await page.waitForSelector(".graphiql-query-editor .CodeMirror", { timeout: 20000 });
const query = "{ units { code name } }";
await page.evaluate((q) => document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.setValue(q), query);
await page.click(".graphiql-execute-button");
const answer = await page
  .waitForFunction(() => {
    const pane = document.querySelector(".graphiql-response .CodeMirror");
    const text = pane && pane.CodeMirror.getValue();
    return text && text.includes('"units"') ? text : null;
  }, null, { timeout: 20000 })
  .then((handle) => handle.jsonValue())
  .catch((e) => { failures.push(`no answer in the result pane: ${e.message}`); return ""; });
if (answer) {
  const units = JSON.parse(answer).data.units;
  if (!Array.isArray(units) || units.length === 0) failures.push(`no units in the answer: ${answer}`);
  console.log(`GraphiQL answered ${units.length} units, e.g. ${units[0].code} ${units[0].name}`);
}
for (const asset of ["/graphiql/assets/graphiql.min.js", "/graphiql/assets/graphiql.min.css", "/graphiql/assets/react.production.min.js", "/graphiql/assets/react-dom.production.min.js", "/graphql"]) {
  if (!local.includes(asset)) failures.push(`${asset} was not loaded from the server`);
}
for (const url of blocked) failures.push(`outside request (blocked): ${url}`);
await mkdir(dirname(shot), { recursive: true });
await page.screenshot({ path: shot });
await browser.close();
if (failures.length) {
  console.error(failures.join("\n"));
  process.exit(1);
}
console.log("GraphiQL works with the network off");
