// The web app: one page, routed by the URL's hash, calling the same HTTP API with the same
// bearer tokens as every other client. Texts come from i18n.js (Korean by default).
import { texts, problems } from "/web/i18n.js";
import { challengeOf, randomText } from "/web/pkce.js";

const view = document.getElementById("view");
const message = document.getElementById("message");
const waiting = document.getElementById("waiting");
let language = localStorage.getItem("language") || "ko";
// The shown page's refresh timer (an interval or a timeout): stopped when navigation starts
// and whenever a page is shown, so it only ever runs for the page it was started by.
let refresh = null;
// On AWS, /config.json (written by scripts/deploy-web.sh) names the API and Cognito's hosted
// login; locally there is none: the API is this origin, and sign-in is the development page.
let config = {};

const t = (key) => texts[language][key] ?? key;
const token = () => sessionStorage.getItem("token");
const claims = () => {
  try {
    return JSON.parse(atob(token().split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  } catch {
    return null;
  }
};

/** A refusal in plain language, from the problem's code; never the raw JSON. */
class Refusal extends Error {
  constructor(code) {
    super(problems[language][code] ?? problems[language].other);
    this.code = code;
  }
}

/** Tries a request this many times when it is turned away with nothing recorded. */
const TRIES = 5;

/** How long to wait before trying again: the server's `Retry-After` if it gave one, else a
 * capped exponential backoff with full jitter, so that a crowd turned away together does not
 * come back together. */
function retryDelay(reply, attempt) {
  const after = Number(reply?.headers.get("retry-after"));
  if (after > 0) return Math.min(after, 30) * 1000;
  return Math.random() * Math.min(8000, 500 * 2 ** attempt);
}

/** Sends a request, and again (up to TRIES times) while it is turned away with nothing
 * recorded: a 429 from the gateway, a 503 `service-unavailable`, or any 503 to a read. Never a
 * vote answered `outcome-unknown`: the voter is told to look in My votes instead. Meanwhile
 * the page says it is waiting, not that something failed. */
async function send(method, path, headers, body, origin = config.apiUrl ?? "") {
  try {
    for (let attempt = 1; ; attempt++) {
      const reply = await reach(method, `${origin}${path}`, headers, body, attempt);
      const json = reply ? await reply.json().catch(() => ({})) : {};
      const nothingDone = !reply || reply.status === 429
        || (reply.status === 503 && (method === "GET" || json.code === "service-unavailable"));
      if (reply && (!nothingDone || attempt === TRIES)) return { reply, json };
      waiting.hidden = false;
      await new Promise((resolve) => setTimeout(resolve, retryDelay(reply, attempt)));
    }
  } finally {
    waiting.hidden = true;
  }
}

/** One try. A reply the browser cannot read (no answer, or the gateway's own 429, which may
 * come without CORS headers) is `null` for a read, to be tried again. For a write it may
 * have been recorded or not: the caller is told so, never sent it again. */
async function reach(method, url, headers, body, attempt) {
  try {
    return await fetch(url, { method, headers, body: body && JSON.stringify(body) });
  } catch (failure) {
    if (method !== "GET") throw new Refusal("outcome-unknown");
    if (attempt === TRIES) throw failure;
    return null;
  }
}

async function api(method, path, body) {
  const headers = { authorization: `Bearer ${token()}` };
  if (body) headers["content-type"] = "application/json";
  const { reply, json } = await send(method, path, headers, body);
  if (reply.status === 401) throw new Refusal("unauthenticated");
  if (!reply.ok) throw new Refusal(json.code ?? "other");
  return json;
}

/** The items of a list response (ElectionList, CandidateList, PledgeList, MyVoteList). */
const list = async (path) => (await api("GET", path)).items;

/** An element: tag, attributes (on* are listeners), children (strings are text). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (value !== false && value != null) element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.flat().filter((c) => c != null));
  return element;
}

/** A labelled input: [label, input]. */
const field = (id, label, attributes = {}) => [h("label", { for: id }, label), h("input", { id, name: id, required: true, ...attributes })];

const when = (instant) =>
  new Date(instant).toLocaleString(language === "ko" ? "ko-KR" : "en-GB", { dateStyle: "medium", timeStyle: "short" });

function stopRefresh() {
  clearInterval(refresh); // clears a timeout as well
  refresh = null;
}

function show(title, ...content) {
  stopRefresh();
  document.title = `${title} · ${t("title")}`;
  view.replaceChildren(h("h1", {}, title), ...content.filter((c) => c != null));
  view.focus();
}

function say(text) {
  message.textContent = text;
}

/** A confirmation dialog; `action` runs on confirm. */
function confirmWith(title, text, confirmText, action) {
  const dialog = h("dialog", { "aria-labelledby": "confirm-title" },
    h("h2", { id: "confirm-title" }, title), h("p", {}, text),
    h("button", { type: "button", onclick: async () => { dialog.close(); await action(); } }, confirmText),
    h("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, t("cancel")));
  document.body.append(dialog);
  dialog.addEventListener("close", () => dialog.remove());
  dialog.showModal();
}

// ---------- sign-in (on AWS): authorization code with PKCE, at either issuer ----------
// Officials sign in at the user pool's hosted login. Voters sign in with the national
// identity service (config.voterIssuer), or at the pool too when the stack names none.

const callback = () => `${location.origin}/`;

/** Where a provider signs in and hands out tokens. */
async function provider(name) {
  if (name === "voters" && config.voterIssuer) {
    const discovery = await fetch(`${config.voterIssuer}/.well-known/openid-configuration`).then((r) => r.json());
    return { authorize: discovery.authorization_endpoint, token: discovery.token_endpoint, clientId: config.voterClientId, scope: "openid" };
  }
  const pool = `https://${config.loginDomain}/oauth2`;
  return { authorize: `${pool}/authorize`, token: `${pool}/token`, clientId: config.clientId, scope: "openid email" };
}

async function hostedLogin(name) {
  const [verifier, state, at] = [randomText(), randomText(16), await provider(name)];
  sessionStorage.setItem("pkce", JSON.stringify({ verifier, state, name }));
  const query = new URLSearchParams({
    response_type: "code", client_id: at.clientId, redirect_uri: callback(), scope: at.scope,
    code_challenge_method: "S256", code_challenge: await challengeOf(verifier), state,
  });
  location.assign(`${at.authorize}?${query}`);
}

/** Back from a sign-in with `?code=`: trade it for tokens; the id token is the bearer. */
async function finishLogin() {
  const params = new URLSearchParams(location.search);
  if (!params.has("code")) return;
  const { verifier, state, name } = JSON.parse(sessionStorage.getItem("pkce") ?? "{}");
  sessionStorage.removeItem("pkce");
  history.replaceState(null, "", `/${location.hash}`);
  if (params.get("state") !== state) return;
  const at = await provider(name);
  const reply = await fetch(at.token, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code", client_id: at.clientId, code: params.get("code"),
      redirect_uri: callback(), code_verifier: verifier,
    }),
  });
  if (reply.ok) sessionStorage.setItem("token", (await reply.json()).id_token);
}

/** The development sign-in (local only): a token from either of the runner's providers. */
function localSignIn(issuer, fields) {
  const form = h(
    "form",
    {
      onsubmit: async (event) => {
        event.preventDefault();
        const data = new FormData(form);
        const reply = await fetch("/__local/token", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ issuer, sub: data.get(issuer === "national" ? "identityKey" : "sub"), groups: data.getAll("groups") }),
        });
        if (!reply.ok) return say(problems[language].other);
        sessionStorage.setItem("token", (await reply.json()).token);
        location.hash = "#/elections";
      },
    },
    ...fields,
  );
  return form;
}

