//! Plans: what a service needs to match the roster, as plain data.

use std::fmt;

use serde::Serialize;

/// A service psrt reconciles with the roster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Github,
    Mailman,
    Discord,
    /// Advisory hygiene (`psrt advisories`), reported like a service.
    #[value(skip)]
    Advisories,
}

impl Service {
    pub const ALL: [Service; 3] = [Service::Github, Service::Mailman, Service::Discord];
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Github => "github",
            Service::Mailman => "mailman",
            Service::Discord => "discord",
            Service::Advisories => "advisories",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One change to one service. Implementations are enums
/// (`TeamChange::{Add, SetRole, Remove}`...), ordered so that plans print
/// the same way every time and additions go before removals.
pub trait Change: fmt::Debug + Clone + Ord + Send + Sync {
    /// A short verb: `add`, `role`, `remove`...
    fn action(&self) -> &'static str;
    /// Who or what the change is about.
    fn subject(&self) -> String;
    /// Anything else worth showing (`member`, `member → maintainer`).
    fn detail(&self) -> Option<String>;
    /// Does this change take someone out? (The removal cap counts these.)
    fn is_removal(&self) -> bool;
    /// `+`, `~` or `-`.
    fn sign(&self) -> char {
        if self.is_removal() { '-' } else { '+' }
    }
}

/// What a service needs, computed from a complete read.
#[derive(Debug, Clone)]
pub struct Plan<C> {
    pub service: Service,
    /// What is reconciled: `python/psrt`, `security.python.org`...
    pub target: String,
    /// Members the service has now (the removal cap's denominator).
    pub current: usize,
    /// Admins the service keeps for sure after the plan (maintainers, list
    /// owners); `None` where the service has no admin tier.
    pub admins_after: Option<usize>,
    /// Admins it has now.
    pub admins_now: Option<usize>,
    pub changes: Vec<C>,
    /// Facts that are not changes: pending invitations, renames, people
    /// without an address...
    pub notes: Vec<String>,
    /// What the admins must act on, shown every run while it lasts: a
    /// migration setting that keeps unknown holders, an invitation that
    /// failed twice. Not a failure.
    pub warnings: Vec<String>,
    /// Warnings new since the last nightly, emailed to the admins by a
    /// writing run (`--apply`): an invitation whose second failure is fresh.
    pub alerts: Vec<Alert>,
}

/// Something the admins are told by email once (see [`Plan::alerts`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Alert {
    /// What it is about (a login), as the plan shows it.
    pub subject: String,
    /// One line for the email.
    pub message: String,
}

impl<C: Change> Plan<C> {
    pub fn new(service: Service, target: impl Into<String>, current: usize) -> Self {
        Self {
            service,
            target: target.into(),
            current,
            admins_after: None,
            admins_now: None,
            changes: Vec::new(),
            notes: Vec::new(),
            warnings: Vec::new(),
            alerts: Vec::new(),
        }
    }
    /// Sorts changes and notes: the same drift always prints the same plan.
    pub fn sorted(mut self) -> Self {
        self.changes.sort();
        self.changes.dedup();
        self.notes.sort();
        self.notes.dedup();
        self.warnings.sort();
        self.warnings.dedup();
        self.alerts.sort();
        self.alerts.dedup();
        self
    }
    pub fn removals(&self) -> usize {
        self.changes.iter().filter(|c| c.is_removal()).count()
    }
    pub fn views(&self) -> Vec<ChangeView> {
        self.changes
            .iter()
            .map(|c| ChangeView::of(self.service, c))
            .collect()
    }
}

/// A change as printed and serialised: `{service, action, subject, detail}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeView {
    pub service: Service,
    pub action: &'static str,
    pub subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip)]
    pub sign: char,
    /// After `--apply`: `applied`, `failed` or `refused`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<ChangeResult>,
}

impl ChangeView {
    pub fn of<C: Change>(service: Service, c: &C) -> Self {
        Self {
            service,
            action: c.action(),
            subject: c.subject(),
            detail: c.detail(),
            sign: c.sign(),
            result: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum ChangeResult {
    /// Done; `note` says more (e.g. "invited, pending acceptance").
    Applied {
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The service refused it for a reason that retrying cannot fix (e.g. a
    /// person who cannot be invited to the org); reported, not a failure.
    Refused { reason: String },
    /// It went wrong; the run exits 1.
    Failed { error: String },
}
