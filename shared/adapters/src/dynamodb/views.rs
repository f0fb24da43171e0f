//! The views as DynamoDB tables: the dashboard table, and the candidates table for the
//! pledge counters on candidate items. Rows are read and written as the core's
//! [`Row`]s; what the rows mean is the core's business.

use super::effects::apply_exactly_once;
use super::errors::classify;
use super::Table;
use super::{DynamoStore, RawItem};
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use election_core::ports::ViewStore;
use election_core::problem::PortError;
use election_core::projection::{key_row, Effect, Row, RowKey, Value, View};

/// A row's attribute as DynamoDB stores it.
pub(super) fn attribute(value: &Value) -> AttributeValue {
    match value {
        Value::Text(text) => AttributeValue::S(text.clone()),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::Flag(flag) => AttributeValue::Bool(*flag),
    }
}

/// A row as DynamoDB stores it.
pub(super) fn raw_item(row: &Row) -> RawItem {
    row.iter()
        .map(|(name, value)| (name.clone(), attribute(value)))
        .collect()
}

/// A stored item as a row; attributes of other types are left out.
pub(super) fn row(item: RawItem) -> Row {
    item.into_iter()
        .filter_map(|(name, value)| {
            let value = match value {
                AttributeValue::S(text) => Value::Text(text),
                AttributeValue::N(n) => Value::Number(n.parse::<i64>().ok()?),
                AttributeValue::Bool(flag) => Value::Flag(flag),
                _ => return None,
            };
            Some((name, value))
        })
        .collect()
}

/// A row key as DynamoDB takes it.
pub(super) fn raw_key(key: &RowKey) -> RawItem {
    raw_item(&key_row(key))
}

impl DynamoStore {
    fn view_table(&self, view: View) -> Result<&str, PortError> {
        self.table(match view {
            View::Dashboard => Table::Dashboard,
            View::Candidates => Table::Candidates,
        })
    }
}

impl ViewStore for DynamoStore {
    #[tracing::instrument(skip_all, fields(?view, effects = effects.len()))]
    async fn apply(&self, view: View, effects: Vec<Effect>) -> Result<(), PortError> {
        apply_exactly_once(&self.client, self.view_table(view)?, effects).await
    }

    #[tracing::instrument(skip(self))]
    async fn partition(&self, view: View, pk: &str) -> Result<Vec<Row>, PortError> {
        let query = self
            .client
            .query()
            .table_name(self.view_table(view)?)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(pk.to_owned()))
            .consistent_read(true);
        Ok(self.query_all(query).await?.into_iter().map(row).collect())
    }

    /// Reads in batches of 100 (BatchGetItem's limit), retrying unprocessed keys.
    #[tracing::instrument(skip_all, fields(?view, keys = keys.len()))]
    async fn rows(&self, view: View, keys: Vec<RowKey>) -> Result<Vec<Row>, PortError> {
        let table = self.view_table(view)?;
        let mut found = Vec::new();
        for chunk in keys.chunks(100) {
            let mut request = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.iter().map(raw_key).collect()))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| PortError::Internal(e.to_string()))?,
            );
            while let Some(keys) = request.take() {
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(table, keys)
                    .send()
                    .await
                    .map_err(classify)?;
                found.extend(output.responses.and_then(|mut r| r.remove(table)).unwrap_or_default());
                request = output
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(table))
                    .filter(|k| !k.keys().is_empty());
            }
        }
        Ok(found.into_iter().map(row).collect())
    }
}
