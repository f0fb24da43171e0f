//! The `query-candidates` Lambda: `GET /elections/{electionId}/candidates` and `GET /candidates/{candidateId}`.

use handlers::http::routes::QueryCandidates;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::http::<QueryCandidates>().await
}
