//! The `project-dashboard` Lambda: domain events into the results and my-votes views.

use handlers::consumers::ProjectDashboard;

#[tokio::main]
async fn main() -> Result<(), handlers::lambda::Error> {
    handlers::lambda::queue::<ProjectDashboard>().await
}
