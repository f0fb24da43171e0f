//! The `my-votes` Lambda: `GET /me/votes`.

use handlers::http::routes::MyVotes;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::http::<MyVotes>().await
}
