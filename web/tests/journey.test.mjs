// A voter's journey as the API sees it, in headless Chromium against the running local stack:
// what it costs (one request for the ballot, one for the vote, one for My votes), and how the
// page behaves when the front door turns it away (429, 503): it waits, says so, and tries
// again, but never resends a vote whose outcome is unknown.
// Run by scripts/web-test.sh (node --test), from the test command.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { base, call, launch, noSeriousViolations, signedIn, token, unique } from "./browser.mjs";

let browser;
let election;
const voters = [unique("voter"), unique("voter"), unique("voter")];

before(async () => {
  browser = await launch();
  const commission = await token(unique("officer"), ["commission"]);
  const opens = Date.now() + 5_000;
  election = await call("POST", "/elections", commission, {
    name: unique("journey"),
    votingStartsAt: new Date(opens).toISOString(),
    votingEndsAt: new Date(opens + 3_600_000).toISOString(),
  });
  await call("POST", `/elections/${election.electionId}/roll/corrections`, commission, {
    add: voters.map((identityKey) => ({ identityKey, district: "Seoul" })),
  });
  for (const [n, name] of [[1, "Ada"], [2, "Grace"], [3, "Edsger"]]) {
    const owner = unique("candidate");
    const c = await call("POST", `/elections/${election.electionId}/candidates`, commission,
      { ballotNumber: n, party: "Party", name, userId: owner });
    await call("POST", `/candidates/${c.candidateId}/pledges`, await token(owner, ["candidate"]),
      { theme: "Health", title: `Pledge ${n}`, description: "Better care." });
  }
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, opens - Date.now()) + 100));
});

after(async () => {
  await browser?.close();
});

/** The API requests a page sends from now on, as "METHOD /path" (static files, the
 * configuration and sign-in are not the API). */
function apiRequests(page) {
  const sent = [];
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (/^\/(elections|candidates|me)(\/|$)/.test(path)) sent.push(`${request.method()} ${path}`);
  });
  return sent;
}

async function openBallot(page) {
  await page.getByRole("link", { name: election.name }).click();
  await page.getByRole("heading", { name: `투표용지: ${election.name}` }).waitFor();
}

async function voteForFirst(page) {
  await page.getByRole("button", { name: "투표하기" }).first().click();
  await page.getByRole("dialog").getByRole("button", { name: "투표 확정" }).click();
}

test("a voter's journey costs three API requests: the ballot, the vote, My votes", async () => {
  const page = await signedIn(browser, voters[0], ["voter"]);
  const sent = apiRequests(page);
  await openBallot(page);
  assert.equal(await page.locator(".ballot > li").count(), 3);
  await page.getByText("공약 (1)").first().click();
  await page.getByText("Pledge 1").waitFor();
  await voteForFirst(page);
  await page.getByRole("heading", { name: "투표 영수증" }).waitFor();
  const receipt = await page.locator("#receipt-id").textContent();
  await page.getByRole("link", { name: "내 투표" }).click();
  await page.getByText(receipt).waitFor();
  const id = election.electionId;
  assert.deepEqual(sent, [`GET /elections/${id}/ballot`, `POST /elections/${id}/votes`, "GET /me/votes"]);
  await page.close();
});

test("turned away (no reply, 429, 503), the ballot page waits, says so, and tries again", async () => {
  const page = await signedIn(browser, voters[1], ["voter"]);
  const sent = apiRequests(page);
  // No readable reply at all (as the gateway's own 429 may be, without CORS headers), then
  // a 429 with Retry-After, then a 503 that recorded nothing.
  const refusals = [
    "unreadable",
    { status: 429, headers: { "retry-after": "1" }, body: JSON.stringify({ message: "Too Many Requests" }) },
    { status: 503, body: JSON.stringify({ code: "service-unavailable", title: "busy" }) },
  ];
  await page.route("**/elections/*/ballot", (route) => {
    const refusal = refusals.shift();
    if (refusal === "unreadable") return route.abort("failed");
    return refusal ? route.fulfill({ contentType: "application/json", ...refusal }) : route.continue();
  });
  await page.getByRole("link", { name: election.name }).click();
  await page.getByRole("status").getByText("서버가 바쁩니다").waitFor();
  await noSeriousViolations(page, "waiting");
  await page.getByRole("heading", { name: `투표용지: ${election.name}` }).waitFor();
  assert.equal(await page.locator("#waiting").isHidden(), true, "the notice goes once the ballot is in");
  assert.equal(sent.filter((r) => r.endsWith("/ballot")).length, 4, "three refusals, then the ballot");
  await page.close();
});

test("a vote answered outcome-unknown is never sent again: the voter is told to look in My votes", async () => {
  const page = await signedIn(browser, voters[2], ["voter"]);
  const sent = apiRequests(page);
  await page.route("**/elections/*/votes", (route) => route.fulfill({
    status: 503,
    contentType: "application/problem+json",
    headers: { "retry-after": "1" },
    body: JSON.stringify({ code: "outcome-unknown", title: "unknown" }),
  }));
  await openBallot(page);
  await voteForFirst(page);
  await page.getByRole("alert").getByText("내 투표에서 확인해 주세요").waitFor();
  assert.equal(sent.filter((r) => r.startsWith("POST")).length, 1);
  await page.close();
});
