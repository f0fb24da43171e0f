//! The `query-elections` Lambda: `GET /elections` and `GET /elections/{electionId}`.

use handlers::http::routes::QueryElections;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::http::<QueryElections>().await
}
