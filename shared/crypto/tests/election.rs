//! A whole election in process: 3 trustees with threshold 2, 1,000 ballots over 5 candidates,
//! 20 challenged and spoiled, trustee 2 absent at decryption. The record is written, read
//! back and verified; the count equals the plaintext count. Tampering with a small election's
//! record fails the check that covers it.

use std::path::PathBuf;

use election_crypto::randomness::{Randomness, Reusing, Seeded};
use election_crypto::record::Record;
use election_crypto::simulation::{run, Plan};
use election_crypto::verify::verify_record;
use election_crypto::Error;

fn plan(cast: usize, spoiled: usize) -> Plan {
    // A fixed, uneven spread of votes so that every count differs.
    let cast: Vec<usize> = (0..cast).map(|b| [0, 1, 1, 2, 2, 2, 3, 4, 4, 4, 4][b % 11]).collect();
    Plan {
        election_id: "presidential-test".into(),
        candidates: (0..5).map(|j| (format!("c{j}"), format!("Candidate {j}"))).collect(),
        trustees: 3,
        threshold: 2,
        cast,
        spoiled: (0..spoiled).map(|s| s % 5).collect(),
        absent: vec![2],
    }
}

fn check<T: std::fmt::Debug>(result: Result<T, Error>, expected: &str) {
    match result {
        Err(Error::Check { check, .. }) => assert_eq!(check, expected),
        other => panic!("expected a failure of {expected}, got {other:?}"),
    }
}

#[test]
fn a_file_that_does_not_parse_or_is_not_listed_fails_its_files_check() {
    let record = run(&plan(12, 2), &mut Seeded::new(b"files")).unwrap();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("unparsable-record");
    let write = || {
        let _ = std::fs::remove_dir_all(&dir);
        record.write(&dir).unwrap();
    };
    for (file, expected) in [
        ("election.json", "V1"),
        ("index.json", "V16"),
        ("ballots/cast-000000.json", "V16"),
        ("ballots/spoiled-000000.json", "V17"),
        ("tally.json", "V20"),
    ] {
        write();
        std::fs::write(dir.join(file), b"{\"not\": \"the record\"}").unwrap();
        check(Record::read(&dir).map(|_| ()), expected);
    }
    for (file, expected) in [
        ("ballots/cast-000001.json", "V16"),
        ("ballots/spoiled-000001.json", "V17"),
    ] {
        write();
        std::fs::copy(dir.join("ballots/cast-000000.json"), dir.join(file)).unwrap();
        check(Record::read(&dir).map(|_| ()), expected);
    }
}

#[test]
fn a_full_election_verifies_and_counts_the_plaintext_votes() {
    let plan = plan(1000, 20);
    let record = run(&plan, &mut Seeded::new(b"full election")).unwrap();

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("full-election-record");
    let _ = std::fs::remove_dir_all(&dir);
    record.write(&dir).unwrap();
    let read = Record::read(&dir).unwrap();
    assert_eq!(read, record);
    assert!(dir.join("ballots/cast-000000.json").exists());
    assert!(dir.join("ballots/spoiled-000000.json").exists());

    let summary = verify_record(&read).unwrap();
    let mut expected = vec![0u64; 5];
    for c in &plan.cast {
        expected[*c] += 1;
    }
    assert_eq!(summary.counts, expected);
    assert_eq!((summary.cast, summary.spoiled), (1000, 20));
    assert_eq!(read.tally.decryption.present, vec![1, 3]);
}

/// On a small election: each verification reads every ballot.
#[test]
fn tampering_fails_the_check_that_covers_it() {
    let record = run(&plan(30, 5), &mut Seeded::new(b"small election")).unwrap();
    verify_record(&record).unwrap();
    let mut r = record.clone();
    r.tally.result[0].count += 1;
    r.tally.result[1].count -= 1;
    check(verify_record(&r), "V23");

    let mut r = record.clone();
    r.cast[0].ballots.pop();
    check(verify_record(&r), "V16");

    let mut r = record.clone();
    let copy = r.cast[0].ballots[5].clone();
    r.cast[0].ballots.push(copy);
    check(verify_record(&r), "V15");

    let mut r = record.clone();
    let spoiled = r.spoiled[0].ballots[0].ballot.clone();
    r.cast[0].ballots[0] = spoiled;
    check(verify_record(&r), "V19");

    // A cast ballot whose nonce for candidate 0 is spoiled ballot 30's, revealed (spec 12:
    // spoiled ballot 0 of this plan is ballot 30): its own proofs hold, V19 refuses it.
    let mut r = record.clone();
    let ctx = r.election.context();
    let mut rng = Reusing {
        label: "nonce/0",
        reused: Seeded::new(b"small election").scoped("ballot/30/"),
        fresh: Seeded::new(b"another device"),
    };
    let (reusing, _) = election_crypto::ballot::encrypt(&ctx, 3, &mut rng).unwrap();
    assert_eq!(
        reusing.ciphertexts[0].alpha,
        r.spoiled[0].ballots[0].ballot.ciphertexts[0].alpha
    );
    election_crypto::ballot::verify(&ctx, &reusing).unwrap();
    r.cast[0].ballots[7] = reusing;
    check(verify_record(&r), "V19");

    let mut r = record.clone();
    r.spoiled[0].ballots[3].reveal.choices.rotate_left(1);
    check(verify_record(&r), "V18");

    let mut r = record.clone();
    r.tally.decryption.partials[1].shares[2].proof.v += curve25519_dalek::scalar::Scalar::ONE;
    check(verify_record(&r), "V22");

    let mut r = record.clone();
    r.election.ceremony.transcript_signatures.swap(0, 1);
    check(verify_record(&r), "V10");

    let mut r = record.clone();
    r.tally = r.tally.with_late(vec![r.cast[0].ballots[2].tracking_code]);
    check(verify_record(&r), "V25");

    let mut r = record;
    r.election.manifest.candidates[4].name = "Someone else".into();
    check(verify_record(&r), "V2");
}
