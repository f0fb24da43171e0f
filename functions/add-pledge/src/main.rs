//! The `add-pledge` Lambda: `POST /candidates/{candidateId}/pledges`.

use handlers::http::routes::AddPledge;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::http::<AddPledge>().await
}
