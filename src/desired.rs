//! Who should hold what on each service, from the roster: the GitHub team
//! (members, admins as maintainers), the Mailman list (members with an
//! address, admins and `extra_owners` as owners, `extra_addresses`) and the
//! Discord role (members with a Discord id). Written once, here.
//!
//! Two things read it. `psrt sync` diffs it against what each service has
//! (`sync::{github_team, mailman, discord}::plan`). `psrt approvals` diffs
//! the base roster's against the head's ([`Team::delta`], [`List::delta`],
//! [`Role::delta`]) to say who gains or loses access if a pull request
//! merges. Each delta is exactly what the nightly's plan is when the service
//! holds what the base roster asks (`tests/it/agreement.rs` checks it on
//! every roster of the test suite), so the verdict and the nightly cannot
//! disagree.
//!
//! Contact values are taken as the roster holds them: plain after
//! `PSRT_CONTACT_KEY` opened them (sync), or still `age:…` (approvals,
//! which never decrypts); [`contact_key`] compares them either way.

use std::collections::{BTreeMap, BTreeSet};

pub use crate::github::model::TeamRole;
use crate::ids::Login;
use crate::roster::{MailmanSettings, Member, Roster};

/// Who should hold what, on every service the roster configures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    pub team: Team,
    /// `None`: the roster leaves the list alone.
    pub list: Option<List>,
    /// `None`: the roster leaves Discord alone.
    pub role: Option<Role>,
}

impl Desired {
    pub fn of(roster: &Roster) -> Self {
        Self {
            team: Team::of(roster),
            list: List::of(roster),
            role: Role::of(roster),
        }
    }
}

/// How a contact value is compared: a plain address or id ignores case; an
/// encrypted one (`age:…`, base64) is compared exactly.
pub fn contact_key(value: &str) -> String {
    if value.starts_with("age:") {
        value.to_owned()
    } else {
        value.to_ascii_lowercase()
    }
}

// ---------------------------------------------------------------- the team

/// The GitHub team: every member; admins are maintainers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub org: String,
    pub slug: String,
    /// In roster order.
    pub seats: Vec<TeamSeat>,
}

/// One member's place in the team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamSeat {
    pub login: Login,
    /// Follows the person across renames; without it, nothing new is
    /// granted to the login (a name anyone may take once its owner renames).
    pub github_id: Option<u64>,
    pub role: TeamRole,
}

impl TeamSeat {
    /// Is this account (its login today and its id) the seat's person? By
    /// id when the roster records one, else by login: an account that holds
    /// a member's login under another id is a stranger.
    pub fn is_account(&self, login: &str, id: u64) -> bool {
        match self.github_id {
            Some(mine) => mine == id,
            None => self.login.as_str().eq_ignore_ascii_case(login),
        }
    }

    /// Would the team, holding `base`'s person, already hold this seat's?
    /// Both ids known: they must be equal. Otherwise the login decides: a
    /// seat without an id is held by whoever has its login (as the nightly
    /// sees it), and an id newly recorded names the account that holds the
    /// login (`psrt pin-ids` proposes only those).
    fn same_person(&self, base: &TeamSeat) -> bool {
        match (self.github_id, base.github_id) {
            (Some(h), Some(b)) => h == b,
            _ => self.login == base.login,
        }
    }

    /// May the nightly grant this seat something new (a place, or the
    /// maintainer role)? Only by account id.
    pub fn may_be_granted(&self) -> bool {
        self.github_id.is_some()
    }
}

/// One change to the team, as the nightly makes it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum TeamOp {
    Add {
        login: Login,
        role: TeamRole,
    },
    SetRole {
        /// As the team has it.
        login: Login,
        from: TeamRole,
        to: TeamRole,
        /// As the new roster has it (a rename).
        roster_login: Login,
    },
    Remove {
        login: Login,
        role: TeamRole,
    },
}

/// What the nightly would grant a seat but does not, because the roster
/// records no `github_id` for it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Withheld {
    pub login: Login,
    /// The role it would get (a place in the team, or the maintainer role).
    pub role: TeamRole,
    /// It holds the team already, by login; only the maintainer role is withheld.
    pub promotion: bool,
}

