//! The `publish-events` Lambda: table stream records in, domain events out on the bus.

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::stream_publisher().await
}
