//! A small election made by the reference crate (3 trustees, threshold 2, 50 ballots over 5
//! candidates, 5 spoiled, trustee 2 absent), written to disk and checked by the `verify`
//! binary; then tampered copies, each of which must fail the check that covers it.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
use curve25519_dalek::ristretto::RistrettoPoint;
use election_crypto::ballot::{self, Ballot, BallotId, Ciphertext};
use election_crypto::group::Point;
use election_crypto::hash::Framed;
use election_crypto::proofs::{prove_range, RangeNonces};
use election_crypto::randomness::{Randomness, Seeded};
use election_crypto::record::Record;
use election_crypto::simulation::{run, Plan};
use serde_json::Value;

const SEED: &[u8] = b"verify: small election";

fn plan() -> Plan {
    // An uneven spread so that every count differs.
    let cast: Vec<usize> = (0..50).map(|b| [0, 1, 1, 2, 2, 2, 3, 4, 4, 4, 4][b % 11]).collect();
    Plan {
        election_id: "verify-test".into(),
        candidates: (0..5).map(|j| (format!("c{j}"), format!("Candidate {j}"))).collect(),
        trustees: 3,
        threshold: 2,
        cast,
        spoiled: vec![0, 2, 4, 1, 3],
        absent: vec![2],
    }
}

fn record() -> &'static Record {
    static RECORD: OnceLock<Record> = OnceLock::new();
    RECORD.get_or_init(|| run(&plan(), &mut Seeded::new(SEED)).unwrap())
}

/// The untampered record on disk, written once.
fn valid_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| write("valid", record()))
}

fn write(name: &str, record: &Record) -> PathBuf {
    let dir = common::fresh_dir(name);
    std::fs::remove_dir_all(&dir).unwrap();
    record.write(&dir).unwrap();
    dir
}

/// A copy of the valid record with `file` edited.
fn tampered(name: &str, file: &str, change: impl FnOnce(&mut Value)) -> PathBuf {
    let dir = common::copy_record(valid_dir(), name);
    common::edit(&dir, file, change);
    dir
}

/// The cast ballots, changed by `change`, laid out again by the reference (index and chunk
/// digests consistent with them); the election and tally stay as they were.
fn rebuilt(name: &str, change: impl FnOnce(&mut Vec<Ballot>)) -> PathBuf {
    let r = record();
    let mut cast: Vec<Ballot> = r.cast_ballots().cloned().collect();
    change(&mut cast);
    let spoiled = r.spoiled_ballots().cloned().collect();
    write(name, &Record::build(r.election.clone(), cast, spoiled, r.tally.clone()))
}

/// Asserts that verification fails, and fails check `check` among others.
fn rejected(dir: &Path, check: usize) -> common::Run {
    let run = common::verify(dir);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.failed.contains(&check),
        "expected V{check} to fail:\n{}",
        run.stdout
    );
    assert!(run.stdout.contains("record INVALID"));
    run
}

fn point_hex(p: &RistrettoPoint) -> Value {
    Value::String(hex::encode(p.compress().as_bytes()))
}

fn decode(v: &Value) -> RistrettoPoint {
    verify::encoding::point(v.as_str().unwrap()).unwrap().point
}

#[test]
fn the_valid_record_passes_and_counts_the_plaintext_votes() {
    let run = common::verify(valid_dir());
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.failed.is_empty());
    for n in 1..=25 {
        assert!(
            run.stdout.lines().any(|l| l.starts_with(&format!("V{n} pass "))),
            "V{n}:\n{}",
            run.stdout
        );
    }
    let mut expected = [0u64; 5];
    for c in &plan().cast {
        expected[*c] += 1;
    }
    for (j, count) in expected.iter().enumerate() {
        assert!(
            run.stdout.contains(&format!("\n  c{j} Candidate {j}: {count}\n")),
            "{}",
            run.stdout
        );
    }
    assert!(run.stdout.contains("ballots checked: 55 in "), "{}", run.stdout);
    assert!(run.stdout.contains("record VALID"));
}

#[test]
fn a_changed_ciphertext_fails_its_proofs() {
    let dir = tampered("changed-ciphertext", "ballots/cast-000000.json", |v| {
        let beta = &mut v["ballots"][7]["ciphertexts"][2]["beta"];
        *beta = point_hex(&(decode(beta) + G));
    });
    let run = rejected(&dir, 13);
    assert!(run.stdout.contains("cast chunk 0 ballot 7"), "{}", run.stdout);
    assert!(run.failed.contains(&14) && run.failed.contains(&15), "{}", run.stdout);
}