impl Team {
    pub fn of(roster: &Roster) -> Self {
        Self {
            org: roster.github.org.clone(),
            slug: roster.github.team.clone(),
            seats: roster
                .members
                .iter()
                .map(|m| TeamSeat {
                    login: m.github.clone(),
                    github_id: m.github_id,
                    role: if m.is_admin() {
                        TeamRole::Maintainer
                    } else {
                        TeamRole::Member
                    },
                })
                .collect(),
        }
    }

    /// Is this the same team (organisation and slug)?
    pub fn same_target(&self, other: &Team) -> bool {
        self.org.eq_ignore_ascii_case(&other.org) && self.slug.eq_ignore_ascii_case(&other.slug)
    }

    /// What the nightly does to a team that holds `self` when the roster
    /// becomes `head`: each seat of `head` is matched with the person who
    /// holds it (by `github_id`, so a rename is no change and a changed id
    /// is one person leaving and another joining); seats nobody in `head`
    /// claims are removed; a seat without `github_id` is granted nothing
    /// new ([`Self::withheld`]). Only for the same team (see
    /// [`Self::same_target`]).
    pub fn delta(&self, head: &Team) -> Vec<TeamOp> {
        self.walk(head).0
    }

    /// What the nightly would grant `head`'s seats but does not: they have
    /// no `github_id`.
    pub fn withheld(&self, head: &Team) -> Vec<Withheld> {
        self.walk(head).1
    }

    fn walk(&self, head: &Team) -> (Vec<TeamOp>, Vec<Withheld>) {
        let mut ops = Vec::new();
        let mut withheld = Vec::new();
        let mut matched: BTreeSet<usize> = BTreeSet::new();
        for want in &head.seats {
            let found = self
                .seats
                .iter()
                .enumerate()
                .position(|(i, s)| !matched.contains(&i) && want.same_person(s));
            match found {
                Some(i) => {
                    matched.insert(i);
                    let have = &self.seats[i];
                    if have.role == want.role {
                        continue;
                    }
                    if want.role == TeamRole::Maintainer && !want.may_be_granted() {
                        withheld.push(Withheld {
                            login: want.login.clone(),
                            role: want.role,
                            promotion: true,
                        });
                        continue;
                    }
                    ops.push(TeamOp::SetRole {
                        login: have.login.clone(),
                        from: have.role,
                        to: want.role,
                        roster_login: want.login.clone(),
                    });
                }
                None if want.may_be_granted() => ops.push(TeamOp::Add {
                    login: want.login.clone(),
                    role: want.role,
                }),
                None => withheld.push(Withheld {
                    login: want.login.clone(),
                    role: want.role,
                    promotion: false,
                }),
            }
        }
        for (i, s) in self.seats.iter().enumerate() {
            if !matched.contains(&i) {
                ops.push(TeamOp::Remove {
                    login: s.login.clone(),
                    role: s.role,
                });
            }
        }
        ops.sort();
        ops.dedup();
        withheld.sort();
        withheld.dedup();
        (ops, withheld)
    }
}

// ---------------------------------------------------------------- the list

/// The Mailman list: members with an address are subscribed, admins with
/// one own it, with `extra_addresses` and `extra_owners`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List {
    /// `mailman.list`.
    pub list_id: String,
    /// By [`contact_key`]; a member wins over an extra address.
    pub subscribers: BTreeMap<String, Subscriber>,
    /// By [`contact_key`]: admins with an address, and `extra_owners`.
    pub owners: BTreeMap<String, Subscriber>,
    /// Members without an address: not subscribed.
    pub without_address: Vec<Login>,
    /// What becomes of a subscriber the roster does not name.
    pub strangers: Strangers,
}

/// A subscriber (or owner) the roster names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// The member; `None` for `extra_addresses` and `extra_owners`.
    pub member: Option<Login>,
    /// As the roster writes it.
    pub address: String,
    /// The member's name, shown by Mailman.
    pub display_name: Option<String>,
}

/// Holders psrt does not know (list subscribers, role holders): one rule
/// for every service, whatever other members lack. Fail closed: whoever
/// holds access and is not in the roster loses it; the removal cap, the
/// admins' floor and "never after a partial read" stop mass removals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strangers {
    /// They lose it.
    Remove,
    /// They keep it: a migration, by an explicit roster setting
    /// (`keep_unknown: true`) that every run warns about.
    Keep,
}

