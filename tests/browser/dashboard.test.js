// The dashboard in headless Chromium (the system's, through playwright-core), at a
// projector's 1280x800.
// usage: node dashboard.test.js FAULTLINE SCENARIOS_DIR WORK_DIR [SCENARIO:FIX ...]
// Starts `faultline serve --port 0` with its outputs under WORK_DIR, then drives each
// incident (default: split-brain-redis-sentinel:quorum cache-stampede:lease
// connection-storm:admission) through Run (from the keyboard) and Compare (2 seeds) and
// checks, in the page:
//   projector mode (the form folds, the charts come into view), the story's summary;
//   the live lesson chart next to goodput, drawn from the stream, with the lesson's
//   labels, and, once the runs end, the events the lesson catalogue marks (numbered
//   markers, ticks, the trigger shaded);
//   one colour per variant (live charts, run table, verdict, the server's compare charts);
//   compare progress from the server's status events, the verdict sentences above the
//   table, the compare charts the server lists;
//   that every text the page writes, its live charts' included, renders at >= 18 px;
//   that stale outputs go when the scenario changes.
// Saves WORK_DIR/shots/<scenario>-{run,compare,lesson}.png and prints their paths;
// SCREENSHOT_COPY=DIR copies them there.
"use strict";
const { chromium } = require("playwright-core");
const { spawn } = require("child_process");
const fs = require("fs");
const path = require("path");

const [faultline, scenarios, work, ...pairs] = process.argv.slice(2);
if (!work) {
  console.error("usage: node dashboard.test.js FAULTLINE SCENARIOS_DIR WORK_DIR [SCENARIO:FIX ...]");
  process.exit(2);
}
const incidents = (pairs.length ? pairs : ["split-brain-redis-sentinel:quorum", "cache-stampede:lease",
                                           "connection-storm:admission"]).map((p) => p.split(":"));
/* What each incident's lesson must show, from the lesson catalogue (sim/out/lessons.c):
 * the labels on the live chart and the events marked once the runs end. */
const EXPECT = {
  "split-brain-redis-sentinel": { labels: ["n1", "n2", "n3", "n4", "n5"], roles: true,
                                  marks: [/promoted/, /heals/], shade: /partition/ },
  "cache-stampede": { labels: ["backend queries/s", "cache misses/s"], ticks: /expires/ },
  "connection-storm": { labels: ["connected users", "disconnects/s"], marks: [/disconnect wave/],
                        shade: /^trigger/ },
};
const MIN_PX = 18;

let failures = 0;
function check(ok, what) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures++;
}

function startServer() {
  fs.mkdirSync(work, { recursive: true });
  const out = path.join(work, "serve-out");
  fs.rmSync(out, { recursive: true, force: true });
  // --realtime 150: a 300 s incident streams in 2 s, enough to see the charts fill in
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
    ps.filter((p) => (p.getAttribute("d") || "").split(/[MLH]/).length > 3).length);
}

/* The smallest rendered text size (px) of every visible text the page itself writes: HTML
 * text and the live charts' SVG text (font size times the SVG's scale on screen); the
 * charts the server drew (figure.server) are measured apart. */
function smallestText(page, within, server) {
  return page.evaluate(([within, server]) => {
    let min = Infinity, where = "";
    const root = document.querySelector(within);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const e = n.parentElement;
      if (!n.textContent.trim() || !e || e.closest("title, script, style, option")) continue;
      if (!server && e.closest("figure.server")) continue;
      if (server && !e.closest("figure.server")) continue;
      const r = e.getClientRects();
      if (!r.length || !r[0].width) continue; /* not rendered (hidden, folded) */
      let px = parseFloat(getComputedStyle(e).fontSize);
      if (e instanceof SVGElement) {
        const m = e.getScreenCTM();
        px *= m ? Math.hypot(m.a, m.b) : 1;
      }
      if (px < min) { min = px; where = `${e.tagName} "${n.textContent.trim().slice(0, 40)}"`; }
    }
    return { min, where };
  }, [within, !!server]);
}

