//! The team and the members outside it: the team (`github.team`)
//! collaborates on every open report, and roster members who are not in it
//! (outside the org, or their invitation pending) collaborate as users.
//! Existing teams and users stay.

use super::plan::{Context, Lists, Update};
use crate::github::advisories::Lifecycle;

pub(crate) fn decide(ctx: &Context<'_>, _a: &Lifecycle, u: &mut Update, lists: &mut Lists) {
    let slug = &ctx.roster.github.team;
    if !lists.teams.iter().any(|t| t.eq_ignore_ascii_case(slug)) {
        lists.teams.push(slug.clone());
        lists.teams_changed = true;
        u.add_team = Some(slug.clone());
    }
    for m in ctx
        .roster
        .members
        .iter()
        .filter(|m| !ctx.state.team.contains(&m.github))
    {
        if !lists
            .users
            .iter()
            .any(|l| l.eq_ignore_ascii_case(m.github.as_str()))
        {
            lists.users.push(m.github.to_string());
            lists.users_changed = true;
            u.add_users.push(m.github.to_string());
        }
    }
}
