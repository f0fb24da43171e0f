// A verifiable election's key ceremony on the commission's page: the commission starts it
// there; three trustees make their keys with the real `trustee keygen` (from the setup the API
// serves) and post them; the page then shows each trustee's fingerprint, which must be the one
// the trustee's own tool printed: the out-of-band check.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { base, call, launch, noSeriousViolations, signedIn, token, unique } from "./browser.mjs";

const trusteeTool = join(process.env.CARGO_TARGET_DIR, "debug", "trustee");

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** `trustee keygen` for trustee `index`: the keys it wrote and the fingerprint it printed. */
function keygen(setup, index) {
  const dir = mkdtempSync(join(tmpdir(), "trustee-"));
  writeFileSync(join(dir, "election.json"), JSON.stringify(setup));
  const printed = execFileSync(trusteeTool,
    ["keygen", "--index", String(index), "--election", join(dir, "election.json"), "--out-dir", join(dir, "me")],
    { env: { ...process.env, TRUSTEE_PASSPHRASE: "a test passphrase", TRUSTEE_ARGON2_TEST_PARAMS: "1" } }).toString();
  const keys = JSON.parse(readFileSync(join(dir, "me", `trustee-${index}.json`), "utf8"));
  return { keys, printed };
}

/** An instant as a `datetime-local` field holds it in Seoul, in the browser's normalized
 * form (whole minutes drop their ":00"). */
const seoul = (instant) =>
  new Date(instant.getTime() + 9 * 3_600_000).toISOString().slice(0, 19).replace(/:00$/, "");

test("the commission registers a verifiable election, starts its key ceremony on its page and checks each trustee's fingerprint", async () => {
  const officer = unique("officer");
  const commissionToken = await token(officer, ["commission"]);
  const trustees = [1, 2, 3].map((i) => unique(`trustee-${i}`));
  const opens = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);

  // Registered from the commission's page: the verifiable mode, its trustees, its threshold.
  const page = await signedIn(browser, officer, ["commission"], { timezoneId: "Asia/Seoul" });
  await page.goto(`${base}/#/manage`);
  await page.getByRole("heading", { name: "선거 관리" }).waitFor();
  const name = unique("검증 가능한 선거");
  await page.getByLabel("선거 이름").fill(name);
  await page.getByLabel("투표 시작 (현지 시각)").fill(seoul(opens));
  await page.getByLabel("투표 종료 (현지 시각)").fill(seoul(new Date(opens.getTime() + 3_600_000)));
  await page.getByLabel("투표를 기기에서 암호화하고 관리인들이 개표를 복호화합니다").check();
  await page.getByLabel("관리인 계정 ID (sub, 한 줄에 하나)").fill(trustees.join("\n"));
  await page.getByLabel("복호화에 필요한 관리인 수").fill("2");
  await noSeriousViolations(page, "register a verifiable election");
  await page.getByRole("button", { name: "등록" }).click();
  await page.getByRole("heading", { name: `선거 관리: ${name}` }).waitFor();
  const election = await call("GET", `/elections/${page.url().match(/elections\/([^/]+)\/manage/)[1]}`, commissionToken);
  assert.equal(election.status, "key-ceremony");
  assert.equal(election.verifiable.trustees, 3);
  assert.equal(election.verifiable.threshold, 2);
  for (const [n, name] of [[1, "Ada"], [2, "Grace"]]) {
    await call("POST", `/elections/${election.electionId}/candidates`, commissionToken,
      { ballotNumber: n, party: "P", name, userId: unique("candidate") });
  }

  await page.goto(`${base}/#/elections/${election.electionId}/manage`);
  await page.reload();
  await page.getByRole("heading", { name: "키 생성 의식 (검증 가능한 선거)" }).waitFor();
  await page.getByText("시작 전 · 관리인 3명 중 2명이 모여야 개표 복호화 가능").waitFor();
  await noSeriousViolations(page, "ceremony, not started");
  await page.getByRole("button", { name: "키 생성 의식 시작 (후보 명단 고정)" }).click();
  await page.getByText(/^키 제출 중/).waitFor();

  const ceremony = await (await fetch(`${base}/elections/${election.electionId}/ceremony`)).json();
  assert.equal(ceremony.setup.manifest.candidates.length, 2);
  const printed = [];
  for (const [i, sub] of trustees.entries()) {
    const { keys, printed: line } = keygen(ceremony.setup, i + 1);
    assert.match(line, new RegExp(keys.fingerprint));
    printed.push(keys.fingerprint);
    await call("PUT", `/elections/${election.electionId}/ceremony/keys`, await token(sub, ["trustee"]), keys);
  }

  await page.reload();
  await page.getByText(/^커밋 해시 제출 중/).waitFor();
  const shown = await page.locator("#fingerprints tbody tr td code").allTextContents();
  assert.deepEqual(shown, printed);
  await noSeriousViolations(page, "ceremony, keys in");
  await page.screenshot({ path: `${process.env.WEB_SCREENSHOTS ?? ".local/web"}/ceremony.png`, fullPage: true });
});
