// The S256 challenge is the one RFC 7636 gives for its example verifier (appendix B).
import { test } from "node:test";
import assert from "node:assert/strict";
import { challengeOf, randomText } from "../pkce.js";

test("the PKCE challenge of RFC 7636's example verifier", async () => {
  assert.equal(
    await challengeOf("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
  );
  const verifier = randomText();
  assert.match(verifier, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(verifier, randomText());
});
