//! Step 5: opens the envelope from every other trustee and checks each share against its
//! sender's commitments. All good: the trustee's share `s_i` is summed, checked against its
//! public share `K_i` and sealed. Any failure: a signed complaint (spec 5.4) is written for
//! each bad envelope, nothing is kept, and the exit status is 3.

use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use curve25519_dalek::ristretto::RistrettoPoint;
use election_crypto::ceremony::{
    expected_share, judge, public_share, share_matches, Envelope, Fault, SecretShare, ShareRefused,
};
use election_crypto::randomness::OsRandomness;

use crate::checks;
use crate::commands::{Outcome, Step};
use crate::files;

#[derive(clap::Args)]
pub struct Args {
    /// The envelopes addressed to this trustee, one from every other trustee (give them
    /// before the options, or after `--`).
    #[arg(required = true)]
    envelopes: Vec<PathBuf>,
    #[command(flatten)]
    step: Step,
    /// Every trustee's commitments (commitments-<i>.json), this trustee's included.
    #[arg(long, num_args = 1.., required = true)]
    commitments: Vec<PathBuf>,
}

pub fn run(args: &Args, passphrase_file: Option<&Path>) -> Result<Outcome> {
    let (ceremony, mut session) = args.step.resume(passphrase_file)?;
    let trustee = session.secrets.trustee();
    let i = trustee.index();
    let poly = session
        .secrets
        .polynomial()
        .context("no polynomial: the transcript is signed already")?;
    // Commitments that fail V5–V7 are a public fault, for everyone to see: no complaint needed.
    let commitments = ceremony.commitments(&args.commitments)?;
    let own = &commitments[(i - 1) as usize];
    ensure!(
        expected_share(i, own) == RistrettoPoint::mul_base(&poly.share_for(i)),
        "the commitments given for trustee {i} are not this trustee's"
    );

    let mut envelopes: Vec<Envelope> = files::read_all(&args.envelopes)?;
    envelopes.sort_by_key(|e| e.sender);
    let n = ceremony.setup.parameters.trustees;
    ensure!(
        envelopes.iter().all(|e| e.recipient == i)
            && envelopes.iter().map(|e| e.sender).eq((1..=n).filter(|s| *s != i)),
        "expected one envelope to trustee {i} from each other trustee, got {:?}",
        envelopes.iter().map(|e| (e.sender, e.recipient)).collect::<Vec<_>>()
    );

    let mut secret = poly.share_for(i);
    let mut complaints = 0;
    for env in &envelopes {
        let s = (env.sender - 1) as usize;
        match trustee.open_share(&ceremony.q, env, &ceremony.keys[s], &commitments[s], &mut OsRandomness) {
            Ok(share) => *secret += *share,
            Err(ShareRefused::NotFromSender(why)) => {
                bail!(
                    "the envelope from trustee {} is not its own ({why}): ask trustee {} for it again",
                    env.sender,
                    env.sender
                )
            }
            Err(ShareRefused::Complaint(complaint)) => {
                // Anyone can decide a complaint (spec 5.4); this one must name the sender.
                let me = &ceremony.keys[(i - 1) as usize];
                ensure!(
                    judge(&ceremony.q, &complaint, me, &ceremony.keys[s], &commitments[s]) == Fault::Accused,
                    "internal: the complaint against trustee {} does not decide against it",
                    env.sender
                );
                eprintln!("trustee {}'s share is refused: {}", env.sender, complaint.reason);
                files::write(&session.layout.complaint(i, env.sender), &complaint)?;
                complaints += 1;
            }
        }
    }
    if complaints > 0 {
        eprintln!("publish the complaint(s): the ceremony restarts (`trustee restart`)");
        return Ok(Outcome::Complained);
    }

    let share = SecretShare::from_secret(i, secret);
    share_matches(&share, &commitments)?;
    let (joint_key, _, transcript) = checks::transcript(&ceremony.q, &commitments)?;
    session.secrets.set_share(&share, transcript);
    session.save()?;
    println!("all {} shares verify; this trustee's share is sealed", n - 1);
    println!(
        "public share K_{i}: {}",
        hex::encode(public_share(i, &commitments)?.bytes())
    );
    println!("joint key K: {}", hex::encode(joint_key.bytes()));
    Ok(Outcome::Done)
}
