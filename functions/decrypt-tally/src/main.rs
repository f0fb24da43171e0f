//! The `decrypt-tally` Lambda: `GET /elections/{electionId}/tally` (public) and
//! `PUT /elections/{electionId}/decryption` (a trustee's partial decryption).

use handlers::http::routes::DecryptTally;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::http::<DecryptTally>().await
}
