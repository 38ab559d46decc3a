//! Advisory hygiene (`psrt advisories`): for each open (triage or draft)
//! advisory of `github.advisory_repos`:
//!
//! 1. the team (`github.team`) collaborates on it;
//! 2. roster members who are not in the team (outside the org, or their
//!    invitation pending) collaborate on it as users;
//! 3. former members are removed from the collaborating users of every
//!    unpublished advisory, closed ones included (leaving the PSRT ends access
//!    to embargoed reports); anyone else a coordinator added stays;
//! 4. a `triage` advisory older than `coordinator_grace_days` without a
//!    coordinator credit gets one: a current member who is neither Release
//!    Manager nor Steering Council, the one coordinating the fewest open
//!    reports; ties go to whoever has coordinated fewer of the reports read
//!    (any state), then to roster order. Existing credits are kept. The
//!    assignee is emailed (admins, when they have no address).
//!
//! Published and withdrawn advisories are never touched; closed ones only by
//! rule 3. One update per advisory carries all its changes. Output names the
//! GHSA id and what changes ("add 2 collaborating users"), never who: that
//! would pair a person with an embargoed report in a public log.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use http::Method;

use crate::github::advisories::{self, Advisory, AdvisoryState, Credit};
use crate::github::{GitHub, enc};
use crate::roster::{Login, Roster};
use crate::sync::{ApplyError, Change, Plan, Reconciler, Service};

/// One advisory's update. `Debug` shows the id and counts only.
#[derive(Clone, PartialEq, Eq)]
pub struct Update {
    pub repo: String,
    pub ghsa_id: String,
    pub add_team: Option<String>,
    pub add_users: Vec<String>,
    pub remove_users: Vec<String>,
    pub assign: Option<String>,
    /// The full lists to send (the API replaces them).
    teams: Vec<String>,
    users: Vec<String>,
    credits: Vec<Credit>,
    /// For the assignee's email.
    advisory: Option<Box<AdvisoryInfo>>,
}

#[derive(Clone, PartialEq, Eq)]
struct AdvisoryInfo {
    html_url: String,
    created_at: DateTime<Utc>,
}

impl fmt::Debug for Update {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Update({}: {})", self.ghsa_id, self.describe())
    }
}

impl Update {
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(t) = &self.add_team {
            parts.push(format!("add team {t}"));
        }
        let n = self.add_users.len();
        if n > 0 {
            parts.push(format!(
                "add {n} collaborating user{}",
                if n == 1 { "" } else { "s" }
            ));
        }
        let n = self.remove_users.len();
        if n > 0 {
            parts.push(format!(
                "remove {n} former member{}",
                if n == 1 { "" } else { "s" }
            ));
        }
        if self.assign.is_some() {
            parts.push("assign a coordinator".to_owned());
        }
        parts.join("; ")
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

impl Change for Update {
    fn action(&self) -> &'static str {
        "update"
    }
    fn subject(&self) -> String {
        self.ghsa_id.clone()
    }
    fn detail(&self) -> Option<String> {
        Some(format!("({}) {}", self.repo, self.describe()))
    }
    /// Removing a former member's access is never held back by the removal
    /// cap: it is the point of rule 3.
    fn is_removal(&self) -> bool {
        false
    }
    fn sign(&self) -> char {
        '~'
    }
}

/// What the plan reads.
pub struct State {
    pub advisories: Vec<Advisory>,
    /// Logins in the GitHub team (active members).
    pub team: BTreeSet<Login>,
}

/// Emails a new coordinator (login, update).
pub type Notify<'a> =
    dyn Fn(&str, &Update) -> futures::future::BoxFuture<'a, anyhow::Result<()>> + Sync + 'a;

pub struct Hygiene<'a> {
    pub gh: &'a GitHub,
    pub now: DateTime<Utc>,
    /// Sends the assignee's email after an assignment; `None` to skip.
    pub notify: Option<&'a Notify<'a>>,
}

