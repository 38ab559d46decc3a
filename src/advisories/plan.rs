//! The plan: one [`Update`] per advisory, every decision in it, computed
//! from the roster, what was read, the ledger and the time, and nothing else.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{coordinator, credits, cve, fork, former, tags, team};
use crate::github::advisories::{
    AdvisoryState, AdvisoryUpdate, Credit, ForkPull, Lifecycle, TitleTag,
};
use crate::ids::{GhsaId, RepoName};
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
    pub forks: BTreeMap<GhsaId, Result<Vec<ForkPull>, String>>,
}

/// The CVE id a draft gets in this run's update.
#[derive(Clone, PartialEq, Eq)]
pub enum CvePlan {
    /// Reserve one from the CNA (then record it in the ledger, then write it).
    Reserve,
    /// The id reserved in an earlier run, from the ledger.
    Reuse(String),
    /// An earlier run asked for one at this time and got no answer: find
    /// the id in CVE Services (reserve one only if none was reserved).
    Recover(DateTime<Utc>),
}

impl fmt::Debug for CvePlan {
    /// Never the id: it is public only once the advisory is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CvePlan::Reserve => "Reserve",
            CvePlan::Reuse(_) => "Reuse(***)",
            CvePlan::Recover(_) => "Recover",
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
    pub repo: RepoName,
    pub ghsa_id: GhsaId,
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
    FindLostCve,
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
            Decision::FindLostCve => {
                f.write_str("find the CVE id whose reservation got no answer, or reserve one")
            }
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
            Some(CvePlan::Recover(_)) => d.push(Decision::FindLostCve),
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

