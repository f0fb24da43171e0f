//! The ballot lists (spec 8.1, 9.3, 9.4, 10): every chunk file checked on its own by a pool of
//! threads, then the per-chunk results combined in chunk order: the digests `D` and `D_s`, the
//! sums of `α` and `β`, and the uniqueness of ids, tracking codes and `α` (V15–V19).

use std::collections::HashSet;
use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::traits::Identity;

use crate::ballots::{self, Context};
use crate::encoding;
use crate::hash::Framed;
use crate::record::{self, Ballot, Chunk, ChunkRef, Index, ListIndex, SpoiledBallot};
use crate::report::Report;
use crate::unique::{self, Keys};

pub const CHUNK_SIZE: u64 = 10_000;

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    Cast,
    Spoiled,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Cast => "cast",
            Kind::Spoiled => "spoiled",
        }
    }

    /// The check that covers the list's layout and digest.
    fn check(self) -> usize {
        match self {
            Kind::Cast => 16,
            Kind::Spoiled => 17,
        }
    }

    pub(crate) fn file(self, q: usize) -> String {
        format!("ballots/{}-{q:06}.json", self.name())
    }
}

/// Where a ballot is, for failures.
#[derive(Clone, Copy)]
pub(crate) struct Loc {
    pub(crate) kind: Kind,
    pub(crate) chunk: u32,
    pub(crate) pos: u32,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} chunk {} ballot {}", self.kind.name(), self.chunk, self.pos)
    }
}

/// What checking one chunk file yields.
struct Outcome {
    report: Report,
    ballots: u64,
    /// The chunk digest over the published tracking codes, where they all decode.
    digest: Option<[u8; 64]>,
    /// `(A_j, B_j)` over the chunk's ballots, where every ballot is well formed (cast only).
    sums: Option<Vec<(RistrettoPoint, RistrettoPoint)>>,
    /// Every `α` of the chunk's well-formed ballots, every id and tracking code that decodes,
    /// for the uniqueness checks.
    keys: Keys,
}

/// A list as recomputed: its ballot count, digest and (cast only) componentwise sums.
pub struct List {
    pub count: u64,
    pub digest: Option<[u8; 64]>,
    pub sums: Option<Vec<(RistrettoPoint, RistrettoPoint)>>,
}

pub struct Lists {
    pub cast: List,
    pub spoiled: List,
}

/// Checks both lists with `threads` workers; V12–V19, and V25 for the tracking codes listed
/// as `late`.
pub fn check(
    dir: &Path,
    index: &Index,
    ctx: &Context,
    late: &HashSet<[u8; 64]>,
    threads: usize,
    report: &mut Report,
) -> Lists {
    if index.chunk_size != CHUNK_SIZE {
        report.fail(16, format!("chunk_size is {}, not {CHUNK_SIZE}", index.chunk_size));
    }
    unlisted_files(dir, index, report);
    let jobs: Vec<(Kind, usize, &ChunkRef, bool)> = [(Kind::Cast, &index.cast), (Kind::Spoiled, &index.spoiled)]
        .into_iter()
        .flat_map(|(kind, list)| {
            let last = list.chunks.len().saturating_sub(1);
            list.chunks
                .iter()
                .enumerate()
                .map(move |(q, r)| (kind, q, r, q == last))
        })
        .collect();
    let next = AtomicUsize::new(0);
    let mut outcomes: Vec<Option<Outcome>> = (0..jobs.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&(kind, q, chunk_ref, last)) = jobs.get(i) else {
                            break done;
                        };
                        done.push((i, check_chunk(dir, ctx, late, kind, q, chunk_ref, last)));
                    }
                })
            })
            .collect();
        for w in workers {
            for (i, outcome) in w.join().expect("a chunk worker panicked") {
                outcomes[i] = Some(outcome);
            }
        }
    });
    let mut outcomes: Vec<Outcome> = outcomes.into_iter().map(|o| o.expect("every job ran")).collect();
    let mut keys: Vec<Keys> = outcomes.iter_mut().map(|o| std::mem::take(&mut o.keys)).collect();
    unique::check(dir, index.cast.chunks.len(), &mut keys, report);
    drop(keys);
    let (cast, spoiled) = outcomes.split_at(index.cast.chunks.len());
    let cast = combine(Kind::Cast, &index.cast, ctx, cast, report);
    let spoiled = combine(Kind::Spoiled, &index.spoiled, ctx, spoiled, report);
    for o in outcomes {
        report.merge(o.report);
    }
    Lists { cast, spoiled }
}

