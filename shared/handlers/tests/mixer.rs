//! The mixer on the in-memory store: ballots reach the box only in batches of at least *k*
//! before the close, each exactly once, never lost; the last ones after the close, whatever
//! their number; and certification waits for them.

use adapters::memory::{InMemoryStore, MixerRequest, TestSealer};
use chrono::{DateTime, TimeDelta, Utc};
use election_core::bounds::Bounds;
use election_core::clock::FixedClock;
use election_core::domain::election::{Election, VotingWindow};
use election_core::domain::ids::{CandidateId, ElectionId, ReceiptId};
use election_core::domain::roll::{District, EntrySource, RollEntry, RollId};
use election_core::domain::text::{AccountId, Name};
use election_core::domain::vote::{coarse, Ballot, Mark, Participation, Sealed};
use election_core::ports::{BallotBox, BallotSealer, ElectionStore, MixPool, RollStore, VoteStore};
use election_core::use_cases::mix_ballots::{mixing_pending, take_copies, tick, Mixed, Mixing};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

const STARTS: &str = "2027-03-01T08:00:00Z";
const ENDS: &str = "2027-03-01T20:00:00Z";

fn midday() -> FixedClock {
    FixedClock(at("2027-03-01T12:00:00Z"))
}

fn mixing(batch: usize) -> Mixing {
    Mixing {
        batch,
        bounds: Bounds::DEFAULT,
    }
}

async fn election(store: &InMemoryStore) -> ElectionId {
    let election = Election {
        id: ElectionId::new(),
        name: Name::parse("Presidential election").unwrap(),
        window: VotingWindow::new(at(STARTS), at(ENDS)).unwrap(),
        registered_at: at("2027-01-01T00:00:00Z"),
        registered_by: AccountId::parse("commission-officer").unwrap(),
        roll: RollId::initial(),
        verifiable: None,
    };
    store.insert_election(&election).await.unwrap();
    election.id
}

/// `n` votes stored as cast-vote stores them (the participation with the mixer's sealed
/// copy); their ballots, which are nowhere yet.
async fn votes(store: &InMemoryStore, election: &ElectionId, n: usize) -> Vec<Ballot> {
    votes_at(store, election, n, "2027-03-01T12:00:00Z").await
}

/// `n` votes cast at `instant`.
async fn votes_at(store: &InMemoryStore, election: &ElectionId, n: usize, instant: &str) -> Vec<Ballot> {
    let mut ballots = Vec::new();
    for _ in 0..n {
        let voter = AccountId::parse(&uuid::Uuid::new_v4().to_string()).unwrap();
        let entry = RollEntry {
            election_id: election.clone(),
            roll: RollId::initial(),
            voter: voter.clone(),
            district: District::parse("North").unwrap(),
            source: EntrySource::Correction,
        };
        store.add_entry(&entry).await.unwrap();
        let ballot = Ballot {
            election_id: election.clone(),
            mark: Mark::For(CandidateId::new()),
            receipt_id: ReceiptId::new(),
            cast_in_hour: coarse(at(instant)),
        };
        let participation = Participation {
            election_id: election.clone(),
            voter,
            roll: RollId::initial(),
            voted_at: at(instant),
            sealed_choice: Sealed {
                sealed_key: vec![1],
                ciphertext: vec![2],
            },
        };
        let copy = TestSealer.seal_ballot(&ballot).await.unwrap();
        store.insert_vote(&participation, &copy).await.unwrap();
        ballots.push(ballot);
    }
    ballots
}

/// The mixer takes every copy still on a participation, as the stream would hand them over.
async fn take_all(store: &InMemoryStore, clock: &FixedClock, batch: usize) -> Mixed {
    let copies = store.mix_copies();
    take_copies(store, &TestSealer, clock, &mixing(batch), &copies)
        .await
        .unwrap()
}

fn receipts(ballots: &[Ballot]) -> Vec<String> {
    let mut receipts: Vec<String> = ballots.iter().map(|b| b.receipt_id.to_string()).collect();
    receipts.sort();
    receipts
}

