//! The Lambda entry point every function binary calls: tracing, configuration and
//! clients once, then the runtime loop for the function's trigger.

use crate::clock::SystemClock;
use crate::config::{adapters, aws_config, Settings};
use crate::functions::{Function, Services};
use aws_lambda_events::dynamodb;
use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{service_fn, LambdaEvent};
use std::convert::Infallible;
use std::sync::Arc;

pub use lambda_runtime::Error;

/// Runs `function` in the Lambda runtime until the process ends.
pub async fn run(function: Function) -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let settings = Settings::from_env()?;
    let (store, bus) = adapters(&aws_config().await, &settings);
    let services = Arc::new(Services { store, bus, clock: SystemClock });
    match function {
        Function::Http(f) => {
            lambda_http::run(service_fn(move |req| {
                let services = services.clone();
                async move { Ok::<_, Infallible>(services.http(f, req).await) }
            }))
            .await
        }
        Function::Stream(f) => {
            lambda_runtime::run(service_fn(move |event: LambdaEvent<dynamodb::Event>| {
                let services = services.clone();
                async move { Ok::<_, Infallible>(services.stream(f, event.payload).await) }
            }))
            .await
        }
        Function::Queue(f) => {
            lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
                let services = services.clone();
                async move { Ok::<_, Infallible>(services.queue(f, event.payload).await) }
            }))
            .await
        }
    }
}
