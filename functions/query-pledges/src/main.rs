//! The `query-pledges` Lambda: `GET /candidates/{candidateId}/pledges`.

use handlers::http::routes::QueryPledges;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::http::<QueryPledges>().await
}
