// What the browser tests share: the stack's address, tokens and API calls for setting up,
// Debian's headless Chromium, signing in through the development page, and axe-core.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { mkdirSync, readFileSync } from "node:fs";

const require = createRequire(`${process.env.WEB_TEST_MODULES}/`);
const { chromium } = require("playwright-core");
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export const base = process.env.OMP_WEB_URL ?? "http://127.0.0.1:3000";
export const shots = process.env.WEB_SCREENSHOTS ?? ".local/web";
mkdirSync(shots, { recursive: true });

export const unique = (prefix) => `${prefix}-${Math.random().toString(36).slice(2, 10)}`;

export async function token(sub, groups) {
  const reply = await fetch(`${base}/__local/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sub, groups }),
  });
  return (await reply.json()).token;
}

export async function call(method, path, bearer, body) {
  const reply = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
    body: body && JSON.stringify(body),
  });
  assert.ok(reply.ok, `${method} ${path}: ${reply.status}`);
  return reply.status === 204 ? null : reply.json();
}

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

const roleLabels = { voter: "유권자", candidate: "후보자", commission: "선거관리위원회", admin: "관리자" };

/** A new page (its own storage) signed in as `sub` with `groups`: a voter (`["voter"]`)
 * with the national identity, anyone else at the user pool. */
export async function signedIn(browser, sub, groups, { width = 1280, timezoneId } = {}) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, timezoneId });
  const page = await context.newPage();
  await page.goto(`${base}/#/signin`);
  await page.getByLabel("사용자 ID (sub)").waitFor();
  await noSeriousViolations(page, "sign-in");
  if (groups.length === 1 && groups[0] === "voter") {
    await page.getByLabel("신원 키").fill(sub);
    await page.getByRole("button", { name: "국가 신원 인증으로 로그인" }).click();
  } else {
    await page.getByLabel("사용자 ID (sub)").fill(sub);
    for (const group of groups) await page.getByLabel(roleLabels[group]).check();
    await page.getByRole("button", { name: "관계자 로그인" }).click();
  }
  await page.getByRole("heading", { name: "선거 목록" }).waitFor();
  return page;
}

export async function noSeriousViolations(page, what) {
  await page.addScriptTag({ content: axeSource });
  const found = await page.evaluate(async () => (await globalThis.axe.run()).violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.length})`));
  assert.deepEqual(found, [], `${what}: ${found.join("; ")}`);
}
