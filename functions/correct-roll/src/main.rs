//! The `correct-roll` Lambda: `POST /elections/{electionId}/roll/corrections` (commission), voters
//! added to or removed from the roll in force, until voting opens.

use handlers::http::routes::CorrectRoll;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::http::<CorrectRoll>().await
}
