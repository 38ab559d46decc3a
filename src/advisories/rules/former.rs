//! Former members lose access to every unpublished report, closed ones
//! included: leaving the PSRT ends access to embargoed reports. A former
//! member is an `emeritus` entry who is not a current member, matched by
//! `github_id` when the entry records one (so a renamed account still loses
//! access) and by login otherwise. Current members are matched the same way,
//! by id first: an account that holds a member's old login is not a member. Anyone else a coordinator added stays;
//! those psrt cannot account for (neither members, nor former members, nor
//! credited on that report) are counted across reports, never named.

use std::collections::BTreeSet;

use crate::advisories::model::{Context, Draft};
use crate::github::advisories::{AdvisoryState, Collaborator, Lifecycle};
use crate::roster::Roster;

fn is_member(roster: &Roster, c: &Collaborator) -> bool {
    roster.member_of_account(&c.login, c.id).is_some()
}

/// Is this collaborator a former member (and not a current one)?
pub(crate) fn is_former(roster: &Roster, c: &Collaborator) -> bool {
    !is_member(roster, c)
        && roster.emeritus.iter().any(|e| match e.github_id {
            Some(id) => id == c.id,
            None => e
                .github
                .as_ref()
                .is_some_and(|l| l.as_str().eq_ignore_ascii_case(&c.login)),
        })
}

pub(crate) fn decide(ctx: &Context<'_>, a: &Lifecycle, d: &mut Draft<'_>) {
    let gone: Vec<&Collaborator> = a
        .collaborators
        .iter()
        .filter(|c| is_former(ctx.roster, c))
        .collect();
    if !gone.is_empty() {
        d.remove_users(|l| gone.iter().any(|c| c.login.eq_ignore_ascii_case(l)));
    }
}

/// Distinct collaborators on unpublished reports psrt cannot account for.
pub(crate) fn unaccounted(ctx: &Context<'_>) -> usize {
    let mut ids = BTreeSet::new();
    for a in ctx
        .state
        .advisories
        .iter()
        .filter(|a| a.advisory.state != AdvisoryState::Published)
    {
        for c in &a.collaborators {
            let credited = a
                .advisory
                .credits
                .iter()
                .any(|k| k.login.eq_ignore_ascii_case(&c.login));
            let reporter = a.reporter_id == Some(c.id);
            if !(is_member(ctx.roster, c) || is_former(ctx.roster, c) || credited || reporter) {
                ids.insert(c.id);
            }
        }
    }
    ids.len()
}