function signIn() {
  if (config.loginDomain) {
    const buttons = [h("button", { type: "button", onclick: () => hostedLogin("officials") }, config.voterIssuer ? t("signInOfficial") : t("signIn"))];
    if (config.voterIssuer) buttons.push(h("button", { type: "button", onclick: () => hostedLogin("voters") }, t("signInVoter")));
    return show(t("signIn"), h("div", { class: "actions" }, buttons));
  }
  const officials = localSignIn("officials", [
    h("h2", {}, t("officials")),
    field("sub", t("sub"), { autocomplete: "username" }),
    h("fieldset", {}, h("legend", {}, t("roles")),
      ["candidate", "commission", "admin"].map((role) =>
        h("label", { class: "check" }, h("input", { type: "checkbox", name: "groups", value: role }), t(role)))),
    h("button", { type: "submit" }, t("signInOfficial")),
  ]);
  const voters = localSignIn("national", [
    h("h2", {}, t("voters")),
    field("identityKey", t("identityKey"), { autocomplete: "username" }),
    h("button", { type: "submit" }, t("signInVoter")),
  ]);
  show(t("signInTitle"), officials, voters);
}

async function elections() {
  const items = (await cached("/elections")).items.map((e) =>
    h(
      "li",
      {},
      h("a", { href: `#/elections/${e.electionId}` }, e.name),
      " ",
      h("span", { class: `status ${e.status}` }, t(e.status)),
      h("div", { class: "muted" }, `${t("window")}: ${when(e.votingStartsAt)} – ${when(e.votingEndsAt)}`),
      e.status === "closed" ? h("a", { href: `#/elections/${e.electionId}/results` }, t("results")) : null,
    ),
  );
  show(t("elections"), items.length ? h("ul", { class: "cards" }, items) : h("p", {}, t("none")));
}