impl Strangers {
    fn of(keep_unknown: bool) -> Self {
        if keep_unknown {
            Strangers::Keep
        } else {
            Strangers::Remove
        }
    }
}

/// One change to the list, by [`contact_key`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ListOp {
    Subscribe(String),
    AddOwner(String),
    RemoveOwner(String),
    Unsubscribe(String),
}

impl List {
    /// The list `mailman` names; `None` when the roster leaves it alone.
    pub fn of(roster: &Roster) -> Option<Self> {
        roster.mailman.as_ref().map(|m| Self::with(roster, m))
    }

    /// The roster's members on the list `settings` describes.
    pub fn with(roster: &Roster, settings: &MailmanSettings) -> Self {
        let mut subscribers = BTreeMap::new();
        let mut owners = BTreeMap::new();
        let mut without_address = Vec::new();
        for m in &roster.members {
            match &m.email {
                Some(e) => {
                    let s = Subscriber {
                        member: Some(m.github.clone()),
                        address: e.clone(),
                        display_name: Some(m.name.clone()),
                    };
                    if m.is_admin() {
                        owners.insert(contact_key(e), s.clone());
                    }
                    subscribers.insert(contact_key(e), s);
                }
                None => without_address.push(m.github.clone()),
            }
        }
        let extra = |address: &String| Subscriber {
            member: None,
            address: address.clone(),
            display_name: None,
        };
        for e in &settings.extra_addresses {
            subscribers
                .entry(contact_key(e))
                .or_insert_with(|| extra(e));
        }
        for e in &settings.extra_owners {
            owners.entry(contact_key(e)).or_insert_with(|| extra(e));
        }
        let strangers = Strangers::of(settings.keep_unknown);
        Self {
            list_id: settings.list.clone(),
            subscribers,
            owners,
            without_address,
            strangers,
        }
    }

    /// Is this the same list?
    pub fn same_target(&self, other: &List) -> bool {
        self.list_id == other.list_id
    }

    /// What the nightly does to a list that holds `self` when the roster
    /// becomes `head`. Subscribers `head` no longer names are unsubscribed,
    /// unless `head` keeps strangers (`mailman.keep_unknown`).
    pub fn delta(&self, head: &List) -> Vec<ListOp> {
        let mut ops = Vec::new();
        for k in head.subscribers.keys() {
            if !self.subscribers.contains_key(k) {
                ops.push(ListOp::Subscribe(k.clone()));
            }
        }
        if head.strangers == Strangers::Remove {
            for k in self.subscribers.keys() {
                if !head.subscribers.contains_key(k) {
                    ops.push(ListOp::Unsubscribe(k.clone()));
                }
            }
        }
        for k in head.owners.keys() {
            if !self.owners.contains_key(k) {
                ops.push(ListOp::AddOwner(k.clone()));
            }
        }
        for k in self.owners.keys() {
            if !head.owners.contains_key(k) {
                ops.push(ListOp::RemoveOwner(k.clone()));
            }
        }
        ops.sort();
        ops
    }

    /// Subscribers of `self` that `head` no longer names but keeps (see
    /// [`Strangers::Keep`]).
    pub fn kept(&self, head: &List) -> Vec<&Subscriber> {
        match head.strangers {
            Strangers::Remove => vec![],
            Strangers::Keep => self
                .subscribers
                .iter()
                .filter(|(k, _)| !head.subscribers.contains_key(*k))
                .map(|(_, s)| s)
                .collect(),
        }
    }
}

// ---------------------------------------------------------------- the role

/// The Discord role: members with a Discord id hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub guild: String,
    pub role: String,
    /// In roster order.
    pub holders: Vec<Holder>,
    /// Members without a `discord` id.
    pub without_id: Vec<Login>,
    /// What becomes of a holder the roster does not name.
    pub strangers: Strangers,
}

/// A member who should hold the role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub login: Login,
    /// As the roster writes it: a snowflake, or `age:…`.
    pub discord: String,
}

impl Holder {
    /// The Discord user id, once the value is plain.
    pub fn user_id(&self) -> Option<u64> {
        self.discord.parse().ok()
    }
    /// How the value is compared: the id, or the encrypted value.
    pub fn key(&self) -> String {
        self.user_id()
            .map_or_else(|| contact_key(&self.discord), |id| id.to_string())
    }
}

