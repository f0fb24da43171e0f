// The browser's ballot cryptography (web/ee1.js) against the Rust crate's test vectors, byte
// for byte: in Node, and in Chromium as the app serves it (through the import map, whose
// integrity the browser enforces: a changed bundle does not load).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { base, launch } from "./browser.mjs";
import * as ee1 from "../ee1.js";

const vectors = JSON.parse(readFileSync(new URL("../../shared/crypto/tests/vectors.json", import.meta.url)));

/** Every vector the device reproduces: the seeded derivations, each ballot (cast and spoiled)
 * re-encrypted under its scope, the spoiled ballot's reveal and its check, the short codes.
 * Self-contained: the Chromium test runs its source in the page. */
function vectorMismatches(ee1, vectors) {
  const canon = (v) =>
    Array.isArray(v) ? v.map(canon)
      : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])]))
        : v;
  const wrong = [];
  let checked = 0;
  const same = (what, got, want) => {
    checked += 1;
    const [g, w] = [JSON.stringify(canon(got)), JSON.stringify(canon(want))];
    if (g !== w) wrong.push(`${what}: ${g} is not ${w}`);
  };
  const rng = ee1.seeded(ee1.encoding.utf8(vectors.seed));
  const d = vectors.derivations;
  same("trustee/1/signing-key", ee1.encoding.hex(rng.scalar("trustee/1/signing-key")), d["trustee/1/signing-key"]);
  same("ballot/0/nonce/0", ee1.encoding.hex(rng.scalar("ballot/0/nonce/0")), d["ballot/0/nonce/0"]);
  same("ballot/0/id", ee1.encoding.hex(rng.id("ballot/0/id")), d["ballot/0/id"]);

  const ctx = ee1.context(vectors.election);
  const cast = vectors.cast_chunks.flatMap((chunk) => chunk.ballots);
  const byId = new Map(cast.map((b) => [b.ballot_id, b]));
  const { cast: castChoices, spoiled: spoiledChoices } = vectors.plan;
  castChoices.forEach((choice, b) => {
    const { ballot } = ee1.encrypt(ctx, choice, rng.scoped(`ballot/${b}/`));
    same(`cast ballot ${b}`, ballot, byId.get(ballot.ballot_id) ?? "absent");
  });
  const spoiled = vectors.spoiled_chunks.flatMap((chunk) => chunk.ballots);
  spoiledChoices.forEach((choice, s) => {
    const { ballot, secrets } = ee1.encrypt(ctx, choice, rng.scoped(`ballot/${castChoices.length + s}/`));
    same(`spoiled ballot ${s}`, ballot, spoiled[s].ballot);
    const reveal = secrets.reveal();
    same(`reveal ${s}`, reveal, spoiled[s].reveal);
    same(`reveal ${s} checks`, ee1.checkReveal(ctx, spoiled[s].ballot, reveal), true);
    const other = { ...reveal, choices: reveal.choices.map((_, j, c) => c[(j + 1) % c.length]) };
    same(`another choice's reveal ${s} fails`, ee1.checkReveal(ctx, spoiled[s].ballot, other), false);
  });
  same("short codes", cast.map((b) => ee1.shortCode(b.tracking_code)), vectors.short_codes);
  const w = vectors.withdrawn_ballot;
  const withdrawn = ee1.encrypt(ctx, w.choice, rng.scoped("ballot/5/"), w.withdrawn).ballot;
  same("a ballot with a withdrawn position proven 0", withdrawn, w.ballot);
  return { wrong, checked };
}

const expectedChecks = 3 + vectors.plan.cast.length + 4 * vectors.plan.spoiled.length + 2;

test("the bundle reproduces the Rust crate's vectors byte for byte (Node)", () => {
  const { wrong, checked } = vectorMismatches(ee1, vectors);
  assert.deepEqual(wrong, []);
  assert.equal(checked, expectedChecks);
});

test("a fresh ballot's reveal checks, a changed nonce's does not, and discard drops the secrets", () => {
  const ctx = ee1.context(vectors.election);
  const { ballot, secrets } = ee1.encrypt(ctx, 2);
  assert.equal(ballot.ciphertexts.length, 3);
  assert.match(ballot.tracking_code, /^[0-9a-f]{128}$/);
  const reveal = secrets.reveal();
  assert.deepEqual(reveal.choices, [0, 0, 1]);
  assert.ok(ee1.checkReveal(ctx, ballot, reveal));
  const nonces = [...reveal.nonces];
  nonces[1] = nonces[0];
  assert.ok(!ee1.checkReveal(ctx, ballot, { ...reveal, nonces }));
  secrets.discard();
  assert.deepEqual(secrets.reveal().choices, [0, 0, 0]);
  assert.throws(() => ee1.encrypt(ctx, 3), RangeError);
});

const inPage = `import("ee1").then((ee1) => (${vectorMismatches})(ee1, ${JSON.stringify(vectors)}))`;

test("the bundle reproduces the vectors in Chromium, loaded through the app's import map", async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(`${base}/`);
    const { wrong, checked } = await page.evaluate(inPage);
    assert.deepEqual(wrong, []);
    assert.equal(checked, expectedChecks);
  } finally {
    await browser.close();
  }
});

test("Chromium refuses a bundle that is not the published one", async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.route("**/web/ee1.js", async (route) => {
      const served = await route.fetch();
      await route.fulfill({ response: served, body: `${await served.text()}\n// changed\n` });
    });
    await page.goto(`${base}/`);
    await assert.rejects(page.evaluate(inPage), /Failed to fetch dynamically imported module|integrity/i);
  } finally {
    await browser.close();
  }
});