#[test]
fn a_ballot_left_out_of_the_tally_fails_v20() {
    let dir = rebuilt("left-out", |cast| {
        cast.remove(11);
    });
    let run = rejected(&dir, 20);
    // The index was laid out again: only the tally side disagrees.
    assert!(!run.failed.contains(&16), "{}", run.stdout);
}

#[test]
fn a_ballot_added_after_the_tally_fails_v20() {
    let ctx = record().election.context();
    let mut rng = Seeded::new(b"an extra ballot");
    let (extra, _) = ballot::encrypt(&ctx, 3, &mut rng).unwrap();
    let dir = rebuilt("added", |cast| cast.push(extra));
    let run = rejected(&dir, 20);
    assert!(!run.failed.contains(&13) && !run.failed.contains(&14), "{}", run.stdout);
}

/// Honest 0/1 proofs on two 1s and a sum proof copied from a valid ballot: only the sum proof
/// can tell.
#[test]
fn a_ballot_of_two_votes_with_a_copied_sum_proof_fails_v14() {
    let ctx = record().election.context();
    let k = *ctx.joint_key.point();
    let id = BallotId([0x22; 16]);
    let mut rng = Seeded::new(b"two votes");
    let ciphertexts: Vec<Ciphertext> = (0..5)
        .map(|j| {
            let vote = j < 2;
            let r = rng.scalar(&format!("nonce/{j}"));
            let alpha = Point::new(RistrettoPoint::mul_base(&r));
            let beta = Point::new(if vote { G } else { RistrettoPoint::default() } + r * k);
            let nonces = RangeNonces {
                u: rng.scalar(&format!("u/{j}")),
                c: rng.scalar(&format!("c/{j}")),
                v: rng.scalar(&format!("v/{j}")),
            };
            let proof = prove_range(&alpha, &beta, &k, &r, vote, nonces, |a0, b0, a1, b1| {
                Framed::new("ee1/range")
                    .digest_field(&ctx.extended_base_hash)
                    .bytes(&id.0)
                    .u64(j as u64)
                    .point(&alpha)
                    .point(&beta)
                    .point(a0)
                    .point(b0)
                    .point(a1)
                    .point(b1)
                    .challenge()
            });
            Ciphertext { alpha, beta, proof }
        })
        .collect();
    let sum_proof = record().cast[0].ballots[0].sum_proof;
    let tracking_code = ballot::tracking_code(&ctx, &id, &ciphertexts, &sum_proof, &[]);
    let forged = Ballot {
        ballot_id: id,
        tracking_code,
        ciphertexts,
        sum_proof,
        zero_proofs: Vec::new(),
    };
    let dir = rebuilt("two-votes", |cast| cast[20] = forged);
    let run = rejected(&dir, 14);
    assert!(run.stdout.contains("cast chunk 0 ballot 20"), "{}", run.stdout);
    assert!(!run.failed.contains(&13) && !run.failed.contains(&15), "{}", run.stdout);
}

/// The randomness of a cast ballot with another ballot id: the same nonces, so the same `α`
/// and `β`, with fresh valid proofs under the new id.
#[derive(Clone)]
struct OtherId(Seeded);

impl Randomness for OtherId {
    fn scalar(&mut self, label: &str) -> curve25519_dalek::scalar::Scalar {
        self.0.scalar(label)
    }
    fn id(&mut self, _label: &str) -> [u8; 16] {
        [0x33; 16]
    }
    fn scoped(&self, prefix: &str) -> Self {
        OtherId(self.0.scoped(prefix))
    }
}