/** The ballot page: one public request, the same document for every voter (cacheable). */
async function ballot(electionId) {
  const { election, candidates } = await cached(`/elections/${electionId}/ballot`);
  const rows = candidates.map((c) => {
    const { pledges } = c;
    return h(
      "li",
      { class: c.status === "withdrawn" ? "withdrawn" : "" },
      h("span", { class: "number", "aria-label": t("ballotNumber") }, String(c.ballotNumber)),
      h("div", {}, h("strong", {}, c.name), " ", h("span", { class: "muted" }, c.party),
        c.status === "withdrawn" ? h("span", { class: "status closed" }, t("withdrawn")) : null,
        h("details", {}, h("summary", {}, `${t("pledges")} (${pledges.length})`),
          pledges.length ? h("ul", {}, pledges.map((p) => h("li", {}, h("b", {}, p.title), ` — ${p.description}`))) : h("p", {}, t("noPledges")))),
      election.status === "open" && c.status !== "withdrawn"
        ? h("button", { type: "button", onclick: () => (election.verifiable ? sealBallot(election, c, candidates) : confirmVote(election, c)) }, t("vote"))
        : null,
    );
  });
  show(`${t("ballot")}: ${election.name}`,
    h("p", { class: "muted" }, `${t(election.status)} · ${when(election.votingStartsAt)} – ${when(election.votingEndsAt)}`),
    h("ol", { class: "ballot" }, rows),
    election.verifiable ? h("p", {}, h("a", { href: `#/elections/${electionId}/board` }, t("board"))) : null,
    h("a", { href: `#/elections/${electionId}/results` }, t("results")));
}

/** A public call: no token, so that nothing in it names the voter (the board, a challenge). */
async function publicApi(method, path, body, origin) {
  const headers = body ? { "content-type": "application/json" } : {};
  const { reply, json } = await send(method, path, headers, body, origin);
  if (!reply.ok) throw new Refusal(json.code ?? "other");
  return json;
}

/** A public document the API serves with Cache-Control (the ballot, the board, the results):
 * read through the stack's cache at the edge (config.publicUrl), where there is one. */
const cached = (path) => publicApi("GET", path, undefined, config.publicUrl ?? config.apiUrl ?? "");

/** A verifiable election: the ballot is encrypted and proven here, on the device, and the
 * voter sees its tracking code before choosing to cast it or to challenge it (Benaloh). */
async function sealBallot(election, candidate, candidates) {
  const ee1 = await import("ee1");
  const ceremony = await cached(`/elections/${election.electionId}/ceremony`);
  const slots = ceremony.election.manifest.candidates;
  const position = slots.findIndex((c) => c.id === candidate.candidateId);
  // A candidate withdrawn since the manifest froze keeps their slot, proven 0 on this ballot.
  const gone = new Set(candidates.filter((c) => c.status === "withdrawn").map((c) => c.candidateId));
  const withdrawn = slots.flatMap((c, j) => (gone.has(c.id) ? [j] : []));
  const { ballot: sealed, secrets } = ee1.encrypt(ee1.context(ceremony.election), position, undefined, withdrawn);
  const code = ee1.shortCode(sealed.tracking_code);
  const done = () => secrets.discard();
  show(t("sealed"),
    h("p", {}, `${candidate.ballotNumber}. ${candidate.name} (${candidate.party})`),
    h("p", {}, t("trackingCode"), ": ", h("output", { id: "tracking-code" }, code)),
    h("p", { class: "muted" }, t("sealedHint")),
    h("button", { type: "button", onclick: async () => {
      try {
        const receipt = await api("POST", `/elections/${election.electionId}/votes`, { ballot: sealed });
        done();
        showReceipt(receipt, election);
      } catch (refusal) {
        say(refusal.message);
      }
    } }, t("castBallot")),
    h("button", { type: "button", class: "secondary", onclick: async () => {
      const reveal = secrets.reveal();
      done();
      try {
        await publicApi("POST", `/elections/${election.electionId}/challenges`, { ballot: sealed, reveal });
        showChallenge(election, ee1, ceremony.election, sealed, reveal);
      } catch (refusal) {
        say(refusal.message);
      }
    } }, t("challenge")));
}

/** The challenged ballot: what it held, the page's own check, and how to check it elsewhere. */
function showChallenge(election, ee1, file, sealed, reveal) {
  const chosen = file.manifest.candidates[reveal.choices.indexOf(1)];
  const checked = ee1.checkReveal(ee1.context(file), sealed, reveal);
  show(t("challenged"),
    h("p", {}, t("trackingCode"), ": ", h("code", {}, ee1.shortCode(sealed.tracking_code))),
    h("p", {}, t("challengedHeld"), ": ", h("strong", { id: "challenged-choice" }, chosen?.name ?? "?")),
    h("p", { role: "status" }, checked ? t("revealChecks") : t("revealFails")),
    h("p", { class: "muted" }, t("challengeHint")),
    h("button", { type: "button", onclick: () => go(`#/elections/${election.electionId}`) }, t("startAgain")));
}

/** What a board lookup found, for the voter: counted, challenged, or late (not counted). */
const boardStatus = (found) => t({ cast: "onBoard", challenged: "onBoardChallenged", late: "onBoardLate" }[found.status]);

