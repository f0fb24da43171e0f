//! The HTTP edge: each route reads the caller, path ids and body into a core command,
//! runs its use case, and maps the outcome to a reply with the route's own status code.

pub mod event;
pub mod reply;
pub mod request;
pub mod routes;
pub mod tokens;