#[test]
fn a_copied_ballot_fails_v15() {
    // Ballot 4 voted for candidate 2 under `ballot/4/` (spec 12); the copy re-proves its ciphertexts.
    let ctx = record().election.context();
    let (copy, _) = ballot::encrypt(
        &ctx,
        plan().cast[4],
        &mut OtherId(Seeded::new(SEED)).scoped("ballot/4/"),
    )
    .unwrap();
    assert_eq!(
        copy.ciphertexts[0].alpha,
        record().cast[0].ballots[4].ciphertexts[0].alpha
    );
    assert_ne!(copy.tracking_code, record().cast[0].ballots[4].tracking_code);
    let dir = rebuilt("copied", |cast| cast.push(copy));
    let run = rejected(&dir, 15);
    assert!(
        run.stdout.contains("appears twice among the cast ballots"),
        "{}",
        run.stdout
    );
    assert!(!run.failed.contains(&13) && !run.failed.contains(&14), "{}", run.stdout);

    // The very same ballot twice: id, tracking code and every α repeated.
    let dir = rebuilt("duplicated", |cast| cast.push(cast[9].clone()));
    let run = rejected(&dir, 15);
    assert!(run.stdout.contains("ballot id "), "{}", run.stdout);
}

#[test]
fn a_wrong_partial_decryption_fails_v22() {
    let dir = tampered("wrong-partial", "tally.json", |v| {
        let m = &mut v["decryption"]["partials"][1]["shares"][3]["m"];
        *m = point_hex(&(decode(m) + G));
    });
    let run = rejected(&dir, 22);
    assert!(run.stdout.contains("trustee 3 candidate 3"), "{}", run.stdout);
}

/// A late ballot listed apart passes; one that is also counted, or a list out of order, fails
/// V25, and V25 only.
#[test]
fn late_ballots_listed_apart_pass_and_a_counted_one_fails_v25() {
    let ctx = record().election.context();
    let (late, _) = ballot::encrypt(&ctx, 1, &mut Seeded::new(b"a late ballot")).unwrap();
    let late_code = serde_json::to_value(late.tracking_code).unwrap();
    let dir = tampered("late-apart", "tally.json", |v| {
        v["late"] = Value::Array(vec![late_code.clone()])
    });
    let run = common::verify(&dir);
    assert_eq!(run.code, 0, "{}", run.stdout);

    let cast_code = serde_json::to_value(record().cast_ballots().nth(4).unwrap().tracking_code).unwrap();
    let mut codes = vec![late_code, cast_code];
    codes.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    let dir = tampered("late-counted", "tally.json", |v| {
        v["late"] = Value::Array(codes.clone())
    });
    let run = rejected(&dir, 25);
    assert_eq!(run.failed.len(), 1, "{}", run.stdout);
    assert!(run.stdout.contains("cast chunk 0 ballot 4"), "{}", run.stdout);

    codes.reverse();
    let dir = tampered("late-unordered", "tally.json", |v| v["late"] = Value::Array(codes));
    let run = rejected(&dir, 25);
    assert!(run.stdout.contains("ascending"), "{}", run.stdout);
}

#[test]
fn a_changed_count_fails_v23() {
    let dir = tampered("changed-count", "tally.json", |v| {
        let result = v["result"].as_array_mut().unwrap();
        result[0]["count"] = (result[0]["count"].as_u64().unwrap() + 1).into();
        result[4]["count"] = (result[4]["count"].as_u64().unwrap() - 1).into();
    });
    let run = rejected(&dir, 23);
    assert_eq!(run.failed.len(), 1, "{}", run.stdout);
}

#[test]
fn a_spoiled_ballot_counted_fails_v19_not_v15() {
    let spoiled = record().spoiled[0].ballots[2].ballot.clone();
    let dir = rebuilt("spoiled-counted", |cast| cast.push(spoiled));
    let run = rejected(&dir, 19);
    // Its id, its tracking code and each of its α are a spoiled ballot's: V19's, not V15's.
    assert!(!run.failed.contains(&15), "{}", run.stdout);
    assert!(run.stdout.contains("whose nonce is public"), "{}", run.stdout);
}

/// A spoiled ballot's randomness for `nonce/0` (spoiled ballot 0 is ballot 50 of the plan,
/// spec 12), another device's for everything else.
struct ReusedNonce {
    spoiled: Seeded,
    fresh: Seeded,
}

impl Randomness for ReusedNonce {
    fn scalar(&mut self, label: &str) -> curve25519_dalek::scalar::Scalar {
        if label == "nonce/0" {
            self.spoiled.scalar(label)
        } else {
            self.fresh.scalar(label)
        }
    }
    fn id(&mut self, label: &str) -> [u8; 16] {
        self.fresh.id(label)
    }
    fn scoped(&self, prefix: &str) -> Self {
        ReusedNonce {
            spoiled: self.spoiled.scoped(prefix),
            fresh: self.fresh.scoped(prefix),
        }
    }
}