/** The board: look a tracking code up (a public call, without the voter's token). */
async function board(electionId, code = "") {
  const input = h("input", { id: "code", name: "code", required: true, value: code, autocomplete: "off", spellcheck: "false" });
  const outcome = h("p", { id: "board-outcome", role: "status" });
  const lookUp = async (text) => {
    try {
      const found = await cached(`/elections/${electionId}/board/${encodeURIComponent(text.trim().toLowerCase())}`);
      outcome.textContent = boardStatus(found);
    } catch (refusal) {
      outcome.textContent = refusal.code === "not-found" ? t("notOnBoard") : refusal.message;
    }
  };
  const form = h("form", { onsubmit: (event) => { event.preventDefault(); lookUp(input.value); } },
    h("label", { for: "code" }, t("trackingCodeFull")), input, h("button", { type: "submit" }, t("lookUp")));
  show(t("board"), h("p", { class: "muted" }, t("boardHint")), form, outcome);
  if (code) await lookUp(code);
}

function confirmVote(election, candidate) {
  confirmWith(`${candidate.ballotNumber}. ${candidate.name} (${candidate.party})`, t("confirmVote"), t("confirm"), async () => {
    try {
      const receipt = await api("POST", `/elections/${election.electionId}/votes`, { candidateId: candidate.candidateId });
      showReceipt(receipt, election);
    } catch (refusal) {
      say(refusal.message);
    }
  });
}

function showReceipt(receipt, election) {
  say("");
  const number = h("output", { id: "receipt-id" }, receipt.receiptId);
  const tracked = receipt.trackingCode
    ? [h("p", {}, t("trackingCodeFull"), ": ", h("code", { id: "receipt-code" }, receipt.trackingCode)),
      h("p", {}, h("a", { href: `#/elections/${election.electionId}/board/${receipt.trackingCode}` }, t("lookUp")))]
    : [];
  show(t("receipt"),
    h("p", {}, election.name),
    ...tracked,
    h("p", {}, number),
    h("p", { class: "muted" }, `${t("castAt")}: ${when(receipt.castAt)}`),
    h("p", {}, t("receiptHint")),
    h("button", { type: "button", onclick: async () => { await navigator.clipboard?.writeText(receipt.receiptId).catch(() => {}); say(t("copied")); } }, t("copy")));
}

async function myVotes() {
  // An encrypted ballot's choice only the device knew: its tracking code instead, looked up
  // on the public board by a call without the voter's token.
  const votes = await list("/me/votes");
  const onBoard = await Promise.all(votes.map((v) => v.trackingCode
    ? cached(`/elections/${v.electionId}/board/${v.trackingCode}`).then(boardStatus, () => t("notOnBoard"))
    : null));
  const rows = votes.map((v, i) =>
    h("li", {}, h("strong", {}, v.electionName),
      v.trackingCode
        ? h("div", {}, `${t("trackingCodeFull")}: `, h("code", {}, v.trackingCode), h("div", { class: "muted" }, onBoard[i]))
        : h("div", {}, `${v.ballotNumber}. ${v.candidateName}`),
      h("div", { class: "muted" }, `${t("castAt")}: ${when(v.castAt)} · ${t("receipt")}: `, h("code", {}, v.receiptId))));
  show(t("myVotes"), rows.length ? h("ul", { class: "cards" }, rows) : h("p", {}, t("none")));
}

/** A verifiable election's results: the trustees' decryption of the frozen tally, which
 * anyone can check against the published ballots. */
async function verifiableResults(electionId) {
  // All from the edge: the candidates from the ballot's document, the tally, the results.
  const [{ candidates }, tally] = await Promise.all([
    cached(`/elections/${electionId}/ballot`),
    cached(`/elections/${electionId}/tally`).catch((refusal) => {
      if (refusal.code === "not-certifiable") return null;
      throw refusal;
    }),
  ]);
  if (!tally) return show(t("results"), h("p", {}, t("tallyAfterClose")));
  if (!tally.result) {
    return show(t("results"), h("p", { role: "status" },
      t("decrypting").replace("{k}", tally.decryptedBy.length).replace("{t}", tally.threshold)));
  }
  // Certified once the commission's recount found the box's ciphertexts sum to this tally.
  const certified = await cached(`/elections/${electionId}/results`).then((r) => r.final, () => false);
  const byId = new Map(candidates.map((c) => [c.candidateId, c]));
  const total = tally.result.reduce((sum, r) => sum + r.count, 0);
  const bars = tally.result.map((r) => {
    const c = byId.get(r.candidate) ?? {};
    const share = total ? (100 * r.count) / total : 0;
    return h("li", {},
      h("div", { class: "label" }, `${c.ballotNumber ?? "…"}. ${c.name ?? "…"} (${c.party ?? "…"})`),
      h("div", { class: "bar", role: "img", "aria-label": `${c.name}: ${r.count} ${t("votes")}, ${share.toFixed(1)}%` },
        h("span", { style: `width:${share}%` })),
      h("div", { class: "figures" }, `${r.count.toLocaleString()} ${t("votes")} · ${share.toFixed(1)}%`));
  });
  show(t("results"),
    h("p", {}, h("strong", {}, certified ? t("final") : t("decrypted")), ` · ${t("total")}: ${total.toLocaleString()} · ${t("decryptedBy")}: ${tally.decryptedBy.join(", ")}`),
    h("ol", { class: "chart" }, bars),
    h("p", { class: "muted" }, t("checkIt")));
}

