//! `shared/handlers`, the outer ring that each function binary calls into: what Lambda
//! calls. Each handler translates its trigger into core commands and the outcome into a
//! reply:
//!
//! - [`http`]: API Gateway requests in, JSON or problem+json replies out, one route each;
//! - [`publisher`]: table stream records in, domain events out on the bus;
//! - [`mixer`]: votes in from the participation stream, ballots out to the box in mixed
//!   batches;
//! - [`consumers`]: queue batches of domain events into the core's policies;
//! - [`operations`]: operator commands, invoked directly (recount);
//! - [`lambda`]: the bootstrap a function binary calls with its own handler only;
//! - [`functions`]: the table of every function by name, for the local runner and tests.

pub mod config;
pub mod consumers;
pub mod functions;
pub mod http;
pub mod lambda;
pub mod mixer;
pub mod operations;
pub mod publisher;
pub mod services;
