//! The `key-ceremony` Lambda: `POST /elections/{electionId}/ceremony` (the commission starts
//! it) and `PUT /elections/{electionId}/ceremony/{step}` (a trustee's message).

use handlers::http::routes::KeyCeremony;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::http::<KeyCeremony>().await
}
