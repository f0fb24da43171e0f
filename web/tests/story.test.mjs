// A whole election through the pages, every role in its own browser context:
// - the commission registers an election (its window entered in Seoul time) and three
//   candidates, uploads the roll (its progress and refused rows shown) and corrects it;
// - a candidate adds two pledges, deletes one, and sees the live count;
// - three voters vote, and a second vote is refused with the right message;
// - a correction after the opening is refused, and turnout shows by district;
// - the commission withdraws a candidate;
// - the results chart shows the exact counts.
// A voter cannot see the commission's pages. An election that has closed is certified from
// its page, which follows the recount's progress until the results are final.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { base, call, launch, noSeriousViolations, signedIn, token, unique } from "./browser.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/**
 * `instant` as a datetime-local value in Seoul (UTC+9, no daylight saving), to the second, in
 * the browser's normalized form: whole minutes drop their ":00", or the field reads back
 * otherwise than it was filled and Playwright refuses the value.
 */
const seoul = (instant) =>
  new Date(instant.getTime() + 9 * 3_600_000).toISOString().slice(0, 19).replace(/:00$/, "");

test("an election from registration to the results, through the pages of every role", async () => {
  const officer = unique("officer");
  const commission = await signedIn(browser, officer, ["commission"], { timezoneId: "Asia/Seoul" });
  await commission.getByRole("link", { name: "선거 관리" }).click();
  await commission.getByRole("heading", { name: "선거 관리" }).waitFor();
  await noSeriousViolations(commission, "manage");
  const name = unique("지방 선거");
  // Time for the roll before it closes, a few seconds before the opening.
  const opens = new Date(Math.floor(Date.now() / 1000) * 1000 + 45_000);
  const closes = new Date(opens.getTime() + 3_600_000);
  await commission.getByLabel("선거 이름").fill(name);
  await commission.getByLabel("투표 시작 (현지 시각)").fill(seoul(opens));
  await commission.getByLabel("투표 종료 (현지 시각)").fill(seoul(closes));
  await commission.getByRole("button", { name: "등록" }).click();
  await commission.getByRole("heading", { name: `선거 관리: ${name}` }).waitFor();
  const electionId = commission.url().match(/elections\/([^/]+)\/manage/)[1];
  // Entered in Seoul time, stored in UTC.
  const stored = await call("GET", `/elections/${electionId}`, await token(officer, ["commission"]));
  assert.equal(new Date(stored.votingStartsAt).getTime(), opens.getTime());
  assert.equal(new Date(stored.votingEndsAt).getTime(), closes.getTime());

  const owner = unique("candidate");
  for (const [n, person, party, account] of [
    [1, "김하나", "푸른미래당", owner], [2, "이두리", "새벽당", unique("candidate")], [3, "박세나", "녹색연합", unique("candidate")],
  ]) {
    await commission.getByLabel("기호").fill(String(n));
    await commission.getByLabel("정당").fill(party);
    await commission.getByLabel("이름").fill(person);
    await commission.getByLabel("후보 계정 ID (sub)").fill(account);
    await commission.getByRole("button", { name: "후보 등록" }).click();
    await commission.getByText(`${n}. ${person} (${party})`).waitFor();
  }
  await noSeriousViolations(commission, "manage election");

  // The roll: a file of three voters in two districts and a row that is refused, followed
  // until it is imported; then a fourth voter added by a correction.
  const voterIds = [unique("voter"), unique("voter"), unique("voter")];
  const csv = `identityKey,district\n${voterIds[0]},종로구\n${voterIds[1]},종로구\n${voterIds[2]},중구\n잘못된 키,중구\n`;
  await commission.getByLabel("명부 파일 (CSV: identityKey,district)").setInputFiles({
    name: "roll.csv", mimeType: "text/csv", buffer: Buffer.from(csv),
  });
  await commission.getByRole("button", { name: "명부 올리기" }).click();
  const report = commission.locator("#roll-report");
  await report.getByText("완료 · 3행 가져옴, 1행 거부").waitFor({ timeout: 30_000 });
  await report.locator("tr", { hasText: "5" }).getByText("identity key").waitFor();
  await commission.getByText("현재 명부: 선거인 수 3").waitFor();
  await noSeriousViolations(commission, "roll");
  const late = unique("voter");
  await commission.getByLabel("신원 키").first().fill(late);
  await commission.getByLabel("선거구").fill("중구");
  await commission.getByRole("button", { name: "선거인 추가" }).click();
  await commission.getByRole("alert").getByText("추가했습니다.").waitFor();
  await commission.getByText("현재 명부: 선거인 수 4").waitFor();

  // The candidate's pledges: two added, one deleted; the live count follows.
  const candidate = await signedIn(browser, owner, ["candidate"]);
  await candidate.getByRole("link", { name: "내 후보 정보" }).click();
  for (const title of ["무상 급식", "청년 주택"]) {
    await candidate.getByLabel("분야").fill("복지");
    await candidate.getByLabel("제목").fill(title);
    await candidate.getByLabel("내용").fill(`${title}을 모든 지역에.`);
    await candidate.getByRole("button", { name: "공약 추가" }).click();
    await candidate.getByText(title, { exact: true }).waitFor();
  }
  await candidate.getByRole("button", { name: "삭제: 무상 급식" }).click();
  await candidate.getByRole("button", { name: "삭제: 무상 급식" }).waitFor({ state: "detached" });
  await candidate.locator(".pledge-count", { hasText: /^1$/ }).waitFor({ timeout: 30_000 });
  await noSeriousViolations(candidate, "candidacy");

  // Voting opens. Three voters: two for 김하나, one for 이두리; a second vote is refused.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, opens.getTime() - Date.now()) + 200));
  const voters = [];
  for (const [choice, id] of [["김하나", voterIds[0]], ["김하나", voterIds[1]], ["이두리", voterIds[2]]]) {
    const voter = await signedIn(browser, id, ["voter"]);
    await voter.getByRole("link", { name }).click();
    await voter.locator(".ballot > li", { hasText: choice }).getByRole("button", { name: "투표하기" }).click();
    await voter.getByRole("dialog").getByRole("button", { name: "투표 확정" }).click();
    await voter.getByRole("heading", { name: "투표 영수증" }).waitFor();
    voters.push(voter);
  }
  const again = voters[0];
  await again.getByRole("link", { name: "선거 목록" }).first().click();
  await again.getByRole("link", { name }).click();
  await again.locator(".ballot > li", { hasText: "이두리" }).getByRole("button", { name: "투표하기" }).click();
  await again.getByRole("dialog").getByRole("button", { name: "투표 확정" }).click();
  await again.getByRole("alert").getByText("이미 이 선거에 투표하셨습니다").waitFor();

  // A voter cannot see the commission's pages.
  await again.goto(`${base}/#/manage`);
  await again.getByText("이 작업을 할 권한이 없습니다.").waitFor();
  assert.equal(await again.getByRole("link", { name: "선거 관리" }).isVisible(), false);

  // After the opening the roll is final: a correction is refused, and says why.
  await commission.reload();
  await commission.getByLabel("신원 키").first().fill(unique("voter"));
  await commission.getByLabel("선거구").fill("중구");
  await commission.getByRole("button", { name: "선거인 추가" }).click();
  await commission.getByRole("alert").getByText("투표가 시작되어 선거인 명부를 더 이상 바꿀 수 없습니다.").waitFor();

  // Turnout, as the commission sees it during voting: 3 of 4, by district.
  await commission.getByRole("link", { name: "투표율" }).click();
  await commission.getByText("75.0%").first().waitFor({ timeout: 30_000 });
  await commission.locator(".chart > li", { hasText: "종로구" }).getByText("2 / 2 · 100.0%").waitFor();
  await commission.locator(".chart > li", { hasText: "중구" }).getByText("1 / 2 · 50.0%").waitFor();
  await noSeriousViolations(commission, "turnout");
  await commission.goBack();

  // The commission withdraws 박세나, after a confirmation.
  await commission.locator(".cards > li", { hasText: "박세나" }).getByRole("button", { name: "사퇴 처리" }).click();
  await commission.getByRole("dialog").getByRole("button", { name: "사퇴 처리" }).click();
  await commission.locator(".cards > li", { hasText: "박세나" }).getByText("사퇴").waitFor();

  // The chart: exact counts and shares, the withdrawn mark.
  await commission.getByRole("link", { name: "개표 결과" }).click();
  const row = (person) => commission.locator(".chart > li", { hasText: person });
  await row("김하나").getByText("2 득표수 · 66.7%").waitFor({ timeout: 30_000 });
  await row("이두리").getByText("1 득표수 · 33.3%").waitFor({ timeout: 30_000 });
  await row("박세나").getByText("사퇴").waitFor({ timeout: 30_000 });
  await row("박세나").getByText("0 득표수 · 0.0%").waitFor();
  await noSeriousViolations(commission, "results");

  // Certifying while voting is open is refused, and says why.
  await commission.getByRole("link", { name: "선거 관리" }).click();
  await commission.getByRole("link", { name }).click();
  await commission.getByRole("button", { name: "결과 확정" }).click();
  await commission.getByRole("alert").getByText("아직 결과를 확정할 수 없습니다").waitFor();
});

