// The voter's device cost: encrypt and prove one 5-candidate ballot with the served bundle
// (web/ee1.js), in headless Chromium and in Node; medians of many ballots after a warm-up.
// Run by `scripts/bench.sh verifiable`, never by the tests.
import { readdirSync, readFileSync } from "node:fs";
import { launch } from "../tests/browser.mjs";
import * as ee1 from "../ee1.js";

const ballots = Number(process.argv[2] ?? 50);
const candidates = 5;
const bundle = readFileSync(new URL("../ee1.js", import.meta.url), "utf8");
const { election } = JSON.parse(readFileSync(new URL("../../shared/crypto/tests/vectors.json", import.meta.url)));

/** Milliseconds of each encryption (the vectors' real joint key, `candidates` slots). */
async function timings(ee1, election, candidates, ballots) {
  const ctx = { ...ee1.context(election), candidates };
  const times = [];
  for (let i = 0; i < ballots + 5; i++) {
    const start = performance.now();
    ee1.encrypt(ctx, i % candidates);
    if (i >= 5) times.push(performance.now() - start);
  }
  return times;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const report = (where, times) =>
  console.log(`encrypt + prove, ${candidates} candidates, ${where}: median ${median(times).toFixed(1)} ms, ` +
    `max ${Math.max(...times).toFixed(1)} ms (${times.length} ballots)`);

const browser = await launch();
try {
  const page = await browser.newPage();
  // The bundle as a module from a blob: no server, no network.
  const times = await page.evaluate(async ([source, election, candidates, ballots, measure]) => {
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    const ee1 = await import(url);
    return (0, eval)(`(${measure})`)(ee1, election, candidates, ballots);
  }, [bundle, election, candidates, ballots, timings.toString()]);
  report("headless Chromium", await times);
} finally {
  await browser.close();
}
report("Node", await timings(ee1, election, candidates, ballots));
const web = new URL("../", import.meta.url);
const served = readdirSync(web).filter((f) => f.endsWith(".js"));
const total = served.reduce((n, f) => n + readFileSync(new URL(f, web)).length, 0);
console.log(`web/ee1.js: ${bundle.length} bytes; the app's JavaScript in all (${served.join(", ")}): ${total} bytes`);
