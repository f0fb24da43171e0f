//! The `delete-pledge` Lambda: `DELETE /candidates/{candidateId}/pledges/{pledgeId}`.

use handlers::http::routes::DeletePledge;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::http::<DeletePledge>().await
}