fn in_box(store: &InMemoryStore) -> Vec<String> {
    store.snapshot().ballots.keys().cloned().collect()
}

async fn pooled(store: &InMemoryStore, election: &ElectionId) -> Vec<usize> {
    let mut sizes = Vec::new();
    for pool in store.pools(election) {
        sizes.push(store.pooled(&pool, usize::MAX).await.unwrap().len());
    }
    sizes
}

#[tokio::test]
async fn before_the_close_ballots_reach_the_box_only_in_batches_of_at_least_k() {
    let store = InMemoryStore::default();
    let election = election(&store).await;
    let ballots = votes(&store, &election, 40).await;

    // WHEN the mixer takes them, with k = 8
    let mixed = take_all(&store, &midday(), 8).await;

    // THEN every batch it wrote holds at least k, and every pool holds fewer than k
    assert_eq!(mixed.pooled, 40);
    assert!(!mixed.batches.is_empty(), "{mixed:?}");
    assert!(mixed.batches.iter().all(|&n| n >= 8), "{mixed:?}");
    let waiting = pooled(&store, &election).await;
    assert!(waiting.iter().all(|&n| n < 8), "{waiting:?}");
    // AND every ballot is in the box or in a pool, none twice
    assert_eq!(mixed.written + waiting.iter().sum::<usize>(), 40);
    assert_eq!(in_box(&store).len(), mixed.written);
    // AND no participation holds the mixer's copy any more: the pool has it
    assert!(store.mix_copies().is_empty());

    // WHEN the mixer ticks during voting: nothing below k is written
    let ticked = tick(&store, &TestSealer, &midday(), &mixing(8)).await.unwrap();
    assert_eq!(ticked.written, 0);

    // WHEN it ticks once no vote can commit: the final batches, whatever their size
    let after = FixedClock(Bounds::DEFAULT.certifiable_from(&store.election(&election).await.unwrap().unwrap()));
    let last = tick(&store, &TestSealer, &after, &mixing(8)).await.unwrap();
    assert_eq!(last.written, waiting.iter().sum::<usize>());
    assert_eq!(in_box(&store), receipts(&ballots));
    assert!(pooled(&store, &election).await.iter().all(|&n| n == 0));
}

#[tokio::test]
async fn a_batch_is_one_time_and_one_id_so_each_ballot_hides_among_at_least_k() {
    let store = InMemoryStore::default();
    let election = election(&store).await;
    // GIVEN votes on both sides of an hour's turn, pooled together
    votes_at(&store, &election, 30, "2027-03-01T11:59:30Z").await;
    votes_at(&store, &election, 30, "2027-03-01T12:00:30Z").await;

    // WHEN the mixer takes them, with k = 8
    take_all(&store, &midday(), 8).await;

    // THEN each batch's ballots carry one hour (the hour of its latest vote), so that no
    // stored time splits a batch; and each batch has its own id, at least k ballots
    let ballots = store.snapshot().ballots;
    let batches = store.ballot_batches();
    assert!(!batches.is_empty());
    for receipts in batches.values() {
        assert!(receipts.len() >= 8, "a batch of {} before the close", receipts.len());
        let hours: std::collections::BTreeSet<_> = receipts.iter().map(|r| ballots[r].cast_in_hour).collect();
        assert_eq!(hours.len(), 1, "a batch with {hours:?}");
    }
    // AND an attacker who knows each participation's batch pairs it with its ballot with a
    // chance of 1/|batch|: on average, at most 1/k
    let written: usize = batches.values().map(Vec::len).sum();
    let chance = batches.len() as f64 / written as f64;
    assert!(chance <= 1.0 / 8.0, "{chance}");
}

/// Each copy's key in the pool, by its ballot's receipt, for the copies still on
/// participations: what a reader of the votes' requests can work out (the key is a digest
/// of the sealed copy the vote sent).
async fn keys_by_receipt(store: &InMemoryStore) -> std::collections::HashMap<String, String> {
    let mut key_of = std::collections::HashMap::new();
    for copy in store.mix_copies() {
        let ballot = TestSealer.open_ballot(&copy.ballot).await.unwrap();
        key_of.insert(
            ballot.receipt_id.to_string(),
            adapters::mix_copy::pooled_key(&copy.ballot.sealed),
        );
    }
    key_of
}

