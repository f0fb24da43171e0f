//! The test vectors (spec 12): a small election whose every random value is derived from one
//! seed by SHA-512 and a label, regenerated in memory and compared byte for byte with
//! `tests/vectors.json`. `UPDATE_VECTORS=1 cargo test -p election-crypto --test vectors`
//! rewrites the file (review the diff: any change breaks other implementations).

use election_crypto::ballot::{encrypt_with, short_code, verify};
use election_crypto::ceremony::{base_hash, Trustee, TrusteePublic};
use election_crypto::randomness::{Randomness, Seeded};
use election_crypto::simulation::{run, Plan};
use election_crypto::verify::verify_record;
use serde_json::json;

const SEED: &str = "ee1 test vectors";

fn generate() -> String {
    let plan = Plan {
        election_id: "ee1-test-vectors".into(),
        candidates: [("c0", "Ada"), ("c1", "Grace"), ("c2", "Edsger")]
            .iter()
            .map(|(id, name)| (id.to_string(), name.to_string()))
            .collect(),
        trustees: 3,
        threshold: 2,
        cast: vec![0, 1, 2, 1],
        spoiled: vec![0],
        absent: vec![2],
    };
    let rng = Seeded::new(SEED.as_bytes());
    let record = run(&plan, &mut rng.clone()).unwrap();
    let summary = verify_record(&record).unwrap();
    assert_eq!(summary.counts, vec![1, 2, 1]);

    // The share envelopes are not in the record; the labels make them reproducible apart.
    let mut r = rng.clone();
    let trustees: Vec<Trustee> = (1..=3).map(|i| Trustee::new(i, &mut r)).collect();
    let publics: Vec<TrusteePublic> = trustees.iter().map(Trustee::public).collect();
    let e = &record.election;
    let q = base_hash(&e.manifest, &e.parameters, &publics);
    assert_eq!(q, e.base_hash);
    let mut envelopes = Vec::new();
    for sender in &trustees {
        let (poly, _) = sender.commit(&q, 2, &mut r);
        for recipient in publics.iter().filter(|p| p.index != sender.index()) {
            envelopes.push(sender.seal_share(&q, &poly, recipient, &mut r));
        }
    }

    let mut r = rng.clone();
    let derivations = json!({
        "trustee/1/signing-key": hex::encode(r.scalar("trustee/1/signing-key").as_bytes()),
        "ballot/0/nonce/0": hex::encode(r.scalar("ballot/0/nonce/0").as_bytes()),
        "ballot/0/id": hex::encode(r.id("ballot/0/id")),
    });
    // A ballot after a withdrawal (spec 7.4): position 1 withdrawn and proven 0, a vote for 0.
    let (withdrawn, _) = encrypt_with(&e.context(), 0, &[1], &mut rng.scoped("ballot/5/")).unwrap();
    verify(&e.context(), &withdrawn).unwrap();
    let short_codes: Vec<String> = record.cast_ballots().map(|b| short_code(&b.tracking_code)).collect();
    let vectors = json!({
        "format": "ee1",
        "seed": SEED,
        "plan": {
            "cast": plan.cast,
            "spoiled": plan.spoiled,
            "absent": plan.absent,
        },
        "derivations": derivations,
        "share_envelopes": envelopes,
        "election": record.election,
        "index": record.index,
        "cast_chunks": record.cast,
        "spoiled_chunks": record.spoiled,
        "tally": record.tally,
        "short_codes": short_codes,
        "withdrawn_ballot": { "choice": 0, "withdrawn": [1], "ballot": withdrawn },
    });
    serde_json::to_string_pretty(&vectors).unwrap() + "\n"
}

#[test]
fn the_committed_vectors_regenerate_byte_for_byte() {
    let path = format!(
        "{}/tests/vectors.json",
        std::env::var("CARGO_MANIFEST_DIR").expect("cargo test sets CARGO_MANIFEST_DIR")
    );
    let fresh = generate();
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).expect("tests/vectors.json (UPDATE_VECTORS=1 writes it)");
    assert!(
        committed == fresh,
        "tests/vectors.json differs from the regenerated vectors"
    );
}
