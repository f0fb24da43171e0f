//! The `count-pledges` Lambda: all its logic is in `shared`.

use shared::functions::{Function, QueueFunction};

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(Function::Queue(QueueFunction::CountPledges)).await
}
