//! The uniqueness checks (V15, V17, V19) over every ballot of the record, kept lean: a record
//! of tens of millions of ballots must not hold each one's `α`s and tracking code in memory.
//!
//! Each `α` and tracking code is kept as its first 8 bytes (big-endian, so that sorting by it
//! sorts by the value) and where it is (16 bytes an entry); a ballot id, 16 bytes, is kept
//! whole with where it is (24 bytes). After one sort, the entries whose 8-byte prefixes are
//! equal are the only candidates for equal values: those ballots are read again from their
//! chunk files and their full values compared. The values are random (points from random
//! nonces, SHA-512 digests), so an honest record has next to no prefix collisions (about
//! `n²/2^65` of them among `n` values); a record forged to collide costs one more read of the
//! ballots it names and their full values in memory, never a missed duplicate.

use std::collections::HashMap;
use std::path::Path;

use crate::chunks::{Kind, Loc};
use crate::encoding;
use crate::record::{self, Ballot, Chunk, SpoiledBallot};
use crate::report::Report;

/// The top bit of `Entry::chunk` says the ballot is spoiled, so that cast entries sort first.
const SPOILED: u32 = 1 << 31;

/// An `α` or a tracking code: its first 8 bytes and where it is. `slot` is the ballot's position
/// in its chunk for a code, `position · m + j` for the `α` of candidate `j`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    prefix: u64,
    chunk: u32,
    slot: u32,
}

/// A ballot id, whole, and where it is.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct IdEntry {
    id: [u8; 16],
    chunk: u32,
    pos: u32,
}

fn chunk_key(kind: Kind, chunk: u32) -> u32 {
    match kind {
        Kind::Cast => chunk,
        Kind::Spoiled => chunk | SPOILED,
    }
}

fn loc(chunk: u32, pos: u32) -> Loc {
    Loc {
        kind: if chunk & SPOILED == 0 {
            Kind::Cast
        } else {
            Kind::Spoiled
        },
        chunk: chunk & !SPOILED,
        pos,
    }
}

fn prefix(bytes: &[u8]) -> u64 {
    u64::from_be_bytes(bytes[..8].try_into().expect("at least 8 bytes"))
}

/// What one chunk contributes. The locations must fit the entries (see `fits`).
#[derive(Default)]
pub struct Keys {
    pub alphas: Vec<Entry>,
    pub ids: Vec<IdEntry>,
    pub codes: Vec<Entry>,
}

impl Keys {
    /// Whether chunk `chunk` of `ballots` ballots of `m` candidates fits the entries: chunk
    /// numbers below 2^31, `position · m + j` below 2^32 (a chunk holds 10,000 ballots).
    pub fn fits(chunk: usize, ballots: usize, m: usize) -> bool {
        chunk < SPOILED as usize && (ballots as u64) * (m.max(1) as u64) <= u32::MAX as u64
    }

    pub fn id(&mut self, kind: Kind, chunk: u32, pos: u32, id: [u8; 16]) {
        let chunk = chunk_key(kind, chunk);
        self.ids.push(IdEntry { id, chunk, pos });
    }

    pub fn code(&mut self, kind: Kind, chunk: u32, pos: u32, code: &[u8; 64]) {
        let chunk = chunk_key(kind, chunk);
        self.codes.push(Entry {
            prefix: prefix(code),
            chunk,
            slot: pos,
        });
    }

    /// The `α`s of a well-formed ballot, `m` of them.
    pub fn alphas<'a>(
        &mut self,
        kind: Kind,
        chunk: u32,
        pos: u32,
        m: usize,
        alphas: impl Iterator<Item = &'a [u8; 32]>,
    ) {
        let chunk = chunk_key(kind, chunk);
        for (j, a) in alphas.enumerate() {
            self.alphas.push(Entry {
                prefix: prefix(a),
                chunk,
                slot: pos * m as u32 + j as u32,
            });
        }
    }
}

/// One vector of all the chunks' entries, each chunk's freed as it is moved: the peak is the
/// total and one chunk, not twice the total.
fn gather<T>(keys: &mut [Keys], part: impl Fn(&mut Keys) -> &mut Vec<T>) -> Vec<T> {
    let total = keys.iter_mut().map(|k| part(k).len()).sum();
    let mut all = Vec::with_capacity(total);
    for k in keys.iter_mut() {
        all.append(part(k));
        *part(k) = Vec::new();
    }
    all
}

/// The runs of two or more entries with one prefix, in order.
fn collisions(sorted: &[Entry]) -> Vec<&[Entry]> {
    sorted
        .chunk_by(|a, b| a.prefix == b.prefix)
        .filter(|run| run.len() > 1)
        .collect()
}

