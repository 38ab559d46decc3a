//! The plan: one [`Update`] per advisory, every decision in it, computed
//! from the roster, what was read, the ledger and the time, and nothing else.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{coordinator, credits, cve, fork, former, tags, team};
use crate::github::advisories::{AdvisoryState, Credit, ForkPull, Lifecycle, TitleTag};
use crate::ledger::Ledger;
use crate::roster::{Login, Roster};

/// What the plan reads.
pub struct State {
    /// Triage, draft and closed advisories of the repositories that could be read.
    pub advisories: Vec<Lifecycle>,
    /// Advisories read per repository, or why the repository could not be read.
    pub repos: BTreeMap<String, Result<usize, String>>,
    /// Logins in the GitHub team (active members).
    pub team: BTreeSet<Login>,
    /// Pull requests in the private forks of draft advisories, by GHSA id.
    pub forks: BTreeMap<String, Result<Vec<ForkPull>, String>>,
}

/// The CVE id a draft gets in this run's update.
#[derive(Clone, PartialEq, Eq)]
pub enum CvePlan {
    /// Reserve one from the CNA (then record it in the ledger, then write it).
    Reserve,
    /// The id reserved in an earlier run, from the ledger.
    Reuse(String),
}

impl fmt::Debug for CvePlan {
    /// Never the id: it is public only once the advisory is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CvePlan::Reserve => "Reserve",
            CvePlan::Reuse(_) => "Reuse(***)",
        })
    }
}

/// What the plan saw of an advisory: the fields its update replaces or
/// depends on. The update is written only if a fresh read still shows this
/// (a coordinator's edit in between is never overwritten).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Seen {
    state: AdvisoryState,
    tag: Option<TitleTag>,
    cve_id: Option<String>,
    fork: bool,
    users: Vec<String>,
    teams: Vec<String>,
    credits: Vec<(String, String)>,
}

impl Seen {
    pub(crate) fn of(a: &Lifecycle) -> Self {
        let lower = |v: &[String]| {
            let mut v: Vec<String> = v.iter().map(|s| s.to_ascii_lowercase()).collect();
            v.sort();
            v
        };
        let mut credits: Vec<(String, String)> = a
            .advisory
            .credits
            .iter()
            .map(|c| (c.login.to_ascii_lowercase(), c.kind.clone()))
            .collect();
        credits.sort();
        Self {
            state: a.advisory.state,
            tag: a.title_tag,
            cve_id: a.cve_id.clone(),
            fork: a.advisory.private_fork.is_some(),
            users: lower(&a.advisory.collaborating_users),
            teams: lower(&a.advisory.collaborating_teams),
            credits,
        }
    }
}

/// For the new coordinator's email.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct AdvisoryInfo {
    pub html_url: String,
    pub created_at: DateTime<Utc>,
}

/// One advisory's update: every decision about it this run. `Debug` and the
/// public output show the id and the kinds of decision, never who.
#[derive(Clone, PartialEq, Eq)]
pub struct Update {
    pub repo: String,
    pub ghsa_id: String,
    pub state: AdvisoryState,
    /// A closing title tag: close it, and nothing else this run.
    pub close: bool,
    /// An accepting title tag on a triage report: move it to draft.
    pub accept: bool,
    /// A draft without a temporary private fork gets one.
    pub create_fork: bool,
    /// A draft in `cve.repos` without a CVE id gets one.
    pub cve: Option<CvePlan>,
    pub add_team: Option<String>,
    /// Members outside the team, added as collaborating users.
    pub add_users: Vec<String>,
    /// Former members whose access is removed.
    pub remove_users: Vec<String>,
    /// The coordinator assigned to a report that waited past the grace period.
    pub assign: Option<String>,
    /// Remediation credits from the private fork's pull requests.
    pub credits_added: Vec<Credit>,
    /// The full lists to send (the API replaces them), when they change.
    pub(crate) teams: Option<Vec<String>>,
    pub(crate) users: Option<Vec<String>>,
    pub(crate) credits: Option<Vec<Credit>>,
    pub(crate) seen: Seen,
    pub(crate) info: AdvisoryInfo,
}

