// Voters who cast a verifiable election's ballot through the web app in headless Chromium,
// four at a time, each signing in, choosing on the ballot page (which encrypts and proves the
// ballot on the device) and casting it. Run by the stack test of a verifiable election
// (tools/local-runner/tests/local_stack/verifiable.rs), whose other voters are Rust clients:
//
//   node web/tests/chromium-voters.mjs <electionId> <identityKey>=<candidate name> ...
//
// Prints one JSON array: each voter's identity key and the tracking code the page showed.
import { base, launch } from "./browser.mjs";

const [election, ...pairs] = process.argv.slice(2);
const queue = pairs.map((pair) => pair.split("="));
const cast = [];
const started = Date.now();
const browser = await launch();

async function voter() {
  for (let next = queue.shift(); next; next = queue.shift()) {
    const [sub, name] = next;
    // Signed in as signedIn() does, without its accessibility check of the sign-in page
    // (the browser tests make it): twenty of them would take longer than the vote.
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(`${base}/#/signin`);
    await page.getByLabel("신원 키").fill(sub);
    await page.getByRole("button", { name: "국가 신원 인증으로 로그인" }).click();
    await page.getByRole("heading", { name: "선거 목록" }).waitFor();
    await page.goto(`${base}/#/elections/${election}`);
    await page.getByRole("listitem").filter({ hasText: name }).getByRole("button", { name: "투표하기" }).click();
    await page.locator("#tracking-code").waitFor();
    await page.getByRole("button", { name: "이 투표지로 투표" }).click();
    const receipt = page.locator("#receipt-code");
    const said = page.getByRole("alert");
    await receipt.or(said).first().waitFor();
    if (!(await receipt.isVisible())) throw new Error(`${sub}: the page said ${await said.first().textContent()}`);
    console.error(`${sub} cast at ${((Date.now() - started) / 1000).toFixed(1)} s`);
    cast.push({ sub, trackingCode: (await page.locator("#receipt-code").textContent()).trim() });
    await page.context().close();
  }
}

try {
  await Promise.all([voter(), voter(), voter(), voter()]);
  console.log(JSON.stringify(cast));
} finally {
  await browser.close();
}
