//! The key ceremony through the binary: 3 trustees, threshold 2, each in its own directory.

mod common;

use std::fs;

use common::{read, trustee, Board};
use election_crypto::ceremony::{judge, public_share, verify_commitments, Complaint, Fault, TrusteePublic};
use election_crypto::keys::{fingerprint, verify_signature};

#[test]
fn three_trustees_threshold_two_produce_the_joint_key_and_sign_the_transcript() {
    let board = Board::new("ceremony-whole", 3, 2);
    for i in 1..=3 {
        let run = board.keygen(i).ok();
        let key: TrusteePublic = read(&board.keys()[(i - 1) as usize]);
        assert_eq!(key.index, i);
        assert_eq!(key.fingerprint, fingerprint(&key.signing_key));
        assert!(run.stdout.contains(&key.fingerprint), "{}", run.stdout);
    }
    for i in 1..=3 {
        let run = trustee(board.args("commit", i, false)).ok();
        assert!(run.stdout.contains("commitment hash"), "{}", run.stdout);
    }
    for i in 1..=3 {
        trustee(board.args("shares", i, false)).ok();
    }
    for j in 1..=3 {
        let run = board.receive(j).ok();
        assert!(run.stdout.contains("all 2 shares verify"), "{}", run.stdout);
    }
    let signed: Vec<String> = (1..=3)
        .map(|i| trustee(board.args("sign-transcript", i, true)).ok().stdout)
        .collect();

    let election = board.election_file();
    let c = &election.ceremony;
    assert!(!c.joint_key.is_identity());
    let printed = format!("joint key K: {}", hex::encode(c.joint_key.bytes()));
    let transcript = format!("transcript hash T: {}", hex::encode(c.transcript_hash.0));
    for (key, out) in election.trustees.iter().zip(&signed) {
        assert!(out.contains(&printed) && out.contains(&transcript), "{out}");
        let i = key.index as usize - 1;
        // V5–V7, V10 and V11 for every trustee.
        verify_commitments(&election.base_hash, 2, key, &c.commitments[i]).unwrap();
        verify_signature(
            &key.signing_key,
            &c.transcript_hash,
            &c.transcript_signatures[i].signature,
            "V10",
            "t",
        )
        .unwrap();
        public_share(key.index, &c.commitments).unwrap();
    }
    // The polynomial is erased once the transcript is signed: no more shares can be made.
    let late = trustee(board.args("shares", 1, false));
    assert_eq!(late.code, 1, "{}", late.stderr);
    assert!(late.stderr.contains("no polynomial"), "{}", late.stderr);
}

#[test]
fn a_share_that_does_not_match_its_senders_commitments_is_refused_with_a_complaint() {
    let board = Board::new("ceremony-complaint", 3, 2);
    for i in 1..=3 {
        board.keygen(i).ok();
    }
    // Trustee 1 cheats: it commits twice from copies of its directory (same keys, same Q),
    // publishes the commitments of one polynomial and sends shares of the other.
    let cheat = board.root.join("trustee-1-other");
    fs::create_dir_all(&cheat).unwrap();
    fs::copy(board.dir(1).join("secret.sealed"), cheat.join("secret.sealed")).unwrap();
    for i in 1..=3 {
        trustee(board.args("commit", i, false)).ok();
    }
    let mut args = board.args("commit", 1, false);
    args[2] = cheat.clone().into();
    trustee(args.clone()).ok();
    args[0] = "shares".into();
    trustee(args).ok();
    for i in 1..=3 {
        trustee(board.args("shares", i, false)).ok();
    }
    fs::copy(cheat.join("share-1-to-2.json"), board.dir(1).join("share-1-to-2.json")).unwrap();

    let run = board.receive(2);
    assert_eq!(run.code, 3, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("trustee 1's share is refused"), "{}", run.stderr);
    let path = board.dir(2).join("complaint-2-against-1.json");
    let complaint: Complaint = read(&path);
    assert_eq!((complaint.complainer, complaint.accused), (2, 1));
    // Anyone can decide it from the public files: trustee 1 is at fault.
    let keys = board.public_keys();
    let commitments = board.read_commitments();
    assert_eq!(
        judge(&board.base_hash(), &complaint, &keys[1], &keys[0], &commitments[0]),
        Fault::Accused
    );
    // Nothing was kept: trustee 2 cannot sign the transcript.
    let sign = trustee(board.args("sign-transcript", 2, true));
    assert_eq!(sign.code, 1);
    assert!(sign.stderr.contains("no share yet"), "{}", sign.stderr);
    // Trustee 3's envelopes from the honest polynomial are fine.
    board.receive(3).ok();

    // The ceremony restarts: fresh receiving keys, same signing keys (and fingerprints).
    let before = board.public_keys();
    for i in 1..=3 {
        trustee(["restart".into(), "--dir".into(), board.dir(i).into_os_string()]).ok();
    }
    let after = board.public_keys();
    for (b, a) in before.iter().zip(&after) {
        assert_eq!((b.signing_key, &b.fingerprint), (a.signing_key, &a.fingerprint));
        assert_ne!(b.receiving_key, a.receiving_key);
    }
}

#[test]
fn a_step_with_a_key_file_that_is_not_the_trustees_own_is_refused() {
    let board = Board::new("ceremony-swapped-key", 3, 2);
    for i in 1..=3 {
        board.keygen(i).ok();
    }
    // Trustee 2's key file is replaced by trustee 3's keys under index 2.
    let mut swapped: TrusteePublic = read(&board.keys()[2]);
    swapped.index = 2;
    fs::write(&board.keys()[1], serde_json::to_string(&swapped).unwrap()).unwrap();
    let run = trustee(board.args("commit", 2, false));
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("not this trustee's keys"), "{}", run.stderr);
}
