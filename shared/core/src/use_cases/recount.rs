//! Recounts an election from its ballot box and compares the count with the results view,
//! candidate by candidate. With `repair`, every ballot is first replayed into the view
//! through the projector's own effects: each is guarded by its event's marker, so a ballot
//! already counted is skipped, and a repair run twice, or while the pipeline is still
//! counting, leaves the view exact. An operator's command: it is invoked, not routed.

use super::certify_results::read_job;
use super::get_results::read_results;
use crate::clock::Clock;
use crate::domain::certification::{CertificationJob, JobState, PartCount, PartRecount};
use crate::domain::ids::{CandidateId, ElectionId, ReceiptId};
use crate::domain::results::Results;
use crate::domain::vote::Mark;
use crate::domain_events::{BallotCast, DomainEvent};
use crate::policies::project_dashboard;
use crate::ports::{BallotBox, ViewStore};
use crate::problem::AppError;
use crate::projection::certification_job::CountedPart;
use crate::projection::{certification_job, dashboard, turnout, View};
use election_crypto::tally::{self, TallyEntry};
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Ballots replayed in one guarded transaction: a marker and at most a counter row each.
const REPLAY_BATCH: usize = 25;

/// One candidate's ballots in the box, and the votes the results view counts for them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecountLine {
    pub candidate_id: CandidateId,
    pub ballots: u64,
    pub counted: u64,
    /// Ballots minus counted: positive when the view has missed votes.
    pub difference: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recount {
    pub election_id: ElectionId,
    pub candidates: Vec<RecountLine>,
    pub ballots: u64,
    /// Of the ballots, those encrypted (a verifiable election): in no candidate's line.
    pub encrypted: u64,
    /// Of those, the ones the decrypted tally lists as late (in the box after the freeze).
    pub late: u64,
    /// The ciphertexts of the others summed, slot by slot: the encrypted tally the box gives.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub encrypted_sums: Vec<TallyEntry>,
    pub counted: u64,
    /// Voters who voted (the turnout view's count of participations): the mixer moves
    /// each one's ballot to the box, so these must equal the ballots.
    pub participations: u64,
    /// Ballots replayed into the view (with `repair`; each counted at most once).
    pub replayed: u64,
    /// Items in the ballot box that are not readable ballots, by key: never counted.
    pub unreadable: Vec<String>,
    /// Every candidate's count equals their ballots, every item was a ballot, and there are
    /// as many ballots as participations.
    pub matches: bool,
}

impl Recount {
    /// The ballots in the box, candidate by candidate.
    pub fn ballots_per_candidate(&self) -> BTreeMap<CandidateId, u64> {
        self.candidates
            .iter()
            .map(|line| (line.candidate_id.clone(), line.ballots))
            .collect()
    }
}

fn difference(ballots: u64, counted: u64) -> i64 {
    i64::try_from(ballots).unwrap_or(i64::MAX) - i64::try_from(counted).unwrap_or(i64::MAX)
}

/// Counts one part of the ballot box, page by page; with `repair`, replays each page's
/// ballots into the view first. The `late` ballots are counted apart, out of the sums.
pub async fn count_part(
    store: &(impl BallotBox + ViewStore),
    clock: &impl Clock,
    election_id: &ElectionId,
    part: u32,
    repair: bool,
    late: &BTreeSet<ReceiptId>,
) -> Result<PartCount, AppError> {
    let mut count = PartCount::default();
    let mut after = None;
    loop {
        let page = store.ballots(election_id, part, after).await?;
        count.pages += 1;
        for ballot in &page.ballots {
            match &ballot.mark {
                Mark::For(candidate) => *count.ballots.entry(candidate.clone()).or_default() += 1,
                Mark::Encrypted(_) if late.contains(&ballot.receipt_id) => {
                    count.encrypted += 1;
                    count.late += 1;
                }
                Mark::Encrypted(encrypted) => {
                    count.encrypted += 1;
                    let slots = encrypted.ciphertexts.len();
                    count.sums = tally::add(&count.sums, &tally::sum(slots, [encrypted.as_ref()]));
                }
            }
        }
        if repair {
            let events: Vec<DomainEvent> = page
                .ballots
                .iter()
                .map(|ballot| DomainEvent::BallotCast(BallotCast::of(ballot)))
                .collect();
            for batch in events.chunks(REPLAY_BATCH) {
                project_dashboard(store, clock, batch).await?;
                count.replayed += batch.len() as u64;
            }
        }
        count.unreadable.extend(page.unreadable);
        after = page.next;
        if after.is_none() {
            return Ok(count);
        }
    }
}

