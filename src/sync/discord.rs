//! The Discord role (`discord.role` in `discord.guild`): held by exactly the
//! roster members with a `discord` id. Guild members are read in pages of
//! 1000 (`after` = the last id); the role is added and removed with
//! `PUT`/`DELETE /guilds/{g}/members/{u}/roles/{r}` and an audit-log reason.

use std::collections::{BTreeMap, BTreeSet};

use http::Method;
use serde::Deserialize;

use super::plan::{Change, Plan, Service};
use super::{ApplyError, Reconciler};
use crate::config::DiscordEnv;
use crate::desired;
use crate::net::RetryPolicy;
use crate::net::rest::{Auth, Response, Rest};
use crate::roster::Roster;

const PAGE: usize = 1000;
pub const AUDIT_REASON: &str = "psrt: roster.yaml sync";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleChange {
    Grant { user_id: u64, who: String },
    Revoke { user_id: u64, who: String },
}

impl RoleChange {
    fn key(&self) -> (u8, String, u64) {
        match self {
            RoleChange::Grant { user_id, who } => (0, who.to_ascii_lowercase(), *user_id),
            RoleChange::Revoke { user_id, who } => (1, who.to_ascii_lowercase(), *user_id),
        }
    }
}

impl PartialOrd for RoleChange {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for RoleChange {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl Change for RoleChange {
    fn action(&self) -> &'static str {
        match self {
            RoleChange::Grant { .. } => "grant",
            RoleChange::Revoke { .. } => "revoke",
        }
    }
    fn subject(&self) -> String {
        match self {
            RoleChange::Grant { who, .. } | RoleChange::Revoke { who, .. } => who.clone(),
        }
    }
    fn detail(&self) -> Option<String> {
        match self {
            RoleChange::Grant { user_id, .. } | RoleChange::Revoke { user_id, .. } => {
                Some(format!("(discord {})", mask_id(*user_id)))
            }
        }
    }
    fn is_removal(&self) -> bool {
        matches!(self, RoleChange::Revoke { .. })
    }
}

/// `3456789012345678901` → `***8901`: a member's Discord id may be
/// encrypted in the roster, and workflow logs are public.
pub fn mask_id(id: u64) -> String {
    let s = id.to_string();
    let tail = s.len().saturating_sub(4);
    format!("***{}", &s[tail..])
}

#[derive(Debug, Deserialize)]
struct ApiUser {
    id: String,
    username: String,
}

#[derive(Debug, Deserialize)]
struct ApiMember {
    user: ApiUser,
    #[serde(default)]
    roles: Vec<String>,
}

/// A guild member: id, username, holds the role?
#[derive(Debug, Clone)]
pub struct GuildMember {
    pub id: u64,
    pub username: String,
    pub holds_role: bool,
}

#[derive(Debug, Clone, Default)]
pub struct RoleState {
    pub members: BTreeMap<u64, GuildMember>,
}

pub struct DiscordRole {
    rest: Rest,
    guild: String,
    role: String,
}

impl DiscordRole {
    pub fn new(
        env: &DiscordEnv,
        guild: &str,
        role: &str,
        policy: RetryPolicy,
    ) -> anyhow::Result<Self> {
        let rest = Rest::new(
            "Discord",
            &env.api_url,
            Auth::Bot(env.token.clone()),
            policy,
        )?;
        Ok(Self {
            rest,
            guild: guild.to_owned(),
            role: role.to_owned(),
        })
    }

    pub fn requests(&self) -> u64 {
        self.rest.requests()
    }

    /// The bot can manage the role: its token works and the role sits
    /// below the bot's highest role (a bot gives and takes only roles
    /// below its own). Returns (the role's position, the bot's highest).
    /// Reads only: what `psrt audit --credentials` verifies.
    pub async fn check_position(&self) -> anyhow::Result<(i64, i64)> {
        #[derive(Deserialize)]
        struct Me {
            id: String,
        }
        #[derive(Deserialize)]
        struct RoleWire {
            id: String,
            #[serde(default)]
            position: i64,
        }
        let get = |path: String, what: &'static str| async move {
            let resp = self.rest.send(Method::GET, &path, None, &[]).await?;
            if !resp.status.is_success() {
                return Err(self.failure(what, &resp));
            }
            Ok(resp)
        };
        let me: Me = get("/users/@me".to_owned(), "reading the bot's user")
            .await?
            .decoded("Discord", "reading the bot's user")?;
        let bot: ApiMember = get(
            format!("/guilds/{}/members/{}", self.guild, me.id),
            "reading the bot's membership",
        )
        .await?
        .decoded("Discord", "reading the bot's membership")?;
        let roles: Vec<RoleWire> =
            get(format!("/guilds/{}/roles", self.guild), "reading the roles")
                .await?
                .decoded("Discord", "reading the roles")?;
        let position = |id: &str| roles.iter().find(|r| r.id == id).map(|r| r.position);
        let role = position(&self.role).ok_or_else(|| {
            anyhow::anyhow!(
                "Discord role {} does not exist in guild {}",
                self.role,
                self.guild
            )
        })?;
        let highest = bot
            .roles
            .iter()
            .filter_map(|r| position(r))
            .max()
            .unwrap_or(0);
        Ok((role, highest))
    }

