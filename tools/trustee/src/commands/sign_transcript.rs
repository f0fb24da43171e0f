//! Step 7: the signature on the transcript hash `T`, meaning "I hold valid shares from every
//! other trustee". Signed only if the commitments given are those the trustee's shares were
//! checked against; then the polynomial is erased (the ceremony is over for this trustee).

use std::path::{Path, PathBuf};

use anyhow::{ensure, Result};
use election_crypto::randomness::OsRandomness;

use crate::checks;
use crate::commands::{Outcome, Step};
use crate::files;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    step: Step,
    /// Every trustee's commitments (commitments-<i>.json).
    #[arg(long, num_args = 1.., required = true)]
    commitments: Vec<PathBuf>,
}

pub fn run(args: &Args, passphrase_file: Option<&Path>) -> Result<Outcome> {
    let (ceremony, mut session) = args.step.resume(passphrase_file)?;
    let commitments = ceremony.commitments(&args.commitments)?;
    let (joint_key, qbar, transcript) = checks::transcript(&ceremony.q, &commitments)?;
    ensure!(
        session.secrets.share().is_some(),
        "no share yet: `trustee receive` must accept every other trustee's share first"
    );
    ensure!(
        session.secrets.transcript == Some(transcript),
        "these commitments are not those this trustee's shares were checked against"
    );
    let trustee = session.secrets.trustee();
    let signature = trustee.sign_transcript(&transcript, &mut OsRandomness);
    session.secrets.mark_signed();
    session.save()?;
    files::write(&session.layout.transcript_signature(trustee.index()), &signature)?;
    println!("joint key K: {}", hex::encode(joint_key.bytes()));
    println!("extended base hash: {}", hex::encode(qbar.0));
    println!("transcript hash T: {}", hex::encode(transcript.0));
    Ok(Outcome::Done)
}