#[test]
fn a_cast_ballot_reusing_a_spoiled_nonce_fails_v19() {
    let ctx = record().election.context();
    let mut rng = ReusedNonce {
        spoiled: Seeded::new(SEED).scoped("ballot/50/"),
        fresh: Seeded::new(b"another device"),
    };
    let (reusing, _) = ballot::encrypt(&ctx, 1, &mut rng).unwrap();
    assert_eq!(
        reusing.ciphertexts[0].alpha,
        record().spoiled[0].ballots[0].ballot.ciphertexts[0].alpha
    );
    let dir = rebuilt("reused-nonce", |cast| cast[17] = reusing);
    let run = rejected(&dir, 19);
    // Its proofs hold and it is unique among the cast ballots; only V19 (and the tally, which
    // was not recomputed) refuse it.
    for check in [12, 13, 14, 15, 16, 17] {
        assert!(!run.failed.contains(&check), "V{check}:\n{}", run.stdout);
    }
    assert!(run.stdout.contains("whose nonce is public"), "{}", run.stdout);
}

#[test]
fn an_unparsable_chunk_fails_its_list_check_and_what_depends_on_it_is_not_checked() {
    let dir = tampered("unparsable-spoiled", "ballots/spoiled-000000.json", |v| {
        v["ballots"][0]["reveal"]["colour"] = "blue".into();
    });
    let run = rejected(&dir, 17);
    assert!(run.failed.contains(&18) && run.failed.contains(&19), "{}", run.stdout);
    assert!(!run.failed.contains(&16), "{}", run.stdout);

    let dir = tampered("unparsable-cast", "ballots/cast-000000.json", |v| {
        v["chunk"] = "zero".into();
    });
    let run = rejected(&dir, 16);
    for check in [12, 13, 14, 15, 19, 20, 22] {
        assert!(run.failed.contains(&check), "V{check}:\n{}", run.stdout);
    }
}

#[test]
fn a_wrong_public_share_fails_v21_only() {
    // V22 takes K_i recomputed from the commitments (spec 6.2), so its proofs still verify.
    let dir = tampered("wrong-public-share", "tally.json", |v| {
        let k = &mut v["decryption"]["partials"][0]["public_share"];
        *k = point_hex(&(decode(k) + G));
    });
    let run = rejected(&dir, 21);
    assert_eq!(run.failed.len(), 1, "{}", run.stdout);
}

#[test]
fn a_wrong_base_hash_fails_v4() {
    let dir = tampered("wrong-base-hash", "election.json", |v| {
        let q = v["base_hash"].as_str().unwrap();
        let flipped = if q.starts_with('0') { "1" } else { "0" };
        v["base_hash"] = format!("{flipped}{}", &q[1..]).into();
    });
    rejected(&dir, 4);
}

