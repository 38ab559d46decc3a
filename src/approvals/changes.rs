//! What a pull request changes in the roster's meaning, compared as parsed
//! values (never as text): comments, formatting, key order and list order
//! never show up; everything else does.
//!
//! Every field of the model is destructured without `..`, so a field added to
//! the roster does not compile here until someone decides whether changing it
//! needs approval. Only a person's display `name` is free.
//!
//! Nothing here prints an address, a Discord id, a contact key or free text
//! from the roster (names, reasons): contacts are compared as values and
//! reported as "changed"; logins, slugs, repositories and list ids are printed
//! only from rosters that passed `psrt check`, which validates their syntax.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;

use serde::Serialize;

use crate::roster::{
    ApprovalRule, Approvals, Contacts, CveSettings, DiscordSettings, EmailSettings, Emeritus,
    GithubSettings, Login, MailmanSettings, Member, Policy, Role, Roster,
};

/// What part of the roster a change touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Membership,
    Emeritus,
    Roles,
    Contacts,
    SteeringCouncil,
    ServiceSettings,
    Policy,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Membership => "membership",
            Category::Emeritus => "emeritus",
            Category::Roles => "roles",
            Category::Contacts => "contacts",
            Category::SteeringCouncil => "steering council",
            Category::ServiceSettings => "service settings",
            Category::Policy => "policy",
        }
    }
}

/// Which rule a change falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// Never allowed, whoever approves (a member deleted without emeritus).
    Never,
    /// The base branch's `policy.approvals.membership`.
    Approval,
    /// No approval needed (a display name).
    Free,
}

/// One change, in words.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RosterChange {
    pub rule: Rule,
    pub category: Category,
    /// A validated login, or a roster path such as `mailman.extra_addresses`.
    pub subject: String,
    /// What changed; never an address, an id from a contact field, or free text.
    pub what: String,
}

/// A person new to `members` (joining, or under a new login): their
/// eligibility is checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Newcomer {
    pub login: Login,
    /// Why the BASE roster already exempts them from the eligibility rule
    /// (Council member there, or the same person by `github_id` was legacy
    /// or a Release Manager there).
    pub exempt_in_base: Option<&'static str>,
    /// Exemptions the HEAD roster claims for them (`legacy: true`,
    /// `release-manager`, on `steering_council`); never taken on trust.
    pub claims_in_head: Vec<&'static str>,
}

/// Everything a pull request changes, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    pub changes: Vec<RosterChange>,
    pub newcomers: Vec<Newcomer>,
}

impl Changes {
    pub fn needing(&self, rule: Rule) -> impl Iterator<Item = &RosterChange> {
        self.changes.iter().filter(move |c| c.rule == rule)
    }
    pub fn needs_approval(&self) -> bool {
        self.needing(Rule::Approval).next().is_some()
    }
    /// Logins that leave `members` without an `emeritus` entry.
    pub fn left_without_emeritus(&self) -> Vec<&str> {
        self.needing(Rule::Never)
            .map(|c| c.subject.as_str())
            .collect()
    }

    fn push(&mut self, rule: Rule, category: Category, subject: impl Display, what: impl Display) {
        self.changes.push(RosterChange {
            rule,
            category,
            subject: subject.to_string(),
            what: what.to_string(),
        });
    }
    fn governed(&mut self, category: Category, subject: impl Display, what: impl Display) {
        self.push(Rule::Approval, category, subject, what);
    }
}

