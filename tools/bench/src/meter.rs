//! A proxy in front of DynamoDB Local that counts every request by operation (reads,
//! writes, stream calls), and every write: items and write units by operation and table,
//! and writes by partition key. It asks DynamoDB for the consumed
//! capacity of each write (`ReturnConsumedCapacity`), and reports at `GET /__meter`;
//! `POST /__meter/reset` starts a new count. For an experiment it can also answer the
//! PartiQL inserts into one table itself ([`Meter::answers_inserts_into`]).

use axum::body::{to_bytes, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use local_runner::template::Template;
use local_runner::trail::{passed_back, send};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Writes of one operation on one table.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Writes {
    pub items: u64,
    pub write_units: f64,
}

/// What the meter has counted since its last reset.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tally {
    /// `<operation> <table>` → writes.
    pub by_operation: BTreeMap<String, Writes>,
    /// `<table> <partition key value>` → items written.
    pub by_key: HashMap<String, u64>,
    /// `<table> <partition key value>` → write units by AWS's rules ([`aws_units`]).
    #[serde(default)]
    pub units_by_key: HashMap<String, f64>,
    /// Operation (`GetItem`, `Query`, `GetRecords`…) → requests answered 200.
    #[serde(default)]
    pub requests: BTreeMap<String, u64>,
}

struct Meter {
    target: String,
    http: reqwest::Client,
    /// Table → its partition key attribute.
    hash_keys: HashMap<String, String>,
    tally: Mutex<Tally>,
    /// A table whose PartiQL inserts the meter answers as applied without sending them on:
    /// what DynamoDB Local's cost of those writes takes from a rate, measured by removing
    /// it. Nothing is kept, so no insert is ever refused: for a load of distinct values only.
    answers_inserts_into: Option<String>,
}

const WRITE_OPERATIONS: [&str; 6] = [
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "TransactWriteItems",
    "BatchWriteItem",
    // PartiQL: only its `INSERT`s are counted ([`inserted`]).
    "BatchExecuteStatement",
];

/// One item a write request writes.
#[derive(Debug, PartialEq)]
struct Written {
    table: String,
    /// Its partition key's value.
    key: String,
    /// What it costs by AWS's rules ([`aws_units`]).
    units: f64,
}

/// The size DynamoDB gives an attribute value, in bytes: strings and binaries by length,
/// numbers about one byte per two digits, lists and maps with 3 bytes of overhead and
/// each element (a map's with its name).
fn value_size(value: &Value) -> usize {
    let Some((kind, inner)) = value.as_object().and_then(|v| v.iter().next()) else {
        return 0;
    };
    match kind.as_str() {
        "S" => inner.as_str().map_or(0, str::len),
        "B" => inner.as_str().map_or(0, |b| b.len() * 3 / 4),
        "N" => inner.as_str().map_or(0, |n| n.len().div_ceil(2) + 1),
        "L" => {
            3 + inner
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| value_size(v) + 1)
                .sum::<usize>()
        }
        "M" => 3 + attributes_size(inner),
        "SS" | "NS" | "BS" => inner
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v.as_str().map_or(0, str::len))
            .sum(),
        _ => 1,
    }
}

