// A verifiable election's ballot in a real browser: three trustees run the whole key ceremony
// with the real `trustee` tool against the API; then a voter opens the ballot, the page
// encrypts it on the device and shows its tracking code, the voter challenges it (the reveal
// is posted without their token, and the page says whom it held and that its own check is a
// convenience), starts again, casts a fresh ballot, and finds its tracking code on the board
// and in My votes, where no candidate is shown; the results page waits for the trustees'
// decryption. Every page passes axe with no serious violation.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { base, call, launch, noSeriousViolations, shots, signedIn, token, unique } from "./browser.mjs";

const trusteeTool = join(process.env.CARGO_TARGET_DIR, "debug", "trustee");

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Runs `trustee` in `dir` (a test passphrase, weak Argon2 parameters: tests only). */
function trustee(dir, args) {
  return execFileSync(trusteeTool, args, {
    cwd: dir,
    env: { ...process.env, TRUSTEE_PASSPHRASE: "a test passphrase", TRUSTEE_ARGON2_TEST_PARAMS: "1" },
  }).toString();
}

const read = (path) => JSON.parse(readFileSync(path, "utf8"));

/** Writes each item to `<prefix>-<n>.json` in `dir`; their names. */
function writeEach(dir, prefix, items) {
  return items.map((item, n) => {
    const name = `${prefix}-${n + 1}.json`;
    writeFileSync(join(dir, name), JSON.stringify(item));
    return name;
  });
}

/** The whole key ceremony, each step by the `trustee` tool, each message posted to the API. */
async function ceremony(electionId, subs) {
  const path = `/elections/${electionId}/ceremony`;
  const view = () => fetch(`${base}${path}`).then((r) => r.json());
  const work = mkdtempSync(join(tmpdir(), "ceremony-"));
  writeFileSync(join(work, "election.json"), JSON.stringify((await view()).setup));
  const tokens = await Promise.all(subs.map((s) => token(s, ["trustee"])));
  const put = (i, step, body) => call("PUT", `${path}/${step}`, tokens[i - 1], body);
  const home = (i) => `t${i}`;
  const at = (i, name) => join(work, home(i), name);
  const all = [1, 2, 3];
  for (const i of all) {
    trustee(work, ["keygen", "--index", String(i), "--election", "election.json", "--out-dir", home(i)]);
    await put(i, "keys", read(at(i, `trustee-${i}.json`)));
  }
  const keys = ["--keys", ...writeEach(work, "keys", (await view()).keys)];
  const step = (i, command) => [command, "--dir", home(i), "--election", "election.json", ...keys];
  for (const i of all) {
    trustee(work, step(i, "commit"));
    const c = read(at(i, `commitments-${i}.json`));
    await put(i, "commitment-hash", { trustee: c.trustee, commitment_hash: c.commitment_hash, signature: c.signature });
  }
  for (const i of all) await put(i, "commitments", read(at(i, `commitments-${i}.json`)));
  const commitments = ["--commitments", ...writeEach(work, "commitments", (await view()).commitments)];
  for (const i of all) {
    trustee(work, step(i, "shares"));
    const envelopes = all.filter((j) => j !== i).map((j) => read(at(i, `share-${i}-to-${j}.json`)));
    await put(i, "shares", { trustee: i, envelopes });
  }
  for (const i of all) {
    const mine = await call("GET", `${path}/envelopes`, tokens[i - 1]);
    const received = writeEach(join(work, home(i)), "received", mine).map((name) => `${home(i)}/${name}`);
    trustee(work, ["receive", ...received, ...step(i, "receive").slice(1), ...commitments]);
    trustee(work, [...step(i, "sign-transcript"), ...commitments]);
    await put(i, "transcript-signature", read(at(i, `transcript-signature-${i}.json`)));
  }
  assert.equal((await view()).phase, "complete");
  return { work, tokens };
}

/** A verifiable election with three candidates, `voters` on its roll, its ceremony run by
 * the trustees' tools; open once this returns. */
async function verifiableElection(voters, openFor) {
  const commission = await token(unique("officer"), ["commission"]);
  const subs = [1, 2, 3].map((i) => unique(`trustee-${i}`));
  const opens = Date.now() + 20_000;
  const election = await call("POST", "/elections", commission, {
    name: unique("검증 가능한 대통령 선거"),
    votingStartsAt: new Date(opens).toISOString(),
    votingEndsAt: new Date(opens + openFor).toISOString(),
    verifiable: { trustees: subs, threshold: 2 },
  });
  const id = election.electionId;
  await call("POST", `/elections/${id}/roll/corrections`, commission,
    { add: voters.map((identityKey) => ({ identityKey, district: "종로구" })) });
  for (const [n, name] of names.entries()) {
    await call("POST", `/elections/${id}/candidates`, commission, { ballotNumber: n + 1, party: "P", name, userId: unique("c") });
  }
  await call("POST", `/elections/${id}/ceremony`, commission, {});
  const trustees = await ceremony(id, subs);
  await sleep(Math.max(0, opens - Date.now()) + 200);
  return { id, ends: opens + openFor, commission, ...trustees };
}

