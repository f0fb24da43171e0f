//! Integration tests over HTTP against the running local stack (real DynamoDB Local and
//! LocalStack). `scripts/test.sh` starts the stack and sets `OMP_API_URL`; without it,
//! they are not compiled in and one ignored test says how to run them (see `build.rs`).

#[cfg(not(local_stack))]
#[test]
#[ignore = "needs the local stack: run scripts/test.sh (or scripts/start.sh, then OMP_API_URL=http://127.0.0.1:3000 cargo test)"]
fn local_stack_tests() {}

#[cfg(local_stack)]
mod authorization_matrix;
#[cfg(local_stack)]
mod binaries;
#[cfg(local_stack)]
mod ceremony;
// libtest starts the tests in the order of their names, four at a time (scripts/test.sh):
// the longest (the 200 voters of encrypted_ballots) in a module whose name comes early
// overlaps the others, where at the end it ran alone for a minute.
#[cfg(local_stack)]
mod encrypted_ballots;
#[cfg(local_stack)]
mod features;
#[cfg(local_stack)]
mod lost_replies;
#[cfg(local_stack)]
mod no_silent_loss;
#[cfg(local_stack)]
mod recount;
#[cfg(local_stack)]
mod redelivery;
#[cfg(local_stack)]
mod roll;
#[cfg(local_stack)]
mod scenario;
#[cfg(local_stack)]
mod secrecy;
#[cfg(local_stack)]
mod support;
#[cfg(local_stack)]
mod template_parity;
#[cfg(local_stack)]
mod walking_skeleton;