/// The full values of the ballots read again: each `α` (by candidate) and the tracking code.
#[derive(Default)]
struct Values {
    alphas: Vec<Option<[u8; 32]>>,
    code: Option<[u8; 64]>,
}

/// Reads again the ballots at `(chunk key, position)`, each chunk file once. A ballot that no
/// longer reads (the file changed under the verifier) is left out: its entries match nothing.
fn reread(dir: &Path, mut wanted: Vec<(u32, u32)>) -> HashMap<(u32, u32), Values> {
    wanted.sort_unstable();
    wanted.dedup();
    let mut found = HashMap::with_capacity(wanted.len());
    for group in wanted.chunk_by(|a, b| a.0 == b.0) {
        let chunk = group[0].0;
        let at = loc(chunk, 0);
        let file = at.kind.file(at.chunk as usize);
        let Ok(bytes) = record::read_bytes(dir, &file) else {
            continue;
        };
        let values = |b: &Ballot| Values {
            alphas: b
                .ciphertexts
                .iter()
                .map(|c| encoding::bytes::<32>(&c.alpha).ok())
                .collect(),
            code: encoding::digest(&b.tracking_code).ok(),
        };
        let mut take = |ballot: &dyn Fn(usize) -> Option<Values>| {
            for &(_, pos) in group {
                if let Some(v) = ballot(pos as usize) {
                    found.insert((chunk, pos), v);
                }
            }
        };
        match at.kind {
            Kind::Cast => {
                if let Ok(c) = record::parse::<Chunk<Ballot>>(&bytes, &file) {
                    take(&|pos| c.ballots.get(pos).map(values));
                }
            }
            Kind::Spoiled => {
                if let Ok(c) = record::parse::<Chunk<SpoiledBallot>>(&bytes, &file) {
                    take(&|pos| c.ballots.get(pos).map(|s| values(&s.ballot)));
                }
            }
        }
    }
    found
}

/// V15, V17 and V19 over every chunk's keys (cast chunks and spoiled ones, any order): ballot
/// ids, tracking codes and `α` distinct among the cast ballots (V15); ids and codes distinct
/// among the spoiled ballots (V17); no spoiled ballot's id or code among the cast ones, and no
/// cast `α` equal to a spoiled `α`, whose nonce is public (V19). `m` is the candidates' count.
pub fn check(dir: &Path, m: usize, keys: &mut [Keys], report: &mut Report) {
    let mut alphas = gather(keys, |k| &mut k.alphas);
    alphas.sort_unstable();
    let mut codes = gather(keys, |k| &mut k.codes);
    codes.sort_unstable();
    let alpha_runs = collisions(&alphas);
    let code_runs = collisions(&codes);
    let m32 = m.max(1) as u32;
    let wanted = alpha_runs
        .iter()
        .flat_map(|run| run.iter().map(|e| (e.chunk, e.slot / m32)))
        .chain(code_runs.iter().flat_map(|run| run.iter().map(|e| (e.chunk, e.slot))))
        .collect();
    let values = reread(dir, wanted);

    // α: within each run, the full values sorted (cast before spoiled under one value).
    let mut cast_twice = Vec::new();
    let mut revealed_cast = Vec::new();
    for run in &alpha_runs {
        let mut full: Vec<([u8; 32], bool)> = run
            .iter()
            .filter_map(|e| {
                let v = values.get(&(e.chunk, e.slot / m32))?;
                let a = (*v.alphas.get((e.slot % m32) as usize)?)?;
                Some((a, e.chunk & SPOILED != 0))
            })
            .collect();
        full.sort_unstable();
        for same in full.chunk_by(|a, b| a.0 == b.0) {
            let cast = same.iter().filter(|(_, spoiled)| !spoiled).count();
            // A value cast k times is k − 1 pairs side by side.
            for _ in 1..cast {
                cast_twice.push(same[0].0);
            }
            if cast > 0 && cast < same.len() {
                revealed_cast.push(same[0].0);
            }
        }
    }
    for a in cast_twice {
        report.fail(15, format!("α {} appears twice among the cast ballots", hex::encode(a)));
    }
    for a in revealed_cast {
        report.fail(
            19,
            format!(
                "α {} of a spoiled ballot, whose nonce is public, appears in a cast ballot",
                hex::encode(a)
            ),
        );
    }
    drop(alphas);

    let mut ids = gather(keys, |k| &mut k.ids);
    ids.sort_unstable();
    for w in ids.windows(2).filter(|w| w[0].id == w[1].id) {
        pair(
            "ballot id",
            &w[0].id,
            loc(w[0].chunk, w[0].pos),
            loc(w[1].chunk, w[1].pos),
            report,
        );
    }
    drop(ids);

    for run in &code_runs {
        let mut full: Vec<([u8; 64], u32, u32)> = run
            .iter()
            .filter_map(|e| Some((values.get(&(e.chunk, e.slot))?.code?, e.chunk, e.slot)))
            .collect();
        full.sort_unstable();
        for w in full.windows(2).filter(|w| w[0].0 == w[1].0) {
            pair(
                "tracking code",
                &w[0].0,
                loc(w[0].1, w[0].2),
                loc(w[1].1, w[1].2),
                report,
            );
        }
    }
}

