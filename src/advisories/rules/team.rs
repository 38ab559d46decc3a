//! Who collaborates on every open report, by account, never by name:
//!
//! - in a repository of `github.org`: the team (`github.team`), and roster
//!   members who are not in it (outside the org, or their invitation
//!   pending) as collaborating users;
//! - in a repository outside `github.org` (pip is `pypa/pip`), where a team
//!   of `github.org` cannot collaborate (GitHub refuses the whole update):
//!   the team that organisation has in `github.advisory_teams`, or else
//!   every member as a collaborating user.
//!
//! A member is added under the login GitHub gives their `github_id` today,
//! so a rename is followed and whoever took an old login gets nothing; a
//! member without `github_id` is added nowhere by login (counted in the
//! plan's note, never per report). Existing teams and users stay.

use crate::advisories::model::{Context, Draft, RepoAccess};
use crate::github::advisories::Lifecycle;
use crate::roster::Member;

pub(crate) fn decide(ctx: &Context<'_>, a: &Lifecycle, d: &mut Draft<'_>) {
    let members: Vec<&Member> = match RepoAccess::of(ctx.roster, &a.advisory.repo) {
        RepoAccess::Team { team } => {
            d.add_team(&team);
            ctx.roster
                .members
                .iter()
                .filter(|m| !ctx.state.in_team(m))
                .collect()
        }
        RepoAccess::OtherTeam { team, .. } => {
            d.add_team(&team);
            vec![]
        }
        RepoAccess::Members { .. } => ctx.roster.members.iter().collect(),
    };
    for m in members {
        match ctx.state.account_login(m) {
            Ok(login) => d.add_user(login),
            Err(why) => {
                ctx.withheld.borrow_mut().insert(m.github.clone(), why);
            }
        }
    }
}

/// The plan's note about members who got no access they needed, counted
/// across reports (never who, never which report).
pub(crate) fn withheld_note(ctx: &Context<'_>) -> Option<String> {
    use crate::advisories::model::NoAccount;
    let w = ctx.withheld.borrow();
    if w.is_empty() {
        return None;
    }
    let count = |k: NoAccount| w.values().filter(|v| **v == k).count();
    let mut parts = Vec::new();
    let (no_id, gone, unread) = (
        count(NoAccount::NoId),
        count(NoAccount::Gone),
        count(NoAccount::Unread),
    );
    if no_id > 0 {
        parts.push(format!(
            "{no_id} without `github_id` (psrt grants nothing by login: record their ids with `psrt pin-ids`)"
        ));
    }
    if gone > 0 {
        parts.push(format!(
            "{gone} whose `github_id` GitHub does not know (check the roster)"
        ));
    }
    if unread > 0 {
        parts.push(format!(
            "{unread} whose account could not be read this run (the next run tries again)"
        ));
    }
    Some(format!(
        "member(s) not added to reports that need them: {}",
        parts.join("; ")
    ))
}
