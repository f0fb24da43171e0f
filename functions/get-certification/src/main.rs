//! The `get-certification` Lambda: `GET /elections/{electionId}/certification` (commission),
//! a certification job and its progress.

use handlers::http::routes::GetCertification;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::http::<GetCertification>().await
}