async function results(electionId) {
  // The election from the ballot's document, and the public results from the edge: at the
  // close the crowd that polls them (every 5 s, the cache's age) reaches the API rarely.
  const { election } = await cached(`/elections/${electionId}/ballot`);
  if (election.verifiable) return verifiableResults(electionId);
  const path = asOfficial(`/elections/${electionId}/results`);
  let body;
  try {
    body = await (path.endsWith("/live") ? api("GET", path) : cached(path));
  } catch (refusal) {
    if (refusal.code === "forbidden") return show(t("results"), h("p", {}, t("resultsAfterClose")));
    throw refusal;
  }
  const total = body.totalVotes || 0;
  const bars = body.candidates.map((c) => {
    const share = total ? (100 * c.votes) / total : 0;
    return h("li", {},
      // A name not yet in the view (its registration still on its way) shows as an ellipsis.
      h("div", { class: "label" }, `${c.ballotNumber ?? "…"}. ${c.name ?? "…"} (${c.party ?? "…"})`, c.withdrawn ? h("span", { class: "status closed" }, t("withdrawn")) : null),
      h("div", { class: "bar", role: "img", "aria-label": `${c.name}: ${c.votes} ${t("votes")}, ${share.toFixed(1)}%` },
        h("span", { style: `width:${share}%` })),
      h("div", { class: "figures" }, `${c.votes.toLocaleString()} ${t("votes")} · ${share.toFixed(1)}%`));
  });
  show(`${t("results")}`,
    h("p", {}, h("strong", {}, body.final ? t("final") : t("provisional")), ` · ${t("total")}: ${total.toLocaleString()} · ${t("asOf")}: ${when(body.asOf)}`),
    body.lateBallots > 0 ? h("p", { role: "alert" }, `${t("lateBallots")}: ${body.lateBallots.toLocaleString()}`) : null,
    h("ol", { class: "chart" }, bars));
  // While the count may still move, keep it fresh: a chain of timeouts, each read showing the
  // page again and arming the next; a failed read is retried, unless another page has started.
  if (!body.final) {
    const again = () => {
      const timer = setTimeout(() => results(electionId).catch(() => refresh === timer && again()), 5000);
      refresh = timer;
    };
    again();
  }
}

// ---------- the commission ----------

async function manage() {
  const registered = await list("/elections");
  const form = h("form", {
    onsubmit: async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      try {
        // Entered in the user's time zone, stored in UTC.
        const body = {
          name: data.get("election-name"),
          votingStartsAt: new Date(data.get("starts-at")).toISOString(),
          votingEndsAt: new Date(data.get("ends-at")).toISOString(),
        };
        // A verifiable election: its trustees' accounts (one a line) and how many must decrypt.
        if (data.get("verifiable")) {
          const trustees = String(data.get("trustees")).split(/\s+/).filter(Boolean);
          body.verifiable = { trustees, threshold: Number(data.get("threshold")) };
        }
        const created = await api("POST", "/elections", body);
        location.hash = `#/elections/${created.electionId}/manage`;
      } catch (refusal) {
        say(refusal.message);
      }
    },
  },
  field("election-name", t("electionName")),
  field("starts-at", t("startsAt"), { type: "datetime-local", step: 1 }),
  field("ends-at", t("endsAt"), { type: "datetime-local", step: 1 }),
  h("fieldset", {},
    h("legend", {}, t("verifiableMode")),
    h("input", { type: "checkbox", id: "verifiable", name: "verifiable", value: "on" }),
    h("label", { for: "verifiable" }, t("verifiableChoice")),
    h("p", { class: "muted" }, t("verifiableHint")),
    h("label", { for: "trustees" }, t("trusteeAccounts")),
    h("textarea", { id: "trustees", name: "trustees", rows: 3, spellcheck: "false" }),
    field("threshold", t("threshold"), { type: "number", min: 1, max: 99, value: 2, required: false })),
  h("button", { type: "submit" }, t("register")));
  const items = registered.map((e) =>
    h("li", {}, h("a", { href: `#/elections/${e.electionId}/manage` }, e.name), " ",
      h("span", { class: `status ${e.status}` }, t(e.status))));
  show(t("manage"), h("h2", {}, t("registerElection")), form, h("h2", {}, t("elections")), h("ul", { class: "cards" }, items));
}

