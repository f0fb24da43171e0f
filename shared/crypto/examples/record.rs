//! Writes the record of a whole election in one process (3 trustees, threshold 2, five
//! candidates, one trustee absent at decryption, 1 ballot in 50 challenged and spoiled), for
//! `verify` to check and time. Seeded, so a rerun writes the same record.
//!
//!     cargo run --release -p election-crypto --example record -- <ballots> <dir>

use election_crypto::randomness::Seeded;
use election_crypto::simulation::{run, Plan};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: record <ballots> <dir>";
    let ballots: usize = args.next().ok_or(usage)?.parse()?;
    let dir = PathBuf::from(args.next().ok_or(usage)?);
    let plan = Plan {
        election_id: "bench-record".into(),
        candidates: (0..5).map(|j| (format!("c{j}"), format!("Candidate {j}"))).collect(),
        trustees: 3,
        threshold: 2,
        // A spread that is not uniform, so that a count in the wrong place shows.
        cast: (0..ballots).map(|b| (b * b + b / 7) % 5).collect(),
        spoiled: (0..ballots / 50).map(|b| b % 5).collect(),
        absent: vec![2],
    };
    let record = run(&plan, &mut Seeded::new(b"bench-record"))?;
    std::fs::create_dir_all(&dir)?;
    record.write(&dir)?;
    let mut expected = [0u64; 5];
    for choice in &plan.cast {
        expected[*choice] += 1;
    }
    println!(
        "wrote {ballots} cast and {} spoiled ballots to {}; counts {expected:?}",
        plan.spoiled.len(),
        dir.display()
    );
    Ok(())
}
