//! `verify <record-dir> [--threads N]`: prints every check of spec section 11 with pass or
//! FAIL, the result, and the speed; exits 1 on any failure, 2 on bad usage.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let Some((dir, threads)) = parse(std::env::args().skip(1)) else {
        eprintln!("usage: verify <record-dir> [--threads N]");
        return ExitCode::from(2);
    };
    let start = Instant::now();
    let outcome = verify::verify(&dir, threads);
    let wall = start.elapsed().as_secs_f64();

    print!("{}", outcome.report.render());
    let valid = outcome.report.valid();
    println!("result{}:", if valid { "" } else { " (as published, NOT verified)" });
    for (id, name, count) in &outcome.result {
        println!("  {id} {name}: {count}");
    }
    if outcome.late > 0 {
        println!("late ballots, listed apart and not counted: {}", outcome.late);
    }
    println!(
        "ballots checked: {} in {wall:.3} s wall, {:.0} ballots/s, {threads} threads",
        outcome.ballots,
        outcome.ballots as f64 / wall
    );
    println!("record {}", if valid { "VALID" } else { "INVALID" });
    if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The record directory and the thread count (default: every core).
fn parse(mut args: impl Iterator<Item = String>) -> Option<(PathBuf, usize)> {
    let mut dir = None;
    let mut threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => threads = args.next()?.parse().ok().filter(|n| *n > 0)?,
            _ if dir.is_none() && !arg.starts_with("--") => dir = Some(PathBuf::from(arg)),
            _ => return None,
        }
    }
    Some((dir?, threads))
}