impl fmt::Debug for Update {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d: Vec<String> = self.decisions().iter().map(ToString::to_string).collect();
        write!(
            f,
            "Update({}: {}{})",
            self.ghsa_id,
            d.join("; "),
            if self.remove_users.is_empty() {
                ""
            } else {
                " (+ access review)"
            }
        )
    }
}

/// A decision as it is printed: a kind, never a person or a count. Former
/// members' removals are not among them: they are reported as a total
/// across reports (see [`super::report`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Close,
    MoveToDraft,
    CreateFork,
    ReserveCve,
    SetReservedCve,
    AddTeam(String),
    AddCollaboratingUsers,
    AssignCoordinator,
    AddRemediationCredits,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Close => f.write_str("close (title tag)"),
            Decision::MoveToDraft => f.write_str("move to draft (title tag)"),
            Decision::CreateFork => f.write_str("create the private fork"),
            Decision::ReserveCve => f.write_str("reserve a CVE id"),
            Decision::SetReservedCve => f.write_str("set the CVE id reserved earlier"),
            Decision::AddTeam(t) => write!(f, "add team {t}"),
            Decision::AddCollaboratingUsers => f.write_str("add collaborating users"),
            Decision::AssignCoordinator => f.write_str("assign a coordinator"),
            Decision::AddRemediationCredits => f.write_str("add remediation credits"),
        }
    }
}

impl Update {
    fn new(a: &Lifecycle) -> Self {
        Self {
            repo: a.advisory.repo.clone(),
            ghsa_id: a.advisory.ghsa_id.clone(),
            state: a.advisory.state,
            close: false,
            accept: false,
            create_fork: false,
            cve: None,
            add_team: None,
            add_users: vec![],
            remove_users: vec![],
            assign: None,
            credits_added: vec![],
            teams: None,
            users: None,
            credits: None,
            seen: Seen::of(a),
            info: AdvisoryInfo {
                html_url: a.advisory.html_url.clone(),
                created_at: a.advisory.created_at,
            },
        }
    }

    /// The decisions shown for this report, in the order they are made.
    pub fn decisions(&self) -> Vec<Decision> {
        let mut d = Vec::new();
        if self.close {
            d.push(Decision::Close);
        }
        if self.accept {
            d.push(Decision::MoveToDraft);
        }
        if self.create_fork {
            d.push(Decision::CreateFork);
        }
        match &self.cve {
            Some(CvePlan::Reserve) => d.push(Decision::ReserveCve),
            Some(CvePlan::Reuse(_)) => d.push(Decision::SetReservedCve),
            None => {}
        }
        if let Some(t) = &self.add_team {
            d.push(Decision::AddTeam(t.clone()));
        }
        if !self.add_users.is_empty() {
            d.push(Decision::AddCollaboratingUsers);
        }
        if self.assign.is_some() {
            d.push(Decision::AssignCoordinator);
        }
        if !self.credits_added.is_empty() {
            d.push(Decision::AddRemediationCredits);
        }
        d
    }

    /// Does anything change?
    fn is_empty(&self) -> bool {
        self.decisions().is_empty() && self.remove_users.is_empty()
    }

    /// The PATCH body, given the CVE id to set (if one could be had);
    /// `None` when there is nothing to write.
    pub(crate) fn patch_body(&self, cve_id: Option<&str>) -> Option<serde_json::Value> {
        let mut body = serde_json::Map::new();
        if self.close {
            body.insert("state".into(), "closed".into());
            return Some(serde_json::Value::Object(body));
        }
        if self.accept {
            body.insert("state".into(), "draft".into());
        }
        if let Some(id) = cve_id {
            body.insert("cve_id".into(), id.into());
        }
        if let Some(t) = &self.teams {
            body.insert("collaborating_teams".into(), serde_json::json!(t));
        }
        if let Some(u) = &self.users {
            body.insert("collaborating_users".into(), serde_json::json!(u));
        }
        if let Some(c) = &self.credits {
            body.insert("credits".into(), serde_json::json!(c));
        }
        (!body.is_empty()).then_some(serde_json::Value::Object(body))
    }
}

