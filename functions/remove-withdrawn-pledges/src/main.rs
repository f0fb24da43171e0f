//! The `remove-withdrawn-pledges` Lambda: a withdrawn candidate's pledges removed.

use handlers::consumers::RemoveWithdrawnPledges;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::queue::<RemoveWithdrawnPledges>().await
}
