//! The `challenge-ballot` Lambda: `POST /elections/{electionId}/challenges` (public): a
//! Benaloh challenge's ballot and reveal, put on the board, never cast.

use handlers::http::routes::ChallengeBallot;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::http::<ChallengeBallot>().await
}
