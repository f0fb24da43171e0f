//! Everything the election system's Lambdas run: the domain, its ports and adapters,
//! the HTTP and event plumbing, and the table of functions that the Lambda binaries,
//! the local runner and the tests all dispatch through.

pub mod adapters;
pub mod api;
pub mod auth;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod events;
pub mod functions;
pub mod http;
pub mod lambda;
pub mod ports;
