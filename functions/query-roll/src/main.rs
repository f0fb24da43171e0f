//! The `query-roll` Lambda: `GET /elections/{electionId}/roll` and `.../roll/imports/{rollId}`
//! (commission), the roll in force or an import's progress and refused rows.

use handlers::http::routes::QueryRoll;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::http::<QueryRoll>().await
}
