// The voter's story in a real browser (Debian's headless Chromium, driven by Playwright),
// against the running local stack: sign in, the open elections, the ballot with its
// pledges, one vote with a confirmation step, the receipt, a refused second vote in plain
// language, my votes, no results before the close, and the results chart (as the
// commission sees it while voting is open). Every page passes axe-core with no serious or
// critical violation; screenshots at 360 and 1280 px go to $WEB_SCREENSHOTS.
// Run by scripts/web-test.sh (node --test), from the test command.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { base, call, launch, noSeriousViolations, shots, signedIn as signInAs, token, unique } from "./browser.mjs";

let browser;
let election;
const candidates = [];
// The voter of this file, on the election's roll (one identity per screen width).
const voter = unique("voter");

before(async () => {
  browser = await launch();
  // The commission's part, through the API: an election that opens in a few seconds, its
  // roll, three candidates, pledges.
  const commission = await token(unique("officer"), ["commission"]);
  const opens = Date.now() + 6_000;
  election = await call("POST", "/elections", commission, {
    name: unique("제21대 대통령 선거"),
    votingStartsAt: new Date(opens).toISOString(),
    votingEndsAt: new Date(opens + 3_600_000).toISOString(),
  });
  await call("POST", `/elections/${election.electionId}/roll/corrections`, commission, {
    add: [360, 1280].map((width) => ({ identityKey: `${voter}-${width}`, district: "종로구" })),
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
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, opens - Date.now()) + 100));
});

after(async () => {
  await browser?.close();
});

const signedIn = (sub, groups, width) => signInAs(browser, sub, groups, { width });

test("a voter sees the ballot, votes once with a confirmation, keeps the receipt, and is refused a second time", async () => {
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

test("a voter who is not on the roll is told so in plain language, and where to turn", async () => {
  const page = await signedIn(unique("stranger"), ["voter"], 1280);
  await page.getByRole("link", { name: election.name }).click();
  await page.getByRole("button", { name: "투표하기" }).first().click();
  await page.getByRole("dialog").getByRole("button", { name: "투표 확정" }).click();
  await page.getByRole("alert").getByText("선거인 명부에 없어 투표할 수 없습니다").waitFor();
  assert.match(await page.getByRole("alert").textContent(), /선거관리위원회/);
  await noSeriousViolations(page, "not on the roll");
  await page.close();
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
