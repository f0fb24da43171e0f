// The voter's story in a real browser (Debian's headless Chromium, driven by Playwright),
// against the running local stack: sign in, the open elections, the ballot with its
// pledges, one vote with a confirmation step, the receipt, a refused second vote in plain
// language, my votes, no results before the close, and the results chart (as the
// commission sees it while voting is open). Every page passes axe-core with no serious or
// critical violation; screenshots at 360 and 1280 px go to $WEB_SCREENSHOTS.
// Run by scripts/web-test.sh (node --test), from the test command.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { mkdirSync, readFileSync } from "node:fs";

const require = createRequire(`${process.env.WEB_TEST_MODULES}/`);
const { chromium } = require("playwright-core");
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const base = process.env.OMP_WEB_URL ?? "http://127.0.0.1:3000";
const shots = process.env.WEB_SCREENSHOTS ?? ".local/web";
mkdirSync(shots, { recursive: true });
const unique = (prefix) => `${prefix}-${Math.random().toString(36).slice(2, 10)}`;

async function token(sub, groups) {
  const reply = await fetch(`${base}/__local/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sub, groups }),
  });
  return (await reply.json()).token;
}

async function call(method, path, bearer, body) {
  const reply = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
    body: body && JSON.stringify(body),
  });
  assert.ok(reply.ok, `${method} ${path}: ${reply.status}`);
  return reply.status === 204 ? null : reply.json();
}

let browser;
let election;
const candidates = [];

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  // The commission's part, through the API: an election open now, three candidates, pledges.
  const commission = await token(unique("officer"), ["commission"]);
  const now = Date.now();
  election = await call("POST", "/elections", commission, {
    name: unique("제21대 대통령 선거"),
    votingStartsAt: new Date(now - 60_000).toISOString(),
    votingEndsAt: new Date(now + 3_600_000).toISOString(),
  });
  for (const [n, name, party] of [[1, "김하나", "푸른미래당"], [2, "이두리", "새벽당"], [3, "박세나", "녹색연합"]]) {
    const owner = unique("candidate");
    const c = await call("POST", `/elections/${election.electionId}/candidates`, commission,
      { ballotNumber: n, party, name, userId: owner });
    const own = await token(owner, ["candidate"]);
    await call("POST", `/candidates/${c.candidateId}/pledges`, own,
      { theme: "복지", title: `공약 ${n}`, description: "모든 시민에게 더 나은 공공 의료를." });
    candidates.push(c);
  }
});

after(async () => {
  await browser?.close();
});

/** A page signed in as `sub` with `groups`, at `width` px. */
async function signedIn(sub, groups, width = 1280) {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  await page.goto(`${base}/#/signin`);
  await page.getByLabel("사용자 ID (sub)").fill(sub);
  for (const group of groups) await page.getByLabel(group === "voter" ? "유권자" : "선거관리위원회").check();
  await page.getByRole("button", { name: "로그인" }).click();
  await page.getByRole("heading", { name: "선거 목록" }).waitFor();
  return page;
}

async function noSeriousViolations(page, what) {
  await page.addScriptTag({ content: axeSource });
  const found = await page.evaluate(async () => (await globalThis.axe.run()).violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.length})`));
  assert.deepEqual(found, [], `${what}: ${found.join("; ")}`);
}

test("a voter sees the ballot, votes once with a confirmation, keeps the receipt, and is refused a second time", async () => {
  const voter = unique("voter");
  for (const width of [360, 1280]) {
    const page = await signedIn(`${voter}-${width}`, ["voter"], width);
    await noSeriousViolations(page, "elections");
    await page.getByRole("link", { name: election.name }).click();
    await page.getByRole("heading", { name: `투표용지: ${election.name}` }).waitFor();
    assert.equal(await page.locator(".ballot > li").count(), 3);
    await page.getByText("공약 (1)").first().click();
    await page.getByText("공약 1").waitFor();
    await noSeriousViolations(page, "ballot");
    await page.screenshot({ path: `${shots}/ballot-${width}.png`, fullPage: true });

    // One vote, confirmed in a dialog, operable from the keyboard.
    await page.getByRole("button", { name: "투표하기" }).nth(1).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByText("이두리").waitFor();
    // The dialog opens on its first button, 투표 확정: Enter casts the vote.
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "투표 영수증" }).waitFor();
    const receipt = await page.locator("#receipt-id").textContent();
    assert.match(receipt, /^[0-9a-f-]{36}$/);
    await noSeriousViolations(page, "receipt");
    await page.screenshot({ path: `${shots}/receipt-${width}.png`, fullPage: true });

    // A second vote is refused, in plain language.
    await page.getByRole("link", { name: "선거 목록" }).first().click();
    await page.getByRole("link", { name: election.name }).click();
    await page.getByRole("button", { name: "투표하기" }).first().click();
    await page.getByRole("dialog").getByRole("button", { name: "투표 확정" }).click();
    await page.getByRole("alert").getByText("이미 이 선거에 투표하셨습니다").waitFor();

    // My votes shows the receipt; the results wait for the close.
    await page.getByRole("link", { name: "내 투표" }).click();
    await page.getByText(receipt).waitFor();
    await noSeriousViolations(page, "my votes");
    await page.goto(`${base}/#/elections/${election.electionId}/results`);
    await page.getByText("결과는 투표가 마감된 뒤 공개됩니다.").waitFor();
    await page.close();
  }
});

test("the results chart shows the exact counts and shares, in Korean or English", async () => {
  const page = await signedIn(unique("officer"), ["commission"]);
  await page.goto(`${base}/#/elections/${election.electionId}/results`);
  // Two votes for 이두리 (one per width above): they reach the view within seconds.
  const row = page.locator(".chart > li", { hasText: "이두리" });
  await row.getByText("2 득표수 · 100.0%").waitFor({ timeout: 30_000 });
  assert.match(await page.locator("main").textContent(), /잠정 집계/);
  await noSeriousViolations(page, "results");
  for (const width of [360, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `${shots}/results-${width}.png`, fullPage: true });
  }
  await page.getByLabel("언어").selectOption("en");
  await page.getByRole("heading", { name: "Results" }).waitFor();
  await row.getByText("2 Votes · 100.0%").waitFor();
  await page.close();
});
