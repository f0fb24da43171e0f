//! Step 1: the trustee's signing key and receiving key. The secrets are sealed in the
//! trustee's directory; the public keys go to the commission, and the fingerprint is read out
//! over a second channel.

use std::path::{Path, PathBuf};

use anyhow::{ensure, Result};
use election_crypto::ceremony::Trustee;
use election_crypto::randomness::OsRandomness;

use crate::checks;
use crate::commands::{Outcome, Session};
use crate::files::{self, Setup};
use crate::secrets::Secrets;

#[derive(clap::Args)]
pub struct Args {
    /// This trustee's index, 1..n.
    #[arg(long)]
    index: u32,
    /// election.json (spec 9.1): its format, manifest and parameters are read.
    #[arg(long)]
    election: PathBuf,
    /// The trustee's directory, created if needed; it must not hold keys already.
    #[arg(long)]
    out_dir: PathBuf,
}

pub fn run(args: &Args, passphrase_file: Option<&Path>) -> Result<Outcome> {
    let setup: Setup = files::read(&args.election)?;
    checks::setup(&setup)?;
    let n = setup.parameters.trustees;
    ensure!((1..=n).contains(&args.index), "index {} is not in 1..{n}", args.index);
    let trustee = Trustee::new(args.index, &mut OsRandomness);
    let session = Session::create(&args.out_dir, passphrase_file, Secrets::new(&trustee))?;
    session.save()?;
    let public = trustee.public();
    files::write(&session.layout.keys(args.index), &public)?;
    println!(
        "fingerprint of trustee {}'s signing key: {}",
        args.index, public.fingerprint
    );
    println!("check it with the commission over a second channel before the ceremony");
    Ok(Outcome::Done)
}
