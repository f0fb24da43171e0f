//! The `register-election` Lambda: `POST /elections`.

use handlers::http::routes::RegisterElection;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::http::<RegisterElection>().await
}
