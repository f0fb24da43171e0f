//! A whole election in process: 3 trustees with threshold 2, 1,000 ballots over 5 candidates,
//! 20 challenged and spoiled, trustee 2 absent at decryption. The record is written, read
//! back and verified; the count equals the plaintext count. Tampering with a small election's
//! record fails the check that covers it.

use std::path::PathBuf;

use election_crypto::randomness::Seeded;
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

fn check(result: Result<election_crypto::verify::Summary, Error>, expected: &str) {
    match result {
        Err(Error::Check { check, .. }) => assert_eq!(check, expected),
        other => panic!("expected a failure of {expected}, got {other:?}"),
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
    check(verify_record(&r), "V15");

    let mut r = record.clone();
    r.spoiled[0].ballots[3].reveal.choices.rotate_left(1);
    check(verify_record(&r), "V18");

    let mut r = record.clone();
    r.tally.decryption.partials[1].shares[2].proof.v += curve25519_dalek::scalar::Scalar::ONE;
    check(verify_record(&r), "V22");

    let mut r = record.clone();
    r.election.ceremony.transcript_signatures.swap(0, 1);
    check(verify_record(&r), "V10");

    let mut r = record;
    r.election.manifest.candidates[4].name = "Someone else".into();
    check(verify_record(&r), "V2");
}