const names = ["김하나", "이두리", "박세나"];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A voter encrypts, challenges, starts again, casts, and finds the ballot on the board. */
async function challengeThenCast() {
  const voter = unique("voter");
  const { id, commission } = await verifiableElection([voter], 3_600_000);

  const page = await signedIn(browser, voter, ["voter"]);
  const posted = [];
  page.on("request", (request) => {
    if (request.method() === "POST") posted.push({ url: request.url(), auth: request.headers().authorization, body: request.postData() });
  });
  await page.goto(`${base}/#/elections/${id}`);
  await page.getByRole("heading", { name: /투표용지/ }).waitFor();

  // Sealed on the device: the tracking code before anything is sent.
  await page.getByRole("listitem").filter({ hasText: "이두리" }).getByRole("button", { name: "투표하기" }).click();
  const code = (await page.locator("#tracking-code").textContent()).trim();
  assert.match(code, /^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$/);
  assert.equal(posted.length, 0, "nothing is sent before the voter chooses");
  await noSeriousViolations(page, "sealed ballot");

  // The challenge: posted without the voter's token; the page shows what it held.
  await page.getByRole("button", { name: /^검증/ }).click();
  await page.locator("#challenged-choice").waitFor();
  assert.equal(await page.locator("#challenged-choice").textContent(), "이두리");
  await page.getByText("이 페이지의 확인: 암호문이 공개된 선택과 일치합니다.").waitFor();
  await page.getByText(/편의일 뿐입니다/).waitFor();
  const challenge = posted.find((p) => p.url.endsWith(`/elections/${id}/challenges`));
  assert.ok(challenge, "the challenge was posted");
  assert.equal(challenge.auth, undefined, "a challenge carries no identity");
  const challenged = JSON.parse(challenge.body);
  assert.deepEqual(challenged.reveal.choices, [0, 1, 0]);
  await noSeriousViolations(page, "challenged ballot");
  await page.screenshot({ path: `${shots}/challenged.png`, fullPage: true });
  const onBoard = await (await fetch(`${base}/elections/${id}/board/${challenged.ballot.tracking_code}`)).json();
  assert.equal(onBoard.status, "challenged");

  // Start again and seal a ballot; meanwhile 김하나 withdraws. That ballot, sealed before, does
  // not prove her slot holds 0: refused (once cast-vote knows, within 2 s), nothing recorded,
  // and the voter is told to load the ballot again.
  await page.getByRole("button", { name: "처음부터 다시 투표" }).click();
  await page.getByRole("listitem").filter({ hasText: "박세나" }).getByRole("button", { name: "투표하기" }).click();
  await page.locator("#tracking-code").waitFor();
  const kim = (await call("GET", `/elections/${id}/candidates`).then((r) => r.items)).find((c) => c.name === "김하나");
  await call("DELETE", `/elections/${id}/candidates/${kim.candidateId}`, commission);
  await sleep(2_500);
  await page.getByRole("button", { name: "이 투표지로 투표" }).click();
  await page.getByText(/받아들여지지 않았고 아무것도 기록되지 않았습니다/).waitFor();
  assert.equal(posted.filter((p) => p.url.endsWith(`/elections/${id}/votes`)).length, 1);
  posted.length = 0;

  // Loaded again, the ballot marks her withdrawn, and the device proves her slot holds 0. Cast
  // a fresh ballot: a new tracking code, and no candidate in the request.
  await page.reload();
  await page.getByRole("listitem").filter({ hasText: "김하나" }).getByText("사퇴").waitFor();
  await page.getByRole("listitem").filter({ hasText: "박세나" }).getByRole("button", { name: "투표하기" }).click();
  const second = (await page.locator("#tracking-code").textContent()).trim();
  assert.notEqual(second, code);
  await page.getByRole("button", { name: "이 투표지로 투표" }).click();
  await page.locator("#receipt-code").waitFor();
  const full = (await page.locator("#receipt-code").textContent()).trim();
  const vote = posted.find((p) => p.url.endsWith(`/elections/${id}/votes`));
  const sent = JSON.parse(vote.body);
  assert.deepEqual(Object.keys(sent), ["ballot"]);
  assert.deepEqual(sent.ballot.zero_proofs.map((z) => z.slot), [0], "the withdrawn slot is proven 0");
  assert.equal(sent.ballot.tracking_code, full);
  for (const candidate of await call("GET", `/elections/${id}/candidates`).then((r) => r.items)) {
    assert.ok(!vote.body.includes(candidate.candidateId), "the vote names no candidate");
  }
  await noSeriousViolations(page, "encrypted ballot's receipt");

  // The board finds it (the mixer writes it a moment later); My votes shows the code only.
  await page.getByRole("link", { name: "게시판에서 찾기" }).click();
  const outcome = page.locator("#board-outcome");
  for (let tries = 0; tries < 30 && (await outcome.textContent()) !== "게시판에 있습니다: 개표에 포함됩니다."; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    await page.getByRole("button", { name: "게시판에서 찾기" }).click();
  }
  assert.equal(await outcome.textContent(), "게시판에 있습니다: 개표에 포함됩니다.");
  await noSeriousViolations(page, "board lookup");
  await page.goto(`${base}/#/me/votes`);
  await page.getByText(full).waitFor();
  const mine = await page.locator("main").textContent();
  assert.ok(!names.some((name) => mine.includes(name)), `My votes names no candidate: ${mine}`);
  await noSeriousViolations(page, "my votes, encrypted ballot");
  await page.screenshot({ path: `${shots}/my-votes-verifiable.png`, fullPage: true });

  // Results: the trustees' decryption, once the tally is frozen after the close; not before.
  await page.goto(`${base}/#/elections/${id}/results`);
  await page.getByText(/암호화된 집계가 고정되고/).waitFor();
  await noSeriousViolations(page, "verifiable results before the close");
}

