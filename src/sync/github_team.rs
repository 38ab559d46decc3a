//! The GitHub team: roster members are team members, admins are maintainers,
//! everyone else is removed. Access follows the account, not the name: a
//! member with `github_id` is that account whatever its login today (a
//! rename is followed, and whoever holds their old login is a stranger); a
//! member without one is recognised by login in the team they already hold,
//! but granted nothing new (no place, no maintainer role) until the roster
//! records their id (`psrt pin-ids`). A pending invitation counts as
//! present; a failed one is sent again once, and one that failed twice is
//! flagged to the admins instead (in the plan every run, by email once).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::plan::{Alert, Change, Plan, Service};
use super::{ApplyError, Reconciler};
use crate::desired;
use crate::github::model::MembershipState;
pub use crate::github::model::TeamRole;
use crate::github::{GitHub, Level, Permission};
use crate::roster::Roster;

/// Reading the team, its invitations and the organisation's members (a dry run).
pub const READ_PERMISSIONS: &[Permission] = &[("members", Level::Read)];
/// Adding, removing, inviting and changing roles (`--apply`).
pub const WRITE_PERMISSIONS: &[Permission] = &[("members", Level::Write)];

/// The GitHub scope of `psrt sync` (the team): the organisation only.
pub fn scope(roster: &Roster, apply: bool) -> crate::github::Scope {
    crate::github::Scope::org(
        &roster.github.org,
        if apply {
            WRITE_PERMISSIONS
        } else {
            READ_PERMISSIONS
        },
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeamChange {
    /// Add (or invite, when they are outside the org).
    Add {
        login: String,
        role: TeamRole,
        renamed_from: Option<String>,
    },
    /// Their invitation failed once: send it again.
    Reinvite {
        login: String,
        role: TeamRole,
        reason: String,
    },
    SetRole {
        login: String,
        from: TeamRole,
        to: TeamRole,
    },
    /// A pending invitation, to this team only, for someone not in the roster.
    CancelInvitation {
        login: String,
        invitation_id: u64,
    },
    Remove {
        login: String,
        role: TeamRole,
    },
}

impl TeamChange {
    fn key(&self) -> (u8, String) {
        let (rank, login) = match self {
            TeamChange::Add { login, .. } => (0, login),
            TeamChange::Reinvite { login, .. } => (1, login),
            TeamChange::SetRole { login, .. } => (2, login),
            TeamChange::CancelInvitation { login, .. } => (3, login),
            TeamChange::Remove { login, .. } => (4, login),
        };
        (rank, login.to_ascii_lowercase())
    }
}

impl PartialOrd for TeamChange {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for TeamChange {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl Change for TeamChange {
    fn action(&self) -> &'static str {
        match self {
            TeamChange::Add { .. } => "add",
            TeamChange::Reinvite { .. } => "reinvite",
            TeamChange::SetRole { .. } => "role",
            TeamChange::CancelInvitation { .. } => "cancel-invitation",
            TeamChange::Remove { .. } => "remove",
        }
    }
    fn subject(&self) -> String {
        match self {
            TeamChange::Add { login, .. }
            | TeamChange::Reinvite { login, .. }
            | TeamChange::SetRole { login, .. }
            | TeamChange::CancelInvitation { login, .. }
            | TeamChange::Remove { login, .. } => login.clone(),
        }
    }
    fn detail(&self) -> Option<String> {
        Some(match self {
            TeamChange::Add {
                role,
                renamed_from: None,
                ..
            } => format!("({role})"),
            TeamChange::Add {
                role,
                renamed_from: Some(old),
                ..
            } => format!("({role}; the roster says `{old}`)"),
            TeamChange::Reinvite { role, reason, .. } => {
                format!("({role}; the last invitation failed: {reason})")
            }
            TeamChange::SetRole { from, to, .. } => format!("{from} → {to}"),
            TeamChange::CancelInvitation { .. } => "(not in the roster)".to_owned(),
            TeamChange::Remove { role, .. } => format!("({role})"),
        })
    }
    fn is_removal(&self) -> bool {
        matches!(self, TeamChange::Remove { .. })
    }
    fn sign(&self) -> char {
        match self {
            TeamChange::Add { .. } | TeamChange::Reinvite { .. } => '+',
            TeamChange::SetRole { .. } => '~',
            TeamChange::CancelInvitation { .. } | TeamChange::Remove { .. } => '-',
        }
    }
}

/// Someone in the team now.
#[derive(Debug, Clone)]
pub struct TeamMember {
    pub login: String,
    pub id: u64,
    pub role: TeamRole,
}

#[derive(Debug, Clone)]
pub struct PendingInvitation {
    pub id: u64,
    pub login: String,
    /// Is this team the invitation's only team? (Only then may psrt cancel it.)
    pub only_this_team: bool,
}

/// The organisation's failed invitations to one login.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Failures {
    pub count: usize,
    /// The latest failure's reason.
    pub reason: String,
    /// When the latest failed.
    pub last: Option<DateTime<Utc>>,
}

/// How long a failure is news: the nightly runs once a day, so a second
/// failure is emailed by the first writing run after it, once.
pub const ALERT_WINDOW: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// Everything the plan needs, read completely.
#[derive(Debug, Clone, Default)]
pub struct TeamState {
    pub members: Vec<TeamMember>,
    pub pending: Vec<PendingInvitation>,
    /// login (lower case) → its failed invitations.
    pub failed: HashMap<String, Failures>,
    /// github_id → the account's login today, for roster members with an id
    /// who are not in the team.
    pub current_logins: HashMap<u64, String>,
    /// When it was read (a failure newer than [`ALERT_WINDOW`] is news).
    pub read_at: Option<DateTime<Utc>>,
}

impl TeamState {
    /// The login a seat's person holds today: by id (`None` when GitHub has
    /// no account with it, or it was not looked up), or the roster's login
    /// for a seat without an id.
    fn login_of(&self, seat: &desired::TeamSeat) -> Option<String> {
        match seat.github_id {
            Some(id) => self
                .members
                .iter()
                .find(|m| m.id == id)
                .map(|m| m.login.clone())
                .or_else(|| self.current_logins.get(&id).cloned()),
            None => Some(seat.login.to_string()),
        }
    }

    /// Is a pending invitation to `login` one of the roster's people?
    fn claims(&self, want: &desired::Team, login: &str) -> bool {
        want.seats.iter().any(|s| {
            self.login_of(s)
                .is_some_and(|l| l.eq_ignore_ascii_case(login))
        })
    }
}

pub struct GitHubTeam {
    pub gh: Arc<GitHub>,
    pub org: String,
    pub team: String,
}

impl GitHubTeam {
    pub fn new(gh: Arc<GitHub>, roster: &Roster) -> Self {
        Self {
            gh,
            org: roster.github.org.clone(),
            team: roster.github.team.clone(),
        }
    }

    /// The team's members (two lists, members and maintainers, which together
    /// cover everyone once), its pending invitations, and the org's failed
    /// invitations.
    async fn read_lists(&self) -> anyhow::Result<TeamState> {
        let (org, team) = (&self.org, &self.team);
        let (members, maintainers, pending, failed) = tokio::try_join!(
            self.gh.team_members_with_role(org, team, TeamRole::Member),
            self.gh
                .team_members_with_role(org, team, TeamRole::Maintainer),
            self.gh.team_invitations(org, team),
            self.gh.failed_invitations(org),
        )
        .map_err(|e| match e.status() {
            Some(404) => anyhow::anyhow!(
                "GitHub: team {}/{} does not exist, or the token cannot see it",
                self.org,
                self.team
            ),
            _ => anyhow::Error::from(e),
        })?;
        let mut state = TeamState {
            members: members
                .into_iter()
                .map(|u| TeamMember {
                    login: u.login,
                    id: u.id,
                    role: TeamRole::Member,
                })
                .collect(),
            ..TeamState::default()
        };
        // Someone listed in both is a maintainer.
        state
            .members
            .retain(|m| !maintainers.iter().any(|u| u.id == m.id));
        state
            .members
            .extend(maintainers.into_iter().map(|u| TeamMember {
                login: u.login,
                id: u.id,
                role: TeamRole::Maintainer,
            }));
        for inv in pending {
            let Some(login) = inv.login else { continue };
            state.pending.push(PendingInvitation {
                id: inv.id,
                login,
                only_this_team: false,
            });
        }
        for inv in failed {
            let Some(login) = inv.login else { continue };
            let at = inv
                .failed_at
                .as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc));
            let e = state.failed.entry(login.to_ascii_lowercase()).or_default();
            e.count += 1;
            if e.last.is_none() || at >= e.last {
                e.last = at;
                e.reason = inv
                    .failed_reason
                    .unwrap_or_else(|| "no reason given".into());
            }
        }
        state.read_at = Some(Utc::now());
        Ok(state)
    }
}

