//! The `mix-ballots` Lambda: votes from the participation stream in, mixed batches of
//! ballots out to the box; on its schedule, the pools no vote wakes.

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::mixer().await
}