/// The size of a map of attributes: names and values.
fn attributes_size(attributes: &Value) -> usize {
    attributes
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

/// Write units by AWS's rules: one per KB of the item, twice in a transaction. A put's size
/// is its item's. An update's and a delete's are what the request shows (the key and the
/// values it sets), a lower bound: AWS charges the larger of the item before and after.
fn aws_units(size: usize, transactional: bool) -> f64 {
    let units = size.div_ceil(1024).max(1) as f64;
    if transactional {
        2.0 * units
    } else {
        units
    }
}

/// The items a write request wrote, by its `reply` where some of it may have failed (a
/// PartiQL batch's statements).
fn written(operation: &str, body: &Value, reply: &Value, hash_keys: &HashMap<String, String>) -> Vec<Written> {
    let transactional = operation == "TransactWriteItems";
    let of = |table: &str, item: &Value, size: usize| {
        let attribute = hash_keys.get(table).map(String::as_str).unwrap_or_default();
        let value = item.get(attribute).and_then(|v| v.get("S")).and_then(Value::as_str);
        Written {
            table: table.to_owned(),
            key: value.unwrap_or("?").to_owned(),
            units: aws_units(size, transactional),
        }
    };
    let table = |v: &Value| v.get("TableName").and_then(Value::as_str).unwrap_or("?").to_owned();
    // An update's size as far as the request shows it: its key and the values it sets.
    let shown = |v: &Value| attributes_size(&v["Key"]) + attributes_size(&v["ExpressionAttributeValues"]);
    match operation {
        "PutItem" => vec![of(&table(body), &body["Item"], attributes_size(&body["Item"]))],
        "UpdateItem" | "DeleteItem" => vec![of(&table(body), &body["Key"], shown(body))],
        "TransactWriteItems" => body["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|entry| {
                let (kind, inner) = entry.as_object()?.iter().next()?;
                let (item, size) = match kind.as_str() {
                    "Put" => (&inner["Item"], attributes_size(&inner["Item"])),
                    "ConditionCheck" => return None,
                    _ => (&inner["Key"], shown(inner)),
                };
                Some(of(&table(inner), item, size))
            })
            .collect(),
        "BatchWriteItem" => body["RequestItems"]
            .as_object()
            .into_iter()
            .flatten()
            .flat_map(|(table, requests)| {
                requests.as_array().into_iter().flatten().filter_map(move |r| {
                    let item = r
                        .pointer("/PutRequest/Item")
                        .or_else(|| r.pointer("/DeleteRequest/Key"))?;
                    Some(of(table, item, attributes_size(item)))
                })
            })
            .collect(),
        "BatchExecuteStatement" => body["Statements"]
            .as_array()
            .into_iter()
            .flatten()
            .zip(reply["Responses"].as_array().into_iter().flatten())
            .filter(|(_, response)| response.get("Error").is_none())
            .map(|(statement, _)| match inserted(statement) {
                Some((table, item)) => of(&table, &item, attributes_size(&item)),
                None => of(UNREAD_PARTIQL, &Value::Null, 0),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A PartiQL `INSERT INTO "table" VALUE {'name': ?, ...}` with its parameters: the table and
/// the item it inserts. `None` for any other statement, or one with literals in its value.
fn inserted(statement: &Value) -> Option<(String, Value)> {
    let text = statement["Statement"].as_str()?.strip_prefix("INSERT INTO \"")?;
    let (table, value) = text.split_once('"')?;
    let value = value.trim().strip_prefix("VALUE")?.trim();
    let pairs = value.strip_prefix('{')?.strip_suffix('}')?;
    let names = pairs
        .split(',')
        .map(|pair| {
            let (name, placeholder) = pair.split_once(':')?;
            let name = name.trim().strip_prefix('\'')?.strip_suffix('\'')?;
            (placeholder.trim() == "?").then_some(name)
        })
        .collect::<Option<Vec<&str>>>()?;
    let parameters = statement["Parameters"].as_array()?;
    if names.len() != parameters.len() {
        return None;
    }
    let item = names
        .into_iter()
        .zip(parameters)
        .map(|(name, v)| (name.to_owned(), v.clone()));
    Some((table.to_owned(), Value::Object(item.collect())))
}

/// Where a PartiQL write the meter cannot read is counted, so that a miss shows in the report.
const UNREAD_PARTIQL: &str = "(a PartiQL write the meter could not read)";

/// Write units by table, from a reply's `ConsumedCapacity` (one object, or a list).
fn consumed(reply: &Value) -> HashMap<String, f64> {
    let entries = match &reply["ConsumedCapacity"] {
        Value::Array(list) => list.clone(),
        Value::Object(_) => vec![reply["ConsumedCapacity"].clone()],
        _ => Vec::new(),
    };
    entries
        .iter()
        .filter_map(|c| {
            let units = c["WriteCapacityUnits"].as_f64().or(c["CapacityUnits"].as_f64())?;
            Some((c["TableName"].as_str()?.to_owned(), units))
        })
        .collect()
}

impl Meter {
    fn count(&self, operation: &str, items: &[Written], reply: &Value) {
        let units = consumed(reply);
        let mut tally = self.tally.lock().unwrap_or_else(|p| p.into_inner());
        let mut per_table: BTreeMap<&str, u64> = BTreeMap::new();
        for item in items {
            *per_table.entry(&item.table).or_default() += 1;
            let key = format!("{} {}", item.table, item.key);
            *tally.by_key.entry(key.clone()).or_default() += 1;
            *tally.units_by_key.entry(key).or_default() += item.units;
        }
        for (table, n) in per_table {
            let writes = tally.by_operation.entry(format!("{operation} {table}")).or_default();
            writes.items += n;
            // Without a reported figure, a write of an item under 1 KB: 1 unit, 2 in a transaction.
            let estimate = n as f64 * if operation == "TransactWriteItems" { 2.0 } else { 1.0 };
            writes.write_units += units.get(table).copied().unwrap_or(estimate);
        }
    }

    async fn forward(&self, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let body = to_bytes(body, usize::MAX).await.unwrap_or_default();
        let operation = local_runner::clients::aws_operation(&parts.headers);
        let mut json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let is_write = WRITE_OPERATIONS.contains(&operation.as_str());
        if is_write {
            json["ReturnConsumedCapacity"] = Value::String("TOTAL".into());
        }
        let sent = if is_write {
            serde_json::to_vec(&json).unwrap_or_default()
        } else {
            body.to_vec()
        };
        let reply = match self.answered(&operation, &json) {
            Some(answer) => Some(answer),
            None => send(&self.http, &self.target, Method::POST, &parts.headers, sent).await,
        };
        if reply.as_ref().is_some_and(|(status, _, _)| *status == 200) {
            let mut tally = self.tally.lock().unwrap_or_else(|p| p.into_inner());
            *tally.requests.entry(operation.clone()).or_default() += 1;
        }
        if let Some((_, _, bytes)) = reply.as_ref().filter(|(status, _, _)| is_write && *status == 200) {
            let reply = serde_json::from_slice(bytes).unwrap_or(Value::Null);
            let items = written(&operation, &json, &reply, &self.hash_keys);
            self.count(&operation, &items, &reply);
        }
        passed_back(reply)
    }

    /// The reply to a batch of inserts into [`Meter::answers_inserts_into`], every one applied;
    /// `None` for any other request, which goes on to DynamoDB Local.
    fn answered(&self, operation: &str, body: &Value) -> Option<(StatusCode, HeaderMap, Bytes)> {
        let table = self.answers_inserts_into.as_deref()?;
        let statements = body["Statements"]
            .as_array()
            .filter(|list| operation == "BatchExecuteStatement" && !list.is_empty())?;
        let all_ours = statements.iter().all(|s| inserted(s).is_some_and(|(t, _)| t == table));
        if !all_ours {
            return None;
        }
        let responses: Vec<Value> = statements.iter().map(|_| json!({ "TableName": table })).collect();
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/x-amz-json-1.0"));
        let reply = serde_json::to_vec(&json!({ "Responses": responses })).unwrap_or_default();
        Some((StatusCode::OK, headers, Bytes::from(reply)))
    }
}

/// Serves the meter on `listen`, forwarding to DynamoDB Local on `dynamodb`.
pub async fn serve(
    listen: u16,
    dynamodb: u16,
    template: &Path,
    answers_inserts_into: Option<String>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let template = Template::load(template)?;
    let hash_keys = template
        .tables
        .iter()
        .filter_map(|(name, props)| {
            let schema = props.get("KeySchema")?.as_array()?;
            let hash = schema.iter().find(|k| k["KeyType"] == "HASH")?;
            Some((name.clone(), hash["AttributeName"].as_str()?.to_owned()))
        })
        .collect();
    let meter = Arc::new(Meter {
        target: format!("http://127.0.0.1:{dynamodb}/"),
        http: reqwest::Client::new(),
        hash_keys,
        tally: Mutex::new(Tally::default()),
        answers_inserts_into,
    });
    let app = axum::Router::new()
        .route(
            "/__meter",
            axum::routing::get(|State(m): State<Arc<Meter>>| async move {
                let tally = m.tally.lock().unwrap_or_else(|p| p.into_inner()).clone();
                let json = serde_json::to_string(&tally).unwrap_or_default();
                ([("content-type", "application/json")], json)
            }),
        )
        .route(
            "/__meter/reset",
            axum::routing::post(|State(m): State<Arc<Meter>>| async move {
                *m.tally.lock().unwrap_or_else(|p| p.into_inner()) = Tally::default();
            }),
        )
        .fallback(|State(m): State<Arc<Meter>>, request: Request| async move { m.forward(request).await })
        .with_state(meter);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", listen)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn write_units_follow_aws_rules_by_size_and_twice_in_a_transaction() {
        let keys = HashMap::from([("Box".to_owned(), "box".to_owned())]);
        let big = "x".repeat(2_500);
        let put = json!({"TableName": "Box", "Item": {"box": {"S": "e#1"}, "sealed": {"S": big}}});
        let written_put = written("PutItem", &put, &Value::Null, &keys);
        assert_eq!(written_put.len(), 1);
        assert_eq!((written_put[0].key.as_str(), written_put[0].units), ("e#1", 3.0));
        let transaction = json!({"TransactItems": [
            {"Put": {"TableName": "Box", "Item": {"box": {"S": "e#2"}, "n": {"N": "1"}}}},
            {"ConditionCheck": {"TableName": "Box", "Key": {"box": {"S": "e#3"}}}},
            {"Update": {"TableName": "Box", "Key": {"box": {"S": "e#4"}}, "ExpressionAttributeValues": {":v": {"S": big}}}},
        ]});
        let units: Vec<f64> = written("TransactWriteItems", &transaction, &Value::Null, &keys)
            .iter()
            .map(|w| w.units)
            .collect();
        assert_eq!(units, [2.0, 6.0], "a check writes nothing; each write counts twice");
        let insert = |tag: &str| {
            json!({"Statement": "INSERT INTO \"Box\" VALUE {'box': ?, 'sealed': ?}",
                                        "Parameters": [{"S": tag}, {"S": big}]})
        };
        let batch = json!({"Statements": [insert("e#5"), insert("e#6")]});
        let reply = json!({"Responses": [{"TableName": "Box"}, {"Error": {"Code": "DuplicateItem"}}]});
        let inserts = written("BatchExecuteStatement", &batch, &reply, &keys);
        assert_eq!(inserts.len(), 1, "a statement that failed wrote nothing");
        assert_eq!((inserts[0].key.as_str(), inserts[0].units), ("e#5", 3.0));
        let literal = json!({"Statement": "INSERT INTO \"Box\" VALUE {'box': 'e#7', 'sealed': ?}",
                             "Parameters": [{"S": big}]});
        let unread = written(
            "BatchExecuteStatement",
            &json!({"Statements": [literal]}),
            &json!({"Responses": [{"TableName": "Box"}]}),
            &keys,
        );
        assert_eq!(unread[0].table, UNREAD_PARTIQL, "a literal is not read as a name");

        // Answered by the meter only where it is told to, and only inserts into that table.
        let meter = |answers: Option<&str>| Meter {
            target: String::new(),
            http: reqwest::Client::new(),
            hash_keys: keys.clone(),
            tally: Mutex::default(),
            answers_inserts_into: answers.map(str::to_owned),
        };
        let (status, _, reply) = meter(Some("Box"))
            .answered("BatchExecuteStatement", &batch)
            .expect("inserts into Box answered");
        let reply: Value = serde_json::from_slice(&reply).unwrap();
        assert_eq!(
            (status, reply["Responses"].as_array().map(Vec::len)),
            (StatusCode::OK, Some(2))
        );
        assert!(meter(None).answered("BatchExecuteStatement", &batch).is_none());
        assert!(meter(Some("Claims"))
            .answered("BatchExecuteStatement", &batch)
            .is_none());
        assert!(meter(Some("Box")).answered("PutItem", &put).is_none());
    }
}
