//! The ceremony table: a verifiable election's key-ceremony messages, keyed by `electionId`
//! and `message` (`<step>#<trustee>#<attempt>`), each written once.

use super::errors::classify;
use super::{DynamoStore, RawItem, Table};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use election_core::domain::ceremony::{Message, Step};
use election_core::domain::ids::ElectionId;
use election_core::domain::text::AccountId;
use election_core::ports::CeremonyStore;
use election_core::problem::PortError;

fn corrupt(detail: impl std::fmt::Display) -> PortError {
    PortError::Internal(format!("a ceremony item does not read: {detail}"))
}

fn sort_key(message: &Message) -> String {
    format!(
        "{}#{:03}#{:02}",
        message.step.as_str(),
        message.trustee,
        message.attempt
    )
}

fn text<'a>(raw: &'a RawItem, name: &str) -> Result<&'a str, PortError> {
    raw.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .ok_or_else(|| corrupt(format!("no {name}")))
}

fn message_from(raw: &RawItem) -> Result<Message, PortError> {
    let key = text(raw, "message")?;
    let mut parts = key.split('#');
    let (Some(step), Some(trustee), Some(attempt), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(corrupt(format!("its key {key} is not <step>#<trustee>#<attempt>")));
    };
    Ok(Message {
        step: Step::parse(step).ok_or_else(|| corrupt(format!("unknown step {step}")))?,
        trustee: trustee.parse().map_err(corrupt)?,
        attempt: attempt.parse().map_err(corrupt)?,
        body: text(raw, "body")?.to_owned(),
    })
}

impl CeremonyStore for DynamoStore {
    #[tracing::instrument(skip(self))]
    async fn ceremony_messages(&self, election: &ElectionId) -> Result<Vec<Message>, PortError> {
        let query = self
            .client
            .query()
            .table_name(self.table(Table::Ceremony)?)
            .key_condition_expression("electionId = :e")
            .expression_attribute_values(":e", AttributeValue::S(election.to_string()))
            .consistent_read(true);
        self.query_all(query).await?.iter().map(message_from).collect()
    }

    #[tracing::instrument(skip(self, message), fields(step = message.step.as_str(), trustee = message.trustee))]
    async fn post_ceremony_message(
        &self,
        election: &ElectionId,
        message: &Message,
    ) -> Result<Option<Message>, PortError> {
        let key = sort_key(message);
        let put = self
            .client
            .put_item()
            .table_name(self.table(Table::Ceremony)?)
            .item("electionId", AttributeValue::S(election.to_string()))
            .item("message", AttributeValue::S(key.clone()))
            .item("body", AttributeValue::S(message.body.clone()))
            .condition_expression("attribute_not_exists(electionId)")
            .send()
            .await
            .map_err(classify);
        match put {
            Ok(_) => Ok(None),
            Err(PortError::Conflict) => {
                let earlier = self.ceremony_messages(election).await?;
                let same_slot = earlier
                    .into_iter()
                    .find(|m| m.step == message.step && m.trustee == message.trustee && m.attempt == message.attempt);
                same_slot
                    .map(Some)
                    .ok_or_else(|| PortError::Internal(format!("ceremony message {key} refused but absent")))
            }
            Err(other) => Err(other),
        }
    }

    #[tracing::instrument(skip(self, trustees))]
    async fn restart_ceremony(
        &self,
        election: &ElectionId,
        from: u32,
        trustees: &[AccountId],
    ) -> Result<(), PortError> {
        let trustees = trustees
            .iter()
            .map(|t| AttributeValue::S(t.as_str().to_owned()))
            .collect();
        self.client
            .update_item()
            .table_name(self.table(Table::Elections)?)
            .key("electionId", AttributeValue::S(election.to_string()))
            .update_expression("SET verifiable.attempt = :next, verifiable.trustees = :trustees")
            .condition_expression("verifiable.attempt = :from")
            .expression_attribute_values(":next", AttributeValue::N((from + 1).to_string()))
            .expression_attribute_values(":from", AttributeValue::N(from.to_string()))
            .expression_attribute_values(":trustees", AttributeValue::L(trustees))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    #[tracing::instrument(skip(self))]
    async fn complete_ceremony(&self, election: &ElectionId, at: DateTime<Utc>) -> Result<(), PortError> {
        let update = self
            .client
            .update_item()
            .table_name(self.table(Table::Elections)?)
            .key("electionId", AttributeValue::S(election.to_string()))
            .update_expression("SET verifiable.ceremonyCompletedAt = :at")
            .condition_expression(
                "attribute_exists(verifiable) AND attribute_not_exists(verifiable.ceremonyCompletedAt)",
            )
            .expression_attribute_values(
                ":at",
                AttributeValue::S(at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
            )
            .send()
            .await
            .map_err(classify);
        match update {
            // Completed already: the first time stands.
            Ok(_) | Err(PortError::Conflict) => Ok(()),
            Err(other) => Err(other),
        }
    }
}
