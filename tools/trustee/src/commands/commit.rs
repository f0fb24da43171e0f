//! Step 2: a random polynomial of degree t−1, kept sealed; its commitments with a Schnorr
//! proof of each coefficient and the signed commitment hash `h_i`, published.

use std::path::Path;

use anyhow::{ensure, Result};
use election_crypto::randomness::OsRandomness;

use crate::commands::{Outcome, Step};
use crate::files;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    step: Step,
}

pub fn run(args: &Args, passphrase_file: Option<&Path>) -> Result<Outcome> {
    let (ceremony, mut session) = args.step.open(passphrase_file)?;
    let trustee = session.secrets.trustee();
    crate::checks::own_keys(&trustee, &ceremony.keys)?;
    // One polynomial per ceremony: a second one would contradict the shares already sent.
    ensure!(
        session.secrets.base_hash.is_none(),
        "this trustee has committed already (a new ceremony starts with `trustee restart`)"
    );
    let (poly, commitments) = trustee.commit(&ceremony.q, ceremony.threshold(), &mut OsRandomness);
    session.secrets.set_polynomial(ceremony.q, &poly);
    // Sealed before anything is published: a commitment without its polynomial is useless.
    session.save()?;
    files::write(&session.layout.commitments(trustee.index()), &commitments)?;
    println!(
        "commitment hash h_{}: {} (publish it, signed, before the commitments)",
        trustee.index(),
        hex::encode(commitments.commitment_hash.0)
    );
    Ok(Outcome::Done)
}
