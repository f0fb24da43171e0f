//! The `count-pledges` Lambda: domain events into candidates' live pledge counts.

use handlers::consumers::CountPledges;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::queue::<CountPledges>().await
}