impl PartialOrd for Update {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Update {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (&self.repo, &self.ghsa_id).cmp(&(&other.repo, &other.ghsa_id))
    }
}

/// The whole plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Sorted by repository and GHSA id.
    pub updates: Vec<Update>,
    /// Advisories read per repository, or why it could not be read.
    pub repos: BTreeMap<String, Result<usize, String>>,
    pub notes: Vec<String>,
    /// Collaborating users on unpublished reports who are neither members,
    /// nor former members, nor credited there (distinct people, a total).
    pub unaccounted: usize,
    /// Reports whose CVE id reserved earlier is now on the advisory: the
    /// ledger forgets the reservation.
    pub ledger_clears: Vec<String>,
}

/// What every rule may consult.
pub(crate) struct Context<'a> {
    pub roster: &'a Roster,
    pub state: &'a State,
    pub ledger: &'a Ledger,
    pub now: DateTime<Utc>,
}

/// The working lists of one advisory while the rules decide.
pub(crate) struct Lists {
    pub users: Vec<String>,
    pub teams: Vec<String>,
    pub credits: Vec<Credit>,
    pub users_changed: bool,
    pub teams_changed: bool,
    pub credits_changed: bool,
}

/// The plan, from the roster, what was read, the ledger and the time: pure.
pub fn plan(roster: &Roster, state: &State, ledger: &Ledger, now: DateTime<Utc>) -> Plan {
    let ctx = Context {
        roster,
        state,
        ledger,
        now,
    };
    let mut out = Plan {
        updates: vec![],
        repos: state.repos.clone(),
        notes: vec![],
        unaccounted: former::unaccounted(&ctx),
        ledger_clears: vec![],
    };
    let mut loads = coordinator::Loads::of(&state.advisories);
    // Oldest first: coordinators are assigned in the order reports arrived.
    let mut list: Vec<&Lifecycle> = state.advisories.iter().collect();
    list.sort_by(|a, b| {
        (a.advisory.created_at, &a.advisory.ghsa_id)
            .cmp(&(b.advisory.created_at, &b.advisory.ghsa_id))
    });
    for a in list {
        let st = a.advisory.state;
        if !(st.is_open() || st == AdvisoryState::Closed) {
            continue;
        }
        cve::housekeeping(&ctx, a, &mut out);
        let mut u = Update::new(a);
        let mut lists = Lists {
            users: a.advisory.collaborating_users.clone(),
            teams: a.advisory.collaborating_teams.clone(),
            credits: a.advisory.credits.clone(),
            users_changed: false,
            teams_changed: false,
            credits_changed: false,
        };
        // A closing tag closes, and nothing else happens to it this run.
        if tags::decide(a, &mut u) {
            out.updates.push(u);
            continue;
        }
        former::decide(&ctx, a, &mut u, &mut lists);
        if st.is_open() {
            team::decide(&ctx, a, &mut u, &mut lists);
            fork::decide(a, &mut u);
            cve::decide(&ctx, a, &mut u);
            coordinator::decide(&ctx, a, &mut u, &mut lists, &mut loads, &mut out.notes);
            credits::decide(&ctx, a, &mut u, &mut lists, &mut out.notes);
        }
        u.users = lists.users_changed.then_some(lists.users);
        u.teams = lists.teams_changed.then_some(lists.teams);
        u.credits = lists.credits_changed.then_some(lists.credits);
        if !u.is_empty() {
            out.updates.push(u);
        }
    }
    out.updates.sort();
    out.notes.sort();
    out.notes.dedup();
    out.ledger_clears.sort();
    out
}
