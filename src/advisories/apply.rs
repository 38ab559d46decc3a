//! Applying the plan, one advisory at a time. For each:
//!
//! 1. read the advisory again, and write nothing if it changed since the
//!    plan (a coordinator's edit is never overwritten; the next run plans
//!    again): one extra GET per changed advisory;
//! 2. a closing tag: close it, and that is all;
//! 3. a CVE id: the one the ledger holds for the report, or a new one from
//!    CVE Services, recorded in the ledger (saved to disk at once) before it
//!    is written anywhere else;
//! 4. one PATCH with every change (state, CVE id, teams, users, credits);
//!    the ledger forgets the reservation once it succeeded;
//! 5. the temporary private fork (after the PATCH that makes an accepted
//!    report a draft);
//! 6. the new coordinator's email.
//!
//! A part that fails is reported and the rest go on: CVE Services down
//! leaves the other changes applied, a refused fork leaves the update
//! applied, a failed PATCH keeps the reserved id for the next run.

use std::path::Path;

use chrono::{DateTime, Datelike, Utc};
use http::Method;

use super::Notify;
use super::plan::{CvePlan, Seen, Update};
use crate::cve::CveServices;
use crate::github::GitHub;
use crate::github::advisories::{advisory_path, get_lifecycle};
use crate::ledger::Ledger;

/// What happened to one update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
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
    pub ledger: &'a mut Ledger,
    /// Where the ledger is saved after each change to it; `None`: kept in memory.
    pub ledger_path: Option<&'a Path>,
    pub notify: Option<&'a Notify<'a>>,
    pub now: DateTime<Utc>,
}

impl Writer<'_> {
    fn save_ledger(&self, errors: &mut Vec<String>) {
        if let Some(path) = self.ledger_path {
            if let Err(e) = self.ledger.save(path) {
                errors.push(format!("the ledger could not be saved: {e:#}"));
            }
        }
    }

    /// Applies one update.
    pub async fn apply(&mut self, u: &Update) -> Outcome {
        let mut notes: Vec<String> = Vec::new();
        let mut errors: Vec<String> = Vec::new();
        // 1. Read it again: the plan may be minutes old.
        match get_lifecycle(self.gh, &u.repo, &u.ghsa_id).await {
            Ok(now) if Seen::of(&now) == u.seen => {}
            Ok(_) => return Outcome::Changed,
            Err(e) => {
                return Outcome::Failed {
                    error: format!("cannot read it again before writing: {}", e.reason()),
                    notes,
                };
            }
        }
        let path = advisory_path(&u.repo, &u.ghsa_id);
        // 2. A closing tag.
        if u.close {
            return match self.patch(&path, u.patch_body(None)).await {
                Ok(()) => Outcome::Applied { notes },
                Err(e) => Outcome::Failed { error: e, notes },
            };
        }
        // 3. The CVE id: the ledger's, or a new one recorded there first.
        let cve_id: Option<String> = match &u.cve {
            None => None,
            Some(CvePlan::Reuse(id)) => Some(id.clone()),
            Some(CvePlan::Reserve) => match &self.cve {
                Err(why) => {
                    notes.push(format!("no CVE id: {why}"));
                    None
                }
                Ok(cve) => match cve.reserve(self.now.year()).await {
                    Ok(id) => {
                        self.ledger.record_cve(&u.ghsa_id, &id, Utc::now());
                        self.save_ledger(&mut errors);
                        notes.push("CVE id reserved".into());
                        Some(id)
                    }
                    Err(e) => {
                        errors.push(format!("no CVE id reserved: {e}"));
                        None
                    }
                },
            },
        };
        // 4. One PATCH with everything.
        let mut patched = true;
        if let Some(body) = u.patch_body(cve_id.as_deref()) {
            match self.patch(&path, Some(body)).await {
                Ok(()) => {
                    if cve_id.is_some() {
                        self.ledger.clear_cve(&u.ghsa_id);
                        self.save_ledger(&mut errors);
                    }
                }
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
        // 5. The private fork (an accepted report must be a draft first).
        if u.create_fork {
            if u.accept && !patched {
                errors.push("private fork not created: the move to draft failed".into());
            } else {
                let fork = format!("{path}/forks");
                match self.gh.write(Method::POST, &fork, None).await {
                    Ok(_) => notes.push("private fork created".into()),
                    Err(e) => errors.push(format!("private fork not created: {}", e.reason())),
                }
            }
        }
        // 6. The new coordinator's email.
        if let (Some(login), true) = (&u.assign, patched) {
            match self.notify {
                Some(notify) => match notify(login, u).await {
                    Ok(()) => notes.push("the coordinator was emailed".into()),
                    Err(e) => errors.push(format!("the coordinator's email failed: {e:#}")),
                },
                None => notes.push("the coordinator was not emailed (no SMTP configured)".into()),
            }
        }
        if errors.is_empty() {
            Outcome::Applied { notes }
        } else {
            Outcome::Failed {
                error: errors.join("; "),
                notes,
            }
        }
    }

    async fn patch(&self, path: &str, body: Option<serde_json::Value>) -> Result<(), String> {
        let Some(body) = body else {
            return Ok(());
        };
        self.gh
            .write(Method::PATCH, path, Some(&body))
            .await
            .map(|_| ())
            .map_err(|e| format!("update failed: {}", e.reason()))
    }
}
