//! The `certify-results` Lambda: `POST /elections/{electionId}/certification` (commission).

use handlers::http::routes::CertifyResults;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::http::<CertifyResults>().await
}
