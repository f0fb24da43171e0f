//! The `register-candidate` Lambda: `POST /elections/{electionId}/candidates`.

use handlers::http::routes::RegisterCandidate;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::http::<RegisterCandidate>().await
}
