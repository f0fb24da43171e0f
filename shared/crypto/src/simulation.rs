//! A whole election in one process, every step in the order the real one takes and every
//! check a trustee makes: for the crate's tests, its test vectors and its benchmark.

use crate::ballot::{self, SpoiledBallot};
use crate::ceremony::{self, public_share, Trustee};
use crate::decryption::{combine, counts, partial_decrypt, Decryption};
use crate::dlog::BabyGiant;
use crate::error::Error;
use crate::manifest::{Candidate, Manifest, Parameters};
use crate::randomness::Randomness;
use crate::record::{ElectionFile, Record, TallyFile};
use crate::tally;

/// What happens: the candidates, the trustees, the votes cast and challenged, who is absent.
pub struct Plan {
    pub election_id: String,
    /// `(id, name)` in order.
    pub candidates: Vec<(String, String)>,
    pub trustees: u32,
    pub threshold: u32,
    /// The candidate position of each cast ballot.
    pub cast: Vec<usize>,
    /// The candidate position of each ballot challenged (Benaloh) and spoiled.
    pub spoiled: Vec<usize>,
    /// Trustees absent at decryption.
    pub absent: Vec<u32>,
}

/// Runs the plan. Ballot `b` (cast ones first, then spoiled) draws under `ballot/{b}/`.
pub fn run(plan: &Plan, rng: &mut impl Randomness) -> Result<Record, Error> {
    let manifest = Manifest {
        election_id: plan.election_id.clone(),
        candidates: plan
            .candidates
            .iter()
            .map(|(id, name)| Candidate {
                id: id.clone(),
                name: name.clone(),
            })
            .collect(),
    };
    let parameters = Parameters::new(plan.trustees, plan.threshold);
    crate::manifest::check(&manifest, &parameters)?;
    let trustees: Vec<Trustee> = (1..=plan.trustees).map(|i| Trustee::new(i, rng)).collect();
    let (ceremony, shares) = ceremony::run(&manifest, &parameters, &trustees, rng)
        .map_err(|refused| Error::Usage(format!("the ceremony stopped: {refused}")))?;
    let election = ElectionFile::new(
        manifest,
        parameters,
        trustees.iter().map(Trustee::public).collect(),
        ceremony,
    );
    let ctx = election.context();

    let encrypt = |b: usize, choice: usize| ballot::encrypt(&ctx, choice, &mut rng.scoped(&format!("ballot/{b}/")));
    let cast = plan
        .cast
        .iter()
        .enumerate()
        .map(|(b, c)| encrypt(b, *c).map(|(ballot, _)| ballot))
        .collect::<Result<Vec<_>, _>>()?;
    let spoiled = plan
        .spoiled
        .iter()
        .enumerate()
        .map(|(s, c)| {
            encrypt(plan.cast.len() + s, *c).map(|(ballot, secrets)| SpoiledBallot {
                ballot,
                reveal: secrets.reveal(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;

    // Each trustee decrypts only the tally it recomputed itself (here: once, for all).
    let tally = tally::recompute(&ctx, &cast, &spoiled)?;
    let commitments = &election.ceremony.commitments;
    let present: Vec<u32> = (1..=plan.trustees).filter(|i| !plan.absent.contains(i)).collect();
    let partials = present
        .iter()
        .map(|i| {
            let share = &shares[(*i - 1) as usize];
            Ok(partial_decrypt(
                &ctx,
                share,
                &public_share(*i, commitments)?,
                &tally,
                rng,
            ))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let decryption = Decryption { present, partials };
    let combined = combine(&tally, &decryption, plan.trustees, plan.threshold)?;
    let counts = counts(&combined, &BabyGiant::new(tally.cast_count))?;
    let tally_file = TallyFile::new(&tally, decryption, &election.manifest, &counts);
    Ok(Record::build(election, cast, spoiled, tally_file))
}

/// The context of an election of `candidates` with a real joint key (3 trustees, threshold
/// 2) and no ballots yet: for benchmarks that encrypt and verify ballots of their own.
pub fn ceremony_only(candidates: usize, rng: &mut impl Randomness) -> Result<crate::ballot::Context, Error> {
    let plan = Plan {
        election_id: "bench".into(),
        candidates: (0..candidates)
            .map(|j| (format!("c{j}"), format!("Candidate {j}")))
            .collect(),
        trustees: 3,
        threshold: 2,
        cast: vec![],
        spoiled: vec![],
        absent: vec![],
    };
    Ok(run(&plan, rng)?.election.context())
}
