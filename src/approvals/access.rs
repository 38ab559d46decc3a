//! Who gains or loses access if a pull request merges, per service, computed
//! from the two rosters the way the nightly sync and advisory hygiene would
//! act on them: no service is asked, no credential is needed.
//!
//! People are named by their (validated) GitHub login; addresses, Discord ids
//! and contact keys are never shown: "`ada` (new address)".

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::changes::{Pair, pairs};
use crate::desired::{self, Desired, ListOp, RoleOp, TeamOp, TeamRole};
use crate::roster::{Login, Roster};

/// One service's row in the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceAccess {
    /// "GitHub team", "Mailman list", "Discord role", "advisories", ...
    pub service: &'static str,
    /// What psrt manages there (validated names only), e.g. `python/psrt`.
    pub target: String,
    pub gains: Vec<String>,
    pub loses: Vec<String>,
    pub notes: Vec<String>,
}

impl ServiceAccess {
    fn new(service: &'static str, target: impl Into<String>) -> Self {
        Self {
            service,
            target: target.into(),
            gains: vec![],
            loses: vec![],
            notes: vec![],
        }
    }
    pub fn is_empty(&self) -> bool {
        self.gains.is_empty() && self.loses.is_empty() && self.notes.is_empty()
    }
    fn sorted(mut self) -> Self {
        self.gains.sort();
        self.gains.dedup();
        self.loses.sort();
        self.loses.dedup();
        self
    }
}

fn tick(l: &Login) -> String {
    format!("`{l}`")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Every service's row: the GitHub team, the Mailman list, the Discord role
/// and advisories always; the Steering Council and contact keys when they change.
pub fn between(base: &Roster, head: &Roster) -> Vec<ServiceAccess> {
    let ps = pairs(base, head);
    let (bd, hd) = (Desired::of(base), Desired::of(head));
    let mut out = vec![
        github_team(&bd.team, &hd.team),
        mailman_list(bd.list.as_ref(), hd.list.as_ref(), &ps),
        discord_role(bd.role.as_ref(), hd.role.as_ref(), &ps),
        advisories(base, head, &ps),
    ];
    let council = council(base, head);
    if !council.is_empty() {
        out.push(council);
    }
    let keys = contact_keys(base, head);
    if !keys.is_empty() {
        out.push(keys);
    }
    out.into_iter().map(ServiceAccess::sorted).collect()
}

/// The team's row: what the nightly does to it ([`desired::Team::delta`]).
fn github_team(base: &desired::Team, head: &desired::Team) -> ServiceAccess {
    let target = |t: &desired::Team| format!("`{}/{}`", t.org, t.slug);
    let (bt, ht) = (target(base), target(head));
    let mut s = ServiceAccess::new("GitHub team", ht.clone());
    let role = |r: TeamRole| {
        if r == TeamRole::Maintainer {
            " (maintainer)"
        } else {
            ""
        }
    };
    let empty;
    let base = if base.same_target(head) {
        base
    } else {
        s.notes.push(format!(
            "psrt manages {ht} instead of {bt}, and leaves {bt} as it is"
        ));
        empty = desired::Team {
            seats: vec![],
            ..head.clone()
        };
        &empty
    };
    for op in base.delta(head) {
        match op {
            TeamOp::Add { login, role: r } => s.gains.push(format!("{}{}", tick(&login), role(r))),
            TeamOp::Remove { login, .. } => s.loses.push(tick(&login)),
            TeamOp::SetRole {
                to: TeamRole::Maintainer,
                roster_login,
                ..
            } => s
                .gains
                .push(format!("{} (maintainer)", tick(&roster_login))),
            TeamOp::SetRole { roster_login, .. } => s
                .loses
                .push(format!("{} (maintainer role)", tick(&roster_login))),
        }
    }
    // What the nightly would grant but does not: no account id to grant it to.
    for w in base.withheld(head) {
        s.notes.push(format!(
            "{}: no `github_id`, so {} (psrt grants nothing new by login)",
            tick(&w.login),
            if w.promotion {
                "not made maintainer"
            } else {
                "not added"
            }
        ));
    }
    s
}

/// How the list's and the role's rows name things.
struct Words {
    service: &'static str,
    missing: &'static str,
    new_value: &'static str,
    old_value: &'static str,
    not_given: &'static str,
}

const LIST_WORDS: Words = Words {
    service: "Mailman list",
    missing: "no address",
    new_value: "(new address)",
    old_value: "(old address)",
    not_given: "subscribed",
};

const ROLE_WORDS: Words = Words {
    service: "Discord role",
    missing: "no Discord id",
    new_value: "(new Discord id)",
    old_value: "(old Discord id)",
    not_given: "given the role",
};

/// The list or the role, as its row needs it.
trait Managed: Clone {
    fn same_target(&self, other: &Self) -> bool;
    /// How the row names it (never an id from a contact field).
    fn shown(&self) -> String;
    /// The same target, held by nobody: where a new one starts.
    fn nobody(&self) -> Self;
}

impl Managed for desired::List {
    fn same_target(&self, other: &Self) -> bool {
        desired::List::same_target(self, other)
    }
    fn shown(&self) -> String {
        format!("`{}`", self.list_id)
    }
    fn nobody(&self) -> Self {
        Self {
            subscribers: Default::default(),
            owners: Default::default(),
            ..self.clone()
        }
    }
}

impl Managed for desired::Role {
    fn same_target(&self, other: &Self) -> bool {
        desired::Role::same_target(self, other)
    }
    fn shown(&self) -> String {
        // Ids are not shown: the role is the one `discord` names.
        "`discord.role`".to_owned()
    }
    fn nobody(&self) -> Self {
        Self {
            holders: vec![],
            ..self.clone()
        }
    }
}

/// The row of a service, with a note when psrt starts managing it or
/// manages another one, and what the head is compared with (the base's, or
/// nobody for a new one); `Err` with the whole row when the head leaves the
/// service alone.
fn start_row<'a, T: Managed>(
    w: &Words,
    base: Option<&'a T>,
    head: Option<&'a T>,
) -> Result<(ServiceAccess, T, &'a T), ServiceAccess> {
    let Some(head) = head else {
        let mut s = ServiceAccess::new(
            w.service,
            base.map_or_else(|| "not managed".into(), T::shown),
        );
        if base.is_some() {
            s.notes
                .push("psrt stops managing it: nobody is removed".to_owned());
        }
        return Err(s);
    };
    let ht = head.shown();
    let mut s = ServiceAccess::new(w.service, ht.clone());
    let from = match base {
        Some(b) if b.same_target(head) => b.clone(),
        Some(_) => {
            s.notes
                .push("psrt manages another one, and leaves the old one as it is".to_owned());
            head.nobody()
        }
        None => {
            s.notes.push(format!("psrt starts managing {ht}"));
            head.nobody()
        }
    };
    Ok((s, from, head))
}

