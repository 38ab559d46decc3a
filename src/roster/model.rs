//! The roster's domain model: what `roster.yaml` means once it has been read.
//!
//! These types are the single description of the file's shape: serde reads them,
//! `schemars` turns them into `schema/roster.schema.json` (which editors use and
//! `psrt check` walks to report every structural problem at once), and the rest
//! of psrt works on them. Locations live beside them, in [`super::source`].

use std::fmt;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::ids::Login;
use crate::ids::RepoName;

/// The whole roster: policy, service settings, members and emeritus members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "PSRT roster",
    description = "The Python Security Response Team's membership and policy (psrt roster.yaml)."
)]
pub struct Roster {
    /// Format version of this file. Only `1` exists.
    pub version: u32,
    /// The GitHub organisation, the team psrt reconciles, and where reports live.
    pub github: GithubSettings,
    /// CVE ids reserved from the CNA for draft advisories (omit to reserve none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cve: Option<CveSettings>,
    /// Public keys that can read the encrypted contact fields (`email`, `discord`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Contacts>,
    /// The Mailman 3 list that holds exactly the members (omit to leave the list alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailman: Option<MailmanSettings>,
    /// The Discord role that holds exactly the members (omit to leave Discord alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discord: Option<DiscordSettings>,
    /// How psrt sends email (deadline warnings, assignments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailSettings>,
    /// The rules psrt enforces. Every key has a default.
    #[serde(default)]
    pub policy: Policy,
    /// When the Steering Council last received the inactivity report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_inactivity_report: Option<NaiveDate>,
    /// The current Steering Council (PEP 13), by GitHub login, members of the PSRT
    /// or not: who approves membership changes; members listed here are exempt
    /// from inactivity and from coordinator assignment.
    #[serde(default)]
    pub steering_council: Vec<Login>,
    /// Current members.
    pub members: Vec<Member>,
    /// Former members, shown in the public emeritus list.
    #[serde(default)]
    pub emeritus: Vec<Emeritus>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GithubSettings {
    /// The organisation that owns the team, e.g. `python`.
    pub org: String,
    /// Slug of the team reconciled from the roster, e.g. `psrt`.
    pub team: String,
    /// Repositories whose security advisories the PSRT handles (`owner/name`).
    #[serde(default)]
    pub advisory_repos: Vec<String>,
    /// Teams whose members are eligible (core team, triagers), by slug in `org`.
    #[serde(default)]
    pub eligibility_teams: Vec<String>,
    /// Team of the Steering Council: review requests go to it, and
    /// `psrt check --online` compares its members with `steering_council`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steering_council_team: Option<String>,
    /// Accounts psrt wrote as before, by account id (the bot of a GitHub App
    /// that was replaced): their status and deadline comments on advisories
    /// stay psrt's own, so none is posted twice. The account psrt writes as
    /// now is learnt from GitHub.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub former_psrt_accounts: Vec<u64>,
}

impl GithubSettings {
    /// `advisory_repos`, parsed. `psrt check`, which every command's roster
    /// passes first, rejects an entry that is not `owner/name`; one that
    /// slipped through is left out, never guessed at.
    pub fn advisory_repo_names(&self) -> Vec<RepoName> {
        repo_names(&self.advisory_repos)
    }
}

fn repo_names(list: &[String]) -> Vec<RepoName> {
    list.iter()
        .filter_map(|r| RepoName::parse(r).ok())
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CveSettings {
    /// The CNA's short name in CVE Services, e.g. `PSF`.
    pub org: String,
    /// Repositories (`owner/name`) whose draft advisories get a CVE id.
    #[serde(default)]
    pub repos: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contacts {
    /// age public keys (`age1…`): the nightly job's and each admin's. Encrypted
    /// contact fields (`age:…`) are encrypted to all of them.
    #[serde(default)]
    pub recipients: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MailmanSettings {
    /// The Mailman list id (dots, not `@`), e.g. `security.python.org`.
    pub list: String,
    /// Subscribers who are not people (archives, bots); never removed.
    #[serde(default)]
    pub extra_addresses: Vec<String>,
    /// List owners besides the admins (e.g. infrastructure staff).
    #[serde(default)]
    pub extra_owners: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscordSettings {
    /// Guild (server) id, a snowflake in quotes.
    pub guild: String,
    /// Role id, a snowflake in quotes.
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    /// Sender of psrt's mail, e.g. `PSRT <psrt-bot@python.org>`.
    pub from: String,
}

/// The most days any policy number may say (ten years): beyond it no
/// deadline, threshold or vote makes sense, and every date psrt computes
/// from one stays inside the calendar. `psrt check` enforces it.
pub const MAX_POLICY_DAYS: u32 = 3650;

/// The most `policy.max_cve_reservations_per_run` may say: the PSRT handles
/// tens of reports a year.
pub const MAX_CVE_RESERVATIONS_PER_RUN: u32 = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Fewest admins the roster (and each service) may have. PEP 811 asks for two.
    #[serde(default = "defaults::min_admins")]
    pub min_admins: u32,
    /// A sync that would remove more than this share of a service's current
    /// members stops, unless run with `--allow-mass-removal`.
    #[serde(default = "defaults::max_removal_fraction")]
    pub max_removal_fraction: f64,
    /// Days from a report's creation to its disclosure deadline.
    #[serde(default = "defaults::deadline_days")]
    #[schemars(range(max = MAX_POLICY_DAYS))]
    pub deadline_days: u32,
    /// Days before the deadline at which the coordinator is warned, descending.
    #[serde(default = "defaults::warn_days_left")]
    #[schemars(inner(range(max = MAX_POLICY_DAYS)))]
    pub warn_days_left: Vec<u32>,
    /// Days a new report may wait for a coordinator before one is assigned.
    #[serde(default = "defaults::coordinator_grace_days")]
    #[schemars(range(max = MAX_POLICY_DAYS))]
    pub coordinator_grace_days: u32,
    /// The most CVE ids one run of `psrt advisories` reserves from the CNA;
    /// drafts beyond it get theirs in the next runs. A title can be edited
    /// by people who are not members (the reporter, a collaborator): no
    /// input may burn the CNA's quota.
    #[serde(default = "defaults::max_cve_reservations_per_run")]
    #[schemars(range(min = 1, max = MAX_CVE_RESERVATIONS_PER_RUN))]
    pub max_cve_reservations_per_run: u32,
    /// Who must approve changes to the roster.
    #[serde(default)]
    pub approvals: Approvals,
}

impl Policy {
    /// A report's disclosure deadline: `deadline_days` after it was created.
    /// Never a panic: a creation time at the end of chrono's calendar (data
    /// from the network) gives the calendar's last day.
    pub fn deadline_of(&self, created: chrono::DateTime<chrono::Utc>) -> NaiveDate {
        chrono::TimeDelta::try_days(i64::from(self.deadline_days))
            .and_then(|d| created.checked_add_signed(d))
            .map_or(NaiveDate::MAX, |t| t.date_naive())
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            min_admins: defaults::min_admins(),
            max_removal_fraction: defaults::max_removal_fraction(),
            deadline_days: defaults::deadline_days(),
            warn_days_left: defaults::warn_days_left(),
            coordinator_grace_days: defaults::coordinator_grace_days(),
            max_cve_reservations_per_run: defaults::max_cve_reservations_per_run(),
            approvals: Approvals::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Approvals {
    /// The rule for pull requests that change members, emeritus or roles.
    #[serde(default = "defaults::membership_rule")]
    pub membership: ApprovalRule,
}

impl Default for Approvals {
    fn default() -> Self {
        Self {
            membership: defaults::membership_rule(),
        }
    }
}

/// An approval rule, read from the base branch's roster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRule {
    /// Whose approvals count: a role, or `members` for every member.
    pub reviewers: Group,
    /// How many of them must approve: a count (`1`) or a share (`"2/3"`).
    pub required: Required,
    /// Days the pull request must stay open before it can pass (a vote's length).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = MAX_POLICY_DAYS))]
    pub min_open_days: Option<u32>,
    /// A group whose "changes requested" blocks the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub veto: Option<Group>,
}

/// A number of approvals (`1`) or a share of the reviewers (`"2/3"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Required {
    /// This many approvals.
    Count(u32),
    /// This share of the reviewers, rounded up.
    Fraction(Fraction),
}

/// A share written `"N/M"`, e.g. `"2/3"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Fraction {
    pub numerator: u32,
    pub denominator: u32,
}

impl Fraction {
    /// The smallest count that reaches this share of `of` holders.
    pub fn of(self, of: u32) -> u32 {
        let n = u64::from(self.numerator) * u64::from(of);
        let d = u64::from(self.denominator.max(1));
        u32::try_from(n.div_ceil(d)).unwrap_or(u32::MAX)
    }
}

impl JsonSchema for Fraction {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Fraction".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9]+/[0-9]+$",
            "description": "A share written \"N/M\", e.g. \"2/3\"."
        })
    }
}

