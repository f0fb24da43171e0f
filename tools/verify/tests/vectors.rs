//! The verifier's framing, challenge and checks against the reference's committed test vectors
//! (`shared/crypto/tests/vectors.json`, spec 12): every intermediate value the file gives is
//! recomputed here, and its record, laid out in files, passes every check.

mod common;

use curve25519_dalek::scalar::Scalar;
use serde_json::Value;
use verify::encoding;
use verify::hash::Framed;

fn vectors() -> Value {
    let path = format!(
        "{}/../../shared/crypto/tests/vectors.json",
        std::env::var("CARGO_MANIFEST_DIR").expect("cargo test sets CARGO_MANIFEST_DIR")
    );
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// `derive(label, k)` of spec 12.
fn derive(seed: &str, label: &str, k: u64) -> [u8; 64] {
    Framed::new("ee1/test-vector")
        .field(seed.as_bytes())
        .field(label.as_bytes())
        .u64(k)
        .digest()
}

#[test]
fn the_seeded_derivations_reproduce() {
    let v = vectors();
    let seed = v["seed"].as_str().unwrap();
    let derivations = v["derivations"].as_object().unwrap();
    assert!(!derivations.is_empty());
    for (label, value) in derivations {
        let expected = value.as_str().unwrap();
        let got = if label.ends_with("/id") {
            hex::encode(&derive(seed, label, 0)[..16])
        } else {
            // The least k giving a nonzero scalar.
            let scalar = (0..)
                .map(|k| Scalar::from_bytes_mod_order_wide(&derive(seed, label, k)))
                .find(|s| *s != Scalar::ZERO)
                .unwrap();
            hex::encode(scalar.as_bytes())
        };
        assert_eq!(got, expected, "derivation {label}");
    }
}

#[test]
fn fingerprints_and_short_codes_reproduce() {
    let v = vectors();
    for t in v["election"]["trustees"].as_array().unwrap() {
        let a = encoding::point(t["signing_key"].as_str().unwrap()).unwrap();
        assert_eq!(verify::ceremony::fingerprint(&a), t["fingerprint"].as_str().unwrap());
    }
    let codes: Vec<String> = v["cast_chunks"][0]["ballots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| short_code(&encoding::digest(b["tracking_code"].as_str().unwrap()).unwrap()))
        .collect();
    let expected: Vec<&str> = v["short_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(codes, expected);
}

/// Spec 7.2: the first 10 bytes in RFC 4648 base32, 4 groups of 4 joined by `-`.
fn short_code(code: &[u8; 64]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let bits: u128 = code[..10].iter().fold(0, |acc, b| (acc << 8) | *b as u128);
    let chars: Vec<char> = (0..16)
        .map(|i| ALPHABET[((bits >> (75 - 5 * i)) & 31) as usize] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The share envelopes are not in the record, but their signatures exercise the framing of a
/// 48-byte field and the signature check (spec 5.3).
#[test]
fn share_envelope_signatures_verify() {
    let v = vectors();
    let q = encoding::digest(v["election"]["base_hash"].as_str().unwrap()).unwrap();
    let keys: Vec<_> = v["election"]["trustees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| encoding::point(t["signing_key"].as_str().unwrap()).unwrap())
        .collect();
    let envelopes = v["share_envelopes"].as_array().unwrap();
    assert_eq!(envelopes.len(), 6);
    for e in envelopes {
        let (i, j) = (e["sender"].as_u64().unwrap(), e["recipient"].as_u64().unwrap());
        let ephemeral = encoding::point(e["ephemeral"].as_str().unwrap()).unwrap();
        let ct = encoding::bytes::<48>(e["ciphertext"].as_str().unwrap()).unwrap();
        let msg = Framed::new("ee1/share-envelope")
            .field(&q)
            .u64(i)
            .u64(j)
            .field(&ephemeral.bytes)
            .field(&ct)
            .digest();
        let signature = e["signature"].as_str().unwrap();
        verify::proofs::signature(&keys[i as usize - 1], &msg, signature).unwrap();
        // The same signature over another envelope's message fails.
        let other = Framed::new("ee1/share-envelope")
            .field(&q)
            .u64(j)
            .u64(i)
            .field(&ephemeral.bytes)
            .field(&ct)
            .digest();
        assert!(verify::proofs::signature(&keys[i as usize - 1], &other, signature).is_err());
    }
}

/// The whole vectors election, written in the layout of section 10, passes every check (its
/// manifest, base, commitment, extended base, transcript hashes, every challenge, tracking
/// code and digest recomputed) and counts the plan's votes.
#[test]
fn the_vectors_record_passes_every_check() {
    let v = vectors();
    let dir = common::fresh_dir("vectors-record");
    common::write_json(&dir, "election.json", &v["election"]);
    common::write_json(&dir, "index.json", &v["index"]);
    common::write_json(&dir, "tally.json", &v["tally"]);
    for (kind, list) in [("cast", &v["cast_chunks"]), ("spoiled", &v["spoiled_chunks"])] {
        for chunk in list.as_array().unwrap() {
            let file = format!("ballots/{kind}-{:06}.json", chunk["chunk"].as_u64().unwrap());
            common::write_json(&dir, &file, chunk);
        }
    }
    let outcome = verify::verify(&dir, 2);
    assert!(outcome.report.valid(), "{}", outcome.report.render());
    let mut expected = [0u64; 3];
    for c in v["plan"]["cast"].as_array().unwrap() {
        expected[c.as_u64().unwrap() as usize] += 1;
    }
    let counts: Vec<u64> = outcome.result.iter().map(|(_, _, c)| *c).collect();
    assert_eq!(counts, expected);
    assert_eq!(outcome.ballots, 5);

    let run = common::verify(&dir);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("  c1 Grace: 2\n"), "{}", run.stdout);
}
