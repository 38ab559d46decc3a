//! One-off flags asked for when an admin dispatches a workflow by hand
//! (`--allow-mass-removal`, `--reset-ledger`): who may use them. The
//! workflow passes the dispatch's inputs to the psrt step as
//! `PSRT_DISPATCH_*` variables; psrt (not shell in the workflow) decides,
//! here, from the roster and the run's own variables. `commands::dispatch`
//! announces each use and emails the admins before it takes effect.

use crate::config::{Env, RunContext};
use crate::roster::Roster;

/// A flag a dispatch can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Override {
    AllowMassRemoval,
    ResetLedger,
}

impl Override {
    pub fn flag(self) -> &'static str {
        match self {
            Override::AllowMassRemoval => "--allow-mass-removal",
            Override::ResetLedger => "--reset-ledger",
        }
    }
    pub fn requested(self, env: &Env) -> bool {
        match self {
            Override::AllowMassRemoval => env.dispatch.allow_mass_removal,
            Override::ResetLedger => env.dispatch.reset_ledger,
        }
    }
    pub fn var(self) -> &'static str {
        match self {
            Override::AllowMassRemoval => crate::config::DispatchRequest::ALLOW_MASS_REMOVAL_VAR,
            Override::ResetLedger => crate::config::DispatchRequest::RESET_LEDGER_VAR,
        }
    }
}

/// Who may use an override: the admin who dispatched the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    pub flag: &'static str,
    /// The admin's login, as the roster has it.
    pub admin: String,
    pub account_id: u64,
    pub run_url: Option<String>,
}

/// Whether the run's actor may use `flag`. Rules, all of which must hold:
/// the run was dispatched by hand (`workflow_dispatch`); the account that
/// started it (`GITHUB_ACTOR_ID`, an immutable id, never a login anyone can
/// take over) is a roster admin's `github_id`; and this attempt was started
/// by the same person (a re-run keeps the first actor's id, while
/// `GITHUB_TRIGGERING_ACTOR` is whoever pressed "re-run").
pub fn authorise(roster: &Roster, run: &RunContext, flag: Override) -> Result<Granted, String> {
    let f = flag.flag();
    if run.event.as_deref() != Some("workflow_dispatch") {
        return Err(format!(
            "{f} was asked for through {} outside a workflow dispatched by hand (event: {}); it is honoured only for an admin's workflow_dispatch",
            flag.var(),
            run.event.as_deref().unwrap_or("none: not a workflow run")
        ));
    }
    let id: u64 = run
        .actor_id
        .as_deref()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("{f}: the run does not say who dispatched it (GITHUB_ACTOR_ID)"))?;
    let actor = run.actor.as_deref().unwrap_or("?");
    let admin = roster
        .admins()
        .find(|m| m.github_id == Some(id))
        .ok_or_else(|| {
            let pinned = roster.admins().filter(|m| m.github_id.is_some()).count();
            let hint = if pinned == 0 {
                " (no admin in the roster has a `github_id` yet: pin them first)"
            } else {
                ""
            };
            format!(
                "{f} is not honoured: the run was dispatched by `{actor}` (account id {id}), who is not a roster admin by `github_id`{hint}"
            )
        })?;
    match &run.triggering_actor {
        Some(t) if t.eq_ignore_ascii_case(actor) => {}
        other => {
            return Err(format!(
                "{f} is not honoured: this attempt was started by `{}`, not by `{actor}` who dispatched the run (a re-run keeps the first actor's rights); dispatch the workflow anew",
                other.as_deref().unwrap_or("?")
            ));
        }
    }
    Ok(Granted {
        flag: f,
        admin: admin.github.to_string(),
        account_id: id,
        run_url: run.url.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster() -> Roster {
        let text = "version: 1\ngithub: {org: python, team: psrt}\nmembers:\n  - name: A\n    github: alice\n    github_id: 101\n    roles: [admin]\n  - name: B\n    github: bob\n    github_id: 102\n    roles: [admin]\n  - name: C\n    github: carol\n    github_id: 103\n  - name: D\n    github: dora\n    roles: [admin]\n";
        match crate::roster::parse(text.as_bytes()) {
            Ok(l) => l.roster,
            Err(e) => panic!("{e}"),
        }
    }

    fn run(event: &str, actor: &str, id: &str, triggering: &str) -> RunContext {
        RunContext {
            event: Some(event.into()),
            actor: Some(actor.into()),
            actor_id: Some(id.into()),
            triggering_actor: Some(triggering.into()),
            url: Some("https://github.com/python/psrt/actions/runs/9/attempts/1".into()),
        }
    }

    #[test]
    fn an_admins_dispatch_is_honoured_by_account_id() {
        let g = authorise(
            &roster(),
            &run("workflow_dispatch", "alice", "101", "alice"),
            Override::AllowMassRemoval,
        )
        .unwrap();
        assert_eq!(g.admin, "alice");
        assert_eq!(g.account_id, 101);
        assert_eq!(g.flag, "--allow-mass-removal");
    }

    #[test]
    fn everyone_else_is_refused() {
        let r = roster();
        let cases = [
            // a scheduled run: nobody asked
            (
                run("schedule", "alice", "101", "alice"),
                "outside a workflow dispatched by hand",
            ),
            // a member who is not an admin
            (
                run("workflow_dispatch", "carol", "103", "carol"),
                "not a roster admin",
            ),
            // someone who took an admin's old login: the id decides
            (
                run("workflow_dispatch", "alice", "999", "alice"),
                "account id 999",
            ),
            // an admin without a pinned id cannot be recognised
            (
                run("workflow_dispatch", "dora", "104", "dora"),
                "not a roster admin",
            ),
            // a re-run of an admin's dispatch by someone else
            (
                run("workflow_dispatch", "alice", "101", "mallory"),
                "started by `mallory`",
            ),
            // no id at all
            (
                run("workflow_dispatch", "alice", "", "alice"),
                "GITHUB_ACTOR_ID",
            ),
            (
                run("workflow_dispatch", "alice", "101x", "alice"),
                "GITHUB_ACTOR_ID",
            ),
        ];
        for (ctx, want) in cases {
            let e = authorise(&r, &ctx, Override::ResetLedger).unwrap_err();
            assert!(e.contains(want), "{ctx:?}: {e}");
            assert!(e.contains("--reset-ledger"), "{e}");
        }
        assert!(authorise(&r, &RunContext::default(), Override::ResetLedger).is_err());
    }

    #[test]
    fn no_pinned_admin_says_how_to_fix_it() {
        let text = "version: 1\ngithub: {org: python, team: psrt}\nmembers:\n  - name: A\n    github: alice\n    roles: [admin]\n";
        let r = crate::roster::parse(text.as_bytes()).unwrap().roster;
        let e = authorise(
            &r,
            &run("workflow_dispatch", "alice", "101", "alice"),
            Override::AllowMassRemoval,
        )
        .unwrap_err();
        assert!(
            e.contains("no admin in the roster has a `github_id` yet"),
            "{e}"
        );
    }
}
