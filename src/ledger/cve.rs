//! The CVE ids section: an id reserved from the CNA for a report, kept until
//! the advisory carries it, and a reservation asked for whose answer never
//! arrived (a timeout, a cut connection: CVE Services may have reserved an
//! id), kept until the next run finds the id in CVE Services or finds that
//! none was reserved. PRODUCT.md allows exactly this: a report id and a CVE
//! id, never a person.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::GhsaId;

/// One report's CVE id, as far as the ledger knows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Record {
    pub(super) reserved: Option<CveReservation>,
    pub(super) pending: Option<DateTime<Utc>>,
}

impl Record {
    fn is_empty(&self) -> bool {
        self.reserved.is_none() && self.pending.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CveReservation {
    pub id: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CveIds(pub(super) BTreeMap<GhsaId, Record>);

impl CveIds {
    /// The CVE id reserved for a report and not yet on its advisory.
    pub fn reserved(&self, ghsa_id: &str) -> Option<&str> {
        self.0
            .get(ghsa_id)
            .and_then(|r| r.reserved.as_ref())
            .map(|c| c.id.as_str())
    }

    /// When a reservation for the report whose answer was lost was asked for.
    pub fn pending(&self, ghsa_id: &str) -> Option<DateTime<Utc>> {
        self.0.get(ghsa_id).and_then(|r| r.pending)
    }

    /// Every reservation held: report → id.
    pub fn all_reserved(&self) -> impl Iterator<Item = (&GhsaId, &str)> {
        self.0
            .iter()
            .filter_map(|(g, r)| r.reserved.as_ref().map(|c| (g, c.id.as_str())))
    }

    /// Reports whose reservation's answer was lost.
    pub fn all_pending(&self) -> impl Iterator<Item = &GhsaId> {
        self.0
            .iter()
            .filter(|(_, r)| r.pending.is_some())
            .map(|(g, _)| g)
    }

    /// Does the ledger hold any reservation, answered or not?
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(super) fn record(&mut self, ghsa_id: &str, cve_id: &str, at: DateTime<Utc>) {
        let r = self.0.entry(GhsaId::new(ghsa_id)).or_default();
        r.reserved = Some(CveReservation {
            id: cve_id.to_owned(),
            at,
        });
        r.pending = None;
    }

    pub(super) fn mark_pending(&mut self, ghsa_id: &str, since: DateTime<Utc>) {
        self.0.entry(GhsaId::new(ghsa_id)).or_default().pending = Some(since);
    }

    pub(super) fn clear_pending(&mut self, ghsa_id: &str) {
        self.edit(ghsa_id, |r| r.pending = None);
    }

    pub(super) fn clear(&mut self, ghsa_id: &str) {
        self.edit(ghsa_id, |r| *r = Record::default());
    }

    fn edit(&mut self, ghsa_id: &str, f: impl FnOnce(&mut Record)) {
        if let Some(r) = self.0.get_mut(ghsa_id) {
            f(r);
            if r.is_empty() {
                self.0.remove(ghsa_id);
            }
        }
    }
}