/// Equal keys at `first` and `second` (cast before spoiled): V15 between two cast ballots,
/// V17 between two spoiled ones, V19 between a cast and a spoiled one.
fn pair(what: &str, key: &[u8], first: Loc, second: Loc, report: &mut Report) {
    let check = match (first.kind, second.kind) {
        (Kind::Cast, Kind::Cast) => 15,
        (Kind::Spoiled, Kind::Spoiled) => 17,
        _ => 19,
    };
    report.fail(check, format!("{what} {} at {first} and at {second}", hex::encode(key)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ballot(id: u8, code: &[u8; 64], alpha: &[u8; 32]) -> String {
        let z = "00".repeat(32);
        format!(
            r#"{{"ballot_id":"{}","tracking_code":"{}","ciphertexts":[{{"alpha":"{}","beta":"{z}","proof":{{"c0":"{z}","c1":"{z}","v0":"{z}","v1":"{z}"}}}}],"sum_proof":{{"c":"{z}","v":"{z}"}}}}"#,
            hex::encode([id; 16]),
            hex::encode(code),
            hex::encode(alpha)
        )
    }

    /// Values that share their 8-byte prefix but differ are not duplicates; equal ones are,
    /// under the check their lists call for.
    #[test]
    fn equal_prefixes_are_confirmed_on_the_full_values() {
        let dir = std::env::temp_dir().join(format!("verify-unique-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("ballots")).unwrap();
        let value = |last: u8| {
            let mut v = [7u8; 64];
            v[63] = last;
            v
        };
        let (c1, c2) = (value(1), value(2));
        let alpha = |last: u8| -> [u8; 32] { value(last)[32..].try_into().unwrap() };
        let (a1, a2) = (alpha(1), alpha(2));
        let files = [
            (
                "cast-000000",
                format!(
                    r#"{{"kind":"cast","chunk":0,"ballots":[{},{}]}}"#,
                    ballot(1, &c1, &a1),
                    ballot(2, &c2, &a2)
                ),
            ),
            (
                "cast-000001",
                format!(r#"{{"kind":"cast","chunk":1,"ballots":[{}]}}"#, ballot(3, &c1, &a1)),
            ),
            (
                "spoiled-000000",
                format!(
                    r#"{{"kind":"spoiled","chunk":0,"ballots":[{{"ballot":{},"reveal":{{"choices":[1],"nonces":["{}"]}}}}]}}"#,
                    ballot(4, &value(3), &a2),
                    "00".repeat(32)
                ),
            ),
        ];
        for (name, text) in files {
            std::fs::write(dir.join(format!("ballots/{name}.json")), text).unwrap();
        }
        let mut keys = vec![Keys::default(), Keys::default(), Keys::default()];
        for (k, kind, chunk, pos, id, code, alpha) in [
            (0, Kind::Cast, 0, 0, 1, c1, a1),
            (0, Kind::Cast, 0, 1, 2, c2, a2),
            (1, Kind::Cast, 1, 0, 3, c1, a1),
            (2, Kind::Spoiled, 0, 0, 4, value(3), a2),
        ] {
            let keys = &mut keys[k];
            keys.id(kind, chunk, pos, [id; 16]);
            keys.code(kind, chunk, pos, &code);
            keys.alphas(kind, chunk, pos, 1, [&alpha].into_iter());
        }
        let mut report = Report::default();
        check(&dir, 1, &mut keys, &mut report);
        std::fs::remove_dir_all(&dir).unwrap();
        let out = report.render();
        let twice = format!("α {} appears twice among the cast ballots", hex::encode(a1));
        let code = format!(
            "tracking code {} at cast chunk 0 ballot 0 and at cast chunk 1 ballot 0",
            hex::encode(c1)
        );
        let revealed = format!("α {} of a spoiled ballot", hex::encode(a2));
        for line in [&twice, &code, &revealed] {
            assert!(out.contains(line.as_str()), "{line}\n{out}");
        }
        assert_eq!(out.matches("    ").count(), 3, "{out}");
        assert!(!report.failed(17), "{out}");
    }
}