/// One change to the role, by [`Holder::key`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum RoleOp {
    Grant(String),
    Revoke(String),
}

impl Role {
    /// The role `discord` names; `None` when the roster leaves Discord alone.
    pub fn of(roster: &Roster) -> Option<Self> {
        roster
            .discord
            .as_ref()
            .map(|d| Self::with(roster, &d.guild, &d.role, d.keep_unknown))
    }

    /// The roster's members as holders of `role` in `guild`; `keep_unknown`
    /// (a migration) keeps holders the roster does not name.
    pub fn with(roster: &Roster, guild: &str, role: &str, keep_unknown: bool) -> Self {
        let (with, without): (Vec<&Member>, Vec<&Member>) =
            roster.members.iter().partition(|m| m.discord.is_some());
        Self {
            guild: guild.to_owned(),
            role: role.to_owned(),
            holders: with
                .into_iter()
                .filter_map(|m| {
                    Some(Holder {
                        login: m.github.clone(),
                        discord: m.discord.clone()?,
                    })
                })
                .collect(),
            without_id: without.into_iter().map(|m| m.github.clone()).collect(),
            strangers: Strangers::of(keep_unknown),
        }
    }

    /// Is this the same role of the same guild?
    pub fn same_target(&self, other: &Role) -> bool {
        self.guild == other.guild && self.role == other.role
    }

    /// What the nightly does to a role that `self`'s holders hold when the
    /// roster becomes `head` (everyone concerned is in the guild). Holders
    /// `head` no longer names lose it, unless `head` keeps strangers
    /// (`discord.keep_unknown`).
    pub fn delta(&self, head: &Role) -> Vec<RoleOp> {
        let keys = |r: &Role| -> BTreeSet<String> { r.holders.iter().map(Holder::key).collect() };
        let (have, want) = (keys(self), keys(head));
        let mut ops: Vec<RoleOp> = want
            .difference(&have)
            .map(|k| RoleOp::Grant(k.clone()))
            .collect();
        if head.strangers == Strangers::Remove {
            ops.extend(have.difference(&want).map(|k| RoleOp::Revoke(k.clone())));
        }
        ops.sort();
        ops
    }

