//! Applying the plan, one advisory at a time: read the advisory again, and
//! write nothing if it changed since the plan (a coordinator's edit is never
//! overwritten; the next run plans again: one extra GET per changed
//! advisory); then run the update's [`Effect`]s in order:
//!
//! 1. [`Effect::Close`]: a closing command closes it, and that is all;
//! 2. [`Effect::Cve`]: the CVE id, by the reserve/record protocol
//!    ([`cve`]);
//! 3. [`Effect::Patch`]: one PATCH with every change (state, CVE id, teams,
//!    users, credits); the ledger forgets the reservation once it landed;
//! 4. [`Effect::CreateFork`]: the temporary private fork (after the PATCH
//!    that makes an accepted report a draft);
//! 5. [`Effect::EmailCoordinator`]: the new coordinator's email.
//!
//! Then, for each report's [`DiscussionPlan`](super::model::DiscussionPlan)
//! (after its update, if it had one, applied): the deadline comment and the
//! status comment ([`comments`]: listed before posting, sent once, looked
//! for after a lost answer). Replies to `/psrt` commands and the
//! announcement of each command obeyed ([`Update::obeyed`]) will be effects
//! of their own.
//!
//! A part that fails is reported and the rest go on: CVE Services down
//! leaves the other changes applied, a refused fork leaves the update
//! applied, a failed PATCH keeps the reserved id for the next run.

pub mod commands;
pub mod comments;
mod cve;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::Notify;
use super::model::{Effect, Seen, Update};
use crate::cve::CveServices;
use crate::github::GitHub;
use crate::github::advisories::AdvisoryUpdate;
use crate::ids::GhsaId;
use crate::ledger::Ledger;

/// What happened to one update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateResult {
    /// Done; the notes say more ("CVE id reserved", "the coordinator was emailed").
    Applied { notes: Vec<String> },
    /// The advisory changed between the plan and the write: nothing written.
    Changed,
    /// Some or all of it failed; `notes` says what did happen.
    Failed { error: String, notes: Vec<String> },
}

/// What applying needs besides GitHub.
pub struct Writer<'a> {
    pub gh: &'a GitHub,
    /// CVE Services, or why it is not available (credentials, no `cve` section).
    pub cve: Result<&'a CveServices, String>,
    /// Saved after each change to it.
    pub ledger: &'a mut Ledger,
    pub notify: Option<&'a Notify<'a>>,
    pub now: DateTime<Utc>,
    /// CVE ids the advisories carried when read (upper case).
    pub carried: &'a BTreeSet<String>,
    /// CVE ids reserved (or found) in this run.
    pub this_run: BTreeSet<String>,
    /// A reservation got no answer, or one that did cannot be found: no
    /// other is asked for this run (so that each lost one is found alone).
    pub cve_blocked: bool,
    /// The advisories' `updated_at` after this run's PATCH (GitHub's
    /// answer), so that psrt's own change is not taken for someone's.
    pub patched_at: BTreeMap<GhsaId, DateTime<Utc>>,
    /// `policy.max_cve_reservations_per_run`: the most ids this run asks
    /// CVE Services for.
    pub max_reservations: u32,
    /// Reservations asked for so far this run.
    pub reserved: u32,
}

/// A save that failed, said where the rest of the update's errors are.
pub(super) fn saved(result: anyhow::Result<()>, errors: &mut Vec<String>) {
    if let Err(e) = result {
        errors.push(format!("the ledger could not be saved: {e:#}"));
    }
}

impl Writer<'_> {
    /// Applies one update: reads it again, then runs its effects in order.
    pub async fn apply(&mut self, u: &Update) -> UpdateResult {
        let mut notes: Vec<String> = Vec::new();
        let mut errors: Vec<String> = Vec::new();
        // Read it again: the plan may be minutes old.
        match self.gh.advisory(&u.repo, &u.ghsa_id).await {
            Ok(now) if Seen::of(&now) == u.seen => {}
            Ok(_) => return UpdateResult::Changed,
            Err(e) => {
                return UpdateResult::Failed {
                    error: format!("cannot read it again before writing: {}", e.reason()),
                    notes,
                };
            }
        }
        let mut cve_id: Option<String> = None;
        // Whether the update's PATCH landed (nothing to write counts).
        let mut patched = true;
        for effect in u.effects() {
            match effect {
                Effect::Close => {
                    return match self.patch(u, u.patch_body(None)).await {
                        Ok(()) => UpdateResult::Applied { notes },
                        Err(e) => UpdateResult::Failed { error: e, notes },
                    };
                }
                Effect::Cve(plan) => {
                    cve_id = self.cve_id(u, &plan, &mut notes, &mut errors).await;
                }
                Effect::Patch => {
                    let Some(body) = u.patch_body(cve_id.as_deref()) else {
                        continue;
                    };
                    match self.patch(u, Some(body)).await {
                        Ok(()) if cve_id.is_some() => saved(
                            self.ledger.reservations_done(&[u.ghsa_id.as_str()]),
                            &mut errors,
                        ),
                        Ok(()) => {}
                        Err(e) => {
                            patched = false;
                            errors.push(if cve_id.is_some() {
                                format!(
                                    "{e}; the CVE id reserved for it stays in the ledger for the next run"
                                )
                            } else {
                                e
                            });
                        }
                    }
                }
                // An accepted report must be a draft first.
                Effect::CreateFork if u.accept && !patched => {
                    errors.push("private fork not created: the move to draft failed".into());
                }
                Effect::CreateFork => {
                    match self.gh.create_private_fork(&u.repo, &u.ghsa_id).await {
                        Ok(()) => notes.push("private fork created".into()),
                        Err(e) => errors.push(format!("private fork not created: {}", e.reason())),
                    }
                }
                // The discussion's, applied by `comments::Talker`.
                Effect::DeadlineComment(_) | Effect::StatusComment => {}
                Effect::EmailCoordinator(_) if !patched => {}
                Effect::EmailCoordinator(login) => match self.notify {
                    Some(notify) => match notify(&login, u).await {
                        Ok(()) => notes.push("the coordinator was emailed".into()),
                        Err(e) => errors.push(format!("the coordinator's email failed: {e:#}")),
                    },
                    None => {
                        notes.push("the coordinator was not emailed (no SMTP configured)".into())
                    }
                },
            }
        }
        if errors.is_empty() {
            UpdateResult::Applied { notes }
        } else {
            UpdateResult::Failed {
                error: errors.join("; "),
                notes,
            }
        }
    }

    async fn patch(&mut self, u: &Update, body: Option<AdvisoryUpdate>) -> Result<(), String> {
        let Some(body) = body else {
            return Ok(());
        };
        let at = self
            .gh
            .update_advisory(&u.repo, &u.ghsa_id, &body)
            .await
            .map_err(|e| format!("update failed: {}", e.reason()))?;
        if let Some(at) = at {
            self.patched_at.insert(u.ghsa_id.clone(), at);
        }
        Ok(())
    }
}
