//! `trustee`: a trustee's own tool for the verifiable election (docs/election-record.md).
//! Parses the command line and runs one step; see `commands` for the steps.

mod ballots;
mod checks;
mod commands;
mod files;
mod passphrase;
mod sealed;
mod secrets;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use commands::Outcome;

/// A trustee's steps in the key ceremony and the decryption, run on the trustee's own machine.
/// Secrets stay in <dir>/secret.sealed, sealed under a passphrase (Argon2id m=64 MiB, t=3,
/// p=1, random 16-byte salt; AES-256-GCM) with mode 0600; they are never sent anywhere.
/// Inputs and outputs are the spec's JSON objects.
#[derive(Parser)]
#[command(
    name = "trustee",
    after_help = "\
The passphrase is read from --passphrase-file (first line) or else from the environment \
variable TRUSTEE_PASSPHRASE; there is no interactive prompt.

Exit status: 0 done, 1 error or refusal, 2 usage, 3 a share was refused and a complaint written.

Tests only: TRUSTEE_ARGON2_TEST_PARAMS=1 seals with weak Argon2id parameters (m=1 MiB, t=1) \
so that debug-build tests run fast. Never set it for real keys."
)]
struct Cli {
    /// Read the passphrase from this file instead of TRUSTEE_PASSPHRASE.
    #[arg(long, global = true)]
    passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Step 1: generate the signing and receiving keys; print the fingerprint to check out of band.
    Keygen(commands::keygen::Args),
    /// Step 2: draw the polynomial; publish the commitments, their proofs and the signed hash.
    Commit(commands::commit::Args),
    /// Step 4: seal a share in a signed envelope for every other trustee.
    Shares(commands::shares::Args),
    /// Step 5: open and check the shares received; a bad one gets a signed complaint (exit 3).
    Receive(commands::receive::Args),
    /// Step 7: sign the transcript hash; the ceremony is then complete for this trustee.
    SignTranscript(commands::sign_transcript::Args),
    /// After a complaint: a fresh receiving key for the restarted ceremony (same signing key).
    Restart(commands::restart::Args),
    /// Recompute the tally from the published ballots, checking every proof, and
    /// partial-decrypt it with a proof.
    Decrypt(commands::decrypt::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let passphrase_file = cli.passphrase_file.as_deref();
    let outcome = match &cli.command {
        Command::Keygen(args) => commands::keygen::run(args, passphrase_file),
        Command::Commit(args) => commands::commit::run(args, passphrase_file),
        Command::Shares(args) => commands::shares::run(args, passphrase_file),
        Command::Receive(args) => commands::receive::run(args, passphrase_file),
        Command::SignTranscript(args) => commands::sign_transcript::run(args, passphrase_file),
        Command::Restart(args) => commands::restart::run(args, passphrase_file),
        Command::Decrypt(args) => commands::decrypt::run(args, passphrase_file),
    };
    match outcome {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Complained) => ExitCode::from(3),
        Err(e) => {
            eprintln!("trustee: {e:#}");
            ExitCode::FAILURE
        }
    }
}