    /// Holders of `self` that `head` no longer names but keeps (see
    /// [`Strangers::Keep`]).
    pub fn kept(&self, head: &Role) -> Vec<&Holder> {
        match head.strangers {
            Strangers::Remove => vec![],
            Strangers::Keep => {
                let want: BTreeSet<String> = head.holders.iter().map(Holder::key).collect();
                self.holders
                    .iter()
                    .filter(|h| !want.contains(&h.key()))
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster(text: &str) -> Roster {
        crate::roster::parse(text.as_bytes()).unwrap().roster
    }

    const BASE: &str = r#"version: 1
github: { org: python, team: psrt }
mailman: { list: security.python.org, extra_addresses: [Archive@example.org], extra_owners: [infra@example.org] }
discord: { guild: "1234567890123456789", role: "2345678901234567890" }
members:
  - { name: Ada, github: ada, github_id: 1, email: Ada@example.org, discord: "3456789012345678901", roles: [admin] }
  - { name: Bo, github: bo, email: bo@example.org, roles: [admin] }
  - { name: Cy, github: cy }
"#;

    #[test]
    fn who_should_hold_what() {
        let d = Desired::of(&roster(BASE));
        let roles: Vec<(&str, TeamRole)> = d
            .team
            .seats
            .iter()
            .map(|s| (s.login.as_str(), s.role))
            .collect();
        assert_eq!(
            roles,
            [
                ("ada", TeamRole::Maintainer),
                ("bo", TeamRole::Maintainer),
                ("cy", TeamRole::Member)
            ]
        );
        let list = d.list.unwrap();
        assert_eq!(
            list.subscribers.keys().collect::<Vec<_>>(),
            ["ada@example.org", "archive@example.org", "bo@example.org"]
        );
        assert_eq!(
            list.owners.keys().collect::<Vec<_>>(),
            ["ada@example.org", "bo@example.org", "infra@example.org"]
        );
        assert_eq!(
            list.strangers,
            Strangers::Remove,
            "whatever other members lack"
        );
        let role = d.role.unwrap();
        assert_eq!(role.holders.len(), 1);
        assert_eq!(role.without_id.len(), 2);
    }

    #[test]
    fn deltas_follow_renames_and_drop_strangers_although_an_address_is_missing() {
        let base = Desired::of(&roster(BASE));
        let head = Desired::of(&roster(
            &BASE
                .replace("github: ada, github_id: 1", "github: ada-new, github_id: 1")
                .replace(", email: bo@example.org, roles: [admin]", ""),
        ));
        assert_eq!(
            base.team.delta(&head.team),
            [TeamOp::SetRole {
                login: Login::from("bo"),
                from: TeamRole::Maintainer,
                to: TeamRole::Member,
                roster_login: Login::from("bo"),
            }],
            "a rename is no change"
        );
        let (b, h) = (base.list.unwrap(), head.list.unwrap());
        assert_eq!(
            b.delta(&h),
            [
                ListOp::RemoveOwner("bo@example.org".into()),
                ListOp::Unsubscribe("bo@example.org".into()),
            ],
            "bo's address goes, although two members have none now"
        );
        assert!(b.kept(&h).is_empty());
        // Only the migration setting keeps it, on the list and on the role.
        let keeping = Desired::of(&roster(
            &BASE
                .replace(
                    "extra_owners: [infra@example.org] }",
                    "extra_owners: [infra@example.org], keep_unknown: true }",
                )
                .replace(
                    "role: \"2345678901234567890\" }",
                    "role: \"2345678901234567890\", keep_unknown: true }",
                )
                .replace(", email: bo@example.org, roles: [admin]", "")
                .replace(", discord: \"3456789012345678901\"", ""),
        ));
        let kl = keeping.list.unwrap();
        assert_eq!(b.delta(&kl), [ListOp::RemoveOwner("bo@example.org".into())]);
        assert_eq!(b.kept(&kl).len(), 1);
        let (br, kr) = (base.role.unwrap(), keeping.role.unwrap());
        assert!(br.delta(&kr).is_empty());
        assert_eq!(br.kept(&kr).len(), 1);
        assert_eq!(
            br.delta(&head.role.unwrap()),
            [],
            "ada keeps her id in head"
        );
    }

    /// Issue 21: access follows the account. A changed `github_id` is one
    /// person leaving and another joining; a seat without one gets nothing
    /// new (neither a place nor the maintainer role); pinning an id on a
    /// seat that holds the team changes nothing.
    #[test]
    fn the_team_follows_ids_and_grants_nothing_new_by_login() {
        let base = Desired::of(&roster(BASE)).team;
        let changed_id = Desired::of(&roster(&BASE.replace("github_id: 1,", "github_id: 7,"))).team;
        assert_eq!(
            base.delta(&changed_id),
            [
                TeamOp::Add {
                    login: Login::from("ada"),
                    role: TeamRole::Maintainer
                },
                TeamOp::Remove {
                    login: Login::from("ada"),
                    role: TeamRole::Maintainer
                },
            ]
        );
        let newcomer = Desired::of(&roster(&format!(
            "{BASE}  - {{ name: Di, github: di }}\n  - {{ name: Ed, github: ed, github_id: 5 }}\n"
        )))
        .team;
        assert_eq!(
            base.delta(&newcomer),
            [TeamOp::Add {
                login: Login::from("ed"),
                role: TeamRole::Member
            }]
        );
        assert_eq!(
            base.withheld(&newcomer),
            [Withheld {
                login: Login::from("di"),
                role: TeamRole::Member,
                promotion: false
            }]
        );
        let promoted = Desired::of(&roster(&BASE.replace(
            "{ name: Cy, github: cy }",
            "{ name: Cy, github: cy, roles: [admin] }",
        )))
        .team;
        assert!(base.delta(&promoted).is_empty());
        assert_eq!(
            base.withheld(&promoted),
            [Withheld {
                login: Login::from("cy"),
                role: TeamRole::Maintainer,
                promotion: true
            }]
        );
        let pinned = Desired::of(&roster(
            &BASE.replace("github: cy }", "github: cy, github_id: 3 }"),
        ))
        .team;
        assert!(base.delta(&pinned).is_empty() && base.withheld(&pinned).is_empty());
        assert!(
            pinned.delta(&base).is_empty(),
            "an id dropped: the login holds it"
        );
    }
}