test("certification from the election's page, followed until the results are final", async () => {
  const officer = unique("officer");
  const bearer = await token(officer, ["commission"]);
  // An election open for three seconds, with one voter on its roll, who votes.
  const opens = Date.now() + 5_000;
  const election = await call("POST", "/elections", bearer, {
    name: unique("보궐 선거"), votingStartsAt: new Date(opens).toISOString(), votingEndsAt: new Date(opens + 3_000).toISOString(),
  });
  const voter = unique("voter");
  await call("POST", `/elections/${election.electionId}/roll/corrections`, bearer, { add: [{ identityKey: voter, district: "중구" }] });
  const candidate = await call("POST", `/elections/${election.electionId}/candidates`, bearer, {
    ballotNumber: 1, party: "푸른미래당", name: "김하나", userId: unique("candidate"),
  });
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, opens - Date.now()) + 100));
  await call("POST", `/elections/${election.electionId}/votes`, await token(voter, ["voter"]), { candidateId: candidate.candidateId });
  // After the close and the commit bound (5 s).
  await new Promise((resolve) => setTimeout(resolve, 9_000));

  const commission = await signedIn(browser, officer, ["commission"]);
  await commission.goto(`${base}/#/elections/${election.electionId}/manage`);
  // Until the rest of the suite's traffic has drained, certification is refused (and says why).
  const deadline = Date.now() + 90_000;
  for (;;) {
    await commission.getByRole("button", { name: "결과 확정" }).click();
    const said = commission.getByRole("alert");
    await said.getByText(/결과를 확정했습니다|아직 결과를 확정할 수 없습니다/).waitFor({ timeout: 60_000 });
    if ((await said.textContent()).includes("결과를 확정했습니다")) break;
    assert.ok(Date.now() < deadline, "certification was refused for 90 s");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  const job = await call("GET", `/elections/${election.electionId}/certification`, bearer);
  assert.equal(job.state, "certified");
  assert.equal(job.partsDone, job.parts);
  const results = await call("GET", `/elections/${election.electionId}/results`, bearer);
  assert.equal(results.final, true);
  assert.equal(results.totalVotes, 1);
});
