//! Seals voters' choices with envelope encryption: a fresh AES-256 data key from KMS per
//! vote, under an encryption context that names the voter and the election, encrypts the
//! choice with AES-256-GCM; only the encrypted data key is kept. KMS gives the key back
//! only for the same context, and only to a role the key policy names.

use crate::dynamodb::classify;
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use aws_sdk_kms::Client;
use election_core::domain::ids::ElectionId;
use election_core::domain::text::Name;
use election_core::domain::vote::{Choice, SealedChoice};
use election_core::ports::ChoiceSealer;
use election_core::problem::StoreError;
use std::collections::HashMap;

/// AES-GCM's nonce length, in bytes; the nonce leads the stored ciphertext.
const NONCE_BYTES: usize = 12;

#[derive(Clone, Debug)]
pub struct KmsSealer {
    client: Client,
    key_id: String,
}

impl KmsSealer {
    pub fn new(client: Client, key_id: String) -> Self {
        Self { client, key_id }
    }

    pub fn from_config(aws: &aws_config::SdkConfig, key_id: String) -> Self {
        Self::new(Client::new(aws), key_id)
    }
}

/// The encryption context: the key opens for this voter and election only.
fn context(voter: &Name, election: &ElectionId) -> HashMap<String, String> {
    HashMap::from([
        ("voter".to_owned(), voter.as_str().to_owned()),
        ("election".to_owned(), election.to_string()),
    ])
}

/// The same binding inside the ciphertext, as AES-GCM's associated data.
fn associated_data(voter: &Name, election: &ElectionId) -> Vec<u8> {
    format!("{election}\n{}", voter.as_str()).into_bytes()
}

fn internal(what: &str) -> StoreError {
    StoreError::Internal(format!("sealed choice: {what}"))
}

impl ChoiceSealer for KmsSealer {
    #[tracing::instrument(skip_all, fields(election_id = %election))]
    async fn seal(&self, voter: &Name, election: &ElectionId, choice: &Choice) -> Result<SealedChoice, StoreError> {
        let data_key = self
            .client
            .generate_data_key()
            .key_id(&self.key_id)
            .key_spec(DataKeySpec::Aes256)
            .set_encryption_context(Some(context(voter, election)))
            .send()
            .await
            .map_err(classify)?;
        let (Some(plain_key), Some(sealed_key)) = (data_key.plaintext(), data_key.ciphertext_blob()) else {
            return Err(internal("KMS returned no data key"));
        };
        let cipher = Aes256Gcm::new_from_slice(plain_key.as_ref()).map_err(|_| internal("data key length"))?;
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
        Ok(SealedChoice {
            data_key: sealed_key.as_ref().to_vec(),
            ciphertext,
        })
    }

    #[tracing::instrument(skip_all, fields(election_id = %election))]
    async fn open(&self, voter: &Name, election: &ElectionId, sealed: &SealedChoice) -> Result<Choice, StoreError> {
        let data_key = self
            .client
            .decrypt()
            .ciphertext_blob(Blob::new(sealed.data_key.clone()))
            .set_encryption_context(Some(context(voter, election)))
            .send()
            .await
            .map_err(classify)?;
        let plain_key = data_key.plaintext().ok_or_else(|| internal("KMS returned no key"))?;
        let cipher = Aes256Gcm::new_from_slice(plain_key.as_ref()).map_err(|_| internal("data key length"))?;
        if sealed.ciphertext.len() < NONCE_BYTES {
            return Err(internal("too short"));
        }
        let (nonce, encrypted) = sealed.ciphertext.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| internal("nonce"))?;
        let aad = associated_data(voter, election);
        let message = cipher
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
