//! Secret files sealed under a passphrase: Argon2id (RFC 9106, version 0x13) stretches the
//! passphrase with a random 16-byte salt into a 256-bit key; AES-256-GCM (96-bit random nonce)
//! seals the bytes, with the file's header as associated data so that no parameter can be
//! changed unnoticed. The file is JSON, written with mode 0600 through a temporary file and a
//! rename, so that a crash never leaves half a secret behind.
//!
//! The file: `{"format": "trustee-sealed-1", "kdf": {"algorithm": "argon2id", "version": 19,
//! "memory_kib", "iterations", "parallelism", "salt": hex}, "aead": {"algorithm":
//! "AES-256-GCM", "nonce": hex}, "ciphertext": hex (ciphertext then 16-byte tag)}`. The
//! associated data frames, each as `u64le(len) ‖ bytes`: format, kdf algorithm, then version,
//! memory_kib, iterations and parallelism as u32le, salt, aead algorithm, nonce.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use anyhow::{bail, ensure, Context, Result};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::rngs::OsRng;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

const FORMAT: &str = "trustee-sealed-1";
const KDF: &str = "argon2id";
const AEAD: &str = "AES-256-GCM";

/// The parameters every sealed file is written with: 64 MiB, 3 passes, 1 lane (RFC 9106's
/// second recommended option, a little more memory-hard; a fraction of a second here).
const STRONG: Cost = Cost {
    memory_kib: 64 * 1024,
    iterations: 3,
    parallelism: 1,
};

/// Test only (`TRUSTEE_ARGON2_TEST_PARAMS=1`, honoured by debug builds alone): 1 MiB, one
/// pass, so that the tests' debug builds do not spend minutes stretching. A release build,
/// the one a trustee runs, always seals with [`STRONG`].
const WEAK_FOR_TESTS: Cost = Cost {
    memory_kib: 1024,
    iterations: 1,
    parallelism: 1,
};

pub const TEST_PARAMS_VAR: &str = "TRUSTEE_ARGON2_TEST_PARAMS";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cost {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Kdf {
    algorithm: String,
    version: u32,
    #[serde(flatten)]
    cost: Cost,
    #[serde(with = "hex")]
    salt: [u8; 16],
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cipher {
    algorithm: String,
    #[serde(with = "hex")]
    nonce: [u8; 12],
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SealedFile {
    format: String,
    kdf: Kdf,
    aead: Cipher,
    #[serde(with = "hex")]
    ciphertext: Vec<u8>,
}

impl SealedFile {
    /// The header as associated data: format, algorithms, cost, salt and nonce, each framed
    /// with its length.
    fn aad(&self) -> Vec<u8> {
        let c = &self.kdf.cost;
        let fields: [&[u8]; 9] = [
            self.format.as_bytes(),
            self.kdf.algorithm.as_bytes(),
            &self.kdf.version.to_le_bytes(),
            &c.memory_kib.to_le_bytes(),
            &c.iterations.to_le_bytes(),
            &c.parallelism.to_le_bytes(),
            &self.kdf.salt,
            self.aead.algorithm.as_bytes(),
            &self.aead.nonce,
        ];
        fields
            .iter()
            .flat_map(|f| [&(f.len() as u64).to_le_bytes()[..], f].concat())
            .collect()
    }
}

fn key(passphrase: &[u8], cost: Cost, salt: &[u8; 16]) -> Result<Zeroizing<[u8; 32]>> {
    let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, Some(32))
        .map_err(|e| anyhow::anyhow!("Argon2id parameters {cost:?}: {e}"))?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase, salt, &mut *key)
        .map_err(|e| anyhow::anyhow!("Argon2id: {e}"))?;
    Ok(key)
}

fn cipher(key: &[u8; 32]) -> Aes256Gcm {
    Aes256Gcm::new_from_slice(key).expect("a 32-byte key")
}

/// Seals `plaintext` under `passphrase` into `path` (mode 0600), with a fresh salt and nonce.
pub fn seal(path: &Path, plaintext: &[u8], passphrase: &[u8]) -> Result<()> {
    let cost = if cfg!(debug_assertions) && std::env::var_os(TEST_PARAMS_VAR).is_some_and(|v| v == "1") {
        WEAK_FOR_TESTS
    } else {
        STRONG
    };
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 12];
    OsRng.fill_bytes(&mut salt);
    OsRng.fill_bytes(&mut nonce);
    let mut file = SealedFile {
        format: FORMAT.into(),
        kdf: Kdf {
            algorithm: KDF.into(),
            version: Version::V0x13 as u32,
            cost,
            salt,
        },
        aead: Cipher {
            algorithm: AEAD.into(),
            nonce,
        },
        ciphertext: Vec::new(),
    };
    let aad = file.aad();
    let key = key(passphrase, cost, &salt)?;
    // aes-gcm encrypts a copy of the plaintext in place: no clear copy is left behind.
    file.ciphertext = cipher(&key)
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .map_err(|_| anyhow::anyhow!("AES-256-GCM refused to seal"))?;
    write_private(path, &serde_json::to_vec_pretty(&file)?)
}

