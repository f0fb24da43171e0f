//! The `publish-events` Lambda: all its logic is in `shared`.

use shared::functions::{Function, StreamFunction};

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(Function::Stream(StreamFunction::PublishEvents)).await
}
