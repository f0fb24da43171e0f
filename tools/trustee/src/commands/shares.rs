//! Step 4: the share `P_i(j)` for every other trustee `j`, sealed to `j`'s receiving key in a
//! signed envelope (spec 5.3). The trustee's own `P_i(i)` never leaves its sealed file.

use std::path::Path;

use anyhow::{Context, Result};
use election_crypto::randomness::OsRandomness;

use crate::commands::{Outcome, Step};
use crate::files;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    step: Step,
}

pub fn run(args: &Args, passphrase_file: Option<&Path>) -> Result<Outcome> {
    let (ceremony, session) = args.step.resume(passphrase_file)?;
    let trustee = session.secrets.trustee();
    let poly = session
        .secrets
        .polynomial()
        .context("no polynomial: the transcript is signed, the shares are no longer needed")?;
    for recipient in ceremony.keys.iter().filter(|k| k.index != trustee.index()) {
        let envelope = trustee.seal_share(&ceremony.q, &poly, recipient, &mut OsRandomness);
        files::write(&session.layout.envelope(trustee.index(), recipient.index), &envelope)?;
    }
    Ok(Outcome::Done)
}