/// One person's holding on the list or the role: who, by login, from the
/// base roster to the head (a rename is the same person).
struct Holdings<'a> {
    /// Base login → head login, for members in both.
    renamed: BTreeMap<&'a Login, &'a Login>,
}

impl<'a> Holdings<'a> {
    fn of(ps: &'a [Pair<'a>]) -> Self {
        Self {
            renamed: ps
                .iter()
                .filter_map(|p| match p {
                    Pair::Both { base, head } => Some((&base.github, &head.github)),
                    _ => None,
                })
                .collect(),
        }
    }
    /// The head's login of a base member (the same login when not renamed).
    fn in_head(&self, base: &'a Login) -> &'a Login {
        self.renamed.get(base).copied().unwrap_or(base)
    }
}

/// Members added without the contact field: not given the service.
fn not_given(s: &mut ServiceAccess, w: &Words, ps: &[Pair<'_>], missing: &[Login]) {
    for p in ps {
        if let Pair::Added(m) = p {
            if missing.contains(&m.github) {
                s.notes.push(format!(
                    "{} has {}: not {}",
                    tick(&m.github),
                    w.missing,
                    w.not_given
                ));
            }
        }
    }
}

/// The list's row: what the nightly does to it ([`desired::List::delta`]).
fn mailman_list(
    base: Option<&desired::List>,
    head: Option<&desired::List>,
    ps: &[Pair<'_>],
) -> ServiceAccess {
    let w = &LIST_WORDS;
    let (mut s, base, head) = match start_row(w, base, head) {
        Ok(x) => x,
        Err(s) => return s,
    };
    let base = &base;
    let h = Holdings::of(ps);
    fn member<'l>(l: &'l desired::List, k: &str) -> Option<&'l Login> {
        l.subscribers.get(k).and_then(|x| x.member.as_ref())
    }
    fn owner<'l>(l: &'l desired::List, k: &str) -> Option<&'l Login> {
        l.owners.get(k).and_then(|x| x.member.as_ref())
    }
    // Members by head login, with a subscription (or ownership) in base and in head.
    let subscribed_in = |l: &desired::List, login: &Login, base_side: bool| {
        l.subscribers
            .values()
            .filter_map(|x| x.member.as_ref())
            .any(|m| (if base_side { h.in_head(m) } else { m }) == login)
    };
    let owns_in = |l: &desired::List, login: &Login, base_side: bool| {
        l.owners
            .values()
            .filter_map(|x| x.member.as_ref())
            .any(|m| (if base_side { h.in_head(m) } else { m }) == login)
    };
    let (mut extra_gained, mut extra_lost) = (0, 0);
    let (mut extra_owners_gained, mut extra_owners_lost) = (0, 0);
    for op in base.delta(head) {
        match op {
            ListOp::Subscribe(k) => match member(head, &k) {
                Some(l) if subscribed_in(base, l, true) => {
                    s.gains.push(format!("{} {}", tick(l), w.new_value));
                }
                Some(l) => s.gains.push(tick(l)),
                None => extra_gained += 1,
            },
            ListOp::Unsubscribe(k) => match member(base, &k) {
                Some(l) if subscribed_in(head, h.in_head(l), false) => {
                    s.loses
                        .push(format!("{} {}", tick(h.in_head(l)), w.old_value));
                }
                Some(l) => s.loses.push(tick(h.in_head(l))),
                None => extra_lost += 1,
            },
            ListOp::AddOwner(k) => match owner(head, &k) {
                // An owner whose address changed stays an owner.
                Some(l) if owns_in(base, l, true) => {}
                Some(l) => s.gains.push(format!("{} (owner)", tick(l))),
                None => extra_owners_gained += 1,
            },
            ListOp::RemoveOwner(k) => match owner(base, &k) {
                Some(l) if owns_in(head, h.in_head(l), false) => {}
                Some(l) => s.loses.push(format!("{} (owner)", tick(h.in_head(l)))),
                None => extra_owners_lost += 1,
            },
        }
    }
    not_given(&mut s, w, ps, &head.without_address);
    for (n, one, many, gained) in [
        (extra_gained, "extra address", "extra addresses", true),
        (extra_owners_gained, "extra owner", "extra owners", true),
        (extra_lost, "extra address", "extra addresses", false),
        (extra_owners_lost, "extra owner", "extra owners", false),
    ] {
        if n > 0 {
            let list = if gained { &mut s.gains } else { &mut s.loses };
            list.push(plural(n, one, many));
        }
    }
    // Subscribers the head no longer names, kept by the migration setting
    // (what the nightly does: see `desired::Strangers`).
    let kept = base.kept(head);
    if !kept.is_empty() {
        let mut who: Vec<String> = kept
            .iter()
            .filter_map(|x| x.member.as_ref())
            .map(|l| tick(h.in_head(l)))
            .collect();
        who.sort();
        let extras = kept.iter().filter(|x| x.member.is_none()).count();
        if extras > 0 {
            who.push(plural(extras, "extra address", "extra addresses"));
        }
        let verb = if kept.len() == 1 { "stays" } else { "stay" };
        s.notes.push(format!(
            "{} {verb} subscribed: `mailman.keep_unknown` keeps every subscriber psrt does not know (a migration)",
            who.join(", ")
        ));
    }
    s
}

