//! The discussion section: per report psrt reads (open ones; closed,
//! published and withdrawn ones only for `count` and the commands, which
//! psrt refuses there), what psrt knows of its discussion between hourly
//! runs, so that a report whose discussion did not change costs no
//! request. Never a comment's text, author or any person; numbers and
//! times only.
//!
//! - `count`: the report's `comments` count psrt has read up to: the count
//!   the advisory showed before its comments were listed, plus psrt's own
//!   comments confirmed since (a run that finds the advisory's count equal
//!   reads no comment);
//! - `seen`: the advisory's `updated_at` when psrt last brought its status
//!   comment up to date (or first saw it): a report whose `updated_at`
//!   moved may need its status edited;
//! - `shown`: what the status comment showed then, as a short hash (of its
//!   format and of the report's state, deadline and missing items; the
//!   coordinator is not in it: a new one moves `updated_at`): when the
//!   report's facts or psrt's format change, the status is checked again;
//! - `thresholds`: the deadline thresholds (`warn-30`, …, `overdue`) whose
//!   comment was posted, found posted, or had passed when psrt first saw
//!   the report, and when;
//! - `commands_seen`: `/psrt` command comments psrt has read and not yet
//!   answered, by comment id, with whether each was unedited when psrt
//!   first read it (a command edited later is still obeyed; one edited
//!   before psrt read it never is);
//! - `commands_answered`: the command comments psrt answered, by id: a
//!   reply deleted in GitHub's UI never makes psrt run a command again
//!   (and when this is lost with the ledger, the ledger's `commands_since`
//!   keeps older commands from running: [`super::Ledger::commands_since`]);
//! - `watched_since`: when psrt first saw a report that was no longer open
//!   (closed, published, withdrawn: recorded, not read): the report's
//!   memory of commands begins then if `commands_since` is earlier. A
//!   command written before it with no reply of psrt's is not answered
//!   while the report is not open, not even with `commands_since`'s "write
//!   it again" (at go-live, or after a lost ledger, no old report gets a
//!   reply because psrt started), and is never run: reopened, it gets
//!   "write it again".

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::GhsaId;

/// One report's discussion, as far as the ledger knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Discussion {
    pub count: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shown: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub thresholds: BTreeMap<String, DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub commands_seen: BTreeMap<u64, bool>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub commands_answered: BTreeSet<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watched_since: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Discussions(pub(super) BTreeMap<GhsaId, Discussion>);

impl Discussions {
    /// What the ledger knows of a report's discussion; `None`: psrt has
    /// never watched it.
    pub fn get(&self, ghsa_id: &str) -> Option<&Discussion> {
        self.0.get(ghsa_id)
    }

    /// Was this threshold's comment posted (or passed before psrt watched)?
    pub fn has_threshold(&self, ghsa_id: &str, key: &str) -> bool {
        self.0
            .get(ghsa_id)
            .is_some_and(|d| d.thresholds.contains_key(key))
    }

    /// Was this command comment answered?
    pub fn is_answered(&self, ghsa_id: &str, comment_id: u64) -> bool {
        self.0
            .get(ghsa_id)
            .is_some_and(|d| d.commands_answered.contains(&comment_id))
    }

    /// The reports watched.
    pub fn reports(&self) -> impl Iterator<Item = &GhsaId> {
        self.0.keys()
    }

    pub(super) fn entry(&mut self, ghsa_id: &str) -> &mut Discussion {
        self.0.entry(GhsaId::new(ghsa_id)).or_default()
    }
}