/// Parts read at once. Each is a chain of pages and they are independent, but every page
/// must come within the store's operation bound: all 32 at once made DynamoDB Local miss it.
pub const PARTS_AT_ONCE: usize = 8;

/// Recounts the whole ballot box: [`PARTS_AT_ONCE`] parts at a time, then the parts'
/// counts added up and compared with the view.
pub async fn recount(
    store: &(impl BallotBox + ViewStore),
    clock: &impl Clock,
    election_id: &ElectionId,
    repair: bool,
) -> Result<Recount, AppError> {
    let none_late = BTreeSet::new();
    let counts = futures::stream::iter(0..store.parts())
        .map(|part| count_part(store, clock, election_id, part, repair, &none_late))
        .buffer_unordered(PARTS_AT_ONCE)
        .try_collect()
        .await?;
    compare(store, election_id, counts).await
}

/// The parts' counts added up, against the results view, candidate by candidate, and
/// against the participations.
pub async fn compare(
    store: &impl ViewStore,
    election_id: &ElectionId,
    counts: Vec<PartCount>,
) -> Result<Recount, AppError> {
    let participations = turnout::voted(&store.turnout_rows(election_id).await?);
    Ok(compare_with(
        read_results(store, election_id).await?,
        participations,
        counts,
    ))
}

/// The parts' counts added up, against these results, candidate by candidate, and against
/// the number of participations.
pub fn compare_with(results: Results, participations: u64, counts: Vec<PartCount>) -> Recount {
    let election_id = results.election_id.clone();
    let mut ballots: BTreeMap<CandidateId, u64> = BTreeMap::new();
    let (mut replayed, mut unreadable, mut encrypted, mut late, mut encrypted_sums) = (0, Vec::new(), 0, 0, Vec::new());
    for count in counts {
        encrypted += count.encrypted;
        late += count.late;
        encrypted_sums = tally::add(&encrypted_sums, &count.sums);
        for (candidate, n) in count.ballots {
            *ballots.entry(candidate).or_default() += n;
        }
        replayed += count.replayed;
        unreadable.extend(count.unreadable);
    }
    let mut counted: BTreeMap<CandidateId, u64> = results
        .candidates
        .into_iter()
        .map(|tally| (tally.candidate_id, tally.votes))
        .collect();
    for candidate in ballots.keys() {
        counted.entry(candidate.clone()).or_default();
    }
    let candidates: Vec<RecountLine> = counted
        .into_iter()
        .map(|(candidate_id, counted)| {
            let in_box = ballots.get(&candidate_id).copied().unwrap_or(0);
            RecountLine {
                difference: difference(in_box, counted),
                candidate_id,
                ballots: in_box,
                counted,
            }
        })
        .collect();
    let ballots = candidates.iter().map(|line| line.ballots).sum::<u64>() + encrypted;
    Recount {
        election_id,
        ballots,
        encrypted,
        late,
        encrypted_sums,
        counted: candidates.iter().map(|line| line.counted).sum(),
        participations,
        matches: unreadable.is_empty()
            && candidates.iter().all(|line| line.difference == 0)
            && ballots == participations,
        candidates,
        replayed,
        unreadable,
    }
}

/// The votes a matching recount certifies. In the default mode, the box's ballots per
/// candidate. In a verifiable election, the trustees' decrypted counts, if the box's
/// ciphertexts, summed part by part and merged, are exactly the tally they decrypted: the
/// same number of ballots, the same sums, and no plaintext ballot among them.
fn certified_votes(job: &CertificationJob, recounted: &Recount) -> Result<BTreeMap<CandidateId, u64>, String> {
    let Some(decrypted) = &job.decrypted else {
        return Ok(recounted.ballots_per_candidate());
    };
    if recounted.encrypted != recounted.ballots {
        Err(format!(
            "the ballot box of this verifiable election holds {} ballots that are not encrypted; nothing is certified",
            recounted.ballots - recounted.encrypted
        ))
    } else if recounted.late != decrypted.late.len() as u64 {
        Err(format!(
            "the ballot box holds {} of the {} ballots the record lists as late; nothing is certified",
            recounted.late,
            decrypted.late.len()
        ))
    } else if recounted.encrypted - recounted.late != decrypted.cast_count {
        Err(format!(
            "the ballot box holds {} encrypted ballots besides the late ones, the decrypted tally {}; nothing is certified",
            recounted.encrypted - recounted.late,
            decrypted.cast_count
        ))
    } else if recounted.encrypted_sums != decrypted.entries {
        Err(
            "the ballot box's ciphertexts do not sum to the tally the trustees decrypted; nothing is certified"
                .to_owned(),
        )
    } else {
        Ok(decrypted.counts.clone())
    }
}

