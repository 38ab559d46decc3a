//! Validators of conditional requests: for each GitHub URL psrt read (a
//! page of a list), the `ETag` of the answer it acted upon, so that the next run asks
//! `If-None-Match` and GitHub answers `304 Not Modified` (no body, no
//! rate-limit point) when nothing changed. Keyed by URL (path and query),
//! never by a person; an `ETag` is a hash of an answer GitHub computed,
//! which nobody can reverse into the answer.
//!
//! A page of a list also keeps the URL of the page after it, so that a run
//! that finds the first page unchanged knows which pages to ask about next
//! (GitHub's `304` carries no `Link` header to follow).
//!
//! The ledger keeps them (its validators section); the GitHub client asks
//! with them. A module of its own, beneath both and importing neither: the
//! client is part of the approvals judge (CODEOWNERS: the Steering
//! Council's), the ledger is not.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Entries not confirmed for this long are dropped (a report closed long
/// ago, a fork deleted).
pub const KEEP_DAYS: i64 = 8;

/// One answer's validator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Validator {
    pub etag: String,
    /// The next page of the list this page belongs to (path and query).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// When GitHub last gave or confirmed it.
    pub at: DateTime<Utc>,
}

/// URL (path and query) → validator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Validators(pub BTreeMap<String, Validator>);

impl Validators {
    pub fn get(&self, url: &str) -> Option<&Validator> {
        self.0.get(url)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// These validators over the old ones, and the old ones not confirmed
    /// in [`KEEP_DAYS`] dropped.
    pub fn merge(&mut self, newer: Validators, now: DateTime<Utc>) {
        self.0.extend(newer.0);
        let horizon = now - Duration::days(KEEP_DAYS);
        self.0.retain(|_, v| v.at >= horizon);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_validators_win_and_old_ones_age_out() {
        let now = Utc::now();
        let v = |etag: &str, days: i64| Validator {
            etag: etag.into(),
            next: None,
            at: now - Duration::days(days),
        };
        let mut held = Validators(
            [
                ("/a".to_owned(), v("1", 1)),
                ("/b".to_owned(), v("2", 1)),
                ("/old".to_owned(), v("3", KEEP_DAYS + 1)),
            ]
            .into(),
        );
        held.merge(Validators([("/a".to_owned(), v("9", 0))].into()), now);
        assert_eq!(held.get("/a").map(|v| v.etag.as_str()), Some("9"));
        assert_eq!(held.get("/b").map(|v| v.etag.as_str()), Some("2"));
        assert!(held.get("/old").is_none());
    }
}
