//! The CVE id of one update, by the reserve/record protocol: the id the
//! ledger holds for the report, or a new one from CVE Services, marked
//! pending in the ledger while it is asked for and recorded there (saved at
//! once) before it is written anywhere else; a reservation whose answer was
//! lost stays pending, and the next run finds its id in CVE Services (`GET
//! /cve-id`) before reserving any other, and reserves nothing more in the
//! run it was lost.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Utc};

use super::{Writer, saved};
use crate::advisories::model::{CvePlan, Update};
use crate::cve::CveServices;

/// What became of a reservation whose answer was lost.
enum Lost {
    /// CVE Services holds no such id: reserve one.
    NotReserved,
    /// This is it.
    Found(String),
    /// Cannot tell (CVE Services unreachable, or more than one candidate).
    Unresolved(String),
}

impl Writer<'_> {
    /// The id this update writes, if one could be had.
    pub(super) async fn cve_id(
        &mut self,
        u: &Update,
        plan: &CvePlan,
        notes: &mut Vec<String>,
        errors: &mut Vec<String>,
    ) -> Option<String> {
        let cve = match (plan, &self.cve) {
            (CvePlan::Reuse(id), _) => return Some(id.clone()),
            (_, Err(why)) => {
                notes.push(format!("no CVE id: {why}"));
                return None;
            }
            (_, Ok(cve)) => *cve,
        };
        let found = match plan {
            CvePlan::Recover(since) => self.find_lost(cve, *since).await,
            _ => Lost::NotReserved,
        };
        match found {
            Lost::Found(id) => {
                saved(
                    self.ledger
                        .reservation_answered(&u.ghsa_id, &id, Utc::now()),
                    errors,
                );
                self.this_run.insert(id.clone());
                notes.push(
                    "CVE id reserved (found in CVE Services after its answer was lost)".into(),
                );
                Some(id)
            }
            Lost::Unresolved(e) => {
                self.cve_blocked = true;
                errors.push(e);
                None
            }
            Lost::NotReserved => self.reserve(cve, &u.ghsa_id, notes, errors).await,
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
                "no CVE id reserved this run: an earlier reservation got no answer (or a lost ledger cannot be rebuilt), and psrt reserves no other until it is found".into(),
            );
            return None;
        }
        // The safety valve: whatever titles say, one run reserves at most
        // this many ids from the CNA's quota.
        if self.reserved >= self.max_reservations {
            errors.push(format!(
                "no CVE id reserved this run: safety valve policy.max_cve_reservations_per_run: this run reserved {} already, the most it may; the next run goes on (raise the policy to reserve more per run)",
                self.reserved
            ));
            return None;
        }
        if let Err(e) = self.ledger.reservation_asked(ghsa, Utc::now()) {
            errors.push(format!(
                "no CVE id reserved: the ledger could not be saved first: {e:#}"
            ));
            return None;
        }
        self.reserved += 1;
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
}
