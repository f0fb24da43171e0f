//! One module per step of the trustee's part (spec 5.1 and 8.2), and what they share: the
//! trustee's directory with its sealed secrets, and the ceremony's public inputs.

pub mod commit;
pub mod decrypt;
pub mod keygen;
pub mod receive;
pub mod restart;
pub mod shares;
pub mod sign_transcript;

use std::path::{Path, PathBuf};

use anyhow::{ensure, Result};
use election_crypto::ceremony::{Commitments, TrusteePublic};
use election_crypto::hash::Digest;
use zeroize::Zeroizing;

use crate::checks;
use crate::files::{self, Layout, Setup};
use crate::passphrase;
use crate::sealed;
use crate::secrets::Secrets;

/// How a step ended, for the exit status.
pub enum Outcome {
    Done,
    /// A complaint was written (exit status 3).
    Complained,
}

/// The trustee's own directory.
#[derive(clap::Args)]
pub struct Home {
    /// This trustee's directory: its sealed secrets and the files it writes.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
}

/// What every ceremony step after `keygen` is computed from.
#[derive(clap::Args)]
pub struct Published {
    /// election.json (spec 9.1): its format, manifest and parameters are read.
    #[arg(long)]
    pub election: PathBuf,
    /// Every trustee's public keys (trustee-<i>.json from keygen, fingerprints checked).
    #[arg(long, num_args = 1.., required = true)]
    pub keys: Vec<PathBuf>,
}

/// What every ceremony step after `keygen` is given: the trustee's own directory and the
/// published files.
#[derive(clap::Args)]
pub struct Step {
    #[command(flatten)]
    pub home: Home,
    #[command(flatten)]
    pub published: Published,
}

impl Step {
    /// The published inputs, checked, and this trustee's session.
    pub fn open(&self, passphrase_file: Option<&Path>) -> Result<(Ceremony, Session<'_>)> {
        let ceremony = self.published.load()?;
        let session = Session::open(&self.home.dir, passphrase_file)?;
        Ok((ceremony, session))
    }

    /// The same, for a step after `commit`: the published inputs must be those this trustee
    /// committed on.
    pub fn resume(&self, passphrase_file: Option<&Path>) -> Result<(Ceremony, Session<'_>)> {
        let (ceremony, session) = self.open(passphrase_file)?;
        session.same_ceremony(&ceremony)?;
        Ok((ceremony, session))
    }
}

/// The public inputs, checked, with `Q` computed from them.
pub struct Ceremony {
    pub setup: Setup,
    pub keys: Vec<TrusteePublic>,
    pub q: Digest,
}

impl Published {
    pub fn load(&self) -> Result<Ceremony> {
        let setup: Setup = files::read(&self.election)?;
        let (keys, q) = checks::keys(&setup, files::read_all(&self.keys)?)?;
        Ok(Ceremony { setup, keys, q })
    }
}

impl Ceremony {
    pub fn threshold(&self) -> u32 {
        self.setup.parameters.threshold
    }

    /// V5–V7 on every trustee's commitments files.
    pub fn commitments(&self, paths: &[PathBuf]) -> Result<Vec<Commitments>> {
        checks::commitments(&self.q, self.threshold(), &self.keys, files::read_all(paths)?)
    }
}

/// A trustee's secrets, opened with its passphrase; saved again (freshly sealed) after a change.
pub struct Session<'a> {
    pub layout: Layout<'a>,
    passphrase: Zeroizing<Vec<u8>>,
    pub secrets: Secrets,
}

impl<'a> Session<'a> {
    pub fn open(dir: &'a Path, passphrase_file: Option<&Path>) -> Result<Self> {
        let layout = Layout(dir);
        let passphrase = passphrase::read(passphrase_file)?;
        let plain = sealed::unseal(&layout.secret(), &passphrase)?;
        let secrets = Secrets::decode(&plain)?;
        Ok(Session {
            layout,
            passphrase,
            secrets,
        })
    }

    /// A new trustee directory; an existing secret file is never overwritten.
    pub fn create(dir: &'a Path, passphrase_file: Option<&Path>, secrets: Secrets) -> Result<Self> {
        let layout = Layout(dir);
        ensure!(
            !layout.secret().exists(),
            "{} exists: a trustee directory holds one trustee's keys",
            layout.secret().display()
        );
        let passphrase = passphrase::read(passphrase_file)?;
        std::fs::create_dir_all(dir)?;
        Ok(Session {
            layout,
            passphrase,
            secrets,
        })
    }

    /// The step continues the ceremony run under `q` (the one this trustee committed under).
    pub fn same_ceremony(&self, c: &Ceremony) -> Result<()> {
        checks::own_keys(&self.secrets.trustee(), &c.keys)?;
        ensure!(
            self.secrets.base_hash == Some(c.q),
            "the election and keys given are not those this trustee committed under (run `trustee commit` first)"
        );
        Ok(())
    }

    pub fn save(&self) -> Result<()> {
        sealed::seal(&self.layout.secret(), &self.secrets.encode(), &self.passphrase)
    }
}
