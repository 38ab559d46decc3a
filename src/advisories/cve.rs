//! CVE ids from the CNA: every draft of `cve.repos` without a CVE id gets
//! one, in the same update as its other changes. An id reserved in an
//! earlier run and recorded in the ledger (because that run's update failed)
//! is used before any new one is reserved: one id per report, whatever
//! fails. The ledger forgets a reservation once the advisory carries it.
//! Public output says "reserve a CVE id", never the id.

use super::plan::{Context, CvePlan, Plan, Update};
use crate::github::advisories::{AdvisoryState, Lifecycle};

fn in_cve_repos(ctx: &Context<'_>, repo: &str) -> bool {
    ctx.roster
        .cve
        .as_ref()
        .is_some_and(|c| c.repos.iter().any(|r| r.eq_ignore_ascii_case(repo)))
}

pub(crate) fn decide(ctx: &Context<'_>, a: &Lifecycle, u: &mut Update) {
    let draft = a.advisory.state == AdvisoryState::Draft || u.accept;
    if !draft || a.cve_id.is_some() || !in_cve_repos(ctx, &a.advisory.repo) {
        return;
    }
    u.cve = Some(match ctx.ledger.cve_reserved(&a.advisory.ghsa_id) {
        Some(id) => CvePlan::Reuse(id.to_owned()),
        None => CvePlan::Reserve,
    });
}

/// What becomes of an id the ledger holds for this report.
pub(crate) fn housekeeping(ctx: &Context<'_>, a: &Lifecycle, out: &mut Plan) {
    let ghsa = &a.advisory.ghsa_id;
    let Some(reserved) = ctx.ledger.cve_reserved(ghsa) else {
        return;
    };
    match &a.cve_id {
        Some(id) if id.eq_ignore_ascii_case(reserved) => out.ledger_clears.push(ghsa.clone()),
        Some(_) => out.notes.push(format!(
            "{ghsa}: carries a CVE id other than the one psrt reserved for it; the reserved id stays in the ledger: reject it in CVE Services"
        )),
        None if !a.advisory.state.is_open() => out.notes.push(format!(
            "{ghsa}: closed without the CVE id psrt reserved for it; the id stays in the ledger: reject it in CVE Services"
        )),
        None => {}
    }
}
