//! Creates the template's tables, bus, queues and rules on the emulators. Local physical
//! names are the logical ids.

use crate::clients::{describe, Clients};
use crate::template::{BucketDef, QueueDef, Template};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, StreamSpecification, StreamViewType,
};
use aws_sdk_eventbridge::types::Target;
use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use aws_sdk_s3::types::{CorsConfiguration, CorsRule, Event, NotificationConfiguration, QueueConfiguration};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::Value;
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
#[error("provisioning {resource}: {reason}")]
pub struct ProvisionError {
    pub resource: String,
    pub reason: String,
}

fn fail(resource: &str) -> impl Fn(String) -> ProvisionError + '_ {
    move |reason| ProvisionError {
        resource: resource.to_owned(),
        reason,
    }
}

/// What the pollers need to know about the provisioned resources.
#[derive(Clone, Debug, Default)]
pub struct Provisioned {
    /// Queue logical id → URL.
    pub queue_urls: HashMap<String, String>,
    /// Queue logical id → ARN.
    pub queue_arns: HashMap<String, String>,
    /// Table logical id → stream ARN.
    pub stream_arns: HashMap<String, String>,
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn key_schema(value: &Value) -> Result<Vec<KeySchemaElement>, String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(text(k, "AttributeName"))
                .key_type(KeyType::from(text(k, "KeyType")))
                .build()
                .map_err(|e| e.to_string())
        })
        .collect()
}

async fn create_table(clients: &Clients, name: &str, props: &Value) -> Result<Option<String>, ProvisionError> {
    let fail = fail(name);
    let attributes = props["AttributeDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            AttributeDefinition::builder()
                .attribute_name(text(a, "AttributeName"))
                .attribute_type(ScalarAttributeType::from(text(a, "AttributeType")))
                .build()
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(&fail)?;
    let indexes = props["GlobalSecondaryIndexes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|gsi| {
            GlobalSecondaryIndex::builder()
                .index_name(text(gsi, "IndexName"))
                .set_key_schema(Some(key_schema(&gsi["KeySchema"])?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(text(&gsi["Projection"], "ProjectionType")))
                        .build(),
                )
                .build()
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(&fail)?;
    let stream = match props.get("StreamSpecification") {
        Some(spec) => Some(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(text(spec, "StreamViewType")))
                .build()
                .map_err(|e| fail(e.to_string()))?,
        ),
        None => None,
    };
    let output = clients
        .dynamodb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key_schema(&props["KeySchema"]).map_err(&fail)?))
        .set_global_secondary_indexes((!indexes.is_empty()).then_some(indexes))
        .set_stream_specification(stream)
        .send()
        .await
        .map_err(|e| fail(describe(e)))?;
    Ok(output
        .table_description()
        .and_then(|t| t.latest_stream_arn())
        .map(str::to_owned))
}

async fn create_queue(
    clients: &Clients,
    queue: &QueueDef,
    arns: &HashMap<String, String>,
) -> Result<(String, String), ProvisionError> {
    let fail = fail(&queue.logical_id);
    let mut request = clients.sqs.create_queue().queue_name(&queue.logical_id);
    for (key, attribute) in [
        ("VisibilityTimeout", QueueAttributeName::VisibilityTimeout),
        ("MessageRetentionPeriod", QueueAttributeName::MessageRetentionPeriod),
    ] {
        if let Some(value) = queue.properties.get(key) {
            request = request.attributes(attribute, value.to_string().trim_matches('"'));
        }
    }
    if let Some(dlq) = &queue.dead_letter_queue {
        let dlq_arn = arns
            .get(dlq)
            .ok_or_else(|| fail(format!("dead-letter queue {dlq} is not a queue of the template")))?;
        let policy = serde_json::json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": queue.max_receive_count.unwrap_or(5)});
        request = request.attributes(QueueAttributeName::RedrivePolicy, policy.to_string());
    }
    let url = request
        .send()
        .await
        .map_err(|e| fail(describe(e)))?
        .queue_url
        .ok_or_else(|| fail("no queue URL".into()))?;
    let arn = clients
        .sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| fail(describe(e)))?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| fail("no queue ARN".into()))?;
    Ok((url, arn))
}

