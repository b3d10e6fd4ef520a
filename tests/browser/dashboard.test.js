// The dashboard in headless Chromium (the system's, through playwright-core).
// usage: node dashboard.test.js FAULTLINE SCENARIOS_DIR WORK_DIR [SCENARIO [FIX]]
// Starts `faultline serve --port 0` with its outputs under WORK_DIR, then, in the page:
// picks SCENARIO (default cache-stampede), turns FIX on (default lease), runs with the
// keyboard (Enter) and watches the live charts fill in, then compares baseline and FIX and
// checks the verdict text and that every SVG chart holds data paths. Saves
// WORK_DIR/dashboard.png (and copies it to $SCREENSHOT_COPY when set).
"use strict";
const { chromium } = require("playwright-core");
const { spawn } = require("child_process");
const fs = require("fs");
const path = require("path");

const [faultline, scenarios, work, scenario = "cache-stampede", fix = "lease"] =
  process.argv.slice(2);
if (!work) {
  console.error("usage: node dashboard.test.js FAULTLINE SCENARIOS_DIR WORK_DIR [SCENARIO [FIX]]");
  process.exit(2);
}

let failures = 0;
function check(ok, what) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures++;
}

function startServer() {
  fs.mkdirSync(work, { recursive: true });
  const out = path.join(work, "serve-out");
  const srv = spawn(faultline, ["serve", "--port", "0", "--scenarios", scenarios, "--out", out,
                                "--realtime", "150"], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error("the server did not start: " + text)), 10000);
    srv.stdout.on("data", (d) => {
      text += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(text);
      if (m) { clearTimeout(timer); resolve({ srv, url: m[1] }); }
    });
    srv.on("exit", (code) => reject(new Error(`the server exited (${code}): ${text}`)));
  });
}

async function dataPaths(page, selector) {
  return page.$$eval(`${selector} svg path`, (ps) =>
    ps.filter((p) => (p.getAttribute("d") || "").split(/[ML]/).length > 10).length);
}

(async () => {
  const { srv, url } = await startServer();
  const exited = new Promise((r) => srv.on("exit", (code, sig) => r({ code, sig })));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  try {
    // bypassCSP: older playwright-core evaluates its wait predicates with eval, which the
    // page's Content-Security-Policy (rightly) forbids; the page itself is unchanged.
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, bypassCSP: true });
    const external = [];
    page.on("request", (r) => { if (!r.url().startsWith(url)) external.push(r.url()); });
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));

    await page.goto(url);
    await page.waitForSelector("body[data-ready='1']", { timeout: 10000 });
    await page.selectOption("#scenario", scenario);
    check((await page.textContent("#scn-title")).startsWith(scenario), `scenario ${scenario} shown`);
    check((await page.textContent("#scn-story")).length > 50, "its story is shown");
    const shown = (await page.textContent("#scn-story")).match(/[.!?](\s|$)/g) || [];
    check(shown.length <= 3, `the story in view is at most 3 sentences (${shown.length})`);
    // the fix alone: every other fix off
    for (const box of await page.$$("input[name=variant]")) {
      const want = (await box.getAttribute("value")) === fix;
      if ((await box.isChecked()) !== want) await box.click();
    }
    check(await page.isChecked(`#v-${fix}`), `fix ${fix} turned on`);
    check(await page.$$eval("#param-list input", (l) => l.every((i) => i.labels.length === 1)),
          "every parameter input has a label");

    // Run from the keyboard: Enter in the seed field submits the form.
    await page.focus("#seed");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelector("#scenario").disabled, null, { timeout: 10000 });
    check(true, "the scenario selector is disabled while the runs go");
    await page.waitForFunction(() => document.querySelectorAll("#live-goodput path.data").length === 2,
                               null, { timeout: 30000 });
    check(true, "live charts: one line per run (baseline and the fix)");
    await page.waitForSelector("#final figure svg", { timeout: 60000 });
    await page.waitForFunction(() => !document.querySelector("#run").disabled, null, { timeout: 60000 });
    check(!(await page.$eval("#scenario", (s) => s.disabled)), "the scenario selector is enabled again");
    check((await dataPaths(page, "#live-goodput")) === 2, "live goodput chart has data for both runs");
    check((await page.$$("#final figure svg")).length === 6, "finished run charts: 3 per run (lesson, goodput, latency)");
    check((await dataPaths(page, "#final")) >= 4, "finished run charts hold data paths");
    check((await page.$$("#summary tr")).length === 3, "summary table: one row per run");

    // Compare baseline and the fix over 3 seeds.
    await page.fill("#seeds", "3");
    await page.click("#compare");
    await page.waitForSelector("#verdict:not([hidden]) .verdict-line", { timeout: 120000 });
    await page.waitForFunction(() => document.querySelectorAll("#final figure svg").length === 2,
                               null, { timeout: 60000 });
    const verdict = await page.textContent("#verdict");
    check(verdict.includes(`${fix}: `) && verdict.includes(" -> ") && !/\bnan\b|better on \d+ of/i.test(verdict),
      `lesson line for ${fix}: ${
      (await page.textContent("#verdict .verdict-line")).trim()}`);
    check(/better/.test(await page.textContent("#verdict-table")), "verdict table has a 'better'");
    check((await dataPaths(page, "#final")) >= 2, "comparison charts hold data paths");
    check(!(await page.textContent("#error")), "no error shown");
    check(errors.length === 0, "no script error" + (errors.length ? ": " + errors.join("; ") : ""));
    check(external.length === 0, "no request leaves the server" + (external.length ? ": " + external.join(" ") : ""));

    await page.evaluate(() => window.scrollTo(0, 0));
    const shot = path.join(work, "dashboard.png");
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
    if (process.env.SCREENSHOT_COPY) fs.copyFileSync(shot, process.env.SCREENSHOT_COPY);
  } catch (e) {
    check(false, "the page flow: " + (e && e.message ? e.message : e));
  } finally {
    await browser.close();
    srv.kill("SIGTERM");
    const { code } = await exited;
    check(code === 0, `the server stopped cleanly on SIGTERM (exit ${code})`);
  }
  console.log(failures ? `${failures} check(s) failed` : "all checks passed");
  process.exit(failures ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(1); });