/// A chunk file in `ballots/` that the index does not list would be a ballot nobody counts
/// (or checks): refused.
fn unlisted_files(dir: &Path, index: &Index, report: &mut Report) {
    let listed: HashSet<String> = [(Kind::Cast, &index.cast), (Kind::Spoiled, &index.spoiled)]
        .iter()
        .flat_map(|(kind, list)| (0..list.chunks.len()).map(|q| kind.file(q)))
        .collect();
    let Ok(entries) = std::fs::read_dir(dir.join("ballots")) else {
        return;
    };
    for entry in entries.flatten() {
        let name = format!("ballots/{}", entry.file_name().to_string_lossy());
        if !listed.contains(&name) {
            let check = if name.starts_with("ballots/spoiled-") { 17 } else { 16 };
            report.fail(check, format!("{name} is not listed in index.json"));
        }
    }
}

fn check_chunk(
    dir: &Path,
    ctx: &Context,
    late: &HashSet<[u8; 64]>,
    kind: Kind,
    q: usize,
    chunk_ref: &ChunkRef,
    last: bool,
) -> Outcome {
    let qbar = ctx.qbar();
    let mut out = Outcome {
        report: Report::default(),
        ballots: 0,
        digest: None,
        sums: None,
        keys: Keys::default(),
    };
    let check = kind.check();
    let file = kind.file(q);
    if chunk_ref.file != file {
        out.report.fail(
            check,
            format!("index lists chunk {q} as {:?}, not {file:?}", chunk_ref.file),
        );
    }
    let bytes = match record::read_bytes(dir, &file) {
        Ok(b) => b,
        Err(e) => return unreadable(out, kind, check, &file, e),
    };
    let ballots: Vec<(&Ballot, Option<&SpoiledBallot>)>;
    let (cast_chunk, spoiled_chunk);
    let (chunk_kind, chunk_number) = match kind {
        Kind::Cast => match record::parse::<Chunk<Ballot>>(&bytes, &file) {
            Ok(c) => {
                cast_chunk = c;
                ballots = cast_chunk.ballots.iter().map(|b| (b, None)).collect();
                (&*cast_chunk.kind, cast_chunk.chunk)
            }
            Err(e) => return unreadable(out, kind, check, &file, e),
        },
        Kind::Spoiled => match record::parse::<Chunk<SpoiledBallot>>(&bytes, &file) {
            Ok(c) => {
                spoiled_chunk = c;
                ballots = spoiled_chunk.ballots.iter().map(|s| (&s.ballot, Some(s))).collect();
                (&*spoiled_chunk.kind, spoiled_chunk.chunk)
            }
            Err(e) => return unreadable(out, kind, check, &file, e),
        },
    };
    if chunk_kind != kind.name() || chunk_number != q as u64 {
        out.report
            .fail(check, format!("{file} says kind {chunk_kind:?} chunk {chunk_number}"));
    }
    out.ballots = ballots.len() as u64;
    if out.ballots != chunk_ref.count {
        out.report.fail(
            check,
            format!(
                "{file} holds {} ballots, the index says {}",
                out.ballots, chunk_ref.count
            ),
        );
    }
    if out.ballots == 0 {
        // Spec 8.1: no chunk is empty; an empty list has no chunks at all.
        out.report
            .fail(check, format!("{file} holds no ballots: a chunk is never empty"));
    }
    if !last && out.ballots != CHUNK_SIZE {
        out.report.fail(
            check,
            format!("{file} holds {} ballots but is not the last chunk", out.ballots),
        );
    }

    let checks = if kind == Kind::Cast {
        &ballots::CAST
    } else {
        &ballots::SPOILED
    };
    out.keys.ballots = u32::try_from(ballots.len()).unwrap_or(u32::MAX);
    // Sized once: grown by doubling, a chunk's vectors could hold up to twice their entries
    // until the uniqueness checks gather them.
    out.keys.alphas.reserve_exact(ctx.m() * ballots.len());
    out.keys.ids.reserve_exact(ballots.len());
    out.keys.codes.reserve_exact(ballots.len());
    let mut sums = Some(vec![(RistrettoPoint::identity(), RistrettoPoint::identity()); ctx.m()]);
    let mut codes = Some(Vec::with_capacity(64 * ballots.len()));
    for (pos, (ballot, spoiled)) in ballots.into_iter().enumerate() {
        let loc = Loc {
            kind,
            chunk: q as u32,
            pos: pos as u32,
        };
        let at = At {
            loc,
            id: &ballot.ballot_id,
        };
        let id = encoding::ballot_id(&ballot.ballot_id);
        let code = encoding::digest(&ballot.tracking_code);
        let checked = ballots::check(ctx, ballot, &id, &code, &at, checks, &mut out.report);
        if let Ok(id) = id {
            out.keys.id(loc.pos, id);
        }
        match code {
            Ok(code) => {
                if late.contains(&code) {
                    out.report
                        .fail(25, format!("{at}: its tracking code is listed as late"));
                }
                out.keys.code(loc.pos, &code);
                if let Some(c) = codes.as_mut() {
                    c.extend_from_slice(&code);
                }
            }
            Err(_) => codes = None,
        }
        match (checked, spoiled) {
            (Some(checked), Some(spoiled)) => {
                out.keys
                    .alphas(loc.pos, checked.encrypted.iter().map(|e| &e.alpha.bytes));
                ballots::check_reveal(ctx, &checked, &spoiled.reveal, &at, &mut out.report)
            }
            (Some(checked), None) => {
                out.keys
                    .alphas(loc.pos, checked.encrypted.iter().map(|e| &e.alpha.bytes));
                if let Some(sums) = sums.as_mut() {
                    for ((a, b), e) in sums.iter_mut().zip(&checked.encrypted) {
                        *a += e.alpha.point;
                        *b += e.beta.point;
                    }
                }
            }
            (None, Some(_)) => {
                out.report
                    .fail(18, format!("{at}: reveal not checked, the ballot is malformed (V17)"));
                out.report
                    .fail(19, format!("{at}: not checked, the spoiled ballot is malformed (V17)"));
            }
            (None, None) => sums = None,
        }
    }
    if kind == Kind::Cast {
        out.sums = sums;
    }
    out.digest = codes.map(|codes| {
        Framed::new(&format!("ee1/{}-chunk", kind.name()))
            .field(qbar)
            .u64(q as u64)
            .u64(out.ballots)
            .field(&codes)
            .digest()
    });
    match (out.digest, encoding::digest(&chunk_ref.digest)) {
        (Some(d), Ok(published)) if d == published => {}
        (Some(_), Ok(_)) => out
            .report
            .fail(check, format!("{file}: chunk digest does not recompute")),
        (None, _) => out.report.fail(
            check,
            format!("{file}: chunk digest not recomputed, a tracking code does not decode"),
        ),
        (_, Err(e)) => out.report.fail(check, format!("index digest of chunk {q}: {e}")),
    }
    out
}

