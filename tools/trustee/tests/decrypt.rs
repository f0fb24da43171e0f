//! Decryption through the binary: ballots encrypted to the joint key of a ceremony run by the
//! binary, published as a record; 2 of the 3 trustees recompute the tally and partial-decrypt
//! it; their partial decryptions combine to the right counts and the finished record verifies
//! (V1–V24). A tally that is not the one the ballots give, and a copied ballot, are refused.

mod common;

use std::ffi::OsString;
use std::fs;
use std::path::Path;

use common::{ceremony, manifest, read, trustee, Board, Run};
use election_crypto::ballot::{encrypt, Ballot, SpoiledBallot};
use election_crypto::decryption::{combine, counts, Decryption, PartialDecryption};
use election_crypto::dlog::BabyGiant;
use election_crypto::randomness::OsRandomness;
use election_crypto::record::{ElectionFile, Record, TallyFile};
use election_crypto::tally::{recompute, EncryptedTally};
use election_crypto::verify::verify_record;

const VOTES: [usize; 10] = [0, 1, 1, 2, 2, 2, 0, 1, 2, 2];

fn ballots(election: &ElectionFile) -> (Vec<Ballot>, Vec<SpoiledBallot>) {
    let ctx = election.context();
    let cast = VOTES
        .iter()
        .map(|c| encrypt(&ctx, *c, &mut OsRandomness).unwrap().0)
        .collect();
    let spoiled = [1, 0]
        .iter()
        .map(|c| {
            let (ballot, secrets) = encrypt(&ctx, *c, &mut OsRandomness).unwrap();
            SpoiledBallot {
                ballot,
                reveal: secrets.reveal(),
            }
        })
        .collect();
    (cast, spoiled)
}

/// A record directory as published before the decryption: its tally.json holds the encrypted
/// tally, with nothing decrypted yet.
fn publish(
    dir: &Path,
    election: &ElectionFile,
    cast: Vec<Ballot>,
    spoiled: Vec<SpoiledBallot>,
    tally: &EncryptedTally,
) {
    let pending = Decryption {
        present: vec![],
        partials: vec![],
    };
    let tally_file = TallyFile::new(tally, pending, &election.manifest, &[]);
    let _ = fs::remove_dir_all(dir);
    Record::build(election.clone(), cast, spoiled, tally_file)
        .write(dir)
        .unwrap();
}

fn decrypt(board: &Board, i: u32, record: &Path, tally: Option<&Path>) -> Run {
    let mut args: Vec<OsString> = vec![
        "decrypt".into(),
        "--dir".into(),
        board.dir(i).into(),
        "--record".into(),
        record.into(),
    ];
    if let Some(t) = tally {
        args.extend(["--tally".into(), t.into()]);
    }
    trustee(args)
}

#[test]
fn two_of_three_trustees_decrypt_the_tally_they_recompute_and_it_counts_the_votes() {
    let board = ceremony("decrypt-counts", 3, 2);
    let election = board.election_file();
    let (cast, spoiled) = ballots(&election);
    let tally = recompute(&election.context(), &cast, &spoiled).unwrap();
    let record = board.root.join("record");
    publish(&record, &election, cast.clone(), spoiled.clone(), &tally);

    // Trustee 2 is absent; the others are handed the published tally, which matches.
    let handed = record.join("tally.json");
    for i in [1, 3] {
        let run = decrypt(&board, i, &record, Some(&handed)).ok();
        assert!(
            run.stdout.contains("10 cast ballots (2 spoiled) checked"),
            "{}",
            run.stdout
        );
    }
    let partials: Vec<PartialDecryption> = [1, 3]
        .iter()
        .map(|i| read(&board.dir(*i).join(format!("partial-decryption-{i}.json"))))
        .collect();
    let decryption = Decryption {
        present: vec![1, 3],
        partials,
    };
    let combined = combine(&tally, &decryption, 3, 2).unwrap();
    let counted = counts(&combined, &BabyGiant::new(tally.cast_count)).unwrap();
    assert_eq!(counted, vec![2, 3, 5]);

    // The finished record verifies, every check V1–V24.
    let done = Record::build(
        election,
        cast,
        spoiled,
        TallyFile::new(&tally, decryption, &manifest(), &counted),
    );
    assert_eq!(verify_record(&done).unwrap().counts, vec![2, 3, 5]);
}

#[test]
fn a_handed_tally_that_differs_from_the_ballots_and_a_copied_ballot_are_refused() {
    let board = ceremony("decrypt-refusals", 3, 2);
    let election = board.election_file();
    let (cast, spoiled) = ballots(&election);
    let tally = recompute(&election.context(), &cast, &spoiled).unwrap();
    let record = board.root.join("record");
    publish(&record, &election, cast.clone(), spoiled.clone(), &tally);
    let partial = board.dir(1).join("partial-decryption-1.json");

    // The commission hands over a tally with two candidates' sums swapped.
    let mut forged: TallyFile = read(&record.join("tally.json"));
    forged.encrypted_tally.swap(0, 1);
    let forged_path = board.root.join("forged-tally.json");
    fs::write(&forged_path, serde_json::to_string(&forged).unwrap()).unwrap();
    let run = decrypt(&board, 1, &record, Some(&forged_path));
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("refused"), "{}", run.stderr);
    assert!(!partial.exists(), "nothing is decrypted");

    // A ballot cast twice (the index recomputed to match): refused as a copy (V15).
    let copied = board.root.join("record-copied");
    let mut doubled = cast.clone();
    doubled.push(cast[4].clone());
    let doubled_tally = EncryptedTally {
        cast_count: doubled.len() as u64,
        ..tally.clone()
    };
    publish(&copied, &election, doubled, spoiled.clone(), &doubled_tally);
    let run = decrypt(&board, 1, &copied, None);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("V15"), "{}", run.stderr);

    // Once a trustee has decrypted the tally, it decrypts no other list of ballots (here: the
    // same one without its last ballot), whose difference would be that ballot.
    decrypt(&board, 2, &record, None).ok();
    let fewer = board.root.join("record-fewer");
    let shorter = cast[..cast.len() - 1].to_vec();
    let shorter_tally = recompute(&election.context(), &shorter, &spoiled).unwrap();
    publish(&fewer, &election, shorter, spoiled.clone(), &shorter_tally);
    let run = decrypt(&board, 2, &fewer, None);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("one tally per election"), "{}", run.stderr);
    decrypt(&board, 2, &record, None).ok();

    // A ballot dropped from a chunk without the index knowing: refused (V16).
    let chunk = record.join("ballots/cast-000000.json");
    let mut text: serde_json::Value = read(&chunk);
    text["ballots"].as_array_mut().unwrap().pop();
    fs::write(&chunk, text.to_string()).unwrap();
    let run = decrypt(&board, 1, &record, None);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("V16"), "{}", run.stderr);
    assert!(!partial.exists(), "nothing is decrypted");
}
