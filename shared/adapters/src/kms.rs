//! The KMS keys that protect voters: one derives voter ids from identity keys
//! ([`VoterKeys`]), one seals their choices ([`ChoiceSealer`]), and one seals each ballot
//! for the mixer ([`BallotSealer`]): bound to its election only, opened by the mixer alone.
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
use election_core::domain::vote::{Ballot, Choice, Sealed, SealedBallot};
use election_core::ports::{BallotSealer, ChoiceSealer, VoterKeys};
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
    /// The key that seals the mixer's copies (`None`: this function seals or opens none).
    mix_key: Option<String>,
    /// Data keys in use, by the KMS key they come from and the election.
    keys: Arc<Mutex<HashMap<(String, ElectionId), DataKey>>>,
    /// The mixer's opened data keys, by their sealed form: one KMS call per data key, not
    /// per ballot.
    opened: Arc<Mutex<HashMap<Vec<u8>, Aes256Gcm>>>,
    /// The voter-id key, derived once per instance.
    voter_id_key: Arc<tokio::sync::OnceCell<VoterIdKey>>,
}

impl std::fmt::Debug for KmsKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KmsKeys")
            .field("seal_key", &self.seal_key)
            .field("identity_key", &self.identity_key)
            .field("mix_key", &self.mix_key)
            .finish_non_exhaustive()
    }
}

impl KmsKeys {
    pub fn new(client: Client, keys: KeyIds) -> Self {
        Self {
            client,
            seal_key: keys.seal,
            identity_key: keys.identity,
            mix_key: keys.mix,
            keys: Arc::default(),
            opened: Arc::default(),
            voter_id_key: Arc::default(),
        }
    }

    pub fn from_config(aws: &aws_config::SdkConfig, keys: KeyIds) -> Self {
        Self::new(Client::new(aws), keys)
    }

    fn seal_key(&self) -> Result<&str, PortError> {
        self.seal_key
            .as_deref()
            .ok_or_else(|| internal("this function is not given the seal key"))
    }

    fn mix_key(&self) -> Result<&str, PortError> {
        self.mix_key
            .as_deref()
            .ok_or_else(|| internal("this function is not given the mix key"))
    }

    /// A cipher and its stored key for the election under `key_id`: the cached one while it
    /// is young and little used, else a new data key from KMS.
    async fn current_key(&self, key_id: &str, election: &ElectionId) -> Result<(Aes256Gcm, Vec<u8>), PortError> {
        let cached = (key_id.to_owned(), election.clone());
        if let Some(key) = self.lock_keys().get_mut(&cached) {
            if key.made.elapsed() < DATA_KEY_MAX_AGE && key.uses < DATA_KEY_MAX_USES {
                key.uses += 1;
                return Ok((key.cipher.clone(), key.sealed_key.clone()));
            }
        }
        let made = self
            .client
            .generate_data_key()
            .key_id(key_id)
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
        self.lock_keys().insert(cached, key);
        Ok(reply)
    }

