//! The Lambda entry point every function binary calls: tracing, configuration and
//! clients once, then the runtime loop for the function's trigger.

use crate::clock::SystemClock;
use crate::config::{adapters, aws_config, Settings};
use crate::functions::{Function, Services};
use aws_lambda_events::dynamodb;
use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{service_fn, LambdaEvent};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, Infallible>> + Send>>;

pub use lambda_runtime::Error;

/// Runs `function` in the Lambda runtime until the process ends.
pub async fn run(function: Function) -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let settings = Settings::from_env()?;
    let (store, bus) = adapters(&aws_config().await, &settings);
    let services = Arc::new(Services {
        store,
        bus,
        clock: SystemClock,
    });
    // Each invocation's future is boxed: the handlers are generic and deep, and every
    // binary holds all three runtime loops.
    match function {
        Function::Http(f) => {
            let handler = service_fn(move |req| -> BoxFuture<lambda_http::Response<lambda_http::Body>> {
                let services = services.clone();
                Box::pin(async move { Ok(services.http(f, req).await) })
            });
            Box::pin(lambda_http::run(handler)).await
        }
        Function::Stream(f) => {
            let handler = service_fn(move |event: LambdaEvent<dynamodb::Event>| -> BoxFuture<_> {
                let services = services.clone();
                Box::pin(async move { Ok(services.stream(f, event.payload).await) })
            });
            Box::pin(lambda_runtime::run(handler)).await
        }
        Function::Queue(f) => {
            let handler = service_fn(move |event: LambdaEvent<SqsEvent>| -> BoxFuture<_> {
                let services = services.clone();
                Box::pin(async move { Ok(services.queue(f, event.payload).await) })
            });
            Box::pin(lambda_runtime::run(handler)).await
        }
    }
}
