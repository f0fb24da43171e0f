//! The KMS keys that protect voters: one derives voter ids from identity keys
//! ([`VoterKeys`]), the other seals their choices ([`ChoiceSealer`]).
//!
//! Seals voters' choices with envelope encryption: AES-256-GCM under a KMS data key whose
//! encryption context names the election, with the voter and election bound into each
//! ciphertext as associated data, so a sealed choice opens for its own voter only. Only the
//! encrypted data key is kept beside it. KMS gives the key back only to a role the key
//! policy names, and only for the same election.
//!
//! A data key is reused for a bounded time and number of ballots (as the AWS Encryption
//! SDK's caching does): at a national peak one KMS call per vote would exceed KMS's request
//! quota, which is shared by the whole account.

use crate::dynamodb::classify_read;
use crate::voter_id::{VoterIdKey, VOTER_ID_LABEL};
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{DataKeySpec, MacAlgorithmSpec};
use aws_sdk_kms::Client;
use election_core::domain::ids::ElectionId;
use election_core::domain::roll::IdentityKey;
use election_core::domain::text::AccountId;
use election_core::domain::vote::{Choice, SealedChoice};
use election_core::ports::{ChoiceSealer, VoterKeys};
use election_core::problem::PortError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// AES-GCM's nonce length, in bytes; the nonce leads the stored ciphertext.
const NONCE_BYTES: usize = 12;
/// How long one data key seals ballots in one function instance.
pub const DATA_KEY_MAX_AGE: Duration = Duration::from_secs(300);
/// How many ballots one data key seals at most: far below AES-GCM's 2^32 random nonces.
pub const DATA_KEY_MAX_USES: u32 = 10_000;

/// A data key in use: the cipher made from its plaintext, and its encrypted form to store.
struct DataKey {
    cipher: Aes256Gcm,
    sealed_key: Vec<u8>,
    made: Instant,
    uses: u32,
}

#[derive(Clone)]
pub struct KmsKeys {
    client: Client,
    /// The key that seals choices (`None`: this function seals none).
    seal_key: Option<String>,
    /// The HMAC key that voter ids are derived under (`None`: this function derives none).
    identity_key: Option<String>,
    keys: Arc<Mutex<HashMap<ElectionId, DataKey>>>,
    /// The voter-id key, derived once per instance.
    voter_id_key: Arc<tokio::sync::OnceCell<VoterIdKey>>,
}

impl std::fmt::Debug for KmsKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KmsKeys")
            .field("seal_key", &self.seal_key)
            .field("identity_key", &self.identity_key)
            .finish_non_exhaustive()
    }
}

impl KmsKeys {
    pub fn new(client: Client, seal_key: Option<String>, identity_key: Option<String>) -> Self {
        Self {
            client,
            seal_key,
            identity_key,
            keys: Arc::default(),
            voter_id_key: Arc::default(),
        }
    }

    pub fn from_config(aws: &aws_config::SdkConfig, seal_key: Option<String>, identity_key: Option<String>) -> Self {
        Self::new(Client::new(aws), seal_key, identity_key)
    }

    fn seal_key(&self) -> Result<&str, PortError> {
        self.seal_key
            .as_deref()
            .ok_or_else(|| internal("this function is not given the seal key"))
    }

    /// A cipher and its stored key for the election: the cached one while it is young and
    /// little used, else a new data key from KMS.
    async fn current_key(&self, election: &ElectionId) -> Result<(Aes256Gcm, Vec<u8>), PortError> {
        if let Some(key) = self.lock_keys().get_mut(election) {
            if key.made.elapsed() < DATA_KEY_MAX_AGE && key.uses < DATA_KEY_MAX_USES {
                key.uses += 1;
                return Ok((key.cipher.clone(), key.sealed_key.clone()));
            }
        }
        let made = self
            .client
            .generate_data_key()
            .key_id(self.seal_key()?)
            .key_spec(DataKeySpec::Aes256)
            .set_encryption_context(Some(context(election)))
            .send()
            .await
            .map_err(classify_read)?;
        let (Some(plain), Some(sealed_key)) = (made.plaintext(), made.ciphertext_blob()) else {
            return Err(internal("KMS returned no data key"));
        };
        let key = DataKey {
            cipher: cipher(plain.as_ref())?,
            sealed_key: sealed_key.as_ref().to_vec(),
            made: Instant::now(),
            uses: 1,
        };
        let reply = (key.cipher.clone(), key.sealed_key.clone());
        self.lock_keys().insert(election.clone(), key);
        Ok(reply)
    }

