//! The recomputation of one 5-candidate ballot's 22 proof commitments, interleaved ballot by
//! ballot so that a noisy machine slows both alike: dalek's generic double multiplications
//! with one compression each (the crate before the tables), against the election's
//! `FixedBases` (table of `K`, halved, one batch compression). Medians of each; their ratio.
//!
//!     cargo run --release -p election-crypto --example commitments

use std::time::{Duration, Instant};

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use election_crypto::ballot::{encrypt, Ballot};
use election_crypto::group::Point;
use election_crypto::proofs::FixedBases;
use election_crypto::randomness::OsRandomness;
use election_crypto::simulation::ceremony_only;

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

/// The crate's former path: `vG − cX` and `vR − cY` by generic multiplications, each compressed.
fn generic(b: &Ballot, k: &RistrettoPoint) -> Vec<[u8; 32]> {
    let g_minus = |v, c: &_, x| Point::new(RistrettoPoint::vartime_double_scalar_mul_basepoint(&-c, x, v));
    let base_minus =
        |v: &_, r: &_, c: &_, y: &_| Point::new(RistrettoPoint::vartime_multiscalar_mul([*v, -c], [*r, *y]));
    let mut out = Vec::with_capacity(22);
    for c in &b.ciphertexts {
        let p = &c.proof;
        let beta_minus_g = c.beta.point() - G;
        out.push(*g_minus(&p.v0, &p.c0, c.alpha.point()).bytes());
        out.push(*base_minus(&p.v0, k, &p.c0, c.beta.point()).bytes());
        out.push(*g_minus(&p.v1, &p.c1, c.alpha.point()).bytes());
        out.push(*base_minus(&p.v1, k, &p.c1, &beta_minus_g).bytes());
    }
    let x: RistrettoPoint = b.ciphertexts.iter().map(|c| c.alpha.point()).sum();
    let y: RistrettoPoint = b.ciphertexts.iter().map(|c| c.beta.point()).sum::<RistrettoPoint>() - G;
    out.push(*g_minus(&b.sum_proof.v, &b.sum_proof.c, &x).bytes());
    out.push(*base_minus(&b.sum_proof.v, k, &b.sum_proof.c, &y).bytes());
    out
}

fn tables(b: &Ballot, bases: &FixedBases) -> Vec<[u8; 32]> {
    let mut halves = Vec::with_capacity(22);
    for c in &b.ciphertexts {
        halves.extend(bases.range_commitments_halved(&c.proof, &c.alpha, &c.beta));
    }
    let x: RistrettoPoint = b.ciphertexts.iter().map(|c| c.alpha.point()).sum();
    let y: RistrettoPoint = b.ciphertexts.iter().map(|c| c.beta.point()).sum();
    halves.extend(bases.sum_commitments_halved(&b.sum_proof, &x, &y));
    RistrettoPoint::double_and_compress_batch(&halves)
        .iter()
        .map(|c| c.to_bytes())
        .collect()
}

fn main() {
    // A real ceremony (3 trustees, threshold 2) for a real joint key.
    let ctx = ceremony_only(5, &mut OsRandomness).expect("ceremony");
    let ballots: Vec<Ballot> = (0..500)
        .map(|b| encrypt(&ctx, b % 5, &mut OsRandomness).expect("encrypt").0)
        .collect();
    let k = *ctx.joint_key.point();
    let bases = FixedBases::new(&k);
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        for b in &ballots {
            let start = Instant::now();
            let g = generic(b, &k);
            before.push(start.elapsed());
            let start = Instant::now();
            let t = tables(b, &bases);
            after.push(start.elapsed());
            assert_eq!(g, t);
        }
    }
    let (before, after) = (median(before), median(after));
    println!(
        "22 commitments of a 5-candidate ballot: generic {before:?}, tables+batch {after:?} ({:.0}% of generic)",
        100.0 * after.as_secs_f64() / before.as_secs_f64()
    );
}
