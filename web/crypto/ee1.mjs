// The verifiable ballot on the voter's device: ee1's encryption, proofs, tracking code and
// Benaloh reveal (shared/crypto, spec 7) in JavaScript, on @noble/curves' ristretto255 and
// @noble/hashes' SHA-512. It must agree with the Rust crate byte for byte: the tests run the
// crate's vectors (shared/crypto/tests/vectors.json) in Node and in Chromium.
//
// Bundled by scripts/web-crypto.sh (pinned esbuild) into web/ee1.js, which the app serves
// itself, with subresource integrity. Nothing here calls the network.
import { ristretto255 } from "@noble/curves/ed25519.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";

const Point = ristretto255.Point;
const G = Point.BASE;
const ELL = Point.Fn.ORDER;

const utf8 = (text) => new TextEncoder().encode(text);
const mod = (x) => ((x % ELL) + ELL) % ELL;

function u64le(x) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(x), true);
  return out;
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A 32-byte little-endian scalar below ℓ. */
function scalarBytes(x) {
  const out = new Uint8Array(32);
  for (let i = 0, v = x; i < 32; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

function littleEndian(bytes) {
  let x = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(bytes[i]);
  return x;
}

/** A 64-byte digest as a scalar (wide reduction, as dalek's `from_bytes_mod_order_wide`). */
const wide = (bytes) => littleEndian(bytes) % ELL;

/** Spec 2.2: every field, the tag first, as `u64le(len) ‖ bytes`, hashed by SHA-512. */
class Framed {
  constructor(tag) {
    this.hash = sha512.create();
    this.bytes(utf8(tag));
  }

  bytes(field) {
    this.hash.update(u64le(field.length));
    this.hash.update(field);
    return this;
  }

  u64(x) {
    return this.bytes(u64le(x));
  }

  text(s) {
    return this.bytes(utf8(s));
  }

  digest() {
    return this.hash.digest();
  }

  challenge() {
    return wide(this.digest());
  }
}

/** Test-vector randomness (spec 12): `H("ee1/test-vector", seed, prefix ‖ label, u64(k))`. */
export function seeded(seed, prefix = "") {
  const derive = (label, k) =>
    new Framed("ee1/test-vector").bytes(seed).text(prefix + label).u64(k).digest();
  return {
    scalar(label) {
      for (let k = 0; ; k++) {
        const s = wide(derive(label, k));
        if (s !== 0n) return s;
      }
    },
    id: (label) => derive(label, 0).slice(0, 16),
    scoped: (more) => seeded(seed, prefix + more),
  };
}

/** The device's randomness: 64 bytes from `crypto.getRandomValues`, wide-reduced. */
export const deviceRandomness = {
  scalar() {
    for (;;) {
      const s = wide(crypto.getRandomValues(new Uint8Array(64)));
      if (s !== 0n) return s;
    }
  },
  id: () => crypto.getRandomValues(new Uint8Array(16)),
  scoped() {
    return deviceRandomness;
  },
};

/** What every ballot operation needs, from the election file (spec 9.1). */
export function context(election) {
  return {
    jointKey: Point.fromBytes(hexToBytes(election.ceremony.joint_key)),
    extendedBaseHash: hexToBytes(election.ceremony.extended_base_hash),
    candidates: election.manifest.candidates.length,
  };
}

function rangeChallenge(ctx, id, j, points) {
  return points
    .reduce((h, p) => h.bytes(p), new Framed("ee1/range").bytes(ctx.extendedBaseHash).bytes(id).u64(j))
    .challenge();
}

function sumChallenge(ctx, id, pairs, a, b) {
  return new Framed("ee1/sum")
    .bytes(ctx.extendedBaseHash)
    .bytes(id)
    .u64(pairs.length)
    .bytes(concat(pairs.flatMap((c) => [c.alpha, c.beta])))
    .bytes(a)
    .bytes(b)
    .challenge();
}

function zeroChallenge(ctx, id, j, c, a, b) {
  return new Framed("ee1/zero").bytes(ctx.extendedBaseHash).bytes(id).u64(j).bytes(c.alpha).bytes(c.beta).bytes(a).bytes(b).challenge();
}

/** Spec 7.2; with zero proofs (7.4), two more fields: their number and each `slot ‖ c ‖ v`. */
function trackingCode(ctx, id, encrypted, sum, zeros) {
  const framed = new Framed("ee1/ballot")
    .bytes(ctx.extendedBaseHash)
    .bytes(id)
    .u64(encrypted.length)
    .bytes(concat(encrypted.flatMap((c) => [c.alpha, c.beta, ...[c.c0, c.c1, c.v0, c.v1].map(scalarBytes)])))
    .bytes(concat([scalarBytes(sum.c), scalarBytes(sum.v)]));
  if (zeros.length === 0) return framed.digest();
  return framed.u64(zeros.length).bytes(concat(zeros.flatMap((z) => [u64le(z.slot), scalarBytes(z.c), scalarBytes(z.v)]))).digest();
}

/** One ciphertext of `vote` (0 or 1) under nonce `r`, with its disjunctive 0/1 proof. Every
 * multiplication is the constant-time one: which branch is simulated is the vote. */
function encryptOne(ctx, id, j, vote, r, rng) {
  const k = ctx.jointKey;
  const alpha = G.multiply(r);
  const beta = vote ? G.add(k.multiply(r)) : k.multiply(r);
  const u = rng.scalar(`range/${j}/u`);
  const simC = rng.scalar(`range/${j}/c`);
  const simV = rng.scalar(`range/${j}/v`);
  const real = [G.multiply(u), k.multiply(u)];
  const simA = G.multiply(simV).subtract(alpha.multiply(simC));
  const simulated = (y) => [simA, k.multiply(simV).subtract(y.multiply(simC))];
  const [alphaBytes, betaBytes] = [alpha.toBytes(), beta.toBytes()];
  const challenge = (commitments) =>
    rangeChallenge(ctx, id, j, [alphaBytes, betaBytes, ...commitments.map((p) => p.toBytes())]);
  let proof;
  if (vote) {
    const c1 = mod(challenge([...simulated(beta), ...real]) - simC);
    proof = { c0: simC, c1, v0: simV, v1: mod(u + c1 * r) };
  } else {
    const c0 = mod(challenge([...real, ...simulated(beta.subtract(G))]) - simC);
    proof = { c0, c1: simC, v0: mod(u + c0 * r), v1: simV };
  }
  return { alpha: alphaBytes, beta: betaBytes, ...proof };
}

const proofJson = (p) => ({ c0: hex(p.c0), c1: hex(p.c1), v0: hex(p.v0), v1: hex(p.v1) });
const hex = (x) => bytesToHex(typeof x === "bigint" ? scalarBytes(x) : x);

/**
 * Encrypts a vote for candidate position `choice` with every proof (spec 7), as the Rust
 * crate's `ballot::encrypt_with`: each `withdrawn` position proven 0 (7.4). Returns the
 * ballot as published (its JSON) and the secrets a Benaloh challenge reveals;
 * `secrets.discard()` drops them once the ballot is cast.
 */
export function encrypt(ctx, choice, rng = deviceRandomness, withdrawn = []) {
  if (!Number.isInteger(choice) || choice < 0 || choice >= ctx.candidates) {
    throw new RangeError(`no candidate at position ${choice}`);
  }
  const slots = [...new Set(withdrawn)].sort((x, y) => x - y);
  if (slots.some((j) => j === choice || !Number.isInteger(j) || j < 0 || j >= ctx.candidates)) {
    throw new RangeError(`the withdrawn positions ${slots} cannot be proven 0 on a vote for ${choice}`);
  }
  const id = rng.id("id");
  const choices = Array.from({ length: ctx.candidates }, (_, j) => (j === choice ? 1 : 0));
  const nonces = choices.map((_, j) => rng.scalar(`nonce/${j}`));
  const encrypted = choices.map((v, j) => encryptOne(ctx, id, j, v === 1, nonces[j], rng));
  const u = rng.scalar("sum/u");
  const a = G.multiply(u).toBytes();
  const b = ctx.jointKey.multiply(u).toBytes();
  const c = sumChallenge(ctx, id, encrypted, a, b);
  const sum = { c, v: mod(u + c * mod(nonces.reduce((s, r) => s + r, 0n))) };
  // Chaum–Pedersen: log_G α_j = log_K β_j, which holds only if position j encrypts 0.
  const zeros = slots.map((j) => {
    const w = rng.scalar(`zero/${j}/u`);
    const zc = zeroChallenge(ctx, id, j, encrypted[j], G.multiply(w).toBytes(), ctx.jointKey.multiply(w).toBytes());
    return { slot: j, c: zc, v: mod(w + zc * nonces[j]) };
  });
  const ballot = {
    ballot_id: bytesToHex(id),
    tracking_code: bytesToHex(trackingCode(ctx, id, encrypted, sum, zeros)),
    ciphertexts: encrypted.map((e) => ({ alpha: hex(e.alpha), beta: hex(e.beta), proof: proofJson(e) })),
    sum_proof: { c: hex(sum.c), v: hex(sum.v) },
  };
  if (zeros.length) ballot.zero_proofs = zeros.map((z) => ({ slot: z.slot, proof: { c: hex(z.c), v: hex(z.v) } }));
  const secrets = {
    reveal: () => ({ choices: [...choices], nonces: nonces.map(hex) }),
    // BigInts cannot be overwritten in place: dropping every reference is what JavaScript allows.
    discard() {
      choices.fill(0);
      nonces.fill(0n);
    },
  };
  return { ballot, secrets };
}

/** V18, the page's convenience check of a reveal: every ciphertext recomputed from its nonce
 * and choice. `verify` on the published record is the check that counts. */
export function checkReveal(ctx, ballot, reveal) {
  const m = ctx.candidates;
  if (reveal.choices.length !== m || reveal.nonces.length !== m || ballot.ciphertexts.length !== m) return false;
  if (!reveal.choices.every((v) => v === 0 || v === 1) || reveal.choices.reduce((s, v) => s + v, 0) !== 1) {
    return false;
  }
  return ballot.ciphertexts.every((c, j) => {
    const r = littleEndian(hexToBytes(reveal.nonces[j]));
    if (r === 0n || r >= ELL) return false;
    const alpha = G.multiply(r);
    const kr = ctx.jointKey.multiply(r);
    const beta = reveal.choices[j] ? G.add(kr) : kr;
    return hex(alpha.toBytes()) === c.alpha && hex(beta.toBytes()) === c.beta;
  });
}

/** The first 80 bits of a tracking code in base32 (RFC 4648), 4 groups of 4. */
export function shortCode(trackingCode) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bits = hexToBytes(trackingCode.slice(0, 20)).reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
  const chars = Array.from({ length: 16 }, (_, k) => alphabet[Number((bits >> BigInt(75 - 5 * k)) & 31n)]);
  return [0, 4, 8, 12].map((at) => chars.slice(at, at + 4).join("")).join("-");
}

/** For the vectors' derivations and the tests: a seed's scalars and ids as hex. */
export const encoding = { hex, utf8 };