#[tokio::test]
async fn no_request_lists_ballots_in_the_order_of_their_copies() {
    let store = InMemoryStore::default();
    let election = election(&store).await;
    votes(&store, &election, 40).await;
    let key_of = keys_by_receipt(&store).await;

    // WHEN the mixer writes its batches, k = 8
    take_all(&store, &midday(), 8).await;

    // THEN the receipts it asks of the box and writes come in an order of their own, not
    // the pool's (its keys' order): else a request's positions would pair voter and ballot
    let requests = store.mixer_requests();
    let mut listed = 0;
    for request in &requests {
        match request {
            MixerRequest::InBox(receipts) | MixerRequest::PutBallots(receipts) => {
                let keys: Vec<&String> = receipts.iter().map(|r| &key_of[r]).collect();
                assert!(
                    !keys.is_sorted(),
                    "{} receipts listed in their copies' order: {request:?} {keys:?}",
                    keys.len()
                );
                listed += 1;
            }
            // AND the keys it takes out of the pool come in their own (sorted) order, not
            // the ballots'
            MixerRequest::Unpool(keys) => assert!(keys.is_sorted(), "{keys:?}"),
        }
    }
    assert!(listed >= 2, "{requests:?}");
}

#[tokio::test]
async fn the_tick_stops_reading_an_election_whose_pools_are_empty() {
    let store = InMemoryStore::default();
    let election = election(&store).await;
    // GIVEN votes written at once (k = 1): the election was marked when they were pooled
    votes(&store, &election, 3).await;
    take_all(&store, &midday(), 1).await;
    let waiting = store.waiting().await.unwrap();
    assert_eq!(waiting.len(), 1);
    // AND the mark names the pools the copies went to: the tick reads those, not every pool
    let held: Vec<_> = store.snapshot().pools.keys().cloned().collect();
    assert!(!waiting[0].pools.is_empty() && waiting[0].pools.iter().all(|pool| held.contains(pool)));

    // WHEN the mixer ticks during voting, its pools empty
    tick(&store, &TestSealer, &midday(), &mixing(1)).await.unwrap();

    // THEN the mark is off: the next ticks read none of its pools
    assert!(store.waiting().await.unwrap().is_empty());
    // AND a copy pooled after puts it back
    votes(&store, &election, 1).await;
    take_all(&store, &midday(), 100).await;
    assert_eq!(store.waiting().await.unwrap().len(), 1);
    tick(&store, &TestSealer, &midday(), &mixing(100)).await.unwrap();
    assert_eq!(store.waiting().await.unwrap().len(), 1, "a pool still holds it");
}

#[tokio::test]
async fn a_copy_handed_over_twice_is_one_ballot() {
    let store = InMemoryStore::default();
    let election = election(&store).await;
    let ballots = votes(&store, &election, 6).await;
    let copies = store.mix_copies();

    // WHEN the stream hands the same records over twice (a redelivery), k = 1
    for _ in 0..2 {
        take_copies(&store, &TestSealer, &midday(), &mixing(1), &copies)
            .await
            .unwrap();
    }

    // THEN each ballot is in the box once
    assert_eq!(in_box(&store), receipts(&ballots));
}

#[tokio::test]
async fn a_flush_cut_short_is_finished_without_passing_old_ballots_off_as_a_new_batch() {
    let store = InMemoryStore::default();
    let election = election(&store).await;
    let ballots = votes(&store, &election, 12).await;
    // GIVEN every copy pooled (k too high to flush), and a flush that wrote some of the
    // ballots before it died, leaving them in the pool
    take_all(&store, &midday(), 100).await;
    store.put_ballots("cut", &ballots[..5]).await.unwrap();

    // WHEN the next flush comes, with k = 8: 7 ballots are new, fewer than k
    let mixed = tick(&store, &TestSealer, &midday(), &mixing(8)).await.unwrap();

    // THEN nothing is written: the 5 in the box do not make up a batch with the 7
    assert_eq!(mixed.written, 0, "{mixed:?}");
    assert_eq!(in_box(&store).len(), 5);

    // AND the final flush writes the 7 only, and empties the pools
    let after = FixedClock(at(ENDS) + TimeDelta::minutes(1));
    let last = tick(&store, &TestSealer, &after, &mixing(8)).await.unwrap();
    assert_eq!(last.written, 7, "{last:?}");
    assert_eq!(in_box(&store), receipts(&ballots));
    assert!(pooled(&store, &election).await.iter().all(|&n| n == 0));
}