/// The plan, from the roster, what was read and the time: pure.
pub fn plan(roster: &Roster, state: &State, now: DateTime<Utc>) -> Plan<Update> {
    let mut plan = Plan::new(Service::Advisories, target(roster), state.advisories.len());
    let team_slug = roster.github.team.clone();
    let outside: Vec<&crate::roster::Member> = roster
        .members
        .iter()
        .filter(|m| !state.team.contains(&m.github))
        .collect();
    let former: BTreeSet<Login> = roster
        .emeritus
        .iter()
        .filter_map(|e| e.github.clone())
        .filter(|l| roster.member(l).is_none())
        .collect();

    // Coordinations per member: open ones, then all read.
    let mut open_load: BTreeMap<Login, usize> = BTreeMap::new();
    let mut all_load: BTreeMap<Login, usize> = BTreeMap::new();
    for a in &state.advisories {
        for c in a.coordinators() {
            *all_load.entry(Login::from(c)).or_default() += 1;
            if a.state.is_open() {
                *open_load.entry(Login::from(c)).or_default() += 1;
            }
        }
    }
    let candidates: Vec<(usize, &crate::roster::Member)> = roster
        .members
        .iter()
        .enumerate()
        .filter(|(_, m)| !roster.is_exempt(m))
        .collect();
    let grace = Duration::days(i64::from(roster.policy.coordinator_grace_days));

    let mut list: Vec<&Advisory> = state.advisories.iter().collect();
    // Assign in the order reports arrived: the oldest waited longest.
    list.sort_by(|a, b| (a.created_at, &a.ghsa_id).cmp(&(b.created_at, &b.ghsa_id)));
    for a in list {
        if !(a.state.is_open() || a.state == AdvisoryState::Closed) {
            continue;
        }
        let mut users: Vec<String> = a.collaborating_users.clone();
        let mut teams: Vec<String> = a.collaborating_teams.clone();
        let mut credits = a.credits.clone();
        let mut u = Update {
            repo: a.repo.clone(),
            ghsa_id: a.ghsa_id.clone(),
            add_team: None,
            add_users: vec![],
            remove_users: vec![],
            assign: None,
            teams: vec![],
            users: vec![],
            credits: vec![],
            advisory: None,
        };
        // Rule 3: former members lose access (closed reports too).
        let before = users.len();
        users.retain(|l| {
            let gone = former.contains(&Login::from(l.as_str()));
            if gone {
                u.remove_users.push(l.clone());
            }
            !gone
        });
        let users_changed = users.len() != before;
        if a.state.is_open() {
            // Rule 1: the team.
            if !teams.iter().any(|t| t.eq_ignore_ascii_case(&team_slug)) {
                teams.push(team_slug.clone());
                u.add_team = Some(team_slug.clone());
            }
            // Rule 2: members outside the team, as users.
            for m in &outside {
                if !users
                    .iter()
                    .any(|l| l.eq_ignore_ascii_case(m.github.as_str()))
                {
                    users.push(m.github.to_string());
                    u.add_users.push(m.github.to_string());
                }
            }
            // Rule 4: a coordinator for a triage report past the grace period.
            if a.state == AdvisoryState::Triage
                && a.coordinators().is_empty()
                && now - a.created_at > grace
            {
                let pick = candidates
                    .iter()
                    .min_by_key(|(i, m)| {
                        (
                            open_load.get(&m.github).copied().unwrap_or(0),
                            all_load.get(&m.github).copied().unwrap_or(0),
                            *i,
                        )
                    })
                    .map(|(_, m)| m.github.clone());
                match pick {
                    Some(login) => {
                        *open_load.entry(login.clone()).or_default() += 1;
                        *all_load.entry(login.clone()).or_default() += 1;
                        credits.push(Credit { login: login.to_string(), kind: "coordinator".into() });
                        u.assign = Some(login.to_string());
                        u.advisory = Some(Box::new(AdvisoryInfo { html_url: a.html_url.clone(), created_at: a.created_at }));
                    }
                    None => plan.notes.push(format!("{}: no member can coordinate it (everyone is a Release Manager or on the Steering Council)", a.ghsa_id)),
                }
            }
        }
        if u.add_team.is_some() || !u.add_users.is_empty() || users_changed || u.assign.is_some() {
            u.teams = if u.add_team.is_some() { teams } else { vec![] };
            u.users = if !u.add_users.is_empty() || users_changed {
                users
            } else {
                vec![]
            };
            u.credits = if u.assign.is_some() { credits } else { vec![] };
            plan.changes.push(u);
        }
    }
    plan
}

fn target(roster: &Roster) -> String {
    roster.github.advisory_repos.join(", ")
}

