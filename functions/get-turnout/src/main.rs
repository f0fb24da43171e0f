//! The `get-turnout` Lambda: `GET /elections/{electionId}/turnout`, turnout by district and hour
//! (the commission at any time; everyone once voting has ended).

use handlers::http::routes::GetTurnout;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::http::<GetTurnout>().await
}