    fn failure(&self, what: &str, resp: &Response) -> anyhow::Error {
        let v: serde_json::Value = resp.json().unwrap_or_default();
        let code = v
            .get("code")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        match (resp.status.as_u16(), code) {
            (401, _) => anyhow::anyhow!("Discord refused the bot token (PSRT_DISCORD_TOKEN)"),
            (_, 10004) => anyhow::anyhow!(
                "Discord guild {} does not exist, or the bot is not in it",
                self.guild
            ),
            (_, 10011) => anyhow::anyhow!(
                "Discord role {} does not exist in guild {}",
                self.role,
                self.guild
            ),
            (403, _) => anyhow::anyhow!(
                "Discord: {what}: 403 {} (the bot needs the Server Members intent, and a role above {})",
                resp.reason(),
                self.role
            ),
            (s, _) => anyhow::anyhow!("Discord: {what}: {s} {}", resp.reason()),
        }
    }
}

impl Reconciler for DiscordRole {
    type Change = RoleChange;
    type State = RoleState;
    type Want = desired::Role;

    fn service(&self) -> Service {
        Service::Discord
    }

    fn target(&self) -> String {
        format!("guild {} role {}", self.guild, self.role)
    }

    fn want(&self, roster: &Roster) -> desired::Role {
        desired::Role::with(roster, &self.guild, &self.role)
    }

    async fn read(&self, _want: &desired::Role) -> anyhow::Result<RoleState> {
        // The role must exist: otherwise every grant would fail.
        let resp = self
            .rest
            .send(
                Method::GET,
                &format!("/guilds/{}/roles/{}", self.guild, self.role),
                None,
                &[],
            )
            .await?;
        if !resp.status.is_success() {
            return Err(self.failure("reading the role", &resp));
        }
        let mut state = RoleState::default();
        let mut after = 0u64;
        loop {
            let path = format!("/guilds/{}/members?limit={PAGE}&after={after}", self.guild);
            let resp = self.rest.send(Method::GET, &path, None, &[]).await?;
            if !resp.status.is_success() {
                return Err(self.failure("reading the guild's members", &resp));
            }
            let page: Vec<ApiMember> = resp.decoded("Discord", "reading the guild's members")?;
            let n = page.len();
            for m in page {
                let id: u64 = m.user.id.parse().map_err(|_| {
                    anyhow::anyhow!("Discord sent a member id that is not a snowflake")
                })?;
                after = after.max(id);
                let holds_role = m.roles.contains(&self.role);
                state.members.insert(
                    id,
                    GuildMember {
                        id,
                        username: m.user.username,
                        holds_role,
                    },
                );
            }
            if n < PAGE {
                break;
            }
        }
        Ok(state)
    }

    fn plan(&self, want: &desired::Role, state: &RoleState) -> Plan<RoleChange> {
        plan(&self.target(), want, state)
    }

    async fn apply(&self, change: &RoleChange) -> Result<Option<String>, ApplyError> {
        let (method, user_id) = match change {
            RoleChange::Grant { user_id, .. } => (Method::PUT, user_id),
            RoleChange::Revoke { user_id, .. } => (Method::DELETE, user_id),
        };
        let path = format!(
            "/guilds/{}/members/{user_id}/roles/{}",
            self.guild, self.role
        );
        let resp = self
            .rest
            .send(
                method,
                &path,
                None,
                &[("x-audit-log-reason", AUDIT_REASON.to_owned())],
            )
            .await?;
        match resp.status.as_u16() {
            204 => Ok(None),
            _ => Err(ApplyError::Failed(self.failure("changing the role", &resp))),
        }
    }
}

/// What the role needs to be held by exactly those wanted: pure, from the
/// desired state and a complete read.
pub fn plan(target: &str, want: &desired::Role, state: &RoleState) -> Plan<RoleChange> {
    let holders: BTreeSet<u64> = state
        .members
        .values()
        .filter(|m| m.holds_role)
        .map(|m| m.id)
        .collect();
    let mut plan = Plan::new(Service::Discord, target, holders.len());
    let mut wanted = BTreeSet::new();
    let mut absent = Vec::new();
    // Members without a `discord` id, and any whose value is not an id.
    let mut no_id = want.without_id.len();
    for m in &want.holders {
        let Some(id) = m.user_id() else {
            no_id += 1;
            continue;
        };
        wanted.insert(id);
        if holders.contains(&id) {
            continue;
        }
        if state.members.contains_key(&id) {
            plan.changes.push(RoleChange::Grant {
                user_id: id,
                who: m.login.to_string(),
            });
        } else {
            absent.push(m.login.to_string());
        }
    }
    for id in holders.difference(&wanted) {
        let who = state
            .members
            .get(id)
            .map_or_else(|| id.to_string(), |m| m.username.clone());
        plan.changes.push(RoleChange::Revoke { user_id: *id, who });
    }
    if !absent.is_empty() {
        plan.notes.push(format!(
            "not in the guild (left, or never joined), so not given the role: {}",
            absent.join(", ")
        ));
    }
    if no_id > 0 {
        plan.notes
            .push(format!("{no_id} member(s) without a `discord` id"));
    }
    plan
}