    /// The update to send, given the CVE id to set (if one could be had);
    /// `None` when there is nothing to write.
    pub(crate) fn patch_body(&self, cve_id: Option<&str>) -> Option<AdvisoryUpdate> {
        if self.close {
            return Some(AdvisoryUpdate {
                state: Some(AdvisoryState::Closed),
                ..AdvisoryUpdate::default()
            });
        }
        let update = AdvisoryUpdate {
            state: self.accept.then_some(AdvisoryState::Draft),
            cve_id: cve_id.map(str::to_owned),
            collaborating_teams: self.teams.clone(),
            collaborating_users: self.users.clone(),
            credits: self.credits.clone(),
        };
        (!update.is_empty()).then_some(update)
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
    pub ledger_clears: Vec<GhsaId>,
    /// The CVE ids the advisories read carry: never taken for a lost answer.
    pub carried_cve_ids: BTreeSet<String>,
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
        carried_cve_ids: state
            .advisories
            .iter()
            .filter_map(|a| a.cve_id.as_ref())
            .map(|id| id.to_ascii_uppercase())
            .collect(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::advisories::{Advisory, Collaborator};
    use crate::github::model::Account as ForkUser;

    fn repo(s: &str) -> RepoName {
        RepoName::parse(s).unwrap()
    }

    fn roster() -> Roster {
        crate::roster::parse(
            br#"version: 1
github:
  org: python
  team: psrt
  advisory_repos: [python/cpython, pypa/pip]
cve:
  org: PSF
  repos: [python/cpython]
members:
  - name: A
    github: alice
    github_id: 1
    roles: [admin]
  - name: B
    github: bob
    roles: [admin]
emeritus:
  - name: Gone
    github: gone
    github_id: 9
  - name: Old
    github: old
"#,
        )
        .unwrap()
        .roster
    }

    fn report(id: &str, state: AdvisoryState) -> Lifecycle {
        let now = Utc::now();
        Lifecycle {
            advisory: Advisory {
                repo: repo("python/cpython"),
                ghsa_id: id.into(),
                html_url: String::new(),
                state,
                created_at: now,
                updated_at: None,
                closed_at: None,
                published_at: None,
                credits: vec![Credit {
                    login: "alice".into(),
                    kind: "coordinator".into(),
                }],
                collaborating_users: vec![],
                collaborating_teams: vec!["psrt".into()],
                private_fork: None,
            },
            title_tag: None,
            cve_id: None,
            collaborators: vec![],
            reporter_id: None,
        }
    }

    fn with_user(mut a: Lifecycle, login: &str, id: u64) -> Lifecycle {
        a.advisory.collaborating_users.push(login.into());
        a.collaborators.push(Collaborator {
            login: login.into(),
            id,
        });
        a
    }

    fn state(advisories: Vec<Lifecycle>) -> State {
        State {
            advisories,
            repos: BTreeMap::new(),
            team: ["alice", "bob"].into_iter().map(Login::from).collect(),
            forks: BTreeMap::new(),
        }
    }

    fn user(login: &str, id: u64) -> ForkUser {
        ForkUser {
            login: login.into(),
            id,
            is_bot: false,
        }
    }

    #[test]
    fn a_closing_tag_closes_and_nothing_else_happens() {
        let mut a = with_user(report("GHSA-1", AdvisoryState::Draft), "gone", 9);
        a.title_tag = Some(TitleTag::Close);
        a.advisory.collaborating_teams.clear();
        let p = plan(&roster(), &state(vec![a]), &Ledger::default(), Utc::now());
        let u = &p.updates[0];
        assert_eq!(u.decisions(), [Decision::Close]);
        assert!(u.remove_users.is_empty() && u.cve.is_none() && !u.create_fork);
        assert_eq!(
            u.patch_body(None).map(|b| serde_json::to_value(b).unwrap()),
            Some(serde_json::json!({ "state": "closed" }))
        );
    }

    #[test]
    fn an_accepted_report_gets_its_fork_and_cve_id_in_the_same_run() {
        let mut a = report("GHSA-1", AdvisoryState::Triage);
        a.title_tag = Some(TitleTag::Accept);
        let mut pip = report("GHSA-2", AdvisoryState::Draft);
        pip.advisory.repo = repo("pypa/pip");
        let mut has_id = report("GHSA-3", AdvisoryState::Draft);
        has_id.cve_id = Some("CVE-2026-1234".into());
        has_id.advisory.private_fork = Some(repo("python/cpython-ghsa-3"));
        let mut accepted_draft = report("GHSA-4", AdvisoryState::Draft);
        accepted_draft.title_tag = Some(TitleTag::Accept);
        accepted_draft.advisory.private_fork = Some(repo("python/cpython-ghsa-4"));
        accepted_draft.cve_id = Some("CVE-2026-4321".into());
        let p = plan(
            &roster(),
            &state(vec![a, pip, has_id, accepted_draft]),
            &Ledger::default(),
            Utc::now(),
        );
        let d: Vec<(String, Vec<Decision>)> = p
            .updates
            .iter()
            .map(|u| (u.ghsa_id.to_string(), u.decisions()))
            .collect();
        assert_eq!(
            d,
            [
                // pip is not in cve.repos: a fork, no CVE id.
                ("GHSA-2".to_owned(), vec![Decision::CreateFork]),
                (
                    "GHSA-1".to_owned(),
                    vec![
                        Decision::MoveToDraft,
                        Decision::CreateFork,
                        Decision::ReserveCve
                    ]
                ),
            ],
            "a report with an id gets none; [ACCEPT] on a draft does nothing"
        );
        let body =
            serde_json::to_value(p.updates[1].patch_body(Some("CVE-2026-0001")).unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({ "state": "draft", "cve_id": "CVE-2026-0001" })
        );
    }

    #[test]
    fn an_id_in_the_ledger_is_used_before_any_new_one_and_forgotten_once_carried() {
        let mut ledger = Ledger::default();
        ledger
            .reservation_answered("GHSA-1", "CVE-2026-1111", Utc::now())
            .unwrap();
        ledger
            .reservation_answered("GHSA-2", "CVE-2026-2222", Utc::now())
            .unwrap();
        let a = report("GHSA-1", AdvisoryState::Draft);
        let mut b = report("GHSA-2", AdvisoryState::Draft);
        b.cve_id = Some("CVE-2026-2222".into());
        b.advisory.private_fork = Some(repo("python/f"));
        let p = plan(&roster(), &state(vec![a, b]), &ledger, Utc::now());
        assert_eq!(
            p.updates[0].cve,
            Some(CvePlan::Reuse("CVE-2026-1111".into()))
        );
        assert_eq!(p.updates.len(), 1);
        assert_eq!(p.ledger_clears, ["GHSA-2"]);
        assert!(!format!("{:?}", p.updates[0]).contains("1111"));
    }

    #[test]
    fn former_members_are_matched_by_id_when_the_entry_has_one() {
        let a = with_user(report("GHSA-1", AdvisoryState::Closed), "gone-renamed", 9);
        let a = with_user(a, "gone", 77); // someone else took the login
        let a = with_user(a, "old", 5); // no id recorded: by login
        let a = with_user(a, "helper", 6);
        let p = plan(&roster(), &state(vec![a]), &Ledger::default(), Utc::now());
        let u = &p.updates[0];
        assert_eq!(u.remove_users, ["gone-renamed", "old"]);
        assert!(u.decisions().is_empty(), "removals are not on the line");
        assert_eq!(
            p.unaccounted, 2,
            "the login's new owner and the helper, counted"
        );
    }

    #[test]
    fn remediation_credits_never_replace_one_nor_credit_the_reporter() {
        let mut a = report("GHSA-1", AdvisoryState::Draft);
        a.advisory.private_fork = Some(repo("python/cpython-ghsa-1"));
        a.cve_id = Some("CVE-2026-1000".into());
        a.reporter_id = Some(50);
        a.advisory.credits.push(Credit {
            login: "finder".into(),
            kind: "finder".into(),
        });
        let pulls = vec![
            ForkPull {
                author: Some(user("dev", 10)),
                approvers: vec![user("alice", 1), user("rev", 11), user("dev", 10)],
            },
            ForkPull {
                author: Some(user("reporter", 50)),
                approvers: vec![
                    user("finder", 12),
                    ForkUser {
                        login: "ci[bot]".into(),
                        id: 13,
                        is_bot: true,
                    },
                ],
            },
        ];
        let mut s = state(vec![a]);
        s.forks.insert("GHSA-1".into(), Ok(pulls));
        let p = plan(&roster(), &s, &Ledger::default(), Utc::now());
        let u = &p.updates[0];
        assert_eq!(u.decisions(), [Decision::AddRemediationCredits]);
        let added: Vec<(&str, &str)> = u
            .credits_added
            .iter()
            .map(|c| (c.login.as_str(), c.kind.as_str()))
            .collect();
        assert_eq!(
            added,
            [
                ("dev", "remediation_developer"),
                ("rev", "remediation_reviewer")
            ]
        );
        assert_eq!(
            u.credits.as_ref().map(Vec::len),
            Some(4),
            "existing credits kept"
        );
        // A fork that cannot be read: a note, and no credit decided.
        let mut s2 = state(vec![s.advisories[0].clone()]);
        s2.forks
            .insert("GHSA-1".into(), Err("404 Not Found".into()));
        let p = plan(&roster(), &s2, &Ledger::default(), Utc::now());
        assert!(p.updates.is_empty());
        assert!(
            p.notes[0].contains("remediation credits not checked"),
            "{:?}",
            p.notes
        );
    }
}
