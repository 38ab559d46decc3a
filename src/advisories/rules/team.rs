//! The team and the members outside it: the team (`github.team`)
//! collaborates on every open report, and roster members who are not in it
//! (outside the org, or their invitation pending) collaborate as users.
//! Existing teams and users stay.

use crate::advisories::model::{Context, Draft};
use crate::github::advisories::Lifecycle;

pub(crate) fn decide(ctx: &Context<'_>, _a: &Lifecycle, d: &mut Draft<'_>) {
    d.add_team(&ctx.roster.github.team);
    for m in ctx
        .roster
        .members
        .iter()
        .filter(|m| !ctx.state.team.contains(&m.github))
    {
        d.add_user(m.github.as_str());
    }
}