/** After the close two trustees decrypt with their tools, the page shows the counts, and
 * verify passes. */
async function decryptAndVerify() {
  const voters = [0, 2, 2].map(() => unique("voter"));
  const { id, ends, work, tokens } = await verifiableElection(voters, 15_000);
  // The voters' devices: the served bundle, in Node.
  const ee1 = await import("../ee1.js");
  const ceremonyView = await fetch(`${base}/elections/${id}/ceremony`).then((r) => r.json());
  const ctx = ee1.context(ceremonyView.election);
  for (const [n, voter] of voters.entries()) {
    const { ballot } = ee1.encrypt(ctx, [0, 2, 2][n]);
    await call("POST", `/elections/${id}/votes`, await token(voter, ["voter"]), { ballot });
  }
  // The first read after the close (plus the bound on a vote in flight) freezes the tally
  // and publishes the record's ballots.
  await sleep(Math.max(0, ends - Date.now()) + 5_000);
  let tally;
  for (let tries = 0; tries < 30; tries++) {
    const reply = await fetch(`${base}/elections/${id}/tally`);
    if (reply.ok) {
      tally = await reply.json();
      break;
    }
    await sleep(500);
  }
  assert.equal(tally?.castCount, 3);
  // Trustees 1 and 3 (2 is absent) fetch the record and decrypt with their own tools.
  const record = execFileSync("bash", ["scripts/fetch-record.sh", id]).toString().trim();
  for (const i of [1, 3]) {
    const printed = trustee(work, ["decrypt", "--dir", `t${i}`, "--record", record]);
    assert.match(printed, /3 cast ballots/);
    await call("PUT", `/elections/${id}/decryption`, tokens[i - 1], read(join(work, `t${i}`, `partial-decryption-${i}.json`)));
  }
  // The results page shows the trustees' decryption.
  const page = await signedIn(browser, unique("viewer"), ["voter"]);
  await page.goto(`${base}/#/elections/${id}/results`);
  await page.getByText("관리인들이 복호화한 결과").waitFor();
  const chart = await page.locator("ol.chart").textContent();
  for (const [name, count] of [["김하나", 1], ["이두리", 0], ["박세나", 2]]) {
    assert.match(chart, new RegExp(`${name}.*?${count} 득표수`), chart);
  }
  await noSeriousViolations(page, "verifiable results, decrypted");
  await page.screenshot({ path: `${shots}/results-verifiable.png`, fullPage: true });
  // Anyone downloads the whole record and checks it.
  const verified = execFileSync("bash", ["scripts/verify.sh", id]).toString();
  assert.match(verified, /record VALID/);
  // The commission certifies from its page: the recount sums the box to the decrypted tally,
  // and the results page then calls the counts final.
  const officer = unique("officer");
  const commission = await signedIn(browser, officer, ["commission"]);
  await commission.goto(`${base}/#/elections/${id}/manage`);
  const deadline = Date.now() + 90_000;
  for (;;) {
    await commission.getByRole("button", { name: "결과 확정" }).click();
    const said = commission.getByRole("alert");
    await said.getByText(/결과를 확정했습니다|아직 결과를 확정할 수 없습니다/).waitFor({ timeout: 60_000 });
    if ((await said.textContent()).includes("결과를 확정했습니다")) break;
    assert.ok(Date.now() < deadline, "certification was refused for 90 s");
    await sleep(1_000);
  }
  await page.goto(`${base}/#/elections/${id}`);
  await page.goto(`${base}/#/elections/${id}/results`);
  await page.getByText("최종 확정").waitFor();
  const final = await page.locator("ol.chart").textContent();
  assert.match(final, /박세나.*?2 득표수/, final);
}

// The two run at once: each mostly waits, for its own opening and close.
describe("a verifiable election in the browser", { concurrency: true }, () => {
  test("a voter encrypts, challenges, starts again, casts, and finds the ballot on the board", challengeThenCast);
  test("after the close two trustees decrypt with their tools, the page shows the counts, and verify passes", decryptAndVerify);
});
