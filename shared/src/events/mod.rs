//! Event plumbing: the stream publisher and the queue consumers, each reporting partial
//! batch failures so that nothing is lost and nothing is acknowledged unprocessed.

pub mod count_pledges;
pub mod project_dashboard;
pub mod publish;
mod queue;
pub mod remove_withdrawn_pledges;
