//! A restarted ceremony (spec 5.1 step 5): after a complaint the ceremony starts again with
//! fresh receiving keys and polynomials, so a fresh `Q`. The signing key, whose fingerprint
//! the commission checked, stays.

use std::path::Path;

use anyhow::{ensure, Result};
use election_crypto::ceremony::Trustee;
use election_crypto::randomness::OsRandomness;

use crate::commands::{Home, Outcome, Session};
use crate::files;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    home: Home,
}

pub fn run(args: &Args, passphrase_file: Option<&Path>) -> Result<Outcome> {
    let mut session = Session::open(&args.home.dir, passphrase_file)?;
    ensure!(
        !session.secrets.signed,
        "this trustee signed the transcript: the ceremony is complete, its share is kept"
    );
    let fresh = Trustee::new(session.secrets.index, &mut OsRandomness);
    session.secrets.restart(&fresh);
    session.save()?;
    let public = session.secrets.trustee().public();
    files::write(&session.layout.keys(public.index), &public)?;
    println!("new receiving key; fingerprint unchanged: {}", public.fingerprint);
    Ok(Outcome::Done)
}
