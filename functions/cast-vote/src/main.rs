//! The `cast-vote` Lambda: `POST /elections/{electionId}/votes`.

use handlers::http::routes::CastVote;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::http::<CastVote>().await
}
