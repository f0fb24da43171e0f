//! The `query-ceremony` Lambda: `GET /elections/{electionId}/ceremony` (public) and
//! `GET /elections/{electionId}/ceremony/envelopes` (a trustee's own shares).

use handlers::http::routes::QueryCeremony;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::http::<QueryCeremony>().await
}