/// A member of the base matched with the head: by login, then (a rename) by
/// `github_id`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pair<'a> {
    Both { base: &'a Member, head: &'a Member },
    Added(&'a Member),
    Removed(&'a Member),
}

pub(crate) fn pairs<'a>(base: &'a Roster, head: &'a Roster) -> Vec<Pair<'a>> {
    let head_by_login: BTreeMap<&Login, &Member> =
        head.members.iter().map(|m| (&m.github, m)).collect();
    let mut matched: BTreeSet<&Login> = BTreeSet::new();
    let mut out = Vec::new();
    let mut unmatched_base = Vec::new();
    for b in &base.members {
        match head_by_login.get(&b.github) {
            Some(h) => {
                matched.insert(&h.github);
                out.push(Pair::Both { base: b, head: h });
            }
            None => unmatched_base.push(b),
        }
    }
    for b in unmatched_base {
        let renamed = b.github_id.and_then(|id| {
            head.members
                .iter()
                .find(|h| h.github_id == Some(id) && !matched.contains(&h.github))
        });
        match renamed {
            Some(h) => {
                matched.insert(&h.github);
                out.push(Pair::Both { base: b, head: h });
            }
            None => out.push(Pair::Removed(b)),
        }
    }
    for h in &head.members {
        if !matched.contains(&h.github) {
            out.push(Pair::Added(h));
        }
    }
    out
}

/// What changes from `base` to `head`.
pub fn between(base: &Roster, head: &Roster) -> Changes {
    let mut c = Changes::default();
    // Every top-level field, named: a new one must be placed here.
    let Roster {
        version,
        github,
        cve,
        contacts,
        mailman,
        discord,
        email,
        policy,
        last_inactivity_report,
        steering_council,
        members: _,  // below, person by person
        emeritus: _, // below, entry by entry
    } = head;
    if base.version != *version {
        c.governed(
            Category::Policy,
            "version",
            format!("{} → {version}", base.version),
        );
    }
    github_settings(&base.github, github, &mut c);
    section(&mut c, "cve", base.cve.as_ref(), cve.as_ref(), cve_settings);
    section(
        &mut c,
        "contacts",
        base.contacts.as_ref(),
        contacts.as_ref(),
        contact_keys,
    );
    section(
        &mut c,
        "mailman",
        base.mailman.as_ref(),
        mailman.as_ref(),
        mailman_settings,
    );
    section(
        &mut c,
        "discord",
        base.discord.as_ref(),
        discord.as_ref(),
        discord_settings,
    );
    section(
        &mut c,
        "email",
        base.email.as_ref(),
        email.as_ref(),
        email_settings,
    );
    policy_settings(&base.policy, policy, &mut c);
    if base.last_inactivity_report != *last_inactivity_report {
        c.governed(
            Category::Policy,
            "last_inactivity_report",
            format!(
                "{} → {}",
                opt(base.last_inactivity_report),
                opt(*last_inactivity_report)
            ),
        );
    }
    council(&base.steering_council, steering_council, &mut c);
    members(base, head, &mut c);
    emeritus(base, head, &mut c);
    c.changes.sort();
    c.changes.dedup();
    c.newcomers.sort_by(|a, b| a.login.cmp(&b.login));
    c
}

fn opt<T: Display>(v: Option<T>) -> String {
    v.map_or_else(|| "(none)".to_owned(), |v| v.to_string())
}

/// A list compared as a set: `(added, removed)`, each sorted.
fn set_diff<T: Ord + Clone>(base: &[T], head: &[T]) -> (Vec<T>, Vec<T>) {
    let b: BTreeSet<&T> = base.iter().collect();
    let h: BTreeSet<&T> = head.iter().collect();
    (
        h.difference(&b).map(|x| (*x).clone()).collect(),
        b.difference(&h).map(|x| (*x).clone()).collect(),
    )
}

/// "added `a`, `b`; removed `c`" for values that `psrt check` validated.
fn listed(added: &[String], removed: &[String]) -> String {
    let tick = |v: &[String]| {
        v.iter()
            .map(|x| format!("`{x}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (added.is_empty(), removed.is_empty()) {
        (false, true) => format!("added {}", tick(added)),
        (true, false) => format!("removed {}", tick(removed)),
        _ => format!("added {}; removed {}", tick(added), tick(removed)),
    }
}

/// "1 added, 2 removed" for values that must not be printed.
fn counted(added: usize, removed: usize, what: &str) -> String {
    let n = |k: usize| format!("{k} {what}{}", if k == 1 { "" } else { "s" });
    match (added, removed) {
        (a, 0) => format!("{} added", n(a)),
        (0, r) => format!("{} removed", n(r)),
        (a, r) => format!("{} added, {} removed", n(a), n(r)),
    }
}

fn lower(v: &[String]) -> Vec<String> {
    v.iter().map(|s| s.to_ascii_lowercase()).collect()
}

/// An optional section: added, removed, or compared field by field.
fn section<T>(
    c: &mut Changes,
    name: &str,
    base: Option<&T>,
    head: Option<&T>,
    fields: fn(&T, &T, &mut Changes),
) {
    match (base, head) {
        (None, None) => {}
        (None, Some(_)) => c.governed(
            Category::ServiceSettings,
            name,
            "section added (psrt starts using it)",
        ),
        (Some(_), None) => c.governed(
            Category::ServiceSettings,
            name,
            "section removed (psrt stops using it)",
        ),
        (Some(b), Some(h)) => fields(b, h, c),
    }
}

fn github_settings(base: &GithubSettings, head: &GithubSettings, c: &mut Changes) {
    let GithubSettings {
        org,
        team,
        advisory_repos,
        eligibility_teams,
        steering_council_team,
        former_psrt_accounts,
    } = head;
    let cat = Category::ServiceSettings;
    if base.org != *org {
        c.governed(cat, "github.org", format!("`{}` → `{org}`", base.org));
    }
    if base.team != *team {
        c.governed(cat, "github.team", format!("`{}` → `{team}`", base.team));
    }
    let (a, r) = set_diff(&lower(&base.advisory_repos), &lower(advisory_repos));
    if !(a.is_empty() && r.is_empty()) {
        c.governed(cat, "github.advisory_repos", listed(&a, &r));
    }
    let (a, r) = set_diff(&lower(&base.eligibility_teams), &lower(eligibility_teams));
    if !(a.is_empty() && r.is_empty()) {
        c.governed(cat, "github.eligibility_teams", listed(&a, &r));
    }
    if base.steering_council_team != *steering_council_team {
        c.governed(
            cat,
            "github.steering_council_team",
            format!(
                "{} → {}",
                opt(base.steering_council_team.as_deref()),
                opt(steering_council_team.as_deref())
            ),
        );
    }
    // Whose marked comments psrt trusts as its own.
    let ids = |v: &[u64]| v.iter().map(u64::to_string).collect::<Vec<_>>();
    let (a, r) = set_diff(&ids(&base.former_psrt_accounts), &ids(former_psrt_accounts));
    if !(a.is_empty() && r.is_empty()) {
        c.governed(cat, "github.former_psrt_accounts", listed(&a, &r));
    }
}

fn cve_settings(base: &CveSettings, head: &CveSettings, c: &mut Changes) {
    let CveSettings { org, repos } = head;
    if base.org != *org {
        c.governed(Category::ServiceSettings, "cve.org", "changed");
    }
    let (a, r) = set_diff(&lower(&base.repos), &lower(repos));
    if !(a.is_empty() && r.is_empty()) {
        c.governed(
            Category::ServiceSettings,
            "cve.repos",
            counted(a.len(), r.len(), "repository"),
        );
    }
}

fn contact_keys(base: &Contacts, head: &Contacts, c: &mut Changes) {
    let Contacts { recipients } = head;
    let (a, r) = set_diff(&base.recipients, recipients);
    if !(a.is_empty() && r.is_empty()) {
        c.governed(
            Category::ServiceSettings,
            "contacts.recipients",
            counted(a.len(), r.len(), "key"),
        );
    }
}

fn mailman_settings(base: &MailmanSettings, head: &MailmanSettings, c: &mut Changes) {
    let MailmanSettings {
        list,
        extra_addresses,
        extra_owners,
    } = head;
    let cat = Category::ServiceSettings;
    if base.list != *list {
        c.governed(cat, "mailman.list", format!("`{}` → `{list}`", base.list));
    }
    let (a, r) = set_diff(&lower(&base.extra_addresses), &lower(extra_addresses));
    if !(a.is_empty() && r.is_empty()) {
        c.governed(
            cat,
            "mailman.extra_addresses",
            counted(a.len(), r.len(), "address"),
        );
    }
    let (a, r) = set_diff(&lower(&base.extra_owners), &lower(extra_owners));
    if !(a.is_empty() && r.is_empty()) {
        c.governed(
            cat,
            "mailman.extra_owners",
            counted(a.len(), r.len(), "owner"),
        );
    }
}

fn discord_settings(base: &DiscordSettings, head: &DiscordSettings, c: &mut Changes) {
    let DiscordSettings { guild, role } = head;
    if base.guild != *guild {
        c.governed(Category::ServiceSettings, "discord.guild", "changed");
    }
    if base.role != *role {
        c.governed(Category::ServiceSettings, "discord.role", "changed");
    }
}

fn email_settings(base: &EmailSettings, head: &EmailSettings, c: &mut Changes) {
    let EmailSettings { from } = head;
    if base.from != *from {
        c.governed(Category::ServiceSettings, "email.from", "changed");
    }
}

fn policy_settings(base: &Policy, head: &Policy, c: &mut Changes) {
    let Policy {
        min_admins,
        max_removal_fraction,
        deadline_days,
        warn_days_left,
        coordinator_grace_days,
        max_cve_reservations_per_run,
        approvals: Approvals { membership },
    } = head;
    let cat = Category::Policy;
    let mut field = |name: &str, b: String, h: String| {
        if b != h {
            c.governed(cat, format!("policy.{name}"), format!("{b} → {h}"));
        }
    };
    field(
        "min_admins",
        base.min_admins.to_string(),
        min_admins.to_string(),
    );
    field(
        "max_removal_fraction",
        base.max_removal_fraction.to_string(),
        max_removal_fraction.to_string(),
    );
    field(
        "deadline_days",
        base.deadline_days.to_string(),
        deadline_days.to_string(),
    );
    field(
        "warn_days_left",
        format!("{:?}", base.warn_days_left),
        format!("{warn_days_left:?}"),
    );
    field(
        "coordinator_grace_days",
        base.coordinator_grace_days.to_string(),
        coordinator_grace_days.to_string(),
    );
    field(
        "max_cve_reservations_per_run",
        base.max_cve_reservations_per_run.to_string(),
        max_cve_reservations_per_run.to_string(),
    );
    let ApprovalRule {
        reviewers,
        required,
        min_open_days,
        veto,
    } = membership;
    let b = &base.approvals.membership;
    let at = "approvals.membership";
    field(
        &format!("{at}.reviewers"),
        format!("`{}`", b.reviewers),
        format!("`{reviewers}`"),
    );
    field(
        &format!("{at}.required"),
        b.required.to_string(),
        required.to_string(),
    );
    field(
        &format!("{at}.min_open_days"),
        opt(b.min_open_days),
        opt(*min_open_days),
    );
    field(&format!("{at}.veto"), opt(b.veto), opt(*veto));
}

fn council(base: &[Login], head: &[Login], c: &mut Changes) {
    let cat = Category::SteeringCouncil;
    let b: BTreeMap<&Login, &Login> = base.iter().map(|l| (l, l)).collect();
    let h: BTreeMap<&Login, &Login> = head.iter().map(|l| (l, l)).collect();
    for (k, login) in &h {
        match b.get(k) {
            None => c.governed(cat, login, "joins `steering_council`"),
            Some(was) if was.as_str() != login.as_str() => {
                c.governed(cat, login, format!("spelled `{was}` before"))
            }
            Some(_) => {}
        }
    }
    for (k, login) in &b {
        if !h.contains_key(k) {
            c.governed(cat, login, "leaves `steering_council`");
        }
    }
}

fn roles(r: &[Role]) -> BTreeSet<Role> {
    r.iter().copied().collect()
}

fn role_list(r: &BTreeSet<Role>) -> String {
    format!(
        "[{}]",
        r.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
    )
}

/// Contact fields are compared, never shown.
fn contact(
    c: &mut Changes,
    login: &Login,
    field: &str,
    base: &Option<String>,
    head: &Option<String>,
) {
    let what = match (base, head) {
        (None, None) => return,
        (None, Some(_)) => "added",
        (Some(_), None) => "removed",
        (Some(b), Some(h)) if b == h => return,
        (Some(_), Some(_)) => "changed",
    };
    c.governed(Category::Contacts, login, format!("{field} {what}"));
}

fn members(base: &Roster, head: &Roster, c: &mut Changes) {
    for pair in pairs(base, head) {
        match pair {
            Pair::Added(m) => {
                let mut what = String::from("joins `members`");
                let r = roles(&m.roles);
                if !r.is_empty() {
                    what.push_str(&format!(" with roles {}", role_list(&r)));
                }
                if m.legacy {
                    what.push_str(", marked `legacy: true`");
                }
                c.governed(Category::Membership, &m.github, what);
                c.newcomers.push(newcomer(base, head, m, None));
            }
            Pair::Removed(m) => {
                if head.emeritus_by(&m.github, m.github_id).is_some() {
                    c.governed(
                        Category::Membership,
                        &m.github,
                        "leaves `members` for `emeritus`",
                    );
                } else {
                    c.push(
                        Rule::Never,
                        Category::Membership,
                        &m.github,
                        "leaves `members` with no `emeritus` entry",
                    );
                }
            }
            Pair::Both { base: b, head: h } => member(base, head, b, h, c),
        }
    }
}

fn newcomer(base: &Roster, head: &Roster, m: &Member, was: Option<&Member>) -> Newcomer {
    let exempt_in_base = if base.on_council(&m.github) {
        Some("on the base roster's `steering_council`")
    } else {
        was.and_then(|w| {
            if base.on_council(&w.github) {
                Some("on the base roster's `steering_council` (same github_id)")
            } else if w.is_release_manager() {
                Some("a Release Manager in the base roster (same github_id)")
            } else if w.legacy {
                Some("legacy in the base roster (same github_id)")
            } else {
                None
            }
        })
    };
    let mut claims_in_head = Vec::new();
    if m.legacy {
        claims_in_head.push("`legacy: true`");
    }
    if m.is_release_manager() {
        claims_in_head.push("`release-manager`");
    }
    if head.on_council(&m.github) {
        claims_in_head.push("a place on `steering_council`");
    }
    Newcomer {
        login: m.github.clone(),
        exempt_in_base,
        claims_in_head,
    }
}

fn member(base: &Roster, head: &Roster, b: &Member, h: &Member, c: &mut Changes) {
    // Every field of a member, named: a new one must be placed here.
    let Member {
        name,
        github,
        github_id,
        email,
        discord,
        roles: head_roles,
        legacy,
        since,
        last_active,
    } = h;
    if b.name != *name {
        c.push(
            Rule::Free,
            Category::Membership,
            github,
            "display name changed",
        );
    }
    if b.github != *github {
        c.governed(
            Category::Contacts,
            github,
            format!("was `{}` (same github_id): a new login", b.github),
        );
        c.newcomers.push(newcomer(base, head, h, Some(b)));
    } else if b.github.as_str() != github.as_str() {
        c.governed(
            Category::Contacts,
            github,
            format!("spelled `{}` before", b.github),
        );
    }
    if b.github_id != *github_id {
        c.governed(
            Category::Contacts,
            github,
            format!("github_id {} → {}", opt(b.github_id), opt(*github_id)),
        );
    }
    contact(c, github, "email", &b.email, email);
    contact(c, github, "discord", &b.discord, discord);
    let (br, hr) = (roles(&b.roles), roles(head_roles));
    if br != hr {
        c.governed(
            Category::Roles,
            github,
            format!("roles {} → {}", role_list(&br), role_list(&hr)),
        );
    }
    if b.legacy != *legacy {
        c.governed(
            Category::Roles,
            github,
            format!("legacy {} → {legacy}", b.legacy),
        );
    }
    if b.since != *since {
        c.governed(
            Category::Membership,
            github,
            format!("since {} → {}", opt(b.since), opt(*since)),
        );
    }
    if b.last_active != *last_active {
        c.governed(
            Category::Membership,
            github,
            format!("last_active {} → {}", opt(b.last_active), opt(*last_active)),
        );
    }
}

/// An emeritus entry's identity: its login, else its id, else its place
/// among the entries without either (their names are free text, never shown).
fn emeritus_keys(list: &[Emeritus]) -> Vec<(String, String, &Emeritus)> {
    let mut anonymous = 0;
    list.iter()
        .map(|e| match (&e.github, e.github_id) {
            (Some(l), _) => (l.key(), format!("{l}"), e),
            (None, Some(id)) => (
                format!("id:{id}"),
                format!("emeritus entry with github_id {id}"),
                e,
            ),
            (None, None) => {
                anonymous += 1;
                (
                    format!("#{anonymous}"),
                    format!("emeritus entry #{anonymous} without a login"),
                    e,
                )
            }
        })
        .collect()
}

fn emeritus(base: &Roster, head: &Roster, c: &mut Changes) {
    let cat = Category::Emeritus;
    let b: BTreeMap<String, (String, &Emeritus)> = emeritus_keys(&base.emeritus)
        .into_iter()
        .map(|(k, s, e)| (k, (s, e)))
        .collect();
    let h: BTreeMap<String, (String, &Emeritus)> = emeritus_keys(&head.emeritus)
        .into_iter()
        .map(|(k, s, e)| (k, (s, e)))
        .collect();
    for (k, (subject, e)) in &h {
        let Some((_, was)) = b.get(k) else {
            c.governed(cat, subject, "added to `emeritus`");
            continue;
        };
        // Every field of an entry, named: a new one must be placed here.
        let Emeritus {
            name,
            github,
            github_id,
            roles: head_roles,
            left,
            reason,
        } = e;
        if was.name != *name {
            c.push(Rule::Free, cat, subject, "display name changed");
        }
        if let (Some(wl), Some(hl)) = (&was.github, github) {
            if wl.as_str() != hl.as_str() {
                c.governed(cat, subject, format!("spelled `{wl}` before"));
            }
        }
        if was.github_id != *github_id {
            c.governed(
                cat,
                subject,
                format!("github_id {} → {}", opt(was.github_id), opt(*github_id)),
            );
        }
        let (br, hr) = (roles(&was.roles), roles(head_roles));
        if br != hr {
            c.governed(
                cat,
                subject,
                format!("roles {} → {}", role_list(&br), role_list(&hr)),
            );
        }
        if was.left != *left {
            c.governed(
                cat,
                subject,
                format!("left {} → {}", opt(was.left), opt(*left)),
            );
        }
        if was.reason != *reason {
            c.governed(cat, subject, "reason changed");
        }
    }
    for (k, (subject, _)) in &b {
        if !h.contains_key(k) {
            c.governed(cat, subject, "removed from `emeritus`");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A roster with every field filled in.
    const FULL: &str = r#"version: 1
github:
  org: python
  team: psrt
  advisory_repos: [python/cpython, pypa/pip]
  eligibility_teams: [python-core, python-triage]
  steering_council_team: steering-council
cve:
  org: PSF
  repos: [python/cpython]
contacts:
  recipients: ["age1aaaa", "age1bbbb"]
mailman:
  list: security.python.org
  extra_addresses: [archive@example.org]
  extra_owners: [infra@example.org]
discord:
  guild: "1234567890123456789"
  role: "2345678901234567890"
email:
  from: "PSRT <psrt@example.org>"
policy:
  min_admins: 2
  max_removal_fraction: 0.25
  deadline_days: 90
  warn_days_left: [30, 14, 7, 1]
  coordinator_grace_days: 3
  approvals:
    membership: { reviewers: steering-council, required: 1, min_open_days: 2, veto: admin }
last_inactivity_report: 2025-11-01
steering_council: [sc1, sc2]
members:
  - name: Ada
    github: ada
    github_id: 1
    email: ada@example.org
    discord: "3456789012345678901"
    roles: [admin]
    legacy: true
    since: 2023-06-01
    last_active: 2025-09-14
  - name: Bo
    github: bo
    roles: [admin, release-manager]
emeritus:
  - name: Cy
    github: cy
    github_id: 3
    roles: [admin]
    left: 2025-11-01
    reason: inactive
  - name: Long Gone
"#;

    fn parse(text: &str) -> Roster {
        crate::roster::parse(text.as_bytes())
            .map(|l| l.roster)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn changes(from: &str, to: &str) -> Vec<(Rule, Category, String, String)> {
        between(&parse(from), &parse(to))
            .changes
            .into_iter()
            .map(|c| (c.rule, c.category, c.subject, c.what))
            .collect()
    }

    /// A different value of the same type as `v`, still deserialisable.
    fn perturb(path: &str, v: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match v {
            Value::Bool(b) => Value::Bool(!b),
            Value::Number(n) if n.is_f64() => serde_json::json!(n.as_f64().unwrap_or(0.0) / 2.0),
            Value::Number(n) => serde_json::json!(n.as_u64().unwrap_or(0) + 1),
            Value::String(s) if path.ends_with("roles[0]") || path.ends_with("roles[1]") => {
                Value::String(
                    if s == "admin" {
                        "release-manager"
                    } else {
                        "admin"
                    }
                    .into(),
                )
            }
            Value::String(s) if path.contains("reviewers") || path.contains("veto") => {
                Value::String(if s == "admin" { "members" } else { "admin" }.into())
            }
            Value::String(s) if s.len() == 10 && s.as_bytes().get(4) == Some(&b'-') => {
                Value::String("2020-02-02".into())
            }
            Value::String(s) => Value::String(format!("{s}x")),
            other => other.clone(),
        }
    }

    fn leaves(v: &serde_json::Value, path: String, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    leaves(
                        x,
                        if path.is_empty() {
                            k.clone()
                        } else {
                            format!("{path}.{k}")
                        },
                        out,
                    )
                }
            }
            serde_json::Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    leaves(x, format!("{path}[{i}]"), out)
                }
            }
            _ => out.push(path),
        }
    }

    fn at<'a>(v: &'a mut serde_json::Value, path: &str) -> &'a mut serde_json::Value {
        let mut cur = v;
        for part in path.split('.') {
            let (key, idx) = match part.split_once('[') {
                Some((k, rest)) => (k, rest.trim_end_matches(']').parse::<usize>().ok()),
                None => (part, None),
            };
            cur = &mut cur[key];
            if let Some(i) = idx {
                cur = &mut cur[i];
            }
        }
        cur
    }

    /// Change each value of a full roster in turn: each change must be seen,
    /// and only display names may be free.
    #[test]
    fn no_field_can_change_unnoticed() {
        let base = parse(FULL);
        let value = serde_json::to_value(&base).unwrap();
        let mut paths = Vec::new();
        leaves(&value, String::new(), &mut paths);
        assert!(paths.len() > 40, "{paths:?}");
        for path in paths {
            let mut v = value.clone();
            let leaf = at(&mut v, &path);
            *leaf = perturb(&path, leaf);
            let head: Roster = serde_json::from_value(v)
                .unwrap_or_else(|e| panic!("{path}: the perturbed roster does not read: {e}"));
            assert_ne!(head, base, "{path}: not changed");
            let c = between(&base, &head);
            assert!(!c.changes.is_empty(), "{path}: a change nobody sees");
            let free = path.ends_with(".name");
            for ch in &c.changes {
                assert_eq!(
                    ch.rule == Rule::Free,
                    free,
                    "{path}: {ch:?} (only display names are free)"
                );
            }
        }
    }

    #[test]
    fn comments_order_and_formatting_are_not_changes() {
        let head = FULL
            .replace("members:\n", "# who is in\nmembers:\n")
            .replace("[python/cpython, pypa/pip]", "[pypa/pip, python/cpython]")
            .replace("steering_council: [sc1, sc2]", "steering_council:\n  - sc2\n  - sc1")
            .replace(
                "{ reviewers: steering-council, required: 1, min_open_days: 2, veto: admin }",
                "\n      veto: admin\n      reviewers: steering-council\n      required: 1\n      min_open_days: 2",
            );
        assert_eq!(changes(FULL, &head), vec![]);
        // Members in another order are the same members.
        let swapped = FULL.replace(
            "  - name: Bo\n    github: bo\n    roles: [admin, release-manager]\n",
            "",
        );
        let swapped = swapped.replace(
            "members:\n",
            "members:\n  - name: Bo\n    github: bo\n    roles: [release-manager, admin]\n",
        );
        assert_eq!(changes(FULL, &swapped), vec![]);
    }

    #[test]
    fn contacts_are_compared_never_shown() {
        let head = FULL
            .replace("ada@example.org", "outsider@evil.example")
            .replace("3456789012345678901", "9999999999999999999")
            .replace(
                "[archive@example.org]",
                "[archive@example.org, spy@evil.example]",
            );
        let c = changes(FULL, &head);
        assert_eq!(
            c,
            vec![
                (
                    Rule::Approval,
                    Category::Contacts,
                    "ada".into(),
                    "discord changed".into()
                ),
                (
                    Rule::Approval,
                    Category::Contacts,
                    "ada".into(),
                    "email changed".into()
                ),
                (
                    Rule::Approval,
                    Category::ServiceSettings,
                    "mailman.extra_addresses".into(),
                    "1 address added".into()
                ),
            ]
        );
        let text = format!("{c:?}");
        for secret in ["outsider", "evil", "9999", "3456", "spy"] {
            assert!(!text.contains(secret), "{secret} printed: {text}");
        }
    }

    #[test]
    fn a_member_deleted_outright_is_never_allowed_and_emeritus_is_the_way_out() {
        let deleted = FULL.replace(
            "  - name: Bo\n    github: bo\n    roles: [admin, release-manager]\n",
            "",
        );
        let c = between(&parse(FULL), &parse(&deleted));
        assert_eq!(c.left_without_emeritus(), ["bo"]);
        let to_emeritus = deleted.replace(
            "  - name: Long Gone\n",
            "  - name: Long Gone\n  - name: Bo\n    github: bo\n    roles: [admin]\n",
        );
        let c = between(&parse(FULL), &parse(&to_emeritus));
        assert!(c.left_without_emeritus().is_empty());
        assert_eq!(
            c.changes
                .iter()
                .map(|c| c.what.as_str())
                .collect::<Vec<_>>(),
            ["leaves `members` for `emeritus`", "added to `emeritus`"]
        );
    }

    #[test]
    fn a_rename_by_github_id_is_a_new_login_not_a_departure() {
        let head = FULL.replace("    github: ada\n", "    github: ada-lovelace\n");
        let c = between(&parse(FULL), &parse(&head));
        assert!(c.left_without_emeritus().is_empty());
        assert_eq!(
            c.changes
                .iter()
                .map(|c| (c.subject.as_str(), c.what.as_str()))
                .collect::<Vec<_>>(),
            [("ada-lovelace", "was `ada` (same github_id): a new login")]
        );
        // Eligibility is checked for the new login, with the base's exemption.
        assert_eq!(c.newcomers.len(), 1);
        assert_eq!(
            c.newcomers[0].exempt_in_base,
            Some("legacy in the base roster (same github_id)")
        );
    }

    #[test]
    fn exemptions_of_newcomers_come_from_the_base() {
        let head = FULL
            .replace(
                "steering_council: [sc1, sc2]",
                "steering_council: [sc1, sc2, newbie]",
            )
            .replace(
                "emeritus:\n",
                "  - name: Newbie\n    github: newbie\n    legacy: true\nemeritus:\n",
            );
        let c = between(&parse(FULL), &parse(&head));
        assert_eq!(
            c.newcomers,
            [Newcomer {
                login: Login::from("newbie"),
                exempt_in_base: None,
                claims_in_head: vec!["`legacy: true`", "a place on `steering_council`"],
            }]
        );
        // A Council member of the base who joins is exempt by the base.
        let head = FULL.replace("emeritus:\n", "  - name: Sc\n    github: SC1\nemeritus:\n");
        let c = between(&parse(FULL), &parse(&head));
        assert_eq!(
            c.newcomers[0].exempt_in_base,
            Some("on the base roster's `steering_council`")
        );
    }
}