/// The role's row: what the nightly does to it ([`desired::Role::delta`]).
fn discord_role(
    base: Option<&desired::Role>,
    head: Option<&desired::Role>,
    ps: &[Pair<'_>],
) -> ServiceAccess {
    let w = &ROLE_WORDS;
    let (mut s, base, head) = match start_row(w, base, head) {
        Ok(x) => x,
        Err(s) => return s,
    };
    let base = &base;
    let h = Holdings::of(ps);
    fn holder<'r>(r: &'r desired::Role, k: &str) -> Option<&'r Login> {
        r.holders.iter().find(|x| x.key() == k).map(|x| &x.login)
    }
    let holds_in_base = |login: &Login| base.holders.iter().any(|x| h.in_head(&x.login) == login);
    let holds_in_head = |login: &Login| head.holders.iter().any(|x| &x.login == login);
    for op in base.delta(head) {
        match op {
            RoleOp::Grant(k) => {
                if let Some(l) = holder(head, &k) {
                    if holds_in_base(l) {
                        s.gains.push(format!("{} {}", tick(l), w.new_value));
                    } else {
                        s.gains.push(tick(l));
                    }
                }
            }
            RoleOp::Revoke(k) => {
                if let Some(l) = holder(base, &k) {
                    let l = h.in_head(l);
                    if holds_in_head(l) {
                        s.loses.push(format!("{} {}", tick(l), w.old_value));
                    } else {
                        s.loses.push(tick(l));
                    }
                }
            }
        }
    }
    not_given(&mut s, w, ps, &head.without_id);
    let kept = base.kept(head);
    if !kept.is_empty() {
        let mut who: Vec<String> = kept.iter().map(|x| tick(h.in_head(&x.login))).collect();
        who.sort();
        s.notes.push(format!(
            "{} {} the role: `discord.keep_unknown` keeps every holder psrt does not know (a migration)",
            who.join(", "),
            if kept.len() == 1 { "keeps" } else { "keep" }
        ));
    }
    s
}

