//! The steady section: what the last hourly run that did everything it
//! planned left behind, so that the next run can tell, from conditional
//! requests alone, that nothing changed and nothing is due, and stop there
//! (no plan, no rate-limit point). Numbers, times, report ids and the names
//! of the private forks' repositories; no person.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::GhsaId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Steady {
    /// Of what the plan depends on besides GitHub: the roster (a public
    /// file) and the format of psrt's own comments.
    pub fingerprint: String,
    /// The plan changes by itself at this time (a coordinator's grace
    /// period ends, a deadline threshold arrives, the daily full read of
    /// the discussions).
    pub until: DateTime<Utc>,
    /// Reports read per repository (what the run's summary says).
    pub reports: BTreeMap<String, usize>,
    /// The drafts' private forks whose pull requests give credits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forks: Vec<Fork>,
}

/// A draft's private fork, and the numbers of its pull requests (their
/// reviews are asked about by number when the list itself is unchanged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fork {
    pub report: GhsaId,
    pub repo: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pulls: Vec<u64>,
}

impl Steady {
    /// The pull request numbers of a report's fork, as the run that left
    /// this saw them.
    pub fn fork_pulls(&self, report: &GhsaId, repo: &str) -> Option<&[u64]> {
        self.forks
            .iter()
            .find(|f| &f.report == report && f.repo.eq_ignore_ascii_case(repo))
            .map(|f| f.pulls.as_slice())
    }
}