#[test]
fn a_missing_or_wrong_transcript_signature_fails_v10() {
    let dir = tampered("missing-signature", "election.json", |v| {
        v["ceremony"]["transcript_signatures"].as_array_mut().unwrap().remove(1);
    });
    let run = rejected(&dir, 10);
    assert_eq!(run.failed.len(), 1, "{}", run.stdout);

    let dir = tampered("wrong-signature", "election.json", |v| {
        // Trustee 1's signature in trustee 3's place.
        let first = v["ceremony"]["transcript_signatures"][0]["signature"].clone();
        v["ceremony"]["transcript_signatures"][2]["signature"] = first;
    });
    let run = rejected(&dir, 10);
    assert!(
        run.stdout.contains("trustee 3: transcript signature does not verify"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_non_canonical_point_fails_v12() {
    // s = 1 is odd, "negative": RFC 9496 decoding refuses it.
    let mut bytes = [0u8; 32];
    bytes[0] = 1;
    let dir = tampered("non-canonical", "ballots/cast-000000.json", |v| {
        v["ballots"][3]["ciphertexts"][1]["beta"] = hex::encode(bytes).into();
    });
    let run = rejected(&dir, 12);
    assert!(
        run.stdout.contains("not a canonical ristretto255 encoding"),
        "{}",
        run.stdout
    );

    // Upper-case hex of a valid point is refused too (spec 2.3).
    let dir = tampered("upper-case", "ballots/cast-000000.json", |v| {
        let alpha = v["ballots"][3]["ciphertexts"][1]["alpha"]
            .as_str()
            .unwrap()
            .to_uppercase();
        v["ballots"][3]["ciphertexts"][1]["alpha"] = alpha.into();
    });
    rejected(&dir, 12);
}

#[test]
fn an_identity_alpha_fails_v12() {
    let dir = tampered("identity-alpha", "ballots/cast-000000.json", |v| {
        v["ballots"][5]["ciphertexts"][0]["alpha"] = "00".repeat(32).into();
    });
    let run = rejected(&dir, 12);
    assert!(run.stdout.contains("cast chunk 0 ballot 5"), "{}", run.stdout);
}

#[test]
fn a_changed_reveal_fails_v18() {
    let dir = tampered("changed-reveal", "ballots/spoiled-000000.json", |v| {
        let choices = v["ballots"][1]["reveal"]["choices"].as_array_mut().unwrap();
        choices.rotate_left(1);
    });
    rejected(&dir, 18);
}

#[test]
fn an_unlisted_chunk_file_fails_v16() {
    let dir = common::copy_record(valid_dir(), "unlisted-chunk");
    std::fs::copy(
        dir.join("ballots/cast-000000.json"),
        dir.join("ballots/cast-000001.json"),
    )
    .unwrap();
    rejected(&dir, 16);
}

/// A trailing empty chunk, with the index and every digest made consistent with it: still
/// refused (spec 8.1: no chunk is empty).
#[test]
fn an_empty_trailing_chunk_fails_v16() {
    use election_crypto::tally::{chunk_digest, list_digest, List};
    let r = record();
    let qbar = r.election.ceremony.extended_base_hash;
    let dir = common::copy_record(valid_dir(), "empty-chunk");
    common::write_json(
        &dir,
        "ballots/cast-000001.json",
        &serde_json::json!({ "kind": "cast", "chunk": 1, "ballots": [] }),
    );
    let empty = chunk_digest(&qbar, List::Cast, 1, &[]);
    let d = list_digest(&qbar, List::Cast, 50, &[r.index.cast.chunks[0].digest, empty]);
    common::edit(&dir, "index.json", |v| {
        v["cast"]["chunks"].as_array_mut().unwrap().push(serde_json::json!({
            "file": "ballots/cast-000001.json", "count": 0, "digest": hex::encode(empty.0)
        }));
        v["cast"]["digest"] = hex::encode(d.0).into();
    });
    common::edit(&dir, "tally.json", |v| v["cast_digest"] = hex::encode(d.0).into());
    let run = rejected(&dir, 16);
    assert!(run.stdout.contains("holds no ballots"), "{}", run.stdout);
}

/// No spoiled ballot at all: the spoiled list has zero chunks (spec 8.1, 9.4) and verifies.
#[test]
fn an_election_without_spoiled_ballots_verifies() {
    let mut plan = plan();
    plan.cast.truncate(12);
    plan.spoiled.clear();
    let dir = write("no-spoiled", &run(&plan, &mut Seeded::new(b"no spoiled")).unwrap());
    let index = common::read_json(&dir, "index.json");
    assert_eq!(index["spoiled"]["chunks"], serde_json::json!([]));
    assert_eq!(index["spoiled"]["count"], 0);
    let run = common::verify(&dir);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

/// The election: 3 trustees, threshold 2; 1,000 ballots over 5 candidates, 20
/// challenged and spoiled, trustee 2 absent at decryption. `verify` accepts its record and
/// prints the plaintext counts.
#[test]
fn a_thousand_ballot_election_verifies_and_counts_the_plaintext_votes() {
    let mut plan = plan();
    plan.cast = (0..1000).map(|b| (b * b + b / 7) % 5).collect();
    plan.spoiled = (0..20).map(|s| s % 5).collect();
    let dir = write(
        "thousand",
        &run(&plan, &mut Seeded::new(b"a thousand ballots")).unwrap(),
    );
    let run = common::verify(&dir);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let mut expected = [0u64; 5];
    for c in &plan.cast {
        expected[*c] += 1;
    }
    assert!(expected.iter().all(|n| *n > 0) && expected.iter().sum::<u64>() == 1000);
    for (j, count) in expected.iter().enumerate() {
        assert!(
            run.stdout.contains(&format!("\n  c{j} Candidate {j}: {count}\n")),
            "{}",
            run.stdout
        );
    }
    assert!(run.stdout.contains("ballots checked: 1020 in "), "{}", run.stdout);
}