async function colours(page, sel) {
  return page.$$eval(sel, (ps) => ps.map((p) => [p.dataset.variant, p.getAttribute("stroke")]));
}

(async () => {
  const t0 = Date.now();
  const shots = path.join(work, "shots");
  fs.mkdirSync(shots, { recursive: true });
  const { srv, url } = await startServer();
  const exited = new Promise((r) => srv.on("exit", (code, sig) => r({ code, sig })));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const saved = [];
  try {
    // bypassCSP: older playwright-core evaluates its wait predicates with eval, which the
    // page's Content-Security-Policy (rightly) forbids; the page itself is unchanged.
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
    const external = [];
    page.on("request", (r) => { if (!r.url().startsWith(url)) external.push(r.url()); });
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));

    await page.goto(url);
    await page.waitForSelector("body[data-ready='1']", { timeout: 10000 });
    check((await page.$eval("#run", (b) => b.getBoundingClientRect().bottom)) <= 800, "Run is on screen at 1280x800");

    for (const [scenario, fix] of incidents) {
      const want = EXPECT[scenario] || { labels: [] };
      console.log(`# ${scenario} with ${fix}`);
      if (await page.$("main.folded")) await page.click("#setup-more > summary"); /* unfold */
      await page.selectOption("#scenario", scenario);
      check(await page.$eval("#live-box", (b) => b.hidden) && !(await page.$("#final figure")) &&
            await page.$eval("#summary-box", (b) => b.hidden) && await page.$eval("#verdict", (b) => b.hidden),
            "the previous scenario's charts and tables are gone");
      check((await page.textContent("#scn-title")).startsWith(scenario), `scenario ${scenario} shown`);
      const story = await page.textContent("#scn-story");
      const sentences = (story.match(/[.!?](\s|$)/g) || []).length;
      check(story.length > 50 && sentences >= 2 && sentences <= 3, `the story in view: ${sentences} sentences`);
      check(!(await page.$eval("#scn-more-box", (d) => d.open)), "the rest of the story is folded");
      for (const box of await page.$$("input[name=variant]")) {
        const on = (await box.getAttribute("value")) === fix;
        if ((await box.isChecked()) !== on) await box.click();
      }
      check(await page.isChecked(`#v-${fix}`), `fix ${fix} turned on, alone`);

      // Run from the keyboard: Enter in the seed field submits the form.
      await page.focus("#seed");
      await page.keyboard.press("Enter");
      await page.waitForFunction(() => document.querySelector("#scenario").disabled, null, { timeout: 10000 });
      check(true, "the scenario selector is disabled while the runs go");
      const folded = await page.waitForFunction(() => document.querySelector("main.folded") && !document.querySelector("#setup-more").open,
                                                null, { timeout: 10000 }).then(() => true, () => false);
      check(folded, "projector mode: the form folded after Run");
      const top = await page.$eval("#live-box", (b) => b.getBoundingClientRect().top);
      check(top >= -5 && top < 300, `projector mode: the charts scrolled into view (top at ${top.toFixed(0)} px)`);
      await page.waitForFunction(() => document.querySelectorAll("#live-lesson svg path.data").length >= 1,
                                 null, { timeout: 30000 });
      check(true, "a live lesson chart is drawn while the runs go");
      check(await page.$eval("#live-charts", (c) => {
        const g = c.querySelector("#live-goodput").getBoundingClientRect(), l = c.querySelector("#live-lesson").getBoundingClientRect();
        return Math.abs(g.top - l.top) < 2 && l.left > g.left;
      }), "the lesson chart sits next to goodput");
      await page.waitForFunction(() => !document.querySelector("#run").disabled, null, { timeout: 60000 });
      check(!(await page.$eval("#scenario", (s) => s.disabled)), "the scenario selector is enabled again");
      check(!(await page.textContent("#error")), "no error shown: " + (await page.textContent("#error")));

      // The live lesson chart: its labels, its lines per variant, its events.
      const texts = await page.$$eval("#live-lesson svg text", (t) => t.map((x) => x.textContent));
      for (const l of want.labels) check(texts.includes(l), `lesson chart labels "${l}"`);
      const lines = await colours(page, "#live-lesson svg path.data");
      check(new Set(lines.map((x) => x[0])).size === 2, `lesson chart: lines of both runs (${lines.length} paths)`);
      if (want.roles) check((await page.$$("#live-lesson svg path.role")).length >= 2, "role bars drawn");
      const marks = await page.$$eval("#live-lesson svg g.marker", (g) => g.map((x) => ({ label: x.dataset.label, tick: x.classList.contains("tick"), num: (x.querySelector("text") || {}).textContent })));
      for (const re of want.marks || [])
        check(marks.some((m) => !m.tick && re.test(m.label)), `event marker ${re} drawn (${marks.length} markers)`);
      if (want.marks) check(marks.some((m) => m.num === "1") && (await page.$$("#live-lesson ol.marks li")).length >= 1,
                            "markers numbered, the numbers said under the chart");
      if (want.ticks) check(marks.filter((m) => m.tick && want.ticks.test(m.label)).length >= 2, `ticks for ${want.ticks}`);
      if (want.shade) check((await page.$$eval("#live-lesson svg rect.fault", (r) => r.map((x) => x.dataset.label))).some((l) => want.shade.test(l)),
                            `span ${want.shade} shaded`);

      // One colour per variant: legend, live charts, run table.
      const legend = await page.$$eval("#live-legend > span", (s) => s.map((x) => [x.textContent, x.querySelector(".swatch").style.background]));
      /* a colour as the browser computes it (rgb(...)), to compare "#d55e00" with a style */
      const norm = (c) => page.evaluate((c) => { const d = document.createElement("div"); d.style.color = c; document.body.append(d); const r = getComputedStyle(d).color; d.remove(); return r; }, c);
      const col = {};
      for (const [v, c] of legend) col[v] = await norm(c);
      let same = Object.keys(col).length === 2;
      for (const [v, c] of [...lines, ...(await colours(page, "#live-goodput path.data")), ...(await colours(page, "#live-latency path.data"))])
        same = same && col[v] === await norm(c);
      const rows = await page.$$eval("#summary tr td:first-child", (t) => t.map((x) => [x.textContent, x.querySelector(".swatch").style.background]));
      for (const [v, c] of rows) same = same && col[v] === await norm(c);
      check(same && rows.length === 2, "one colour per variant: legend, live charts, run table");
      check((await page.$$("#final figure svg")).length >= 1, "the server's finished lesson chart per run");

      let px = await smallestText(page, "body");
      check(px.min >= MIN_PX, `smallest text the page writes after the run: ${px.min.toFixed(1)} px (${px.where})`);
      const srvPx = await smallestText(page, "#final", true);
      console.log(`note: the server-drawn charts' smallest text: ${isFinite(srvPx.min) ? srvPx.min.toFixed(1) : "-"} px (${srvPx.where})`);
      await page.evaluate(() => document.querySelector("#out-h").scrollIntoView());
      const runShot = path.join(shots, `${scenario}-run.png`);
      await page.screenshot({ path: runShot });
      const lessonShot = path.join(shots, `${scenario}-lesson.png`);
      await (await page.$("#live-lesson")).screenshot({ path: lessonShot });
      saved.push(runShot, lessonShot);

      // Compare the baseline and the fix over 2 seeds.
      await page.click("#setup-more > summary");
      await page.fill("#seeds", "2");
      await page.click("#compare");
      await page.waitForFunction(() => !document.querySelector("#run").disabled && document.querySelector("#status").textContent === "comparison done" || document.querySelector("#error").textContent,
                                 null, { timeout: 120000 });
      check(!(await page.textContent("#error")), "compare: no error " + (await page.textContent("#error")));
      const bar = await page.$eval("#progress", (b) => ({ events: Number(b.dataset.events || 0), value: b.value, max: b.max }));
      check(bar.events >= 1 && bar.value === bar.max && bar.max === 4, `compare progress from status events: ${bar.events} event(s), ${bar.value} of ${bar.max} runs`);
      check(await page.$eval("#verdict", (v) => {
        const line = v.querySelector(".verdict-line"), t = v.querySelector("table");
        return !!line && !!t && (line.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
      }), "the verdict sentences come above the table");
      const verdict = await page.textContent("#verdict");
      check(verdict.includes(`${fix}: `) && verdict.includes(" -> ") && !/\bnan\b|better on \d+ of/i.test(verdict),
            `verdict sentence: ${(await page.textContent("#verdict .verdict-line")).trim().slice(0, 100)}`);
      const vsw = await page.$$eval("#verdict .swatch", (s) => s.map((x) => x.style.background));
      check((await Promise.all(vsw.map(norm))).every((c) => Object.values(col).includes(c)), "verdict swatches in the variants' colours");
      const listed = await page.$$eval("#final figure", (f) => f.map((x) => x.dataset.url));
      const st = await page.evaluate(async () => {
        const id = [...document.querySelectorAll("#verdict a")].map((a) => a.getAttribute("href")).find((h) => /compares/.test(h)).split("/")[3];
        return (await (await fetch("/api/compares/" + id)).json()).files.charts;
      });
      check(listed.length === st.length && listed.every((u) => st.includes(u)), `compare: every chart the server lists is shown (${st.map((u) => u.split("/").pop()).join(", ")})`);
      if (st.some((u) => /lesson\.svg$/.test(u))) check(/lesson\.svg$/.test(listed[0]), "compare: the lesson chart first");
      check((await dataPaths(page, "#final")) >= 2, "comparison charts hold data paths");
      // the server's compare charts colour variants in the compare's order: the page's colours
      const strokes = await page.$$eval("#final figure svg path", (p) => p.map((x) => x.getAttribute("stroke")).filter(Boolean));
      const mine = await Promise.all(strokes.map(norm));
      check(Object.values(col).every((c) => mine.includes(c)), "compare charts draw each variant in its page colour");
      check(!(await page.$eval("#live-box", (b) => b.hidden)), "the run's live charts stay (same scenario and variants)");
      px = await smallestText(page, "body");
      check(px.min >= MIN_PX, `smallest text the page writes after the compare: ${px.min.toFixed(1)} px (${px.where})`);
      await page.evaluate(() => document.querySelector("#verdict").scrollIntoView());
      check(!(await page.$eval("#verdict-more", (d) => d.open)) && (await page.$$("#verdict-table tr")).length > 2,
            "the verdict table is there, folded under the sentences");
      const cmpShot = path.join(shots, `${scenario}-compare.png`);
      await page.screenshot({ path: cmpShot });
      saved.push(cmpShot);
    }
    check(errors.length === 0, "no script error" + (errors.length ? ": " + errors.join("; ") : ""));
    check(external.length === 0, "no request leaves the server" + (external.length ? ": " + external.join(" ") : ""));
  } catch (e) {
    check(false, "the page flow: " + (e && e.message ? e.message : e));
  } finally {
    await browser.close();
    srv.kill("SIGTERM");
    const { code } = await exited;
    check(code === 0, `the server stopped cleanly on SIGTERM (exit ${code})`);
  }
  for (const s of saved) console.log(`screenshot: ${s}`);
  if (process.env.SCREENSHOT_COPY) {
    fs.mkdirSync(process.env.SCREENSHOT_COPY, { recursive: true });
    for (const s of saved) fs.copyFileSync(s, path.join(process.env.SCREENSHOT_COPY, path.basename(s)));
  }
  console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(failures ? `${failures} check(s) failed` : "all checks passed");
  process.exit(failures ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(1); });