/// Counts one part of a certification job's recount (a worker's share), then finishes the
/// attempt if that was the last part ([`finish_if_counted`]). A request for an attempt that
/// is not under way is stale, and is dropped.
pub async fn recount_part(
    store: &(impl BallotBox + ViewStore),
    clock: &impl Clock,
    request: &PartRecount,
) -> Result<(), AppError> {
    let election_id = &request.election_id;
    let job = read_job(store, election_id).await?;
    let Some(job) = job.filter(|job| job.attempt == request.attempt && job.state == JobState::Recounting) else {
        tracing::info!(election = %election_id, attempt = request.attempt, part = request.part, "stale recount request dropped");
        return Ok(());
    };
    let read_from = clock.now();
    let late = job.decrypted.as_ref().map(|d| d.late.clone()).unwrap_or_default();
    let count = count_part(store, clock, election_id, request.part, false, &late).await?;
    let counted = certification_job::part_counted(request, count, read_from, clock.now());
    store.apply(View::Dashboard, vec![counted]).await?;
    finish_if_counted(store, clock, &job).await
}

/// Once every part of the attempt is counted: the parts added up and compared with the
/// results. The results become final if they match and no vote was counted into them after
/// the first part's reads began (a ballot committed that late would be in the counters and
/// perhaps not in the parts); otherwise the attempt is refused, with why. One outcome per
/// attempt, however many workers (or requests) get here.
pub async fn finish_if_counted(
    store: &impl ViewStore,
    clock: &impl Clock,
    job: &CertificationJob,
) -> Result<(), AppError> {
    let election_id = &job.election_id;
    let rows = store.rows(View::Dashboard, certification_job::part_keys(job)).await?;
    if !certification_job::parts_left(job, &rows).is_empty() {
        return Ok(());
    }
    let parts: Option<Vec<CountedPart>> = rows
        .iter()
        .map(|(_, row)| certification_job::counted_part(row))
        .collect();
    let results_rows = store.election_rows(election_id).await?;
    let participations = turnout::voted(&store.turnout_rows(election_id).await?);
    let now = clock.now();
    let outcome = match parts {
        None => Err("a part's count could not be read back; certify again".to_owned()),
        Some(parts) => {
            let read_from = parts.iter().map(|p| p.read_from).min();
            let counted_at = dashboard::votes_counted_at(&results_rows);
            let results = dashboard::results(election_id, &results_rows);
            let recounted = compare_with(results, participations, parts.into_iter().map(|p| p.count).collect());
            if counted_at > read_from {
                Err(
                    "ballots were counted into the results while the recount read the ballot box; certify again"
                        .to_owned(),
                )
            } else if recounted.ballots != recounted.participations {
                Err(format!(
                    "the ballot box holds {} ballots for {} participations; certify again once every ballot is mixed into the box",
                    recounted.ballots, recounted.participations
                ))
            } else if !recounted.matches {
                Err(format!(
                    "the recount differs: {} ballots, {} counted, {} unreadable; run the recount with repair, then certify again",
                    recounted.ballots,
                    recounted.counted,
                    recounted.unreadable.len()
                ))
            } else {
                certified_votes(job, &recounted)
                    .map(|votes| dashboard::certification(election_id, &votes, recounted.late, &job.requested_by, now))
            }
        }
    };
    let finish = certification_job::finish(election_id, job.attempt, outcome, now);
    Ok(store.apply(View::Dashboard, vec![finish]).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::certification::DecryptedTally;
    use election_crypto::ballot::Ballot as EncryptedBallot;
    use election_crypto::randomness::Seeded;
    use election_crypto::simulation::{run, Plan};

    /// A small verifiable election, run whole in memory: its four cast ballots and the tally
    /// its trustees decrypted (1, 2, 1).
    fn decrypted_election() -> (Vec<EncryptedBallot>, DecryptedTally) {
        let plan = Plan {
            election_id: "recount".into(),
            candidates: ["Ada", "Grace", "Edsger"]
                .iter()
                .map(|name| (CandidateId::new().to_string(), name.to_string()))
                .collect(),
            trustees: 3,
            threshold: 2,
            cast: vec![0, 1, 2, 1],
            spoiled: vec![],
            absent: vec![2],
        };
        let record = run(&plan, &mut Seeded::new(b"recount")).unwrap();
        let counts = plan
            .candidates
            .iter()
            .zip([1, 2, 1])
            .map(|((id, _), n)| (CandidateId::parse(id).unwrap(), n))
            .collect();
        let tally = DecryptedTally {
            entries: record.tally.encrypted_tally.clone(),
            cast_count: record.tally.cast_count,
            counts,
            late: BTreeSet::new(),
        };
        (record.cast.into_iter().flat_map(|chunk| chunk.ballots).collect(), tally)
    }

    /// A part of the box holding these encrypted ballots, as its worker counts it.
    fn part(ballots: &[EncryptedBallot]) -> PartCount {
        PartCount {
            encrypted: ballots.len() as u64,
            sums: tally::sum(3, ballots),
            ..PartCount::default()
        }
    }

    fn job(decrypted: Option<DecryptedTally>) -> CertificationJob {
        CertificationJob {
            election_id: ElectionId::new(),
            attempt: 1,
            state: JobState::Recounting,
            parts: 2,
            parts_done: 2,
            requested_by: "officer".into(),
            requested_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            refusal: None,
            resends: 0,
            started_by_request: "request".into(),
            decrypted,
        }
    }

    fn recounted(parts: Vec<PartCount>, participations: u64) -> Recount {
        let results = Results::from_tallies(ElectionId::new(), Vec::new(), None, None);
        compare_with(results, participations, parts)
    }

    #[test]
    fn a_verifiable_box_certifies_the_trustees_counts_only_if_its_parts_sum_to_their_tally() {
        let (ballots, tally) = decrypted_election();
        let job = job(Some(tally.clone()));
        // The parts' sums merged: exactly the tally decrypted.
        let whole = recounted(vec![part(&ballots[..2]), part(&ballots[2..])], 4);
        assert!(whole.matches);
        assert_eq!(certified_votes(&job, &whole), Ok(tally.counts.clone()));
        // A ballot missing from the box: refused, saying how many it found.
        let short = recounted(vec![part(&ballots[..2]), part(&ballots[2..3])], 3);
        assert!(certified_votes(&job, &short)
            .unwrap_err()
            .contains("holds 3 encrypted ballots"));
        // As many ballots, but not the tally's: one replaced by a copy of another.
        let swapped = [
            ballots[0].clone(),
            ballots[1].clone(),
            ballots[2].clone(),
            ballots[2].clone(),
        ];
        let other = recounted(vec![part(&swapped[..2]), part(&swapped[2..])], 4);
        assert!(certified_votes(&job, &other).unwrap_err().contains("do not sum"));
        // A plaintext ballot among them.
        let mut plaintext = part(&ballots[..3]);
        plaintext.ballots.insert(CandidateId::new(), 1);
        let mixed = recounted(vec![plaintext], 4);
        assert!(certified_votes(&job, &mixed).unwrap_err().contains("not encrypted"));
    }

    #[test]
    fn a_ballot_listed_as_late_is_in_the_box_but_not_in_the_sums() {
        let (ballots, mut tally) = decrypted_election();
        tally.late.insert(ReceiptId::new());
        let job = job(Some(tally.clone()));
        // The workers found the late ballot, and left it out of their sums.
        let mut with_late = part(&ballots[2..]);
        with_late.encrypted += 1;
        with_late.late = 1;
        let recount = recounted(vec![part(&ballots[..2]), with_late], 5);
        assert!(
            recount.matches,
            "the box holds a ballot for each of the 5 participations"
        );
        assert_eq!(certified_votes(&job, &recount), Ok(tally.counts.clone()));
        // The record lists a late ballot that the box does not hold: refused.
        let without = recounted(vec![part(&ballots[..2]), part(&ballots[2..])], 4);
        assert!(certified_votes(&job, &without)
            .unwrap_err()
            .contains("0 of the 1 ballots the record lists as late"));
    }

    #[test]
    fn the_default_mode_certifies_the_ballots_per_candidate() {
        let ada = CandidateId::new();
        let mut count = PartCount::default();
        count.ballots.insert(ada.clone(), 2);
        let results = Results::from_tallies(ElectionId::new(), Vec::new(), None, None);
        let recount = compare_with(results, 2, vec![count]);
        assert_eq!(certified_votes(&job(None), &recount), Ok(BTreeMap::from([(ada, 2)])));
    }
}
