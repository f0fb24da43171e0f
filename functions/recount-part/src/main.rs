//! The `recount-part` Lambda: counts one ballot-box part of a certification's recount per
//! message; the worker that counts the last part finishes the certification.

use handlers::consumers::RecountPart;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::queue::<RecountPart>().await
}
