//! The `import-roll` Lambda: imports a roll file when S3 says it was uploaded, from its last
//! checkpoint; the roll becomes the election's when the file is done.

use handlers::consumers::ImportRoll;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::queue::<ImportRoll>().await
}
