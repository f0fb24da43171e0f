//! The bootstrap a function binary calls with its own handler: tracing, its own settings
//! and clients once, then the Lambda runtime loop for its trigger. Generic, so each binary
//! links only its own handler and the SDKs that handler uses.

use crate::config::{Setting, Settings, Wiring};
use crate::consumers::Consumer;
use crate::functions::OperationFunction;
use crate::http::routes::Route;
use crate::mixer;
use crate::publisher::{self, publish_events};
use crate::services::{Deployed, Unused};
use adapters::eventbridge::EventBridgeBus;
use adapters::kms::KmsKeys;
use aws_lambda_events::dynamodb;
use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{service_fn, LambdaEvent};
use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use tracing::Instrument;

pub use lambda_runtime::Error;

/// Reads `settings` and wires `W` on them, once for the life of the process; a missing
/// setting stops the function with its name.
async fn wired<W: Wiring>(settings: &[Setting]) -> Result<Arc<W>, Error> {
    lambda_http::tracing::init_default_subscriber();
    let wire = async {
        let settings = Settings::from_env(settings)?;
        let operation = settings.bounds()?.operation;
        W::wire(&settings, &adapters::aws::load_config(operation).await)
    };
    let wired = wire
        .await
        .inspect_err(|err| tracing::error!(error = %err, "cannot start"))?;
    Ok(Arc::new(wired))
}

/// The span each invocation runs in, naming the function; the runtime's own span around it
/// names the request id, so every JSON log line of an invocation carries both.
fn invocation() -> tracing::Span {
    static NAME: OnceLock<String> = OnceLock::new();
    let name = NAME.get_or_init(|| std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default());
    tracing::info_span!("invocation", functionName = %name)
}

/// Serves the HTTP function `R` until the process ends.
pub async fn http<R: Route>() -> Result<(), Error>
where
    R::Live: Send + Sync + 'static,
{
    let services = wired::<R::Live>(R::SETTINGS).await?;
    let handler = service_fn(move |req| {
        let services = services.clone();
        // Boxed: the handlers are generic and deep, and would otherwise sit on the stack.
        Box::pin(async move { Ok::<_, Infallible>(R::handle(services.as_ref(), req).await) }.instrument(invocation()))
    });
    lambda_http::run(handler).await
}

/// Serves the stream publisher until the process ends.
pub async fn stream_publisher() -> Result<(), Error> {
    let bus = wired::<EventBridgeBus>(publisher::SETTINGS).await?;
    let handler = service_fn(move |event: LambdaEvent<dynamodb::Event>| {
        let bus = bus.clone();
        Box::pin(
            async move { Ok::<_, Infallible>(publish_events(bus.as_ref(), event.payload).await) }
                .instrument(invocation()),
        )
    });
    lambda_runtime::run(handler).await
}

/// Serves the mixer until the process ends: batches of its stream, and its schedule's
/// events (anything without stream records).
pub async fn mixer() -> Result<(), Error> {
    let services = wired::<Deployed<Unused, KmsKeys>>(mixer::SETTINGS).await?;
    let handler = service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let services = services.clone();
        Box::pin(
            async move {
                if event.payload.get("Records").is_some() {
                    let records: dynamodb::Event = serde_json::from_value(event.payload)?;
                    Ok::<_, Error>(serde_json::to_value(
                        mixer::mix_ballots(services.as_ref(), records).await,
                    )?)
                } else {
                    Ok(serde_json::to_value(mixer::tick(services.as_ref()).await?)?)
                }
            }
            .instrument(invocation()),
        )
    });
    lambda_runtime::run(handler).await
}

/// Serves the queue consumer `C` until the process ends.
pub async fn queue<C: Consumer>() -> Result<(), Error>
where
    C::Live: Send + Sync + 'static,
{
    let services = wired::<C::Live>(C::SETTINGS).await?;
    let handler = service_fn(move |event: LambdaEvent<SqsEvent>| {
        let services = services.clone();
        Box::pin(
            async move { Ok::<_, Infallible>(C::consume(services.as_ref(), event.payload).await) }
                .instrument(invocation()),
        )
    });
    lambda_runtime::run(handler).await
}

/// Serves the operator's command `function` until the process ends.
pub async fn operation(function: OperationFunction) -> Result<(), Error> {
    let services = wired::<Deployed>(function.settings()).await?;
    let handler = service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let services = services.clone();
        Box::pin(
            async move { services.operation(function, event.payload).await.map_err(Error::from) }
                .instrument(invocation()),
        )
    });
    lambda_runtime::run(handler).await
}
