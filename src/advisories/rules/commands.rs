//! The members' commands on a report: title tags (the devguide tells
//! coordinators to use them) and `/psrt` commands in the discussion; both
//! are a [`Given`](crate::advisories::model::Given) command, and this is the
//! one place their effects are decided. Who may give a command was decided
//! before (a `/psrt` command reaches the plan only from a member, in a
//! comment never edited, once claimed: [`crate::advisories::apply::commands`]).
//!
//! A closing command on a triage or draft report closes it, and nothing
//! else happens to it that run; an accepting command on a triage report
//! moves it to draft (which then gets its fork and CVE id, in the same run);
//! `coordinator` moves the coordinator credit (the new coordinator is
//! emailed); `invite` adds a collaborating user; `cve` asks for the CVE id
//! the [`super::cve`] rule reserves for a draft of `cve.repos` without one.
//! Commands apply in the order written.

use crate::advisories::model::{Command, Context, Draft};
use crate::github::advisories::{AdvisoryState, Lifecycle};

pub(crate) fn decide(ctx: &Context<'_>, a: &Lifecycle, d: &mut Draft<'_>) {
    let given = ctx.state.commands_for(&a.advisory.ghsa_id);
    let open = a.advisory.state.is_open();
    if open
        && given
            .iter()
            .any(|g| matches!(g.command, Command::Close { .. }))
    {
        d.close();
        return;
    }
    for g in given {
        match &g.command {
            Command::Accept if a.advisory.state == AdvisoryState::Triage => d.accept(),
            Command::Coordinator(login) if open => d.delegate(login.as_str()),
            Command::Invite(login) if open => d.add_user(login.as_str()),
            // Replies only, or the `cve` rule's (a draft of `cve.repos`).
            _ => {}
        }
    }
}
