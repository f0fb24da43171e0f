//! The verifiable election's cryptography, as specified in `docs/election-record.md` (format
//! `ee1`): exponential ElGamal on ristretto255 with Chaum–Pedersen proofs, a Feldman threshold
//! key ceremony, homomorphic tally, threshold decryption and the published election record.
//! All group arithmetic goes through curve25519-dalek; every check a verifier makes carries the
//! spec's number (V1..V24) in its error.

pub mod ballot;
pub mod ceremony;
pub mod decryption;
pub mod dlog;
pub mod error;
pub mod group;
pub mod hash;
pub mod keys;
pub mod manifest;
pub mod proofs;
pub mod randomness;
pub mod record;
pub mod simulation;
pub mod tally;
pub mod verify;

pub use error::Error;
