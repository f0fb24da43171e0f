//! The views as DynamoDB tables: the dashboard table, and the candidates table for the
//! pledge counters on candidate items. Rows are read and written as the core's
//! [`Row`]s, at the keys [`keys`](super::keys) gives them; what the rows mean is the
//! core's business.

use super::effects::{apply_exactly_once, ViewTable};
use super::keys::{
    election_partition, election_partitions, election_row_key, key_names, physical_key, turnout_partitions,
    turnout_row_key, PhysicalKey,
};
use super::Table;
use super::{DynamoStore, RawItem};
use aws_sdk_dynamodb::types::AttributeValue;
use election_core::domain::ids::ElectionId;
use election_core::ports::ViewStore;
use election_core::problem::PortError;
use election_core::projection::{Effect, Row, RowKey, Value, View};

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

/// A physical key as DynamoDB takes it.
pub(super) fn raw_key(key: &PhysicalKey) -> RawItem {
    key.iter()
        .map(|(name, value)| ((*name).to_owned(), AttributeValue::S(value.clone())))
        .collect()
}

/// The text of a key attribute of a stored item.
fn key_text<'a>(item: &'a RawItem, name: &str) -> &'a str {
    match item.get(name) {
        Some(AttributeValue::S(text)) => text,
        _ => "",
    }
}

impl DynamoStore {
    fn view_table(&self, view: View) -> Result<&str, PortError> {
        self.table(match view {
            View::Dashboard => Table::Dashboard,
            View::Candidates => Table::Candidates,
        })
    }
}

impl DynamoStore {
    /// Every row of these dashboard partitions, each read back to its key by `key_of`.
    async fn partition_rows(
        &self,
        partitions: Vec<String>,
        key_of: fn(&str, &str) -> Option<RowKey>,
    ) -> Result<Vec<(RowKey, Row)>, PortError> {
        let table = self.view_table(View::Dashboard)?;
        // All at once: an election's results are 21 partitions (its own and its counter
        // shards), and the live results are read often.
        let reads = partitions.into_iter().map(|partition| {
            let query = self
                .client
                .query()
                .table_name(table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(partition))
                .consistent_read(true);
            self.query_all(query)
        });
        let mut rows = Vec::new();
        for items in futures::future::try_join_all(reads).await? {
            for item in items {
                let (pk, sk) = (key_text(&item, "pk"), key_text(&item, "sk"));
                let key = key_of(pk, sk)
                    .ok_or_else(|| PortError::Internal(format!("dashboard item {pk}/{sk} is not read here")))?;
                rows.push((key, row(item)));
            }
        }
        Ok(rows)
    }
}

impl ViewStore for DynamoStore {
    #[tracing::instrument(skip_all, fields(?view, effects = effects.len()))]
    async fn apply(&self, view: View, effects: Vec<Effect>) -> Result<(), PortError> {
        let at = ViewTable {
            view,
            table: self.view_table(view)?,
        };
        apply_exactly_once(&self.client, at, effects).await
    }

    /// Reads each of the election's partitions whole.
    #[tracing::instrument(skip(self))]
    async fn election_rows(&self, election: &ElectionId) -> Result<Vec<(RowKey, Row)>, PortError> {
        self.partition_rows(election_partitions(election), election_row_key)
            .await
    }

    /// Reads the election's own partition whole.
    #[tracing::instrument(skip(self))]
    async fn election_details(&self, election: &ElectionId) -> Result<Vec<(RowKey, Row)>, PortError> {
        self.partition_rows(vec![election_partition(election)], election_row_key)
            .await
    }

    /// Reads each of the election's turnout partitions whole.
    #[tracing::instrument(skip(self))]
    async fn turnout_rows(&self, election: &ElectionId) -> Result<Vec<(RowKey, Row)>, PortError> {
        self.partition_rows(turnout_partitions(election), turnout_row_key).await
    }

    /// Reads in batches of 100 (BatchGetItem's limit), retrying unprocessed keys.
    #[tracing::instrument(skip_all, fields(?view, keys = keys.len()))]
    async fn rows(&self, view: View, keys: Vec<RowKey>) -> Result<Vec<(RowKey, Row)>, PortError> {
        let table = self.view_table(view)?;
        let mut by_key = std::collections::HashMap::new();
        for key in keys {
            by_key.insert(physical_key(view, &key, None)?, key);
        }
        let physical: Vec<RawItem> = by_key.keys().map(raw_key).collect();
        let found = super::batches::get_all(&self.client, table, physical, |shape| shape).await?;
        let key_of = |item: &RawItem| {
            let key: PhysicalKey = key_names(view)
                .iter()
                .map(|name| (*name, key_text(item, name).to_owned()))
                .collect();
            by_key.get(&key).cloned()
        };
        Ok(found
            .into_iter()
            .filter_map(|item| Some((key_of(&item)?, row(item))))
            .collect())
    }
}
