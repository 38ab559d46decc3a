//! The members' commands on a report: title tags (the devguide tells
//! coordinators to use them) and `/psrt` commands in the discussion; both
//! are a [`Given`] command, and this is the one place their effects are
//! decided. A `/psrt` command reaches the plan only from a member, in a
//! comment never edited, once claimed ([`crate::advisories::apply::commands`]).
//!
//! A closing command on a triage or draft report closes it, and nothing
//! else happens to it that run; an accepting command on a triage report
//! moves it to draft (which then gets its fork and CVE id, in the same run);
//! `coordinator` moves the coordinator credit (the new coordinator is
//! emailed); `invite` adds a collaborating user; `cve` asks for the CVE id
//! the [`super::cve`] rule reserves for a draft of `cve.repos` without one.
//! Commands apply in the order written.
//!
//! Only a member's command counts. A comment names its author (by account
//! id), a title does not: the reporter writes the first title, so a tag
//! the title carried when psrt first saw the report is ignored while it
//! stays, and a tag that appears later counts ([`heeded`]). What psrt first
//! saw is in the ledger's reports seen section ([`sighting`] says what to
//! record); a report the ledger does not know is seen for the first time,
//! so a lost ledger ignores every tag present (it fails closed).

use crate::advisories::model::{Command, Context, Draft, Given, Giver, Source, Unheeded};
use crate::github::advisories::{AdvisoryState, Lifecycle};
use crate::ledger::Sighting;

pub(crate) fn decide(ctx: &Context<'_>, a: &Lifecycle, d: &mut Draft<'_>) {
    let given = ctx.state.commands_for(&a.advisory.ghsa_id);
    let mut counted: Vec<&Given> = Vec::new();
    for g in given {
        match heeded(ctx, a, g) {
            Ok(()) => counted.push(g),
            Err(why) => d.ignore(g.clone(), why),
        }
    }
    let open = a.advisory.state.is_open();
    let closing: Vec<&Given> = counted
        .iter()
        .copied()
        .filter(|g| matches!(g.command, Command::Close { .. }))
        .collect();
    if open && !closing.is_empty() {
        d.close();
        closing.into_iter().for_each(|g| d.obey(g.clone()));
        return;
    }
    for g in counted {
        match &g.command {
            Command::Accept if a.advisory.state == AdvisoryState::Triage => d.accept(),
            Command::Coordinator(login) if open => d.delegate(login.as_str()),
            Command::Invite(login) if open => d.add_user(login.as_str()),
            // Replies only, or the `cve` rule's (a draft of `cve.repos`).
            _ => continue,
        }
        d.obey(g.clone());
    }
}

/// Does this command count? A member's comment does; a title tag does
/// unless the title carried it when psrt first saw the report.
fn heeded(ctx: &Context<'_>, a: &Lifecycle, g: &Given) -> Result<(), Unheeded> {
    match g.source {
        Source::TitleTag => match ctx.ledger.seen().get(&a.advisory.ghsa_id) {
            None => Err(Unheeded::TagFromTheStart),
            Some(s) if s.ignored_tag.is_some() && s.ignored_tag == g.command.tag_kind() => {
                Err(Unheeded::TagFromTheStart)
            }
            Some(_) => Ok(()),
        },
        Source::Comment { .. } => match g.giver(ctx.roster) {
            Giver::Member(_) => Ok(()),
            Giver::NotAMember | Giver::Unknown => Err(Unheeded::NotAMember),
        },
    }
}

/// What the ledger records of this report after this run, if it changes:
/// its first sight (with the tag its title carries, ignored from now on),
/// or, once the title no longer carries the ignored tag, that nothing is
/// ignored any more (a tag added after that counts).
pub(crate) fn sighting(ctx: &Context<'_>, a: &Lifecycle) -> Option<Sighting> {
    let now = a.title_tag.and_then(|t| {
        crate::advisories::model::Given::from_title_tag(t)
            .command
            .tag_kind()
    });
    match ctx.ledger.seen().get(&a.advisory.ghsa_id) {
        None => Some(Sighting {
            first: ctx.now,
            ignored_tag: now,
        }),
        Some(s) if s.ignored_tag.is_some() && s.ignored_tag != now => Some(Sighting {
            first: s.first,
            ignored_tag: None,
        }),
        Some(_) => None,
    }
}
