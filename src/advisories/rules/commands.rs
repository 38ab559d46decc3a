//! The members' commands on a report: title tags today (the devguide tells
//! coordinators to use them), `/psrt` commands in the discussion next; both
//! are a [`Given`](crate::advisories::model::Given) command. A closing
//! command on a triage or draft report closes it, and nothing else happens
//! to it that run; an accepting command on a triage report moves it to
//! draft (which then gets its fork and CVE id, in the same run).

use crate::advisories::model::{Command, Context, Draft};
use crate::github::advisories::{AdvisoryState, Lifecycle};

pub(crate) fn decide(ctx: &Context<'_>, a: &Lifecycle, d: &mut Draft<'_>) {
    let given = ctx.state.commands_for(&a.advisory.ghsa_id);
    let has = |c: Command| given.iter().any(|g| g.command == c);
    match a.advisory.state {
        AdvisoryState::Triage | AdvisoryState::Draft if has(Command::Close) => d.close(),
        AdvisoryState::Triage if has(Command::Accept) => d.accept(),
        _ => {}
    }
}
