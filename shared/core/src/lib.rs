//! `shared/core`, the innermost ring, which every other crate builds on: the election's
//! rules, and nothing else: no AWS, no HTTP.
//!
//! - [`domain`]: values that cannot be built invalid (ids, names, the voting window), and the
//!   rules on them;
//! - [`use_cases`]: one function per command or query, taking a typed command and the
//!   ports it needs, answering a view or a [`problem::AppError`];
//! - [`policies`]: what the system does when a domain event arrives;
//! - [`projection`]: the pure rules that turn domain events into row changes of the views;
//! - [`ports`]: the traits the adapters implement, one concern each;
//! - [`domain_events`]: what the bus carries between the contexts.

pub mod auth;
pub mod bounds;
pub mod clock;
pub mod domain;
pub mod domain_events;
pub mod policies;
pub mod ports;
pub mod problem;
pub mod projection;
pub mod use_cases;