/// Opens a sealed file; a wrong passphrase and a damaged file fail alike (the tag does not verify).
pub fn unseal(path: &Path, passphrase: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let mode = fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .permissions()
        .mode();
    // Like ssh with its keys: a secret file others may read is refused rather than used.
    ensure!(
        mode & 0o077 == 0,
        "{} is readable by others (mode {:o}): chmod 600 it",
        path.display(),
        mode & 0o777
    );
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let file: SealedFile =
        serde_json::from_slice(&bytes).with_context(|| format!("{} is not a sealed file", path.display()))?;
    if file.format != FORMAT || file.kdf.algorithm != KDF || file.aead.algorithm != AEAD {
        bail!(
            "{}: unsupported sealing {} / {} / {}",
            path.display(),
            file.format,
            file.kdf.algorithm,
            file.aead.algorithm
        );
    }
    ensure!(
        file.kdf.version == Version::V0x13 as u32,
        "{}: unsupported Argon2 version {}",
        path.display(),
        file.kdf.version
    );
    // The costs are read before the file is authenticated: a tampered file may not ask for
    // more than a trustee's machine should give (4 times what a file is sealed with).
    let cost = file.kdf.cost;
    ensure!(
        cost.memory_kib <= 4 * STRONG.memory_kib && cost.iterations <= 4 * STRONG.iterations && cost.parallelism <= 4,
        "{}: Argon2 costs beyond what this program seals with",
        path.display()
    );
    let key = key(passphrase, cost, &file.kdf.salt)?;
    let plain = cipher(&key)
        .decrypt(
            &Nonce::from(file.aead.nonce),
            Payload {
                msg: &file.ciphertext,
                aad: &file.aad(),
            },
        )
        .map_err(|_| anyhow::anyhow!("{}: wrong passphrase, or the file is damaged", path.display()))?;
    Ok(Zeroizing::new(plain))
}

/// Writes `bytes` readable by the owner only: a new temporary file created with mode 0600,
/// synced, then renamed over `path`.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    // A temporary file left by a crash may have other permissions: never reuse it.
    match fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("removing {}", tmp.display()))
        }
        _ => {}
    }
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    out.write_all(bytes)?;
    out.sync_all()?;
    fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_and_a_wrong_passphrase_fails() {
        std::env::set_var(TEST_PARAMS_VAR, "1");
        let dir = std::env::temp_dir().join(format!("trustee-sealed-unit-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.sealed");
        seal(&path, b"the secret", b"pass phrase").unwrap();
        assert_eq!(&unseal(&path, b"pass phrase").unwrap()[..], b"the secret");
        assert!(unseal(&path, b"pass phrasf").is_err());
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        // A changed cost is caught by the associated data even before the key differs.
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, text.replace("\"iterations\": 1", "\"iterations\": 2")).unwrap();
        assert!(unseal(&path, b"pass phrase").is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