#[tokio::test]
async fn the_copies_a_cut_flush_wrote_leave_the_pool_only_with_the_rest_of_a_batch() {
    let store = InMemoryStore::default();
    let election = election(&store).await;
    votes(&store, &election, 12).await;
    // GIVEN every copy pooled (k too high to flush), and a flush of the fullest pool that
    // wrote some of its ballots before it died, all but one
    take_all(&store, &midday(), 100).await;
    let mut fullest = Vec::new();
    for pool in store.pools(&election) {
        let pooled = store.pooled(&pool, usize::MAX).await.unwrap();
        if pooled.len() > fullest.len() {
            fullest = pooled;
        }
    }
    let mut written = Vec::new();
    for copy in &fullest[..fullest.len() - 1] {
        written.push(TestSealer.open_ballot(&copy.ballot).await.unwrap());
    }
    store.put_ballots("cut", &written).await.unwrap();
    let written_keys: Vec<&String> = fullest[..fullest.len() - 1].iter().map(|c| &c.key).collect();

    // WHEN the next flush finds them in the box, with fewer than k new: nothing is written,
    // and they stay in the pool (taken out alone, they would show a reader of the requests
    // which copies of the cut batch were written, and so which one was not)
    tick(&store, &TestSealer, &midday(), &mixing(8)).await.unwrap();
    assert!(
        !store
            .mixer_requests()
            .iter()
            .any(|r| matches!(r, MixerRequest::Unpool(_))),
        "{:?}",
        store.mixer_requests()
    );

    // THEN the final flush writes the last one, and takes every copy of the pool out at once
    let after = FixedClock(at(ENDS) + TimeDelta::minutes(1));
    tick(&store, &TestSealer, &after, &mixing(8)).await.unwrap();
    for request in store.mixer_requests() {
        if let MixerRequest::Unpool(keys) = request {
            if keys.iter().any(|k| written_keys.contains(&k)) {
                assert_eq!(keys.len(), fullest.len(), "{keys:?}");
            }
        }
    }
    assert!(pooled(&store, &election).await.iter().all(|&n| n == 0));
}

#[tokio::test]
async fn a_pool_under_another_flush_s_lease_is_left_to_it_until_the_lease_lapses() {
    let store = InMemoryStore::default();
    let election = election(&store).await;
    votes(&store, &election, 4).await;
    take_all(&store, &midday(), 100).await;
    let now = midday().0;
    for pool in store.pools(&election) {
        assert!(store
            .lease(&pool, "another", now, now + TimeDelta::seconds(70))
            .await
            .unwrap());
    }

    let held = tick(&store, &TestSealer, &midday(), &mixing(1)).await.unwrap();
    assert_eq!(held.written, 0);

    let later = FixedClock(now + TimeDelta::seconds(71));
    let lapsed = tick(&store, &TestSealer, &later, &mixing(1)).await.unwrap();
    assert_eq!(lapsed.written, 4);
}

#[tokio::test]
async fn certification_waits_while_a_ballot_is_pooled() {
    let store = InMemoryStore::default();
    let election = election(&store).await;
    votes(&store, &election, 3).await;
    take_all(&store, &midday(), 100).await;
    assert!(mixing_pending(&store, &election).await.unwrap());

    let after = FixedClock(at(ENDS) + TimeDelta::minutes(1));
    tick(&store, &TestSealer, &after, &mixing(100)).await.unwrap();
    assert!(!mixing_pending(&store, &election).await.unwrap());
    assert_eq!(in_box(&store).len(), 3);
}
