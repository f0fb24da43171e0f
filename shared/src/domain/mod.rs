//! Domain types and rules: values that cannot be built invalid, and the events they raise.

pub mod candidate;
pub mod election;
pub mod events;
pub mod ids;
pub mod pledge;
pub mod results;
pub mod text;
pub mod vote;
