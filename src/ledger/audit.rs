//! The audit section: which problems `psrt audit` found and told the admins
//! about, so that each is emailed once when it appears, reminded weekly
//! while it lasts and announced once when it clears; when the last weekly
//! digest went out; when the scheduled workflows were last kept alive; when
//! the organisation's repositories were last swept.
//!
//! A problem is named by its kind and its subject (a workflow file, a rule,
//! a repository, a variable or a service), never a person.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What the audit remembers (a top-level `audit` key of the ledger file).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditMemory {
    /// Open problems by key (`kind subject`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub problems: BTreeMap<String, OpenProblem>,
    /// When the weekly "psrt is alive" digest last went out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest_sent: Option<DateTime<Utc>>,
    /// When psrt last kept the active scheduled workflows alive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_alive: Option<DateTime<Utc>>,
    /// When the organisation's repositories were last swept for private
    /// vulnerability reporting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swept: Option<DateTime<Utc>>,
}

impl AuditMemory {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A problem psrt found and has not seen clear yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenProblem {
    /// The kind (`workflow-disabled`, `rule-missing`...).
    pub kind: String,
    /// What it is about: a workflow file, a rule, a repository, a variable.
    pub subject: String,
    /// The check that finds it: a run that made that check and did not
    /// find it clears it; a run that could not make it leaves it open.
    pub scope: String,
    /// When it was first found.
    pub since: DateTime<Utc>,
    /// When the admins were last emailed about it (`None`: not yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emailed: Option<DateTime<Utc>>,
}

impl OpenProblem {
    /// The key it is kept under.
    pub fn key(kind: &str, subject: &str) -> String {
        format!("{kind} {subject}")
    }
}
