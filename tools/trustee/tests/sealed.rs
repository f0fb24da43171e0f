//! The sealed secret file: mode 0600, opened by its documented format (Argon2id then
//! AES-256-GCM) to find the trustee's keys and share, none of which appears in the clear; a
//! wrong passphrase fails cleanly and changes nothing.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use argon2::{Algorithm, Argon2, Params, Version};
use common::{ceremony, trustee, trustee_with, Board, PASSPHRASE};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use election_crypto::ceremony::public_share;
use serde_json::Value;

/// Opens a sealed file as `sealed.rs` documents it, independently of the tool's code.
fn open(path: &Path, passphrase: &str) -> Vec<u8> {
    let file: Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    let (kdf, aead) = (&file["kdf"], &file["aead"]);
    assert_eq!(
        (
            file["format"].as_str(),
            kdf["algorithm"].as_str(),
            aead["algorithm"].as_str()
        ),
        (Some("trustee-sealed-1"), Some("argon2id"), Some("AES-256-GCM"))
    );
    let num = |v: &Value| u32::try_from(v.as_u64().unwrap()).unwrap();
    let bytes = |v: &Value| hex::decode(v.as_str().unwrap()).unwrap();
    let (m, t, p) = (
        num(&kdf["memory_kib"]),
        num(&kdf["iterations"]),
        num(&kdf["parallelism"]),
    );
    let (salt, nonce) = (bytes(&kdf["salt"]), bytes(&aead["nonce"]));
    assert_eq!((salt.len(), nonce.len(), num(&kdf["version"])), (16, 12, 0x13));
    let mut key = [0u8; 32];
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(m, t, p, Some(32)).unwrap(),
    )
    .hash_password_into(passphrase.as_bytes(), &salt, &mut key)
    .unwrap();
    let fields: [&[u8]; 9] = [
        b"trustee-sealed-1",
        b"argon2id",
        &0x13u32.to_le_bytes(),
        &m.to_le_bytes(),
        &t.to_le_bytes(),
        &p.to_le_bytes(),
        &salt,
        b"AES-256-GCM",
        &nonce,
    ];
    let aad: Vec<u8> = fields
        .iter()
        .flat_map(|f| [&(f.len() as u64).to_le_bytes()[..], f].concat())
        .collect();
    Aes256Gcm::new_from_slice(&key)
        .unwrap()
        .decrypt(
            &Nonce::from(<[u8; 12]>::try_from(nonce.as_slice()).unwrap()),
            Payload {
                msg: &bytes(&file["ciphertext"]),
                aad: &aad,
            },
        )
        .expect("the documented format opens with the passphrase")
}

fn scalar(bytes: &[u8]) -> Scalar {
    Scalar::from_canonical_bytes(bytes.try_into().unwrap()).unwrap()
}

#[test]
fn the_sealed_file_is_private_and_holds_the_secrets_only_encrypted() {
    let board = ceremony("sealed-contents", 3, 2);
    let keys = board.public_keys();
    let commitments = board.read_commitments();
    for i in 1..=3u32 {
        let path = board.dir(i).join("secret.sealed");
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let plain = open(&path, PASSPHRASE);
        // Layout (secrets.rs): version, index, a, x, Q, t = 0 once signed, s_i, T, signed, D.
        assert_eq!(plain[0], 2);
        assert_eq!(u32::from_le_bytes(plain[1..5].try_into().unwrap()), i);
        let a = scalar(&plain[5..37]);
        let x = scalar(&plain[37..69]);
        assert_eq!(plain[69], 1);
        assert_eq!(&plain[134..138], &[0, 0, 0, 0], "the polynomial is erased once signed");
        assert_eq!(plain[138], 1);
        let s = scalar(&plain[139..171]);
        let key = &keys[(i - 1) as usize];
        assert_eq!(RistrettoPoint::mul_base(&a), *key.signing_key.point());
        assert_eq!(RistrettoPoint::mul_base(&x), *key.receiving_key.point());
        assert_eq!(
            RistrettoPoint::mul_base(&s),
            *public_share(i, &commitments).unwrap().point()
        );

        let file = fs::read(&path).unwrap();
        for secret in [a, x, s] {
            let raw = secret.as_bytes();
            assert!(!file.windows(32).any(|w| w == raw), "a secret in the clear");
            let text = String::from_utf8_lossy(&file).to_lowercase();
            assert!(!text.contains(&hex::encode(raw)), "a secret in hex");
        }
        // Nor is any of it in a public file the trustee wrote.
        for entry in fs::read_dir(board.dir(i)).unwrap() {
            let text = fs::read_to_string(entry.unwrap().path()).unwrap();
            for secret in [a, x, s] {
                assert!(!text.contains(&hex::encode(secret.as_bytes())));
            }
        }
    }
}

#[test]
fn a_wrong_passphrase_fails_cleanly_and_a_file_others_can_read_is_refused() {
    let board = Board::new("sealed-passphrase", 3, 2);
    for i in 1..=3 {
        board.keygen(i).ok();
    }
    let path = board.dir(1).join("secret.sealed");
    let before = fs::read(&path).unwrap();
    let run = trustee_with(board.args("commit", 1, false), "not the passphrase");
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("wrong passphrase"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert_eq!(fs::read(&path).unwrap(), before, "the secret file is untouched");
    assert!(!board.dir(1).join("commitments-1.json").exists());

    // keygen never overwrites a trustee's keys.
    let again = board.keygen(1);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("exists"), "{}", again.stderr);
    assert_eq!(fs::read(&path).unwrap(), before);

    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let run = trustee(board.args("commit", 1, false));
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("readable by others"), "{}", run.stderr);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();

    // The passphrase from a file (its first line) instead of the environment; re-sealed 0600.
    let file = board.root.join("passphrase.txt");
    fs::write(&file, format!("{PASSPHRASE}\n")).unwrap();
    let mut args = vec!["--passphrase-file".into(), file.into_os_string()];
    args.extend(board.args("commit", 1, false));
    trustee_with(args, "not the passphrase").ok();
    assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    assert_ne!(
        fs::read(&path).unwrap(),
        before,
        "re-sealed with a fresh salt and nonce"
    );
}