/// Makes a bucket, lets any local origin upload to it if the template lets the web app's,
/// and tells its queue of each object created.
async fn create_bucket(
    clients: &Clients,
    bucket: &BucketDef,
    arns: &HashMap<String, String>,
) -> Result<(), ProvisionError> {
    let fail = fail(&bucket.logical_id);
    let name = Template::bucket_name(&bucket.logical_id);
    clients
        .s3
        .create_bucket()
        .bucket(&name)
        .send()
        .await
        .map_err(|e| fail(describe(e)))?;
    if bucket.cors {
        let rule = CorsRule::builder()
            .allowed_methods("PUT")
            .allowed_origins("*")
            .allowed_headers("*")
            .build()
            .map_err(|e| fail(e.to_string()))?;
        let cors = CorsConfiguration::builder()
            .cors_rules(rule)
            .build()
            .map_err(|e| fail(e.to_string()))?;
        clients
            .s3
            .put_bucket_cors()
            .bucket(&name)
            .cors_configuration(cors)
            .send()
            .await
            .map_err(|e| fail(describe(e)))?;
    }
    if let Some(queue) = &bucket.notified_queue {
        let arn = arns
            .get(queue)
            .ok_or_else(|| fail(format!("{queue} is not a queue of the template")))?;
        let notice = QueueConfiguration::builder()
            .queue_arn(arn)
            .events(Event::S3ObjectCreated)
            .build()
            .map_err(|e| fail(e.to_string()))?;
        clients
            .s3
            .put_bucket_notification_configuration()
            .bucket(&name)
            .notification_configuration(
                NotificationConfiguration::builder()
                    .queue_configurations(notice)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| fail(describe(e)))?;
    }
    Ok(())
}

/// Provisions everything the template declares that the emulators provide.
pub async fn provision(clients: &Clients, template: &Template) -> Result<Provisioned, ProvisionError> {
    let mut provisioned = Provisioned::default();
    for (name, props) in &template.tables {
        if let Some(arn) = create_table(clients, name, props).await? {
            provisioned.stream_arns.insert(name.clone(), arn);
        }
    }
    for (key, properties) in &template.keys {
        let fail = fail(key);
        let created = clients
            .kms
            .create_key()
            .set_key_spec(properties.get("KeySpec").and_then(Value::as_str).map(KeySpec::from))
            .set_key_usage(
                properties
                    .get("KeyUsage")
                    .and_then(Value::as_str)
                    .map(KeyUsageType::from),
            )
            .send()
            .await
            .map_err(|e| fail(describe(e)))?;
        let key_id = created.key_metadata().map(|m| m.key_id()).unwrap_or_default();
        clients
            .kms
            .create_alias()
            .alias_name(Template::key_alias(key))
            .target_key_id(key_id)
            .send()
            .await
            .map_err(|e| fail(describe(e)))?;
    }
    for bus in &template.buses {
        clients
            .events
            .create_event_bus()
            .name(bus)
            .send()
            .await
            .map_err(|e| fail(bus)(describe(e)))?;
    }
    // Dead-letter queues first, so that the queues redriving to them can name their ARN.
    let mut queues: Vec<&QueueDef> = template.queues.iter().collect();
    queues.sort_by_key(|q| q.dead_letter_queue.is_some());
    for queue in queues {
        let (url, arn) = create_queue(clients, queue, &provisioned.queue_arns).await?;
        provisioned.queue_urls.insert(queue.logical_id.clone(), url);
        provisioned.queue_arns.insert(queue.logical_id.clone(), arn);
    }
    for bucket in &template.buckets {
        create_bucket(clients, bucket, &provisioned.queue_arns).await?;
    }
    let arns = &provisioned.queue_arns;
    for rule in &template.rules {
        let fail = fail(&rule.logical_id);
        clients
            .events
            .put_rule()
            .name(&rule.logical_id)
            .event_bus_name(&rule.bus)
            .event_pattern(rule.pattern.to_string())
            .send()
            .await
            .map_err(|e| fail(describe(e)))?;
        let targets = rule
            .target_queues
            .iter()
            .map(|q| {
                let arn = arns
                    .get(q)
                    .ok_or_else(|| fail(format!("target {q} is not a queue of the template")))?;
                Target::builder()
                    .id(q)
                    .arn(arn)
                    .build()
                    .map_err(|e| fail(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        clients
            .events
            .put_targets()
            .rule(&rule.logical_id)
            .event_bus_name(&rule.bus)
            .set_targets(Some(targets))
            .send()
            .await
            .map_err(|e| fail(describe(e)))?;
    }
    Ok(provisioned)
}