impl TryFrom<String> for Fraction {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a share like \"2/3\"");
        let (n, d) = s.split_once('/').ok_or_else(bad)?;
        let numerator: u32 = n.trim().parse().map_err(|_| bad())?;
        let denominator: u32 = d.trim().parse().map_err(|_| bad())?;
        if denominator == 0 || numerator == 0 || numerator > denominator {
            return Err(format!(
                "`{s}` must be a share between 0 and 1, like \"2/3\""
            ));
        }
        Ok(Self {
            numerator,
            denominator,
        })
    }
}

impl From<Fraction> for String {
    fn from(f: Fraction) -> String {
        format!("{}/{}", f.numerator, f.denominator)
    }
}

impl Required {
    /// Approvals needed when the group has `holders` people.
    pub fn needed(self, holders: u32) -> u32 {
        match self {
            Required::Count(n) => n,
            Required::Fraction(f) => f.of(holders),
        }
    }
}

impl fmt::Display for Required {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Required::Count(n) => write!(f, "{n}"),
            Required::Fraction(fr) => write!(f, "{}/{}", fr.numerator, fr.denominator),
        }
    }
}

/// A set of people named in policy: every member, the holders of a role, or
/// the Steering Council (the roster's `steering_council` list).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Group {
    Members,
    Admin,
    ReleaseManager,
    SteeringCouncil,
}

