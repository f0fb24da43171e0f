//! Domain types and rules: values that cannot be built invalid.

pub mod candidate;
pub mod ceremony;
pub mod certification;
pub mod election;
pub mod freeze;
pub mod ids;
pub mod pledge;
pub mod results;
pub mod roll;
pub mod text;
pub mod vote;
