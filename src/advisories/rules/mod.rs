//! The lifecycle's rules, one file each, all with one signature:
//!
//! ```text
//! fn decide(ctx: &Context, report: &Lifecycle, draft: &mut Draft)
//! ```
//!
//! A rule reads the roster, what was read and the ledger through the
//! [`Context`](super::model::Context), and asks the report's
//! [`Draft`](super::model::Draft) for changes. [`super::plan`] calls them in
//! [`ORDER`]; a closing command stops the rest for that report.
//!
//! - [`commands`]: what members asked (title tags today, `/psrt` commands
//!   next): close, or accept;
//! - [`former`]: former members lose access to every unpublished report;
//! - [`team`]: the team on every open report, members outside it as users;
//! - [`fork`]: a temporary private fork for every draft without one;
//! - [`cve`]: a CVE id for every draft of `cve.repos` without one, and what
//!   becomes of the ledger's reservation ([`cve::reservation`]);
//! - [`coordinator`]: a coordinator for a triage report past the grace period;
//! - [`credits`]: remediation credits from the private fork's pull requests;
//! - [`discussion`]: after the others, from the report as it will be: the
//!   status comment and the deadline thresholds' comments
//!   ([`discussion::plan`], and [`discussion::until`]: when a report's plan
//!   changes by itself).

pub mod commands;
pub mod coordinator;
pub mod credits;
pub mod cve;
pub mod discussion;
pub mod fork;
pub mod former;
pub mod team;

use super::model::{Context, Draft};
use crate::github::advisories::Lifecycle;

/// A rule.
pub(crate) type Rule = fn(&Context<'_>, &Lifecycle, &mut Draft<'_>);

/// When a rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Applies {
    /// To every report planned (triage, draft, closed).
    Always,
    /// To open reports (triage, draft) only.
    Open,
}

/// The rules after the commands, in the order they decide.
pub(crate) const ORDER: &[(Applies, Rule)] = &[
    (Applies::Always, former::decide),
    (Applies::Open, team::decide),
    (Applies::Open, fork::decide),
    (Applies::Open, cve::decide),
    (Applies::Open, coordinator::decide),
    (Applies::Open, credits::decide),
];
