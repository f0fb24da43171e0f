//! The `my-votes` Lambda: all its logic is in `shared`.

use shared::functions::{Function, HttpFunction};

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(Function::Http(HttpFunction::MyVotes)).await
}
