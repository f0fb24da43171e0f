// PKCE (RFC 7636) for Cognito's hosted login: a random verifier and its S256 challenge.
const base64url = (bytes) =>
  btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

export const randomText = (length = 32) => base64url(crypto.getRandomValues(new Uint8Array(length)));

export async function challengeOf(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}
