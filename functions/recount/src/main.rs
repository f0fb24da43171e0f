//! The `recount` Lambda, an operator's command: counts an election's ballot box, compares it
//! with the results, and with `"repair": true` replays the ballots into the results first.

use handlers::functions::OperationFunction;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::operation(OperationFunction::Recount).await
}
