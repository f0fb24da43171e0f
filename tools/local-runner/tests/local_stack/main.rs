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
// Last but one in name order (libtest starts tests in that order, four at a time): started
// first, the 200-voter test met the other tests' load at their start, its roll corrections
// and requests timed out, and its certification found their events in the pipeline.
#[cfg(local_stack)]
mod verifiable;
#[cfg(local_stack)]
mod walking_skeleton;
