//! The reports seen section: for every report psrt has read, when it first
//! saw it and the title tag its title carried then. GitHub does not say who
//! wrote a title, and the reporter writes the first one: a tag present when
//! psrt first sees a report is the reporter's, and is ignored while it
//! stays; a tag that appears later counts (`advisories::rules::commands`).
//! Report ids, times and a tag's kind (`accept`, `close`): never a person,
//! never a title.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::GhsaId;

/// What psrt saw of one report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sighting {
    /// When psrt first read the report.
    pub first: DateTime<Utc>,
    /// The tag's kind the title carried then, still ignored: forgotten once
    /// the title is seen without it (so a tag added after that counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignored_tag: Option<TagKind>,
}

/// A title tag's kind, as the ledger keeps it: a word from a closed list, so
/// nothing else can be written there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TagKind {
    Accept,
    Close,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Seen(pub(super) BTreeMap<GhsaId, Sighting>);

impl Seen {
    /// What psrt saw of a report; `None`: never seen (or forgotten).
    pub fn get(&self, ghsa_id: &str) -> Option<&Sighting> {
        self.0.get(ghsa_id)
    }

    /// Every report seen.
    pub fn reports(&self) -> impl Iterator<Item = (&GhsaId, &Sighting)> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// When psrt first read the earliest-seen report it still keeps: every
    /// `first` is the `now` of a run that wrote this ledger, so this ledger
    /// existed then (and perhaps earlier).
    pub fn earliest(&self) -> Option<DateTime<Utc>> {
        self.0.values().map(|s| s.first).min()
    }

    pub(super) fn set(&mut self, ghsa_id: &GhsaId, s: Sighting) {
        self.0.insert(ghsa_id.clone(), s);
    }

    pub(super) fn forget(&mut self, ghsa_id: &str) {
        self.0.remove(ghsa_id);
    }
}
