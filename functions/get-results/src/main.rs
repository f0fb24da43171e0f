//! The `get-results` Lambda: `GET /elections/{electionId}/results`.

use handlers::http::routes::GetResults;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::http::<GetResults>().await
}
