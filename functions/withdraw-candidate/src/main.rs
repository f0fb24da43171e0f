//! The `withdraw-candidate` Lambda: `DELETE /elections/{electionId}/candidates/{candidateId}`.

use handlers::http::routes::WithdrawCandidate;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::http::<WithdrawCandidate>().await
}
