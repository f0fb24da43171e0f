//! The turnout view: per district and hour, how many voters of the roll voted. It is kept
//! from participations (`VoterTurnedOut`), never from ballots, and holds no voter and no
//! choice. The voters on the roll come from the roll in force.

use super::{number, Row, RowKey};
use crate::domain::ids::ElectionId;
use crate::domain::roll::{District, Roll};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// The counter of a turnout row: voters who voted.
pub const VOTED: &str = "voted";

/// Turnout of an election, as it stands.
#[derive(Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Turnout {
    pub election_id: ElectionId,
    pub roll_id: String,
    pub on_roll: u64,
    pub voted: u64,
    /// `voted / on_roll` (0 when the roll is empty).
    pub share: f64,
    pub districts: Vec<DistrictTurnout>,
    /// Every hour in which someone voted, in order, with the running total.
    pub hours: Vec<HourTurnout>,
}

#[derive(Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DistrictTurnout {
    pub district: District,
    pub on_roll: u64,
    pub voted: u64,
    pub share: f64,
    /// Voters of the district who voted, by hour.
    pub by_hour: Vec<HourCount>,
}

#[derive(Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HourCount {
    pub hour: DateTime<Utc>,
    pub voted: u64,
}

#[derive(Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HourTurnout {
    pub hour: DateTime<Utc>,
    pub voted: u64,
    /// Voters who had voted by the end of this hour.
    pub voted_so_far: u64,
    /// `voted_so_far / on_roll`.
    pub share_so_far: f64,
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        // Rounded to four places: a share, not a count that could be inverted.
        (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0
    }
}

/// How many voters voted, by the turnout rows: the election's participations, each
/// counted once (the rows are kept exactly once, by event).
pub fn voted(rows: &[(RowKey, Row)]) -> u64 {
    rows.iter()
        .filter(|(key, _)| matches!(key, RowKey::Turnout(..)))
        .map(|(_, row)| number(row, VOTED).unwrap_or(0))
        .sum()
}

/// Turnout from the roll in force and the turnout rows (as
/// [`ViewStore::turnout_rows`] reads them: a counter may come as many rows, which add up).
///
/// [`ViewStore::turnout_rows`]: crate::ports::ViewStore::turnout_rows
pub fn turnout(election_id: &ElectionId, roll: &Roll, rows: &[(RowKey, Row)]) -> Turnout {
    let mut cells: BTreeMap<(District, DateTime<Utc>), u64> = BTreeMap::new();
    for (key, row) in rows {
        if let RowKey::Turnout(_, district, hour) = key {
            *cells.entry((district.clone(), *hour)).or_default() += number(row, VOTED).unwrap_or(0);
        }
    }
    let mut districts: BTreeMap<District, DistrictTurnout> = roll
        .districts
        .iter()
        .map(|(district, on_roll)| {
            let row = DistrictTurnout {
                district: district.clone(),
                on_roll: *on_roll,
                voted: 0,
                share: 0.0,
                by_hour: Vec::new(),
            };
            (district.clone(), row)
        })
        .collect();
    let mut hours: BTreeMap<DateTime<Utc>, u64> = BTreeMap::new();
    for ((district, hour), voted) in cells {
        let row = districts.entry(district.clone()).or_insert_with(|| DistrictTurnout {
            district,
            on_roll: 0,
            voted: 0,
            share: 0.0,
            by_hour: Vec::new(),
        });
        row.voted += voted;
        row.by_hour.push(HourCount { hour, voted });
        *hours.entry(hour).or_default() += voted;
    }
    let on_roll = roll.voters();
    let mut so_far = 0;
    let hours = hours
        .into_iter()
        .map(|(hour, voted)| {
            so_far += voted;
            HourTurnout {
                hour,
                voted,
                voted_so_far: so_far,
                share_so_far: share(so_far, on_roll),
            }
        })
        .collect();
    let districts: Vec<DistrictTurnout> = districts
        .into_values()
        .map(|mut d| {
            d.share = share(d.voted, d.on_roll);
            d
        })
        .collect();
    let voted = districts.iter().map(|d| d.voted).sum();
    Turnout {
        election_id: election_id.clone(),
        roll_id: roll.id.to_string(),
        on_roll,
        voted,
        share: share(voted, on_roll),
        districts,
        hours,
    }
}