impl Reconciler for GitHubTeam {
    type Change = TeamChange;
    type State = TeamState;
    type Want = desired::Team;

    fn service(&self) -> Service {
        Service::Github
    }

    fn target(&self) -> String {
        format!("{}/{}", self.org, self.team)
    }

    fn want(&self, roster: &Roster) -> desired::Team {
        desired::Team::of(roster)
    }

    /// The lists above, and only when the roster needs them: the login of
    /// today of members with a `github_id` who are not in the team (renames,
    /// and never a grant to whoever holds an old login), and the teams of
    /// invitations psrt might cancel. A no-op run makes none of those extra
    /// requests.
    async fn read(&self, want: &desired::Team) -> anyhow::Result<TeamState> {
        let mut state = self.read_lists().await?;
        let to_resolve: Vec<u64> = want
            .seats
            .iter()
            .filter_map(|s| s.github_id)
            .filter(|id| !state.members.iter().any(|m| m.id == *id))
            .collect();
        for id in to_resolve {
            if let Some(user) = self.gh.user_by_id(id).await? {
                state.current_logins.insert(id, user.login);
            }
        }
        let mut teams_of: BTreeMap<u64, bool> = BTreeMap::new();
        for p in state
            .pending
            .iter()
            .filter(|p| !state.claims(want, &p.login))
        {
            let teams = self.gh.invitation_teams(&self.org, p.id).await?;
            teams_of.insert(
                p.id,
                teams.len() == 1 && teams[0].slug.eq_ignore_ascii_case(&self.team),
            );
        }
        for p in &mut state.pending {
            p.only_this_team = teams_of.get(&p.id).copied().unwrap_or(false);
        }
        Ok(state)
    }

