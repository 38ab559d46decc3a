//! Who gains or loses access if a pull request merges, per service, computed
//! from the two rosters the way the nightly sync and advisory hygiene would
//! act on them: no service is asked, no credential is needed.
//!
//! People are named by their (validated) GitHub login; addresses, Discord ids
//! and contact keys are never shown: "`ada` (new address)".

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::changes::{Pair, pairs};
use crate::roster::{Login, Member, Roster};

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
    let mut out = vec![
        github_team(base, head, &ps),
        contact_service(
            "Mailman list",
            base.mailman.as_ref().map(|m| m.list.clone()),
            head.mailman.as_ref().map(|m| m.list.clone()),
            |list| format!("`{list}`"),
            &ps,
            |m| m.email.as_deref(),
            mailman_extras(base, head),
        ),
        contact_service(
            "Discord role",
            base.discord
                .as_ref()
                .map(|d| format!("{}/{}", d.guild, d.role)),
            head.discord
                .as_ref()
                .map(|d| format!("{}/{}", d.guild, d.role)),
            // Ids are not shown: the role is the one `discord` names.
            |_| "`discord.role`".to_owned(),
            &ps,
            |m| m.discord.as_deref(),
            Extras::default(),
        ),
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

fn github_team(base: &Roster, head: &Roster, ps: &[Pair<'_>]) -> ServiceAccess {
    let target = |r: &Roster| format!("`{}/{}`", r.github.org, r.github.team);
    let (bt, ht) = (target(base), target(head));
    let mut s = ServiceAccess::new("GitHub team", ht.clone());
    let role = |m: &Member| if m.is_admin() { " (maintainer)" } else { "" };
    if bt != ht {
        for m in &head.members {
            s.gains.push(format!("{}{}", tick(&m.github), role(m)));
        }
        s.notes.push(format!(
            "psrt manages {ht} instead of {bt}, and leaves {bt} as it is"
        ));
        return s;
    }
    for p in ps {
        match p {
            Pair::Added(m) => s.gains.push(format!("{}{}", tick(&m.github), role(m))),
            Pair::Removed(m) => s.loses.push(tick(&m.github)),
            Pair::Both { base: b, head: h } => {
                if !b.is_admin() && h.is_admin() {
                    s.gains.push(format!("{} (maintainer)", tick(&h.github)));
                } else if b.is_admin() && !h.is_admin() {
                    s.loses
                        .push(format!("{} (maintainer role)", tick(&h.github)));
                }
                if b.github_id != h.github_id {
                    s.notes.push(format!(
                        "{}: another github_id, so a rename is followed to another account",
                        tick(&h.github)
                    ));
                }
            }
        }
    }
    s
}

/// Subscribers that are not people, counted (their addresses are not shown).
#[derive(Default)]
struct Extras {
    gained: Vec<String>,
    lost: Vec<String>,
}

fn mailman_extras(base: &Roster, head: &Roster) -> Extras {
    let (Some(b), Some(h)) = (&base.mailman, &head.mailman) else {
        return Extras::default();
    };
    if b.list != h.list {
        return Extras::default();
    }
    let set =
        |v: &[String]| -> BTreeSet<String> { v.iter().map(|a| a.to_ascii_lowercase()).collect() };
    let mut e = Extras::default();
    for (field, what_one, what_many) in [
        (0, "extra address", "extra addresses"),
        (1, "extra owner", "extra owners"),
    ] {
        let (bs, hs) = if field == 0 {
            (set(&b.extra_addresses), set(&h.extra_addresses))
        } else {
            (set(&b.extra_owners), set(&h.extra_owners))
        };
        let added = hs.difference(&bs).count();
        let removed = bs.difference(&hs).count();
        if added > 0 {
            e.gained.push(plural(added, what_one, what_many));
        }
        if removed > 0 {
            e.lost.push(plural(removed, what_one, what_many));
        }
    }
    e
}

/// Two contact values are the same contact: plain addresses ignore case,
/// encrypted ones (`age:…`) compare exactly.
fn same_contact(a: &str, b: &str) -> bool {
    if a.starts_with("age:") || b.starts_with("age:") {
        a == b
    } else {
        a.eq_ignore_ascii_case(b)
    }
}

/// The Mailman list and the Discord role: a member holds it when they have
/// the contact field; admins also own the list. `key` identifies what psrt
/// manages (the list id, the guild and role), `show` how to name it.
fn contact_service(
    service: &'static str,
    base_key: Option<String>,
    head_key: Option<String>,
    show: fn(&str) -> String,
    ps: &[Pair<'_>],
    field: fn(&Member) -> Option<&str>,
    extras: Extras,
) -> ServiceAccess {
    let owners = service == "Mailman list";
    let (what, what_new, what_old) = if owners {
        ("no address", "(new address)", "(old address)")
    } else {
        ("no Discord id", "(new Discord id)", "(old Discord id)")
    };
    let Some(hk) = head_key else {
        let mut s = ServiceAccess::new(
            service,
            base_key
                .as_deref()
                .map_or_else(|| "not managed".to_owned(), show),
        );
        if base_key.is_some() {
            s.notes
                .push("psrt stops managing it: nobody is removed".to_owned());
        }
        return s;
    };
    let ht = show(&hk);
    let mut s = ServiceAccess::new(service, ht.clone());
    let new_target = base_key.as_ref() != Some(&hk);
    if new_target {
        s.notes.push(match &base_key {
            None => format!("psrt starts managing {ht}"),
            Some(_) => "psrt manages another one, and leaves the old one as it is".to_owned(),
        });
    }
    let owner = |m: &Member| owners && m.is_admin();
    for p in ps {
        let (b, h) = match p {
            Pair::Added(h) => (None, Some(*h)),
            Pair::Removed(b) => (Some(*b), None),
            Pair::Both { base, head } => (Some(*base), Some(*head)),
        };
        let bv = if new_target { None } else { b.and_then(field) };
        let hv = h.and_then(field);
        let login = h.or(b).map(|m| tick(&m.github)).unwrap_or_default();
        match (bv, hv) {
            (None, Some(_)) => s.gains.push(login.clone()),
            (Some(_), None) => s.loses.push(login.clone()),
            (Some(x), Some(y)) if !same_contact(x, y) => {
                s.gains.push(format!("{login} {what_new}"));
                s.loses.push(format!("{login} {what_old}"));
            }
            _ => {}
        }
        if let (Pair::Added(m), None) = (p, hv) {
            s.notes.push(format!(
                "{} has {what}: not {}",
                tick(&m.github),
                if owners {
                    "subscribed"
                } else {
                    "given the role"
                }
            ));
        }
        // List owners: admins with an address.
        let was_owner = !new_target && b.is_some_and(|m| owner(m) && bv.is_some());
        let is_owner = h.is_some_and(|m| owner(m) && hv.is_some());
        match (was_owner, is_owner) {
            (false, true) => s.gains.push(format!("{login} (owner)")),
            (true, false) => s.loses.push(format!("{login} (owner)")),
            _ => {}
        }
    }
    s.gains.extend(extras.gained);
    s.loses.extend(extras.lost);
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
            Pair::Added(m) => s.gains.push(tick(&m.github)),
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
                "  - { name: Newbie, github: newbie, discord: \"4567890123456789012\" }\n",
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
        let head = BASE.replace("team: psrt", "team: psrt-two");
        let gh = &between(&parse(BASE), &parse(&head))[0];
        assert_eq!(gh.target, "`python/psrt-two`");
        assert_eq!(gh.gains.len(), 3);
        assert!(gh.notes[0].contains("leaves `python/psrt` as it is"));
    }
}
