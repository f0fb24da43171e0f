//! Files in S3. Roll files: uploaded by the commission's browser to a presigned address, read
//! back by the import a range at a time (so that a restarted import reads from its
//! checkpoint), each `rolls/<electionId>/<rollId>.csv`. A verifiable election's published
//! record: each file `records/<electionId>/<name>`, in a bucket of its own (versioned, object
//! lock), read by anyone through the CDN.

use crate::dynamodb::classify_read;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::{GetObjectError, GetObjectOutput};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::Client;
use election_core::domain::ids::ElectionId;
use election_core::domain::roll::RollId;
use election_core::ports::{RecordFiles, RollFiles};
use election_core::problem::PortError;
use std::time::Duration;

/// Where roll files and records are kept: a function is given only its own buckets.
#[derive(Clone, Debug)]
pub struct S3Files {
    client: Client,
    rolls: Option<String>,
    records: Option<String>,
}

impl S3Files {
    pub fn new(client: Client, rolls: Option<String>, records: Option<String>) -> Self {
        Self { client, rolls, records }
    }

    pub fn from_config(aws: &aws_config::SdkConfig, rolls: Option<String>, records: Option<String>) -> Self {
        Self::new(Client::from_conf(client_config(aws)), rolls, records)
    }

    fn rolls(&self) -> Result<&str, PortError> {
        self.rolls
            .as_deref()
            .ok_or_else(|| PortError::Internal("no roll files bucket is configured for this function".into()))
    }

    fn records(&self) -> Result<&str, PortError> {
        self.records
            .as_deref()
            .ok_or_else(|| PortError::Internal("no records bucket is configured for this function".into()))
    }
}

/// The object key of a record's file.
pub fn record_key(election: &ElectionId, name: &str) -> String {
    format!("records/{election}/{name}")
}

impl RecordFiles for S3Files {
    #[tracing::instrument(skip(self, body))]
    async fn put_record_file(&self, election: &ElectionId, name: &str, body: Vec<u8>) -> Result<(), PortError> {
        self.client
            .put_object()
            .bucket(self.records()?)
            .key(record_key(election, name))
            .content_type("application/json")
            .body(body.into())
            .send()
            .await
            .map_err(classify_read)?;
        Ok(())
    }

    #[tracing::instrument(skip(self))]
    async fn record_file(&self, election: &ElectionId, name: &str) -> Result<Option<Vec<u8>>, PortError> {
        let read = self
            .client
            .get_object()
            .bucket(self.records()?)
            .key(record_key(election, name))
            .send()
            .await;
        object_bytes(read, "NoSuchKey").await
    }
}

/// An object's bytes as read; `None` if S3 answered with the error `absent` (nothing there).
async fn object_bytes(
    read: Result<GetObjectOutput, SdkError<GetObjectError>>,
    absent: &str,
) -> Result<Option<Vec<u8>>, PortError> {
    let object = match read {
        Ok(object) => object,
        Err(err) if err.code() == Some(absent) => return Ok(None),
        Err(err) => return Err(classify_read(err)),
    };
    let bytes = object
        .body
        .collect()
        .await
        .map_err(|e| PortError::Unavailable(e.to_string()))?;
    Ok(Some(bytes.to_vec()))
}

/// Path-style addresses (the bucket in the path), so that one address form serves AWS and
/// a local S3 on 127.0.0.1.
pub fn client_config(aws: &aws_config::SdkConfig) -> aws_sdk_s3::Config {
    aws_sdk_s3::config::Builder::from(aws).force_path_style(true).build()
}

/// The object key of a roll's file.
pub fn object_key(election: &ElectionId, roll: &RollId) -> String {
    format!("rolls/{election}/{roll}.csv")
}

/// The election and roll of an object key; `None` for any other key.
pub fn parse_object_key(key: &str) -> Option<(ElectionId, RollId)> {
    let (election, file) = key.strip_prefix("rolls/")?.split_once('/')?;
    let roll = file.strip_suffix(".csv")?;
    Some((ElectionId::parse(election).ok()?, RollId::parse(roll).ok()?))
}

impl RollFiles for S3Files {
    #[tracing::instrument(skip(self))]
    async fn upload_url(&self, election: &ElectionId, roll: &RollId, expires: Duration) -> Result<String, PortError> {
        let config = PresigningConfig::expires_in(expires).map_err(|e| PortError::Internal(e.to_string()))?;
        let presigned = self
            .client
            .put_object()
            .bucket(self.rolls()?)
            .key(object_key(election, roll))
            .content_type("text/csv")
            .presigned(config)
            .await
            .map_err(|e| PortError::Internal(e.to_string()))?;
        Ok(presigned.uri().to_owned())
    }

    #[tracing::instrument(skip(self))]
    async fn read(&self, election: &ElectionId, roll: &RollId, offset: u64, max: u64) -> Result<Vec<u8>, PortError> {
        let read = self
            .client
            .get_object()
            .bucket(self.rolls()?)
            .key(object_key(election, roll))
            .range(format!("bytes={offset}-{}", offset + max.max(1) - 1))
            .send()
            .await;
        // Past the end of the file: nothing more to read.
        Ok(object_bytes(read, "InvalidRange").await?.unwrap_or_default())
    }

    #[tracing::instrument(skip(self))]
    async fn remove(&self, election: &ElectionId, roll: &RollId) -> Result<(), PortError> {
        self.client
            .delete_object()
            .bucket(self.rolls()?)
            .key(object_key(election, roll))
            .send()
            .await
            .map_err(classify_read)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_keys_read_back() {
        let (election, roll) = (ElectionId::new(), RollId::new());
        assert_eq!(parse_object_key(&object_key(&election, &roll)), Some((election, roll)));
        assert_eq!(parse_object_key("rolls/x/y.csv"), None);
        assert_eq!(parse_object_key("other/key"), None);
    }
}