impl Reconciler for Hygiene<'_> {
    type Change = Update;
    type State = State;

    fn service(&self) -> Service {
        Service::Advisories
    }
    fn target(&self) -> String {
        "advisories".to_owned()
    }

    async fn read(&self, roster: &Roster) -> anyhow::Result<State> {
        let states = [
            AdvisoryState::Triage,
            AdvisoryState::Draft,
            AdvisoryState::Closed,
        ];
        let g = &roster.github;
        let ((list, errors), team) = tokio::join!(
            advisories::in_states(self.gh, &g.advisory_repos, &states),
            crate::roster::online::team_logins(self.gh, &g.org, &g.team),
        );
        if let Some((repo, e)) = errors.into_iter().next() {
            anyhow::bail!("cannot read the advisories of {repo}: {}", e.reason());
        }
        let team = team.map_err(|e| {
            anyhow::anyhow!("cannot read team {}/{}: {}", g.org, g.team, e.reason())
        })?;
        Ok(State {
            advisories: list,
            team: team.into_iter().collect(),
        })
    }

    fn plan(&self, roster: &Roster, state: &State) -> Plan<Update> {
        let mut p = plan(roster, state, self.now);
        p.target = target(roster);
        p
    }

    async fn apply(&self, u: &Update) -> Result<Option<String>, ApplyError> {
        let (owner, name) = u.repo.split_once('/').unwrap_or((&u.repo, ""));
        let path = format!(
            "/repos/{}/{}/security-advisories/{}",
            enc(owner),
            enc(name),
            enc(&u.ghsa_id)
        );
        let mut body = serde_json::Map::new();
        if u.add_team.is_some() {
            body.insert("collaborating_teams".into(), serde_json::json!(u.teams));
        }
        if !u.add_users.is_empty() || !u.remove_users.is_empty() {
            body.insert("collaborating_users".into(), serde_json::json!(u.users));
        }
        if u.assign.is_some() {
            body.insert("credits".into(), serde_json::json!(u.credits));
        }
        self.gh
            .write(Method::PATCH, &path, Some(&serde_json::Value::Object(body)))
            .await?;
        match (&u.assign, self.notify) {
            (Some(login), Some(notify)) => match notify(login, u).await {
                Ok(()) => Ok(Some("the coordinator was emailed".into())),
                Err(e) => Err(ApplyError::Failed(anyhow::anyhow!(
                    "updated, but the coordinator's email failed: {e:#}"
                ))),
            },
            (Some(_), None) => Ok(Some(
                "the coordinator was not emailed (no SMTP configured)".into(),
            )),
            (None, _) => Ok(None),
        }
    }
}

/// The assignee's email: to them, or to the admins when they have no address.
pub fn assignment_email(
    templates: &crate::notify::Templates,
    roster: &Roster,
    login: &str,
    u: &Update,
    now: DateTime<Utc>,
) -> anyhow::Result<crate::notify::Email> {
    let info = u
        .advisory
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("no advisory details"))?;
    let a = Advisory {
        repo: u.repo.clone(),
        ghsa_id: u.ghsa_id.clone(),
        html_url: info.html_url.clone(),
        state: AdvisoryState::Triage,
        created_at: info.created_at,
        updated_at: None,
        closed_at: None,
        published_at: None,
        credits: vec![],
        collaborating_users: vec![],
        collaborating_teams: vec![],
        private_fork: None,
    };
    let (subject, body) = templates.render(
        "coordinator-assigned.txt",
        crate::notify::report_context(&a, roster, now),
    )?;
    let to: Vec<String> = match roster
        .member(&Login::from(login))
        .and_then(|m| m.email.clone())
    {
        Some(e) => vec![e],
        None => roster.admins().filter_map(|m| m.email.clone()).collect(),
    };
    if to.is_empty() {
        anyhow::bail!(
            "nobody to email: the coordinator and the admins have no address in the roster"
        );
    }
    Ok(crate::notify::Email {
        to,
        cc: vec![],
        subject,
        body,
    })
}

/// One run of `psrt advisories`: read, plan and, with `apply`, update each
/// advisory and email each new coordinator (when a mailer is given).
pub async fn run(
    gh: &GitHub,
    roster: &Roster,
    now: DateTime<Utc>,
    apply: bool,
    mailer: Option<&crate::notify::Mailer>,
    templates: &crate::notify::Templates,
) -> crate::sync::ServiceReport {
    let notify = |login: &str, u: &Update| -> futures::future::BoxFuture<'_, anyhow::Result<()>> {
        let email = assignment_email(templates, roster, login, u, now);
        Box::pin(async move {
            let email = email?;
            match mailer {
                Some(m) => m.send(&email).await,
                None => Ok(()),
            }
        })
    };
    let hygiene = Hygiene {
        gh,
        now,
        notify: mailer.map(|_| &notify as _),
    };
    let mut report = crate::sync::run_service(
        &hygiene,
        roster,
        crate::sync::Options {
            apply,
            allow_mass_removal: false,
        },
    )
    .await;
    report.target = target(roster);
    report
}
