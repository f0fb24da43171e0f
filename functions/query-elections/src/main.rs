//! The `query-elections` Lambda: all its logic is in `shared`.

use shared::functions::{Function, HttpFunction};

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(Function::Http(HttpFunction::QueryElections)).await
}