    fn lock_keys(&self) -> std::sync::MutexGuard<'_, HashMap<(String, ElectionId), DataKey>> {
        self.keys.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The cipher of a stored data key of the election, from KMS (which checks the
    /// context), or from this instance's cache.
    async fn opened_key(&self, election: &ElectionId, sealed_key: &[u8]) -> Result<Aes256Gcm, PortError> {
        if let Some(cipher) = self.lock_opened().get(sealed_key) {
            return Ok(cipher.clone());
        }
        let cipher = self.decrypt_key(election, sealed_key).await?;
        let mut opened = self.lock_opened();
        // A few data keys per election and cast-vote instance at a time; bounded all the same.
        if opened.len() >= OPENED_KEYS_KEPT {
            opened.clear();
        }
        opened.insert(sealed_key.to_vec(), cipher.clone());
        Ok(cipher)
    }

    async fn decrypt_key(&self, election: &ElectionId, sealed_key: &[u8]) -> Result<Aes256Gcm, PortError> {
        let opened = self
            .client
            .decrypt()
            .ciphertext_blob(Blob::new(sealed_key.to_vec()))
            .set_encryption_context(Some(context(election)))
            .send()
            .await
            .map_err(classify_read)?;
        cipher(
            opened
                .plaintext()
                .ok_or_else(|| internal("KMS returned no key"))?
                .as_ref(),
        )
    }

    fn lock_opened(&self) -> std::sync::MutexGuard<'_, HashMap<Vec<u8>, Aes256Gcm>> {
        self.opened.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The KMS keys a function is given (`None`: it uses none of that kind).
#[derive(Clone, Debug, Default)]
pub struct KeyIds {
    pub seal: Option<String>,
    pub identity: Option<String>,
    pub mix: Option<String>,
}

/// How many opened data keys an instance keeps (the mixer's, or My votes').
const OPENED_KEYS_KEPT: usize = 1_000;

/// The mixer's copy is bound to its election only, and to its purpose.
fn mix_associated_data(election: &ElectionId) -> Vec<u8> {
    format!("{election}\nmix").into_bytes()
}

/// AES-GCM with a fresh random nonce, the nonce leading the ciphertext.
fn seal_bytes(cipher: &Aes256Gcm, message: &[u8], aad: &[u8]) -> Result<Vec<u8>, PortError> {
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let encrypted = cipher
        .encrypt(&nonce, Payload { msg: message, aad })
        .map_err(|_| internal("encryption failed"))?;
    let mut ciphertext = nonce.to_vec();
    ciphertext.extend(encrypted);
    Ok(ciphertext)
}

/// Opens what [`seal_bytes`] sealed with the same associated data.
fn open_bytes(cipher: &Aes256Gcm, ciphertext: &[u8], aad: &[u8]) -> Result<Vec<u8>, PortError> {
    if ciphertext.len() < NONCE_BYTES {
        return Err(internal("too short"));
    }
    let (nonce, encrypted) = ciphertext.split_at(NONCE_BYTES);
    let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| internal("nonce"))?;
    cipher
        .decrypt(&Nonce::from(nonce), Payload { msg: encrypted, aad })
        .map_err(|_| internal("does not open"))
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
        Ok(self.voter_id_key().await?.voter_id(identity))
    }

    async fn claim_tag(&self, parts: &[&[u8]]) -> Result<String, PortError> {
        Ok(self.voter_id_key().await?.claim_tag(parts))
    }
}

impl KmsKeys {
    async fn voter_id_key(&self) -> Result<&VoterIdKey, PortError> {
        self.voter_id_key
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
            .await
    }
}

impl ChoiceSealer for KmsKeys {
    #[tracing::instrument(skip_all, fields(election_id = %election))]
    async fn seal(&self, voter: &AccountId, election: &ElectionId, choice: &Choice) -> Result<Sealed, PortError> {
        let (cipher, sealed_key) = self.current_key(self.seal_key()?, election).await?;
        let message = serde_json::to_vec(choice).map_err(|_| internal("choice did not serialize"))?;
        let ciphertext = seal_bytes(&cipher, &message, &associated_data(voter, election))?;
        Ok(Sealed { sealed_key, ciphertext })
    }

    /// The data keys opened are kept, as the mixer keeps its: at the peak My votes is read
    /// about as often as votes are cast, and a KMS call each would be 10,000 a second, past
    /// the account's quota in most regions, while one data key seals up to
    /// `DATA_KEY_MAX_USES` choices. A kept key still opens a choice for its own voter only:
    /// the voter and the election are bound into each ciphertext.
    #[tracing::instrument(skip_all, fields(election_id = %election))]
    async fn open(&self, voter: &AccountId, election: &ElectionId, sealed: &Sealed) -> Result<Choice, PortError> {
        let cipher = self.opened_key(election, &sealed.sealed_key).await?;
        let message = open_bytes(&cipher, &sealed.ciphertext, &associated_data(voter, election))?;
        serde_json::from_slice(&message).map_err(|_| internal("not a choice"))
    }
}

impl BallotSealer for KmsKeys {
    #[tracing::instrument(skip_all, fields(election_id = %ballot.election_id))]
    async fn seal_ballot(&self, ballot: &Ballot) -> Result<SealedBallot, PortError> {
        let election = &ballot.election_id;
        let (cipher, sealed_key) = self.current_key(self.mix_key()?, election).await?;
        let message = crate::mix_copy::to_bytes(ballot)?;
        let ciphertext = seal_bytes(&cipher, &message, &mix_associated_data(election))?;
        Ok(SealedBallot {
            election_id: election.clone(),
            sealed: Sealed { sealed_key, ciphertext },
        })
    }

    #[tracing::instrument(skip_all, fields(election_id = %sealed.election_id))]
    async fn open_ballot(&self, sealed: &SealedBallot) -> Result<Ballot, PortError> {
        let election = &sealed.election_id;
        self.mix_key()?;
        let cipher = self.opened_key(election, &sealed.sealed.sealed_key).await?;
        let message = open_bytes(&cipher, &sealed.sealed.ciphertext, &mix_associated_data(election))?;
        crate::mix_copy::from_bytes(election, &message)
    }
}
