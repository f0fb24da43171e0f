//! The `query-board` Lambda: `GET /elections/{electionId}/board` and
//! `GET /elections/{electionId}/board/{trackingCode}` (public, cacheable).

use handlers::http::routes::QueryBoard;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::http::<QueryBoard>().await
}
