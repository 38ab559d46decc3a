//! The messages section: which message went out for which report, so that
//! each is sent once (`psrt deadlines --send`). Keys are a kind and, for
//! warnings and overdue notices, a threshold: `warn-30`, `overdue-7`,
//! `unassigned`, `reassign`. Never who a message went to.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::ids::GhsaId;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Messages(pub(super) BTreeMap<GhsaId, BTreeMap<String, DateTime<Utc>>>);

impl Messages {
    /// Was this message sent for this report?
    pub fn has(&self, ghsa_id: &str, key: &str) -> bool {
        self.0.get(ghsa_id).is_some_and(|s| s.contains_key(key))
    }

    /// Messages sent for a report: key → when.
    pub fn sent(&self, ghsa_id: &str) -> impl Iterator<Item = (&str, DateTime<Utc>)> {
        self.0
            .get(ghsa_id)
            .into_iter()
            .flat_map(|s| s.iter().map(|(k, at)| (k.as_str(), *at)))
    }

    /// Records a message as sent (the first time counts).
    pub(super) fn record(&mut self, ghsa_id: &str, key: &str, at: DateTime<Utc>) {
        self.0
            .entry(GhsaId::new(ghsa_id))
            .or_default()
            .entry(key.to_owned())
            .or_insert(at);
    }

    /// When a message was last sent for this report, if ever.
    pub fn when(&self, ghsa_id: &str, key: &str) -> Option<DateTime<Utc>> {
        self.0.get(ghsa_id).and_then(|s| s.get(key)).copied()
    }

    /// Records a message as sent now (a reminder moves the time on).
    pub(super) fn record_latest(&mut self, ghsa_id: &str, key: &str, at: DateTime<Utc>) {
        self.0
            .entry(GhsaId::new(ghsa_id))
            .or_default()
            .insert(key.to_owned(), at);
    }
}