async function manageElection(electionId) {
  const [election, candidates] = await Promise.all([
    api("GET", `/elections/${electionId}`),
    list(`/elections/${electionId}/candidates`),
  ]);
  const attempt = async (work, done) => {
    try {
      await work();
      await manageElection(electionId);
      say(done);
    } catch (refusal) {
      say(refusal.message);
    }
  };
  const form = h("form", {
    onsubmit: (event) => {
      event.preventDefault();
      const data = new FormData(form);
      attempt(() => api("POST", `/elections/${electionId}/candidates`, {
        ballotNumber: Number(data.get("ballot-number")), party: data.get("party"),
        name: data.get("candidate-name"), userId: data.get("user-id"),
      }), t("registered"));
    },
  },
  field("ballot-number", t("ballotNumber"), { type: "number", min: 1, max: 999 }),
  field("party", t("party")),
  field("candidate-name", t("name")),
  field("user-id", t("userId")),
  h("button", { type: "submit" }, t("registerCandidate")));
  const rows = candidates.map((c) =>
    h("li", {}, `${c.ballotNumber}. ${c.name} (${c.party}) `,
      c.status === "withdrawn"
        ? h("span", { class: "status closed" }, t("withdrawn"))
        : h("button", { type: "button", class: "secondary", onclick: () =>
          confirmWith(`${c.ballotNumber}. ${c.name}`, t("confirmWithdraw"), t("withdraw"),
            () => attempt(() => api("DELETE", `/elections/${electionId}/candidates/${c.candidateId}`), "")) }, t("withdraw"))));
  show(`${t("manage")}: ${election.name}`,
    h("p", { class: "muted" }, `${t(election.status)} · ${when(election.votingStartsAt)} – ${when(election.votingEndsAt)}`),
    h("h2", {}, t("candidates")), h("ul", { class: "cards" }, rows),
    h("h2", {}, t("registerCandidate")), form,
    ...await ceremonySection(election, attempt),
    ...await rollSection(electionId, attempt),
    h("p", {}, h("a", { href: `#/elections/${electionId}/results` }, t("results")), " · ",
      h("a", { href: `#/elections/${electionId}/turnout` }, t("turnout"))),
    h("button", { type: "button", onclick: () => certify(electionId) }, t("certify")));
}

/** A verifiable election's key ceremony, for the commission: its phase, a way to start it,
 *  and each trustee's fingerprint to check out of band (by phone, in person) against the one
 *  the trustee's own `trustee keygen` printed. Nothing for an election that is not verifiable. */
async function ceremonySection(election, attempt) {
  if (!election.verifiable) return [];
  const path = `/elections/${election.electionId}/ceremony`;
  const ceremony = await api("GET", path);
  const missed = election.status === "closed" && !election.verifiable.ceremonyCompletedAt;
  const fingerprints = ceremony.keys.length
    ? h("table", { id: "fingerprints" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("trustee")), h("th", { scope: "col" }, t("fingerprint")))),
      h("tbody", {}, ceremony.keys.map((k) => h("tr", {}, h("td", {}, String(k.index)), h("td", {}, h("code", {}, k.fingerprint))))))
    : h("p", {}, t("noKeysYet"));
  return [
    h("h2", {}, t("keyCeremony")),
    h("p", { role: "status" }, `${t("ceremonyPhase")[ceremony.phase] ?? ceremony.phase} · `,
      t("trusteesOf").replace("{t}", ceremony.threshold).replace("{n}", ceremony.trustees)),
    ...(missed ? [h("p", { role: "alert", class: "warning" }, t("ceremonyMissed"))] : []),
    ...(ceremony.phase === "not-started" && !missed
      ? [h("button", { type: "button", onclick: () => attempt(() => api("POST", path), t("ceremonyStarted")) }, t("startCeremony"))]
      : []),
    h("h3", {}, t("fingerprints")), fingerprints,
  ];
}

/** A roll's state, counts and refused rows. */
function rollReport(roll) {
  return h("div", { id: "roll-report" },
    h("p", { role: "status" }, `${t("rollState")[roll.state] ?? roll.state} · `,
      t("rollProgress").replace("{done}", roll.rowsDone.toLocaleString()).replace("{refused}", roll.rowsRefused.toLocaleString())),
    h("h3", {}, t("refusedRows")),
    roll.refused.length
      ? h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("line")), h("th", { scope: "col" }, t("reason")))),
        h("tbody", {}, roll.refused.map((r) => h("tr", {}, h("td", {}, String(r.line)), h("td", {}, r.reason)))))
      : h("p", {}, t("noRefusals")));
}

/** The commission's part of the roll: the roll in force, a new upload followed until it is
 *  imported, and corrections. */