    fn lock_keys(&self) -> std::sync::MutexGuard<'_, HashMap<ElectionId, DataKey>> {
        self.keys.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The encryption context: the data key opens for this election only.
fn context(election: &ElectionId) -> HashMap<String, String> {
    HashMap::from([("election".to_owned(), election.to_string())])
}

/// The voter and election, bound into each ciphertext as AES-GCM's associated data.
fn associated_data(voter: &AccountId, election: &ElectionId) -> Vec<u8> {
    format!("{election}\n{}", voter.as_str()).into_bytes()
}

fn cipher(plain_key: &[u8]) -> Result<Aes256Gcm, PortError> {
    Aes256Gcm::new_from_slice(plain_key).map_err(|_| internal("data key length"))
}

fn internal(what: &str) -> PortError {
    PortError::Internal(format!("sealed choice: {what}"))
}

impl VoterKeys for KmsKeys {
    /// One KMS call per instance derives the key (`GenerateMac` of a fixed label under the
    /// HMAC key, which never leaves KMS); each voter id is then an HMAC under it, here. A
    /// KMS call per vote would spend the account's KMS quota, which every key shares.
    async fn voter_id(&self, identity: &IdentityKey) -> Result<AccountId, PortError> {
        let key = self
            .voter_id_key
            .get_or_try_init(|| async {
                let key_id = self
                    .identity_key
                    .as_deref()
                    .ok_or_else(|| internal("this function is not given the identity key"))?;
                let made = self
                    .client
                    .generate_mac()
                    .key_id(key_id)
                    .mac_algorithm(MacAlgorithmSpec::HmacSha256)
                    .message(Blob::new(VOTER_ID_LABEL))
                    .send()
                    .await
                    .map_err(classify_read)?;
                let mac = made.mac().ok_or_else(|| internal("KMS returned no MAC"))?;
                VoterIdKey::new(mac.as_ref())
            })
            .await?;
        Ok(key.voter_id(identity))
    }
}

impl ChoiceSealer for KmsKeys {
    #[tracing::instrument(skip_all, fields(election_id = %election))]
    async fn seal(&self, voter: &AccountId, election: &ElectionId, choice: &Choice) -> Result<SealedChoice, PortError> {
        let (cipher, sealed_key) = self.current_key(election).await?;
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let message = serde_json::to_vec(choice).map_err(|_| internal("choice did not serialize"))?;
        let aad = associated_data(voter, election);
        let encrypted = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &message,
                    aad: &aad,
                },
            )
            .map_err(|_| internal("encryption failed"))?;
        let mut ciphertext = nonce.to_vec();
        ciphertext.extend(encrypted);
        Ok(SealedChoice { sealed_key, ciphertext })
    }

    #[tracing::instrument(skip_all, fields(election_id = %election))]
    async fn open(&self, voter: &AccountId, election: &ElectionId, sealed: &SealedChoice) -> Result<Choice, PortError> {
        let opened = self
            .client
            .decrypt()
            .ciphertext_blob(Blob::new(sealed.sealed_key.clone()))
            .set_encryption_context(Some(context(election)))
            .send()
            .await
            .map_err(classify_read)?;
        let plain_key = opened.plaintext().ok_or_else(|| internal("KMS returned no key"))?;
        if sealed.ciphertext.len() < NONCE_BYTES {
            return Err(internal("too short"));
        }
        let (nonce, encrypted) = sealed.ciphertext.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| internal("nonce"))?;
        let aad = associated_data(voter, election);
        let message = cipher(plain_key.as_ref())?
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: encrypted,
                    aad: &aad,
                },
            )
            .map_err(|_| internal("does not open"))?;
        serde_json::from_slice(&message).map_err(|_| internal("not a choice"))
    }
}
