//! Applying the plan, one advisory at a time. For each:
//!
//! 1. read the advisory again, and write nothing if it changed since the
//!    plan (a coordinator's edit is never overwritten; the next run plans
//!    again): one extra GET per changed advisory;
//! 2. a closing tag: close it, and that is all;
//! 3. a CVE id: the one the ledger holds for the report, or a new one from
//!    CVE Services, marked pending in the ledger while it is asked for and
//!    recorded there (saved to disk at once) before it is written anywhere
//!    else; a reservation whose answer was lost stays pending, and the next
//!    run finds its id in CVE Services (`GET /cve-id`) before reserving any
//!    other, and reserves nothing more in the run it was lost;
//! 4. one PATCH with every change (state, CVE id, teams, users, credits);
//!    the ledger forgets the reservation once it succeeded;
//! 5. the temporary private fork (after the PATCH that makes an accepted
//!    report a draft);
//! 6. the new coordinator's email.
//!
//! A part that fails is reported and the rest go on: CVE Services down
//! leaves the other changes applied, a refused fork leaves the update
//! applied, a failed PATCH keeps the reserved id for the next run.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Utc};

use super::Notify;
use super::plan::{CvePlan, Seen, Update};
use crate::cve::CveServices;
use crate::github::GitHub;
use crate::github::advisories::AdvisoryUpdate;
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

/// What became of a reservation whose answer was lost.
enum Lost {
    /// CVE Services holds no such id: reserve one.
    NotReserved,
    /// This is it.
    Found(String),
    /// Cannot tell (CVE Services unreachable, or more than one candidate).
    Unresolved(String),
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
}

/// A save that failed, said where the rest of the update's errors are.
fn saved(result: anyhow::Result<()>, errors: &mut Vec<String>) {
    if let Err(e) = result {
        errors.push(format!("the ledger could not be saved: {e:#}"));
    }
}

