// Loads a built site in Debian's Chromium over a local HTTP server: no console errors,
// the opportunities filter narrows the list, no serious or critical axe violations,
// and screenshots at phone and desktop widths.
// Usage: node check-site.mjs SITE_DIR SCREENSHOT_DIR
import { chromium } from "playwright-core";
import { createServer } from "node:http";
import { readFile, mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { extname, join, normalize } from "node:path";

const [siteDir, shotsDir] = process.argv.slice(2);
const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const types = { ".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript", ".json": "application/json", ".csv": "text/csv", ".xml": "application/xml", ".txt": "text/plain" };

const server = createServer(async (req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
  try {
    const body = await readFile(join(siteDir, path.endsWith("/") ? path + "index.html" : path));
    res.writeHead(200, { "content-type": types[extname(path)] || "application/octet-stream" });
    res.end(body);
  } catch {
    res.writeHead(404, { "content-type": types[".html"] });
    res.end(await readFile(join(siteDir, "404.html")));
  }
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const base = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const failures = [];
await mkdir(shotsDir, { recursive: true });

async function open(path, viewport) {
  const page = await browser.newPage({ viewport });
  page.on("console", (m) => { if (m.type() === "error") failures.push(`${path}: console error: ${m.text()}`); });
  page.on("pageerror", (e) => failures.push(`${path}: page error: ${e.message}`));
  const response = await page.goto(base + path, { waitUntil: "load" });
  if (!response || response.status() !== 200) failures.push(`${path}: HTTP ${response && response.status()}`);
  return page;
}

// A chain page: the first one the chain index links to.
const chainIndex = await readFile(join(siteDir, "chains/index.html"), "utf8");
const chainPage = (chainIndex.match(/href="[^"]*(chains\/[0-9a-f]+\/index\.html)"/) || [])[1];
if (!chainPage) failures.push("chains/index.html links no chain page");
const audited = ["index.html", "opportunities/index.html", "results/index.html", "en/index.html", "en/opportunities/index.html", "environment/index.html",
  "chains/index.html", "carriers/index.html", "en/chains/index.html", "en/carriers/index.html"].concat(chainPage ? [chainPage, "en/" + chainPage] : []);
for (const path of audited) {
  const page = await open(path, { width: 1280, height: 900 });
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
  for (const v of result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")) {
    failures.push(`${path}: axe ${v.impact} ${v.id}: ${v.help} (${v.nodes.length} nodes, e.g. ${v.nodes[0].target})`);
  }
  console.log(`${path}: ${result.violations.length} axe violations, none serious or critical unless listed`);
  await page.close();
}

const page = await open("opportunities/index.html", { width: 1280, height: 900 });
const visible = () => page.$$eval("#projects > li", (lis) => lis.filter((li) => !li.hidden).length);
const before = await visible();
const industry = await page.$eval("select[name=industry] option:nth-child(2)", (o) => o.value);
await page.selectOption("select[name=industry]", industry);
const after = await visible();
const shown = Number(await page.textContent("#shown"));
if (!(after > 0 && after < before && shown === after)) failures.push(`filter by industry ${industry}: ${before} → ${after} (counter ${shown})`);
else console.log(`filter narrowed ${before} → ${after} (${industry})`);
await page.selectOption("select[name=industry]", "");
await page.fill("input[name=q]", "zzzz-no-such-project");
if ((await visible()) !== 0 || (await page.isHidden("#none"))) failures.push("a search for nothing did not say so");
await page.close();

// The carriers page filters by kind the same way.
const carriers = await open("carriers/index.html", { width: 1280, height: 900 });
const visibleCarriers = () => carriers.$$eval("#carriers > li", (lis) => lis.filter((li) => !li.hidden).length);
const allCarriers = await visibleCarriers();
const kinds = await carriers.$$eval("select[name=kind] option", (os) => os.map((o) => o.value).filter((v) => v));
let narrowed = false;
for (const kind of kinds) {
  await carriers.selectOption("select[name=kind]", kind);
  const n = await visibleCarriers();
  if (n < 1 || n > allCarriers || Number(await carriers.textContent("#shown")) !== n) failures.push(`carriers filter by ${kind}: ${allCarriers} → ${n}`);
  if (n < allCarriers) narrowed = true;
}
if (kinds.length > 1 && !narrowed) failures.push("the carriers filter never narrowed the list");
else console.log(`carriers filter: ${kinds.length} kinds over ${allCarriers} carriers`);
await carriers.close();

for (const [name, viewport] of [["phone", { width: 390, height: 844 }], ["desktop", { width: 1280, height: 900 }]]) {
  for (const path of ["index.html", "opportunities/index.html"]) {
    const p = await open(path, viewport);
    await p.screenshot({ path: join(shotsDir, `${name}-${path.replace(/\//g, "-")}.png`), fullPage: true });
    await p.close();
  }
}
await browser.close();
server.close();
if (failures.length) {
  console.log(failures.join("\n"));
  process.exit(1);
}
console.log("browser check passed");
