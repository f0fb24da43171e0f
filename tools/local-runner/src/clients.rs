//! AWS clients pointed at the local emulators, with static test credentials so that the
//! SDK never looks for credentials off this machine.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use election_core::bounds::Bounds;

/// Where the emulators and the API listen on 127.0.0.1.
#[derive(Clone, Copy, Debug)]
pub struct Ports {
    /// Where DynamoDB Local listens.
    pub dynamodb: u16,
    /// Where the runner's clients reach it: the same port, unless a proxy sits in front
    /// (the benchmark's write meter, the chaos suite's faults).
    pub dynamodb_endpoint: u16,
    pub localstack: u16,
    /// Where the runner's clients reach LocalStack: the same port, unless a proxy sits in front.
    pub localstack_endpoint: u16,
    pub api: u16,
}

fn port(name: &str, default: u16) -> u16 {
    std::env::var(name).ok().and_then(|p| p.parse().ok()).unwrap_or(default)
}

impl Ports {
    /// Defaults 8000, 4566 and 3000, or `OMP_DYNAMODB_PORT`, `OMP_LOCALSTACK_PORT`,
    /// `OMP_API_PORT`; `OMP_DYNAMODB_ENDPOINT_PORT` and `OMP_LOCALSTACK_ENDPOINT_PORT` put a
    /// proxy before DynamoDB Local and LocalStack.
    pub fn from_env() -> Self {
        let dynamodb = port("OMP_DYNAMODB_PORT", 8000);
        let localstack = port("OMP_LOCALSTACK_PORT", 4566);
        Self {
            dynamodb,
            dynamodb_endpoint: port("OMP_DYNAMODB_ENDPOINT_PORT", dynamodb),
            localstack,
            localstack_endpoint: port("OMP_LOCALSTACK_ENDPOINT_PORT", localstack),
            api: port("OMP_API_PORT", 3000),
        }
    }
}

/// One client per service the runner talks to.
#[derive(Clone, Debug)]
pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub streams: aws_sdk_dynamodbstreams::Client,
    pub events: aws_sdk_eventbridge::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub kms: aws_sdk_kms::Client,
    pub s3: aws_sdk_s3::Client,
}

impl Clients {
    pub async fn local(ports: Ports) -> Self {
        let sdk: SdkConfig = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "local-runner"))
            .timeout_config(adapters::aws::timeouts(Bounds::DEFAULT.operation))
            .endpoint_url(format!("http://127.0.0.1:{}", ports.localstack_endpoint))
            .load()
            .await;
        let dynamodb_url = format!("http://127.0.0.1:{}", ports.dynamodb_endpoint);
        Self {
            dynamodb: aws_sdk_dynamodb::Client::from_conf(
                aws_sdk_dynamodb::config::Builder::from(&sdk)
                    .endpoint_url(&dynamodb_url)
                    .build(),
            ),
            streams: aws_sdk_dynamodbstreams::Client::from_conf(
                aws_sdk_dynamodbstreams::config::Builder::from(&sdk)
                    .endpoint_url(&dynamodb_url)
                    .build(),
            ),
            events: aws_sdk_eventbridge::Client::new(&sdk),
            sqs: aws_sdk_sqs::Client::new(&sdk),
            kms: aws_sdk_kms::Client::new(&sdk),
            s3: aws_sdk_s3::Client::from_conf(adapters::s3::client_config(&sdk)),
        }
    }
}

/// An SDK error in one line: its code and message, without the raw response.
pub fn describe<E: ProvideErrorMetadata, R>(err: SdkError<E, R>) -> String {
    match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => format!("{err}"),
    }
}

/// The AWS operation a request to an emulator asks for (`PutItem`, `ReceiveMessage`…), from
/// its `X-Amz-Target` header (every JSON-protocol service sets it); empty without one.
pub fn aws_operation(headers: &axum::http::HeaderMap) -> String {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok());
    target.and_then(|t| t.rsplit('.').next()).unwrap_or_default().to_owned()
}