    fn plan(&self, want: &desired::Team, state: &TeamState) -> Plan<TeamChange> {
        plan(&self.target(), want, state)
    }

    async fn apply(&self, change: &TeamChange) -> Result<Option<String>, ApplyError> {
        let (org, team) = (&self.org, &self.team);
        match change {
            TeamChange::Add { login, role, .. }
            | TeamChange::Reinvite { login, role, .. }
            | TeamChange::SetRole {
                login, to: role, ..
            } => match self.gh.set_team_membership(org, team, login, *role).await {
                Ok(state) => Ok((state == MembershipState::Pending)
                    .then(|| "invited to the org; pending acceptance".to_owned())),
                Err(e) if e.status() == Some(422) => Err(ApplyError::Refused(format!(
                    "GitHub will not add them ({}); `psrt advisories` gives them access to reports directly",
                    e.reason()
                ))),
                Err(e) => Err(e.into()),
            },
            TeamChange::Remove { login, .. } => {
                self.gh.remove_team_membership(org, team, login).await?;
                Ok(None)
            }
            TeamChange::CancelInvitation { invitation_id, .. } => {
                self.gh.cancel_invitation(org, *invitation_id).await?;
                Ok(None)
            }
        }
    }
}

/// What the team needs to hold what is wanted: pure, from the desired
/// state and a complete read.
pub fn plan(target: &str, want: &desired::Team, state: &TeamState) -> Plan<TeamChange> {
    let mut plan = Plan::new(Service::Github, target, state.members.len());
    let mut matched: BTreeSet<u64> = BTreeSet::new();
    let mut pending_count = 0;
    let mut withheld: Vec<String> = Vec::new();

    for m in &want.seats {
        let role = m.role;
        // The team member who is this seat's person: by id when the roster
        // records one (whoever holds the login under another id is a stranger).
        let current = state
            .members
            .iter()
            .find(|t| !matched.contains(&t.id) && m.is_account(&t.login, t.id));
        if let Some(cur) = current {
            matched.insert(cur.id);
            if !cur.login.eq_ignore_ascii_case(m.login.as_str()) {
                plan.notes.push(format!(
                    "`{}` is `{}` on GitHub now (same github_id): update the roster",
                    m.login, cur.login
                ));
            }
            if cur.role != role {
                if role == TeamRole::Maintainer && !m.may_be_granted() {
                    withheld.push(format!("{} (maintainer)", m.login));
                    continue;
                }
                plan.changes.push(TeamChange::SetRole {
                    login: cur.login.clone(),
                    from: cur.role,
                    to: role,
                });
            }
            continue;
        }
        let Some(id) = m.github_id else {
            // Held by a pending invitation (sent before), or nothing new.
            if state
                .pending
                .iter()
                .any(|p| p.login.eq_ignore_ascii_case(m.login.as_str()))
            {
                pending_count += 1;
            } else {
                withheld.push(m.login.to_string());
            }
            continue;
        };
        let Some(login) = state.current_logins.get(&id).cloned() else {
            plan.notes.push(format!(
                "`{}`: GitHub has no account with github_id {id}: not added (check the roster)",
                m.login
            ));
            continue;
        };
        let renamed_from =
            (!login.eq_ignore_ascii_case(m.login.as_str())).then(|| m.login.to_string());
        if state
            .pending
            .iter()
            .any(|p| p.login.eq_ignore_ascii_case(&login))
        {
            pending_count += 1;
            continue;
        }
        match state.failed.get(&login.to_ascii_lowercase()) {
            Some(f) if f.count == 1 => plan.changes.push(TeamChange::Reinvite {
                login,
                role,
                reason: f.reason.clone(),
            }),
            Some(f) => {
                plan.warnings.push(format!(
                    "`{login}`'s invitation failed {} times (last: {}): psrt does not send it again; the admins ask them to accept (or fix what stops it, such as two-factor authentication) and invite them once by hand; meanwhile `psrt advisories` gives them access to reports directly",
                    f.count, f.reason
                ));
                let fresh = match (state.read_at, f.last) {
                    (Some(now), Some(last)) => now - last < ALERT_WINDOW,
                    _ => false,
                };
                if fresh {
                    plan.alerts.push(Alert {
                        subject: login.clone(),
                        message: format!(
                            "The invitation of `{login}` to the team {target} failed {} times (last: {}). psrt does not send it again: ask them to accept it (or to fix what stops it, such as two-factor authentication), then invite them once by hand. Meanwhile `psrt advisories` gives them access to reports directly.",
                            f.count, f.reason
                        ),
                    });
                }
            }
            None => plan.changes.push(TeamChange::Add {
                login,
                role,
                renamed_from,
            }),
        }
    }
    if pending_count > 0 {
        plan.notes.push(format!(
            "{pending_count} invitation(s) pending acceptance (counted as present)"
        ));
    }
    if !withheld.is_empty() {
        withheld.sort_by_key(|l| l.to_ascii_lowercase());
        plan.notes.push(format!(
            "{} member(s) without `github_id` get nothing new by login (a login is a name anyone may take once its owner renames): {}; record their ids with `psrt pin-ids`",
            withheld.len(),
            withheld.join(", ")
        ));
    }
    for cur in &state.members {
        if !matched.contains(&cur.id) {
            plan.changes.push(TeamChange::Remove {
                login: cur.login.clone(),
                role: cur.role,
            });
        }
    }
    for p in &state.pending {
        if state.claims(want, &p.login) {
            continue;
        }
        if p.only_this_team {
            plan.changes.push(TeamChange::CancelInvitation {
                login: p.login.clone(),
                invitation_id: p.id,
            });
        } else {
            plan.notes.push(format!(
                "`{}` has a pending invitation that also names other teams: not cancelled (not psrt's to touch)",
                p.login
            ));
        }
    }
    // Who holds the maintainer role after the plan, as a set of logins:
    // no count to underflow, even when two roster entries name the same
    // person (same github_id) and the plan, before it is deduplicated,
    // demotes them twice. New admins added by invitation may stay
    // pending: not counted.
    let mut maintainers: BTreeSet<String> = state
        .members
        .iter()
        .filter(|m| m.role == TeamRole::Maintainer)
        .map(|m| m.login.to_ascii_lowercase())
        .collect();
    plan.admins_now = Some(maintainers.len());
    for c in &plan.changes {
        match c {
            TeamChange::Remove { login, .. }
            | TeamChange::SetRole {
                login,
                to: TeamRole::Member,
                ..
            } => {
                maintainers.remove(&login.to_ascii_lowercase());
            }
            TeamChange::SetRole {
                login,
                to: TeamRole::Maintainer,
                ..
            } => {
                maintainers.insert(login.to_ascii_lowercase());
            }
            _ => {}
        }
    }
    plan.admins_after = Some(maintainers.len());
    plan
}
