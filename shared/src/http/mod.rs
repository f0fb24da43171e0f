//! HTTP plumbing shared by every route: reading the caller, path ids and bodies, and
//! writing JSON and problem+json replies.

pub mod event;
pub mod problem;
pub mod request;
pub mod response;