impl Writer<'_> {
    /// Applies one update.
    pub async fn apply(&mut self, u: &Update) -> Outcome {
        let mut notes: Vec<String> = Vec::new();
        let mut errors: Vec<String> = Vec::new();
        // 1. Read it again: the plan may be minutes old.
        match self.gh.advisory(&u.repo, &u.ghsa_id).await {
            Ok(now) if Seen::of(&now) == u.seen => {}
            Ok(_) => return Outcome::Changed,
            Err(e) => {
                return Outcome::Failed {
                    error: format!("cannot read it again before writing: {}", e.reason()),
                    notes,
                };
            }
        }
        // 2. A closing tag.
        if u.close {
            return match self.patch(u, u.patch_body(None)).await {
                Ok(()) => Outcome::Applied { notes },
                Err(e) => Outcome::Failed { error: e, notes },
            };
        }
        // 3. The CVE id: the ledger's, one whose answer was lost, or a new
        //    one recorded there first.
        let cve_id: Option<String> = match &u.cve {
            None => None,
            Some(CvePlan::Reuse(id)) => Some(id.clone()),
            Some(plan @ (CvePlan::Reserve | CvePlan::Recover(_))) => match self.cve {
                Err(ref why) => {
                    notes.push(format!("no CVE id: {why}"));
                    None
                }
                Ok(cve) => {
                    let found = match plan {
                        CvePlan::Recover(since) => self.find_lost(cve, *since).await,
                        _ => Lost::NotReserved,
                    };
                    match found {
                        Lost::Found(id) => {
                            saved(
                                self.ledger
                                    .reservation_answered(&u.ghsa_id, &id, Utc::now()),
                                &mut errors,
                            );
                            self.this_run.insert(id.clone());
                            notes.push(
                                "CVE id reserved (found in CVE Services after its answer was lost)"
                                    .into(),
                            );
                            Some(id)
                        }
                        Lost::Unresolved(e) => {
                            self.cve_blocked = true;
                            errors.push(e);
                            None
                        }
                        Lost::NotReserved => {
                            self.reserve(cve, &u.ghsa_id, &mut notes, &mut errors).await
                        }
                    }
                }
            },
        };
        // 4. One PATCH with everything.
        let mut patched = true;
        if let Some(body) = u.patch_body(cve_id.as_deref()) {
            match self.patch(u, Some(body)).await {
                Ok(()) => {
                    if cve_id.is_some() {
                        saved(
                            self.ledger.reservations_done(&[u.ghsa_id.as_str()]),
                            &mut errors,
                        );
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
                match self.gh.create_private_fork(&u.repo, &u.ghsa_id).await {
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

    /// Reserves one id for `ghsa`, marked pending in the ledger (on disk)
    /// while it is asked for, recorded there once it arrives.
    async fn reserve(
        &mut self,
        cve: &CveServices,
        ghsa: &str,
        notes: &mut Vec<String>,
        errors: &mut Vec<String>,
    ) -> Option<String> {
        if self.cve_blocked {
            errors.push(
                "no CVE id reserved this run: an earlier reservation got no answer, and psrt reserves no other until it is found".into(),
            );
            return None;
        }
        if let Err(e) = self.ledger.reservation_asked(ghsa, Utc::now()) {
            errors.push(format!(
                "no CVE id reserved: the ledger could not be saved first: {e:#}"
            ));
            return None;
        }
        match cve.reserve(self.now.year()).await {
            Ok(id) => {
                saved(
                    self.ledger.reservation_answered(ghsa, &id, Utc::now()),
                    errors,
                );
                self.this_run.insert(id.clone());
                notes.push("CVE id reserved".into());
                Some(id)
            }
            Err(e) if e.answer_lost() => {
                // Kept pending: the next run looks for the id first.
                self.cve_blocked = true;
                errors.push(format!(
                    "no CVE id: the reservation got no answer ({e}); the next run looks for it in CVE Services before reserving another"
                ));
                None
            }
            Err(e) => {
                saved(self.ledger.reservation_refused(ghsa), errors);
                errors.push(format!("no CVE id reserved: {e}"));
                None
            }
        }
    }

    /// The id a reservation asked for at `since` got, if CVE Services
    /// reserved one: an id psrt's account reserved since then (a little
    /// before, for the clocks) that no advisory carries, the ledger does not
    /// hold and this run did not reserve.
    async fn find_lost(&self, cve: &CveServices, since: DateTime<Utc>) -> Lost {
        let from = since - chrono::Duration::minutes(2);
        let ids = match cve.reserved_since(from).await {
            Ok(ids) => ids,
            Err(e) => {
                return Lost::Unresolved(format!(
                    "no CVE id: cannot look for the one an earlier reservation may have got: {e}"
                ));
            }
        };
        let held: BTreeSet<String> = self
            .ledger
            .cve()
            .all_reserved()
            .map(|(_, id)| id.to_ascii_uppercase())
            .collect();
        let mut unknown: Vec<String> = ids
            .into_iter()
            .filter(|id| {
                let key = id.to_ascii_uppercase();
                !self.carried.contains(&key) && !held.contains(&key) && !self.this_run.contains(id)
            })
            .collect();
        unknown.sort();
        unknown.dedup();
        match unknown.len() {
            0 => Lost::NotReserved,
            1 => Lost::Found(unknown.remove(0)),
            n => Lost::Unresolved(format!(
                "no CVE id: {n} ids reserved since an earlier reservation got no answer, and none is known to be its: psrt reserves none for it; keep one and reject the others in CVE Services, then set it on the advisory"
            )),
        }
    }

    async fn patch(&self, u: &Update, body: Option<AdvisoryUpdate>) -> Result<(), String> {
        let Some(body) = body else {
            return Ok(());
        };
        self.gh
            .update_advisory(&u.repo, &u.ghsa_id, &body)
            .await
            .map_err(|e| format!("update failed: {}", e.reason()))
    }
}
