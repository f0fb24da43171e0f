//! Spec 8: the trustee's partial decryption of the tally, with its Chaum–Pedersen proof. The
//! trustee decrypts only the tally it recomputes itself from the published record: the
//! finished `election.json` (V1–V11, and the transcript this trustee signed), every cast and
//! spoiled ballot (V12–V19: every proof, no copied ballot) and the chunks' digests (V16,
//! V17). A tally handed to it is only compared, and refused if it differs.

use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};
use election_crypto::ceremony::{public_share, share_matches};
use election_crypto::decryption::{partial_decrypt, verify_partial};
use election_crypto::randomness::OsRandomness;
use election_crypto::record::ElectionFile;
use election_crypto::tally;

use crate::commands::{Home, Outcome, Session};
use crate::files::{self, HandedTally};
use crate::{ballots, checks};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    home: Home,
    /// The record directory (spec 10): election.json, index.json and ballots/.
    #[arg(long)]
    record: PathBuf,
    /// A tally.json (spec 9.5) handed to this trustee: refused unless it is the tally
    /// recomputed from the ballots (only that one is ever decrypted).
    #[arg(long)]
    tally: Option<PathBuf>,
}

pub fn run(args: &Args, passphrase_file: Option<&Path>) -> Result<Outcome> {
    let election: ElectionFile = files::read(&args.record.join("election.json"))?;
    checks::election(&election)?;
    let mut session = Session::open(&args.home.dir, passphrase_file)?;
    let trustee = session.secrets.trustee();
    let i = trustee.index();
    checks::own_keys(&trustee, &election.trustees)?;
    ensure!(
        session.secrets.signed && session.secrets.transcript == Some(election.ceremony.transcript_hash),
        "this election's transcript is not the one this trustee signed"
    );
    let share = session.secrets.share().context("this trustee holds no share")?;
    let commitments = &election.ceremony.commitments;
    share_matches(&share, commitments)?;

    let ctx = election.context();
    let ballots = ballots::read(&args.record, &ctx.extended_base_hash)?;
    let recomputed = tally::recompute(&ctx, &ballots.cast, &ballots.spoiled)?;
    if let Some(path) = &args.tally {
        let handed: HandedTally = files::read(path)?;
        ensure!(
            handed.matches(&recomputed),
            "refused: the tally in {} is not the one recomputed from the published ballots",
            path.display()
        );
    }

    // One tally per election: the difference of two would decrypt the ballots between them.
    let digest = recomputed.cast_digest;
    if let Some(decrypted) = session.secrets.decrypted {
        ensure!(
            decrypted == digest,
            "refused: this trustee has decrypted the tally of another list of cast ballots (D = {}); it decrypts one tally per election",
            hex::encode(decrypted.0)
        );
    }
    session.secrets.decrypted = Some(digest);
    session.save()?;
    let partial = partial_decrypt(
        &ctx,
        &share,
        &public_share(i, commitments)?,
        &recomputed,
        &mut OsRandomness,
    );
    verify_partial(&ctx, &recomputed, &partial)?;
    files::write(&session.layout.partial_decryption(i), &partial)?;
    println!(
        "{} cast ballots ({} spoiled) checked; cast digest D: {}",
        recomputed.cast_count,
        ballots.spoiled.len(),
        hex::encode(recomputed.cast_digest.0)
    );
    Ok(Outcome::Done)
}