fn advisories(base: &Roster, head: &Roster, ps: &[Pair<'_>]) -> ServiceAccess {
    let repos = |r: &Roster| -> BTreeSet<String> {
        r.github
            .advisory_repos
            .iter()
            .map(|x| x.to_ascii_lowercase())
            .collect()
    };
    let (br, hr) = (repos(base), repos(head));
    let target = if hr.is_empty() {
        "no repositories".to_owned()
    } else {
        hr.iter()
            .map(|r| format!("`{r}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut s = ServiceAccess::new("advisories", target);
    for p in ps {
        match p {
            Pair::Added(m) if m.github_id.is_some() => s.gains.push(tick(&m.github)),
            Pair::Added(m) => s.notes.push(format!(
                "{}: no `github_id`, so not added to any report (psrt grants nothing new by login)",
                tick(&m.github)
            )),
            Pair::Removed(m) if head.member(&m.github).is_some() => {
                if let Some(id) = m.github_id {
                    if !head.emeritus.iter().any(|e| e.github_id == Some(id)) {
                        s.notes.push(format!(
                            "{}: the account with github_id {id} leaves, and no `emeritus` entry records that id: psrt would not remove it from the reports it collaborates on",
                            tick(&m.github)
                        ));
                    }
                }
            }
            Pair::Removed(m) => {
                if head.emeritus_by(&m.github, m.github_id).is_none() {
                    s.notes.push(format!(
                        "{} leaves `members` with no `emeritus` entry: psrt would never remove them from the reports they collaborate on",
                        tick(&m.github)
                    ));
                }
            }
            Pair::Both { .. } => {}
        }
    }
    // Former members are removed from every report (closed ones too).
    let former = |r: &Roster| -> BTreeMap<Login, ()> {
        r.emeritus
            .iter()
            .filter_map(|e| e.github.clone())
            .filter(|l| r.member(l).is_none())
            .map(|l| (l, ()))
            .collect()
    };
    let (bf, hf) = (former(base), former(head));
    for l in hf.keys().filter(|l| !bf.contains_key(*l)) {
        s.loses
            .push(format!("{} (former member: removed from reports)", tick(l)));
    }
    for l in bf.keys().filter(|l| !hf.contains_key(*l)) {
        if head.member(l).is_none() {
            s.notes.push(format!(
                "{} is no longer listed as a former member: psrt stops removing them from reports",
                tick(l)
            ));
        }
    }
    for r in hr.difference(&br) {
        s.notes.push(format!(
            "reports in `{r}` are added: every member gains access to them"
        ));
    }
    for r in br.difference(&hr) {
        s.notes.push(format!(
            "psrt stops managing reports in `{r}`: nobody loses access there"
        ));
    }
    if base.github.team != head.github.team {
        s.notes.push(format!(
            "the team added to every open report becomes `{}`",
            head.github.team
        ));
    }
    s
}

fn council(base: &Roster, head: &Roster) -> ServiceAccess {
    let mut s = ServiceAccess::new("Steering Council", "who approves these pull requests");
    let (b, h): (BTreeSet<&Login>, BTreeSet<&Login>) = (
        base.steering_council.iter().collect(),
        head.steering_council.iter().collect(),
    );
    s.gains = h.difference(&b).map(|l| tick(l)).collect();
    s.loses = b.difference(&h).map(|l| tick(l)).collect();
    s
}

fn contact_keys(base: &Roster, head: &Roster) -> ServiceAccess {
    let keys = |r: &Roster| -> BTreeSet<String> {
        r.contacts
            .as_ref()
            .map(|c| c.recipients.iter().cloned().collect())
            .unwrap_or_default()
    };
    let (b, h) = (keys(base), keys(head));
    let mut s = ServiceAccess::new("contact keys", "`contacts.recipients`");
    let added = h.difference(&b).count();
    let removed = b.difference(&h).count();
    if added > 0 {
        s.gains.push(plural(added, "key", "keys"));
        s.notes
            .push("whoever holds an added key can read every encrypted contact".into());
    }
    if removed > 0 {
        s.loses.push(plural(removed, "key", "keys"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"version: 1
github: { org: python, team: psrt, advisory_repos: [python/cpython] }
mailman: { list: security.python.org, extra_addresses: [archive@example.org] }
discord: { guild: "1234567890123456789", role: "2345678901234567890" }
steering_council: [sc1]
members:
  - { name: Ada, github: ada, email: ada@example.org, discord: "3456789012345678901", roles: [admin] }
  - { name: Bo, github: bo, email: bo@example.org, roles: [admin] }
  - { name: Cy, github: cy }
emeritus:
  - { name: Old, github: old }
"#;

    fn parse(text: &str) -> Roster {
        crate::roster::parse(text.as_bytes())
            .map(|l| l.roster)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn rows(head: &str) -> Vec<(String, Vec<String>, Vec<String>)> {
        between(&parse(BASE), &parse(head))
            .into_iter()
            .map(|s| (s.service.to_owned(), s.gains, s.loses))
            .collect()
    }

    #[test]
    fn nothing_changes_nothing() {
        assert!(
            between(&parse(BASE), &parse(BASE))
                .iter()
                .all(ServiceAccess::is_empty)
        );
    }

    #[test]
    fn each_service_from_the_two_rosters_and_no_address_shown() {
        let head = BASE
            .replace("ada@example.org", "outsider@evil.example")
            .replace(
                "[archive@example.org]",
                "[archive@example.org, spy@evil.example]",
            )
            .replace(
                "  - { name: Cy, github: cy }\n",
                "  - { name: Newbie, github: newbie, github_id: 42, discord: \"4567890123456789012\" }\n",
            )
            .replace(
                "  - { name: Old, github: old }\n",
                "  - { name: Old, github: old }\n  - { name: Cy, github: cy }\n",
            );
        let all = between(&parse(BASE), &parse(&head));
        let text = format!("{all:?}");
        for secret in ["outsider", "evil", "spy", "4567", "3456", "2345"] {
            assert!(!text.contains(secret), "{secret}: {text}");
        }
        assert_eq!(
            rows(&head),
            [
                (
                    "GitHub team".into(),
                    vec!["`newbie`".into()],
                    vec!["`cy`".into()]
                ),
                (
                    "Mailman list".into(),
                    vec!["1 extra address".into(), "`ada` (new address)".into()],
                    // `newbie` has no address, and `ada`'s old one goes
                    // anyway: fail closed, whatever other members lack.
                    vec!["`ada` (old address)".into()]
                ),
                ("Discord role".into(), vec!["`newbie`".into()], vec![]),
                (
                    "advisories".into(),
                    vec!["`newbie`".into()],
                    vec!["`cy` (former member: removed from reports)".into()]
                ),
            ]
        );
        let list = all.iter().find(|s| s.service == "Mailman list").unwrap();
        assert!(
            list.notes
                .iter()
                .any(|n| n == "`newbie` has no address: not subscribed"),
            "{:?}",
            list.notes
        );
        // Only the migration setting keeps strangers, and the row says so.
        let keeping = head.replace(
            "extra_addresses: [archive@example.org, spy@evil.example] }",
            "extra_addresses: [archive@example.org, spy@evil.example], keep_unknown: true }",
        );
        let all = between(&parse(BASE), &parse(&keeping));
        let list = all.iter().find(|s| s.service == "Mailman list").unwrap();
        assert!(list.loses.is_empty(), "{:?}", list.loses);
        assert!(
            list.notes
                .iter()
                .any(|n| n.starts_with("`ada` stays subscribed: `mailman.keep_unknown`")),
            "{:?}",
            list.notes
        );
    }

    /// Issue 21: a member without `github_id` gains nothing on GitHub, and
    /// the rows say why.
    #[test]
    fn a_newcomer_without_github_id_gains_nothing_and_the_rows_say_so() {
        let head = BASE.replace(
            "  - { name: Cy, github: cy }\n",
            "  - { name: Cy, github: cy }\n  - { name: Newbie, github: newbie }\n",
        );
        let all = between(&parse(BASE), &parse(&head));
        for row in ["GitHub team", "advisories"] {
            let r = all.iter().find(|s| s.service == row).unwrap();
            assert!(r.gains.is_empty(), "{row}: {:?}", r.gains);
            assert!(
                r.notes
                    .iter()
                    .any(|n| n.starts_with("`newbie`: no `github_id`, so not added")),
                "{row}: {:?}",
                r.notes
            );
        }
    }

    #[test]
    fn an_old_address_is_lost_once_every_member_has_one() {
        let base = BASE.replace(
            "{ name: Cy, github: cy }",
            "{ name: Cy, github: cy, email: cy@example.org }",
        );
        let head = base.replace("ada@example.org", "outsider@evil.example");
        let list = between(&parse(&base), &parse(&head))
            .into_iter()
            .find(|s| s.service == "Mailman list")
            .unwrap();
        assert_eq!(list.gains, ["`ada` (new address)"]);
        assert_eq!(list.loses, ["`ada` (old address)"]);
        assert!(list.notes.is_empty(), "{:?}", list.notes);
    }

    #[test]
    fn a_deleted_member_keeps_access_to_reports_and_the_row_says_so() {
        let head = BASE.replace("  - { name: Cy, github: cy }\n", "");
        let adv = between(&parse(BASE), &parse(&head))
            .into_iter()
            .find(|s| s.service == "advisories")
            .unwrap();
        assert!(adv.loses.is_empty());
        assert!(adv.notes[0].contains("`cy` leaves `members` with no `emeritus` entry"));
    }

    #[test]
    fn admins_own_the_list_and_the_council_and_keys_show_when_they_change() {
        let head = BASE
            .replace(
                "{ name: Bo, github: bo, email: bo@example.org, roles: [admin] }",
                "{ name: Bo, github: bo, email: bo@example.org }",
            )
            .replace(
                "steering_council: [sc1]",
                "steering_council: [sc1, sc2]\ncontacts: { recipients: [age1xyz] }",
            );
        let r = rows(&head);
        assert_eq!(r[0].2, ["`bo` (maintainer role)"]);
        assert_eq!(r[1].2, ["`bo` (owner)"]);
        assert_eq!(
            r[4],
            ("Steering Council".into(), vec!["`sc2`".into()], vec![])
        );
        assert_eq!(r[5], ("contact keys".into(), vec!["1 key".into()], vec![]));
    }

    #[test]
    fn a_new_team_gives_everyone_access_and_leaves_the_old_one_alone() {
        let head = BASE
            .replace("team: psrt", "team: psrt-two")
            .replace("github: ada,", "github: ada, github_id: 1,");
        let gh = &between(&parse(BASE), &parse(&head))[0];
        assert_eq!(gh.target, "`python/psrt-two`");
        // Everyone with an account id; the others are named in the notes.
        assert_eq!(gh.gains, ["`ada` (maintainer)"]);
        assert!(gh.notes[0].contains("leaves `python/psrt` as it is"));
        assert_eq!(gh.notes.len(), 3, "{:?}", gh.notes);
    }
}
