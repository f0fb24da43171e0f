//! The `start-roll-import` Lambda: `POST /elections/{electionId}/roll/imports` (commission), a new
//! version of the roll and where to upload its file.

use handlers::http::routes::StartRollImport;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::http::<StartRollImport>().await
}
