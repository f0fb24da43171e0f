//! Figures for the targets, medians over repeated runs, on one core unless said:
//! encrypt+prove and verify one 5-candidate ballot, ballots verified a second, baby-step
//! giant-step over 34,000,000 ballots, and the record's size per ballot.
//!
//!     cargo run --release -p election-crypto --example bench

use std::time::{Duration, Instant};

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use election_crypto::ballot::{encrypt, Ballot, Verifier};
use election_crypto::dlog::BabyGiant;
use election_crypto::randomness::OsRandomness;
use election_crypto::simulation::ceremony_only;

const CANDIDATES: usize = 5;
const VOTERS: u64 = 34_000_000;

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

fn main() {
    // A real ceremony (3 trustees, threshold 2) for a real joint key.
    let ctx = ceremony_only(CANDIDATES, &mut OsRandomness).expect("ceremony");
    let mut rng = OsRandomness;

    let (ballots, encrypt_times): (Vec<Ballot>, Vec<Duration>) = (0..500)
        .map(|b| time(|| encrypt(&ctx, b % CANDIDATES, &mut rng).expect("encrypt").0))
        .unzip();
    println!(
        "encrypt+prove one {CANDIDATES}-candidate ballot: median {:?}",
        median(encrypt_times)
    );

    // The tables of G and K, built once per election.
    let verifier = Verifier::new(&ctx);
    let verify = |_: &_, b: &Ballot| verifier.verify(b);
    let verify_times: Vec<Duration> = ballots
        .iter()
        .map(|b| time(|| verify(&ctx, b).expect("valid")).1)
        .collect();
    println!(
        "verify one {CANDIDATES}-candidate ballot: median {:?}",
        median(verify_times)
    );

    let rates: Vec<f64> = (0..5)
        .map(|_| {
            let (_, d) = time(|| ballots.iter().for_each(|b| verify(&ctx, b).expect("valid")));
            ballots.len() as f64 / d.as_secs_f64()
        })
        .collect();
    let mut sorted = rates.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "ballots verified a second, one core: median {:.0}",
        sorted[sorted.len() / 2]
    );

    // Counts that add up to 34,000,000, solved from count·G as after combination.
    let counts = [13_600_000u64, 10_200_000, 6_800_000, 2_720_000, 680_000];
    let targets: Vec<RistrettoPoint> = counts
        .iter()
        .map(|c| RistrettoPoint::mul_base(&Scalar::from(*c)))
        .collect();
    let dlog_times: Vec<Duration> = (0..5)
        .map(|_| {
            let (found, d) = time(|| {
                let table = BabyGiant::new(VOTERS);
                targets
                    .iter()
                    .map(|t| table.solve(t).expect("in range"))
                    .collect::<Vec<_>>()
            });
            assert_eq!(found, counts);
            d
        })
        .collect();
    println!(
        "solve {CANDIDATES} counts of a {VOTERS}-ballot tally (table included): median {:?}",
        median(dlog_times)
    );

    let json = serde_json::to_vec(&ballots[0]).expect("json").len() + 1; // the separating comma
    let binary = 16 + CANDIDATES * (2 * 32 + 4 * 32) + 2 * 32;
    println!("record size per {CANDIDATES}-candidate ballot: {binary} bytes binary (+64 tracking code), {json} bytes as JSON");
    println!(
        "record for {VOTERS} ballots: {:.1} GB as JSON in {} chunk files",
        (json as f64 * VOTERS as f64) / 1e9,
        VOTERS.div_ceil(10_000)
    );
}