impl Group {
    pub fn role(self) -> Option<Role> {
        match self {
            Group::Members => None,
            Group::Admin => Some(Role::Admin),
            Group::ReleaseManager => Some(Role::ReleaseManager),
            Group::SteeringCouncil => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Members => "members",
            Group::Admin => "admin",
            Group::ReleaseManager => "release-manager",
            Group::SteeringCouncil => "steering-council",
        }
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A current member of the PSRT.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// Full name, as published.
    pub name: String,
    /// GitHub login (compared case-insensitively).
    pub github: Login,
    /// GitHub's numeric user id: immutable, so it identifies the person across renames.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_id: Option<u64>,
    /// Address subscribed to the mailing list: plain, or `age:…` (`psrt
    /// encrypt`). Not added to the list if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Discord user id (a snowflake, in quotes): plain, or `age:…`. Not given
    /// the role if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discord: Option<String>,
    /// Roles held: `admin`, `release-manager`. (The Steering Council is the
    /// top-level `steering_council` list.)
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Active member admitted before the eligibility rule (not core team or triager).
    #[serde(default)]
    pub legacy: bool,
    /// When they joined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<NaiveDate>,
    /// Last activity the GitHub API cannot see (comments, mailing-list work).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_active: Option<NaiveDate>,
}

impl Member {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
    pub fn is_admin(&self) -> bool {
        self.has(Role::Admin)
    }
    pub fn is_release_manager(&self) -> bool {
        self.has(Role::ReleaseManager)
    }
}

/// A former member, kept for the public emeritus list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Emeritus {
    pub name: String,
    /// GitHub login, if known (long-gone members may have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github: Option<Login>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_id: Option<u64>,
    /// Roles held when they left, shown in the public list.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// When they left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<NaiveDate>,
    /// Why they left, e.g. `inactive` or `resigned`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Admin,
    ReleaseManager,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::Admin, Role::ReleaseManager];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::ReleaseManager => "release-manager",
        }
    }
    /// The words the devguide's public list uses.
    pub fn public_name(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::ReleaseManager => "Release Manager",
        }
    }
    pub fn from_public_name(s: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.public_name().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Roster {
    pub fn admins(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(|m| m.is_admin())
    }
    pub fn member(&self, login: &Login) -> Option<&Member> {
        self.members.iter().find(|m| &m.github == login)
    }
    /// A current member by login or, when the login is unknown (renamed), by id.
    pub fn member_by(&self, login: &Login, id: Option<u64>) -> Option<&Member> {
        self.member(login)
            .or_else(|| id.and_then(|id| self.members.iter().find(|m| m.github_id == Some(id))))
    }
    /// Is `login` on the Steering Council (the `steering_council` list)?
    pub fn on_council(&self, login: &Login) -> bool {
        self.steering_council.contains(login)
    }
    /// Release Managers and Steering Council members: exempt from inactivity
    /// and from coordinator auto-assignment, and eligible without the
    /// core-team rule.
    pub fn is_exempt(&self, m: &Member) -> bool {
        m.is_release_manager() || self.on_council(&m.github)
    }
    /// Is this member in `group`?
    pub fn in_group(&self, m: &Member, group: Group) -> bool {
        match group {
            Group::Members => true,
            Group::SteeringCouncil => self.on_council(&m.github),
            g => g.role().is_some_and(|r| m.has(r)),
        }
    }
    /// Everyone in `group`: members holding the role, or, for the Steering
    /// Council, the `steering_council` list (PSRT members or not).
    pub fn group_holders(&self, group: Group) -> std::collections::BTreeSet<Login> {
        match group {
            Group::SteeringCouncil => self.steering_council.iter().cloned().collect(),
            g => self
                .members
                .iter()
                .filter(|m| self.in_group(m, g))
                .map(|m| m.github.clone())
                .collect(),
        }
    }
    pub fn emeritus_by(&self, login: &Login, id: Option<u64>) -> Option<&Emeritus> {
        self.emeritus
            .iter()
            .find(|e| e.github.as_ref() == Some(login) || (id.is_some() && e.github_id == id))
    }
}

pub(crate) mod defaults {
    use super::{ApprovalRule, Group, Required};
    pub fn min_admins() -> u32 {
        2
    }
    pub fn max_removal_fraction() -> f64 {
        0.25
    }
    pub fn deadline_days() -> u32 {
        90
    }
    pub fn warn_days_left() -> Vec<u32> {
        vec![30, 14, 7, 1]
    }
    pub fn coordinator_grace_days() -> u32 {
        3
    }
    /// More than three reports accepted within one hour is rare; the rest
    /// wait an hour each.
    pub fn max_cve_reservations_per_run() -> u32 {
        3
    }
    /// PEP 811: the Steering Council approves membership changes.
    pub fn membership_rule() -> ApprovalRule {
        ApprovalRule {
            reviewers: Group::SteeringCouncil,
            required: Required::Count(1),
            min_open_days: None,
            veto: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_round_up() {
        let f = Fraction::try_from("2/3".to_owned()).unwrap();
        assert_eq!(f.of(3), 2);
        assert_eq!(f.of(4), 3);
        assert_eq!(f.of(0), 0);
        assert!(Fraction::try_from("3/2".to_owned()).is_err());
        assert!(Fraction::try_from("0/2".to_owned()).is_err());
        assert!(Fraction::try_from("1/0".to_owned()).is_err());
        assert!(Fraction::try_from("two/3".to_owned()).is_err());
    }
}