async function rollSection(electionId, attempt) {
  const roll = await api("GET", `/elections/${electionId}/roll`);
  const districts = h("ul", { class: "cards" }, roll.districts.map((d) => h("li", {}, `${d.district}: ${d.voters.toLocaleString()}`)));
  const report = h("div", {});
  const upload = h("form", {
    onsubmit: async (event) => {
      event.preventDefault();
      const file = new FormData(upload).get("roll-file");
      try {
        const started = await api("POST", `/elections/${electionId}/roll/imports`);
        const put = await fetch(started.uploadUrl, { method: "PUT", headers: { "content-type": "text/csv" }, body: file });
        if (!put.ok) throw new Refusal("other");
        let current = started.roll;
        while (current.state === "awaiting-upload" || current.state === "importing") {
          report.replaceChildren(rollReport(current));
          await new Promise((resolve) => setTimeout(resolve, 1000));
          current = await api("GET", `/elections/${electionId}/roll/imports/${current.rollId}`);
        }
        await manageElection(electionId);
        document.getElementById("roll-upload-report").replaceChildren(rollReport(current));
      } catch (refusal) {
        say(refusal.message);
      }
    },
  },
  field("roll-file", t("rollFile"), { type: "file", accept: ".csv,text/csv" }),
  h("button", { type: "submit" }, t("uploadRoll")));
  const correct = (kind) => {
    const form = h("form", {
      onsubmit: (event) => {
        event.preventDefault();
        const data = new FormData(form);
        const key = data.get(`${kind}-identity`);
        const body = kind === "add" ? { add: [{ identityKey: key, district: data.get("add-district") }] } : { remove: [key] };
        let outcome;
        attempt(async () => {
          const reply = await api("POST", `/elections/${electionId}/roll/corrections`, body);
          outcome = t("correction")[(reply.added[0] ?? reply.removed[0])];
        }, "").then(() => outcome && say(outcome));
      },
    },
    field(`${kind}-identity`, t("identityKey")),
    kind === "add" ? field("add-district", t("district")) : null,
    h("button", { type: "submit" }, t(kind === "add" ? "addVoter" : "removeVoter")));
    return form;
  };
  return [
    h("h2", {}, t("roll")),
    h("p", {}, `${t("rollInForce")}: ${t("rollVoters")} ${roll.voters.toLocaleString()} · ${t("rollChangesUntil")}: ${when(roll.changesUntil)}`),
    districts,
    h("div", { id: "roll-upload-report" }, report),
    upload,
    h("h3", {}, t("corrections")), correct("add"), correct("remove"),
  ];
}

/** Turnout: by district and by hour, as bars with their figures. */
async function turnout(electionId) {
  let body;
  try {
    const path = asOfficial(`/elections/${electionId}/turnout`);
    body = await (path.endsWith("/live") ? api("GET", path) : cached(path));
  } catch (refusal) {
    if (refusal.code === "forbidden") return show(t("turnout"), h("p", {}, t("turnoutAfterClose")));
    throw refusal;
  }
  const percent = (share) => `${(100 * share).toFixed(1)}%`;
  const bar = (label, share, figures) => h("li", {},
    h("div", { class: "label" }, label),
    h("div", { class: "bar", role: "img", "aria-label": `${label}: ${figures}` }, h("span", { style: `width:${100 * share}%` })),
    h("div", { class: "figures" }, figures));
  show(t("turnout"),
    h("p", {}, h("strong", {}, percent(body.share)), ` · ${t("voted")} ${body.voted.toLocaleString()} / ${t("onRoll")} ${body.onRoll.toLocaleString()}`),
    h("h2", {}, t("byDistrict")),
    h("ol", { class: "chart" }, body.districts.map((d) =>
      bar(d.district, d.share, `${d.voted.toLocaleString()} / ${d.onRoll.toLocaleString()} · ${percent(d.share)}`))),
    h("h2", {}, t("byHour")),
    h("ol", { class: "chart" }, body.hours.map((hour) =>
      bar(when(hour.hour), hour.shareSoFar, `${hour.voted.toLocaleString()} · ${percent(hour.shareSoFar)}`))));
  const timer = setTimeout(() => turnout(electionId).catch(() => {}), 10000);
  refresh = timer;
}

/** Certification is a job: ask for it (or join the one under way), then follow its
 *  progress, part by part, until its workers have finished. */
async function certify(electionId) {
  const path = `/elections/${electionId}/certification`;
  try {
    let job = await api("POST", path);
    for (let polls = 1; job.state === "recounting"; polls += 1) {
      say(t("recounting").replace("{done}", job.partsDone).replace("{parts}", job.parts));
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // Now and then the request again: it joins the job, and sends its lost parts again
      // if it has stalled.
      job = await api(polls % 30 === 0 ? "POST" : "GET", path);
    }
    if (job.state === "certified") {
      await manageElection(electionId);
      say(t("certified"));
    } else {
      say(`${t("certificationRefused")} ${job.refusal ?? ""}`);
    }
  } catch (refusal) {
    say(refusal.message);
  }
}

// ---------- the candidate ----------