/// A chunk file that cannot be read or parsed: its ballots' checks fail as not checked.
fn unreadable(mut out: Outcome, kind: Kind, check: usize, file: &str, e: String) -> Outcome {
    out.report.fail(check, e);
    let (checks, covers): (&[usize], _) = match kind {
        Kind::Cast => (&[12, 13, 14, 15, 19], "V16"),
        Kind::Spoiled => (&[18, 19], "V17"),
    };
    for &c in checks {
        out.report
            .fail(c, format!("not checked: the ballots of {file} ({covers})"));
    }
    out
}

/// Names a ballot in failures: `cast chunk 3 ballot 17 (id …)`, formatted only when one fails.
struct At<'a> {
    loc: Loc,
    id: &'a str,
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} (id {})", self.loc, self.id)
    }
}

/// The list's digest (`D` or `D_s`), count and sums from its chunks, checked against the index.
fn combine(kind: Kind, index: &ListIndex, ctx: &Context, outcomes: &[Outcome], report: &mut Report) -> List {
    let check = kind.check();
    let qbar = ctx.qbar();
    let count: u64 = outcomes.iter().map(|o| o.ballots).sum();
    if index.count != count {
        report.fail(
            check,
            format!(
                "index says {} {} ballots, the chunks hold {count}",
                index.count,
                kind.name()
            ),
        );
    }
    let digests: Option<Vec<u8>> = outcomes
        .iter()
        .map(|o| o.digest)
        .collect::<Option<Vec<_>>>()
        .map(|d| d.concat());
    let digest = digests.map(|d| {
        Framed::new(&format!("ee1/{}", kind.name()))
            .field(qbar)
            .u64(count)
            .u64(outcomes.len() as u64)
            .field(&d)
            .digest()
    });
    match (digest, encoding::digest(&index.digest)) {
        (Some(d), Ok(published)) if d == published => {}
        (Some(_), Ok(_)) => report.fail(check, format!("{} digest does not recompute", kind.name())),
        (None, _) => report.fail(
            check,
            format!("{} digest not recomputed: a chunk digest is missing", kind.name()),
        ),
        (_, Err(e)) => report.fail(check, format!("index {} digest: {e}", kind.name())),
    }
    let sums = outcomes
        .iter()
        .map(|o| o.sums.as_ref())
        .collect::<Option<Vec<_>>>()
        .map(|chunks| {
            let mut total = vec![(RistrettoPoint::identity(), RistrettoPoint::identity()); ctx.m()];
            for chunk in chunks {
                for ((a, b), (ca, cb)) in total.iter_mut().zip(chunk) {
                    *a += ca;
                    *b += cb;
                }
            }
            total
        });
    List { count, digest, sums }
}
