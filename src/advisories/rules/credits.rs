//! Remediation credits from the private fork: the authors of its pull
//! requests get a `remediation_developer` credit, and their approving
//! reviewers (each reviewer's latest decisive review) a
//! `remediation_reviewer` credit. GitHub allows one credit per user, so
//! anyone already credited keeps their credit, and the reporter is never
//! credited as a remediator (their credit is their own). Bots are not
//! credited. A fork unchanged since psrt last acted upon it (conditional
//! requests) brings nothing new: its credits were given then. Output
//! counts credits across reports, never who.

use crate::advisories::model::{Context, Draft, Fork};
use crate::github::advisories::{AdvisoryState, Lifecycle};
use crate::github::model::Account;

pub(crate) fn decide(ctx: &Context<'_>, a: &Lifecycle, d: &mut Draft<'_>) {
    let adv = &a.advisory;
    if adv.state != AdvisoryState::Draft || adv.private_fork.is_none() {
        return;
    }
    let pulls = match ctx.state.forks.get(&adv.ghsa_id) {
        Some(Ok(Fork::Read(p))) => p,
        // Unchanged since psrt gave its credits (conditional requests).
        Some(Ok(Fork::Unchanged { .. })) => return,
        Some(Err(why)) => {
            d.note(format!(
                "{}: remediation credits not checked: the private fork's pull requests cannot be read ({why})",
                adv.ghsa_id
            ));
            return;
        }
        None => return,
    };
    let mut add = |who: &Account, kind: &str| {
        if who.is_bot || a.reporter_id == Some(who.id) {
            return;
        }
        d.add_credit(&who.login, kind);
    };
    for author in pulls.iter().filter_map(|p| p.author.as_ref()) {
        add(author, "remediation_developer");
    }
    for reviewer in pulls.iter().flat_map(|p| &p.approvers) {
        add(reviewer, "remediation_reviewer");
    }
}