async function candidacy() {
  const me = claims()?.sub;
  // Every election's candidates at once; [election, candidate] pairs in the elections' order.
  const mine = (await Promise.all((await list("/elections")).map(async (e) =>
    (await list(`/elections/${e.electionId}/candidates`)).filter((c) => c.userId === me).map((c) => [e, c])))).flat();
  if (!mine.length) return show(t("candidacy"), h("p", {}, t("noCandidacy")));
  // Each candidate's section, with its live count's <output> kept for the refresh.
  const entries = await Promise.all(mine.map(async ([election, c]) => {
    const pledges = await list(`/candidates/${c.candidateId}/pledges`);
    const form = h("form", {
      onsubmit: async (event) => {
        event.preventDefault();
        const data = new FormData(form);
        try {
          await api("POST", `/candidates/${c.candidateId}/pledges`,
            { theme: data.get(`theme-${c.candidateId}`), title: data.get(`title-${c.candidateId}`), description: data.get(`description-${c.candidateId}`) });
          await candidacy();
        } catch (refusal) {
          say(refusal.message);
        }
      },
    },
    field(`theme-${c.candidateId}`, t("theme")),
    field(`title-${c.candidateId}`, t("pledgeTitle")),
    field(`description-${c.candidateId}`, t("description")),
    h("button", { type: "submit" }, t("addPledge")));
    const count = h("output", { class: "pledge-count" }, String(c.pledgeCount));
    const section = h("section", {},
      h("h2", {}, `${election.name}: ${c.ballotNumber}. ${c.name} (${c.party})`),
      h("p", {}, `${t("pledgeCount")}: `, count),
      h("ul", { class: "cards" }, pledges.map((p) =>
        h("li", {}, h("b", {}, p.title), ` (${p.theme}) — ${p.description} `,
          h("button", { type: "button", class: "secondary", onclick: async () => {
            try {
              await api("DELETE", `/candidates/${c.candidateId}/pledges/${p.pledgeId}`);
              await candidacy();
            } catch (refusal) {
              say(refusal.message);
            }
          } }, `${t("deletePledge")}: ${p.title}`)))),
      form);
    return { c, count, section };
  }));
  show(t("candidacy"), ...entries.map(({ section }) => section));
  // The live pledge count is kept by the pipeline: keep reading it.
  refresh = setInterval(async () => {
    for (const { c, count } of entries) {
      const fresh = await api("GET", `/candidates/${c.candidateId}`).catch(() => null);
      if (fresh) count.textContent = String(fresh.pledgeCount);
    }
  }, 3000);
}

// ---------- routing ----------

// [pattern, page, the role it is for (none: every signed-in user)]
const routes = [
  [/^#\/signin$/, signIn],
  [/^#\/manage$/, manage, "commission"],
  [/^#\/elections\/([^/]+)\/manage$/, manageElection, "commission"],
  [/^#\/candidacy$/, candidacy, "candidate"],
  [/^#\/elections\/([^/]+)\/results$/, results],
  [/^#\/elections\/([^/]+)\/turnout$/, turnout],
  [/^#\/elections\/([^/]+)\/board(?:\/([0-9a-f]+))?$/, board],
  [/^#\/elections\/([^/]+)$/, ballot],
  [/^#\/me\/votes$/, myVotes, "voter"],
  [/^#\/elections$/, elections],
];
/** The caller's roles: a token of the voters' own issuer is a voter's; a pool token carries
 * its groups, and is a voter's too when voters sign in at the pool. */
function groups() {
  const who = claims();
  if (!who) return [];
  if (config.voterIssuer && who.iss === config.voterIssuer) return ["voter"];
  const pool = who["cognito:groups"] ?? [];
  return config.voterIssuer ? pool : [...pool, "voter"];
}
/** Officials read results and turnout as they stand; everyone else, once voting has ended. */
const asOfficial = (path) => (groups().some((g) => ["commission", "admin", "candidate"].includes(g)) ? `${path}/live` : path);

async function route() {
  // Navigation starts: the previous page's refresh stops here, before the next page loads.
  stopRefresh();
  translate();
  if (!token() && location.hash !== "#/signin") return (location.hash = "#/signin");
  const hash = location.hash || "#/elections";
  const [, page, role, match] =
    routes.map(([pattern, page, role]) => [pattern, page, role, hash.match(pattern)]).find(([, , , m]) => m) ?? [];
  say("");
  if (role && !groups().includes(role)) {
    return show(t("title"), h("p", { role: "status" }, problems[language].forbidden));
  }
  try {
    await (page ? page(...match.slice(1)) : elections());
  } catch (refusal) {
    if (refusal.code === "unauthenticated") {
      sessionStorage.removeItem("token");
      location.hash = "#/signin";
    }
    say(refusal.message);
  }
}

/** Shows the page at `hash`, even when it is the one in the address bar already. */
function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function translate() {
  document.documentElement.lang = language;
  document.getElementById("language").value = language;
  for (const element of document.querySelectorAll("[data-text]")) element.textContent = t(element.dataset.text);
  const who = claims();
  document.getElementById("who").textContent = who ? (who[config.voterIdentityClaim] ?? who.sub) : "";
  // Each role sees its own pages; the API refuses the others anyway.
  const roles = groups();
  for (const link of document.querySelectorAll("[data-role]")) link.hidden = !roles.includes(link.dataset.role);
  document.getElementById("sign-out").hidden = !who;
}

document.getElementById("language").addEventListener("change", (event) => {
  language = event.target.value;
  localStorage.setItem("language", language);
  route();
});
document.getElementById("sign-out").addEventListener("click", () => {
  sessionStorage.removeItem("token");
  if (config.loginDomain) {
    const query = new URLSearchParams({ client_id: config.clientId, logout_uri: callback() });
    return location.assign(`https://${config.loginDomain}/logout?${query}`);
  }
  location.hash = "#/signin";
});
window.addEventListener("hashchange", route);
config = await fetch("/config.json").then((r) => (r.ok ? r.json() : {})).catch(() => ({}));
await finishLogin();
route();
