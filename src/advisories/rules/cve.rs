//! CVE ids from the CNA: every draft of `cve.repos` without a CVE id gets
//! one, in the same update as its other changes. An id reserved in an
//! earlier run and recorded in the ledger (because that run's update failed)
//! is used before any new one is reserved: one id per report, whatever
//! fails. A reservation whose answer was lost is marked in the ledger, and
//! the next run finds its id in CVE Services before reserving any other.
//! The ledger forgets a reservation once the advisory carries it.
//! When the ledger started empty (lost, or reset), an id reserved for a
//! report and not yet written would be forgotten: every draft that needs
//! one looks in CVE Services first, for an id psrt's account reserved since
//! the report was created that no advisory carries ([`CvePlan::Recover`]).
//! Public output says "reserve a CVE id", never the id.

use crate::advisories::model::{Context, CvePlan, Draft};
use crate::github::advisories::Lifecycle;
use crate::ids::RepoName;

fn in_cve_repos(ctx: &Context<'_>, repo: &RepoName) -> bool {
    ctx.roster.cve.as_ref().is_some_and(|c| {
        c.repos
            .iter()
            .any(|r| r.eq_ignore_ascii_case(repo.as_str()))
    })
}

pub(crate) fn decide(ctx: &Context<'_>, a: &Lifecycle, d: &mut Draft<'_>) {
    if !d.becomes_draft() || a.cve_id.is_some() || !in_cve_repos(ctx, &a.advisory.repo) {
        return;
    }
    let ghsa = &a.advisory.ghsa_id;
    d.cve(
        match (
            ctx.ledger.cve().reserved(ghsa),
            ctx.ledger.cve().pending(ghsa),
        ) {
            (Some(id), _) => CvePlan::Reuse(id.to_owned()),
            (None, Some(since)) => CvePlan::Recover(since),
            // What a lost ledger held is looked up, never reserved twice.
            (None, None) if ctx.ledger.started_empty() => CvePlan::Recover(a.advisory.created_at),
            (None, None) => CvePlan::Reserve,
        },
    );
}

/// What becomes of an id the ledger holds for this report (for every report
/// planned, before any command).
pub(crate) fn reservation(ctx: &Context<'_>, a: &Lifecycle, d: &mut Draft<'_>) {
    let ghsa = &a.advisory.ghsa_id;
    if ctx.ledger.cve().reserved(ghsa).is_none() && ctx.ledger.cve().pending(ghsa).is_some() {
        // A reservation got no answer, and the report needs none any more.
        if a.cve_id.is_some() || !a.advisory.state.is_open() {
            d.forget_reservation();
            d.note(format!(
                "{ghsa}: a CVE id reservation for it got no answer and it needs none now: check CVE Services for an unused id reserved then"
            ));
        }
        return;
    }
    let Some(reserved) = ctx.ledger.cve().reserved(ghsa) else {
        return;
    };
    match &a.cve_id {
        Some(id) if id.eq_ignore_ascii_case(reserved) => d.forget_reservation(),
        Some(_) => d.note(format!(
            "{ghsa}: carries a CVE id other than the one psrt reserved for it; the reserved id stays in the ledger: reject it in CVE Services"
        )),
        None if !a.advisory.state.is_open() => d.note(format!(
            "{ghsa}: closed without the CVE id psrt reserved for it; the id stays in the ledger: reject it in CVE Services"
        )),
        None => {}
    }
}
