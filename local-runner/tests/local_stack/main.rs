//! Integration tests over HTTP against the running local stack (real DynamoDB Local and
//! LocalStack). `scripts/test.sh` starts the stack and sets `OMP_API_URL`.

mod authorization_matrix;
mod features;
mod redelivery;
mod scenario;
mod support;
mod template_parity;
mod walking_skeleton;
