//! The verdict and the nightly cannot disagree: for every pair of rosters
//! the test suite uses (the examples, the repository's roster, every roster
//! written in a test, the soak's history, and generated ones), what `psrt
//! approvals` says a pull request from one to the other changes on each
//! service (`desired::*::delta`, which the verdict's rows render) is exactly
//! the plan `psrt sync` makes when the service holds what the first roster
//! asks and the roster becomes the second.

use std::collections::BTreeSet;

use proptest::prelude::*;
use psrt::desired::{self, Desired, ListOp, RoleOp, TeamOp};
use psrt::roster::Roster;
use psrt::sync::discord::{self, GuildMember, RoleChange, RoleState};
use psrt::sync::github_team::{self, TeamChange, TeamMember, TeamState};
use psrt::sync::mailman::{self, Entry, ListChange, ListState};

use crate::common::*;

/// A roster, its contact fields opened when the demo key opens them.
fn usable(text: &str) -> Option<Roster> {
    let loaded = psrt::roster::parse(text.as_bytes()).ok()?;
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25)?;
    let errors: Vec<&str> = psrt::roster::validate::validate(&loaded, today)
        .into_iter()
        .filter(psrt::diag::Diagnostic::is_error)
        .map(|d| d.rule)
        .collect();
    if !errors.is_empty() {
        return None;
    }
    let key_text =
        std::fs::read_to_string(repo_root().join("examples/demo-contact-key.txt")).ok()?;
    let secret = key_text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))?
        .trim()
        .to_owned();
    let key = psrt::roster::contacts::ContactKey::parse(&psrt::secret::Secret::new(secret)).ok()?;
    let opened = psrt::roster::contacts::open(&loaded.roster, Some(Ok(&key)));
    Some(opened.roster)
}

/// Every `r#"version: 1…"#` literal in the tests and the library, by file.
fn written_rosters() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for dir in ["tests/it", "src"] {
        collect(&repo_root().join(dir), &mut files);
    }
    // Not this file: its own comments quote the pattern.
    files.retain(|f| !f.ends_with("agreement.rs"));
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("r#\"version: 1") {
            let body = &rest[i + 3..];
            let Some(end) = body.find("\"#") else { break };
            let name = f.strip_prefix(repo_root()).unwrap().display().to_string();
            out.push((name, body[..end].to_owned()));
            rest = &body[end..];
        }
    }
    out
}

fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The rosters of the test suite that `psrt check` accepts.
fn corpus() -> Vec<(String, Roster)> {
    let mut texts: Vec<(String, String)> = vec![
        (
            "examples/roster.yaml".into(),
            std::fs::read_to_string(repo_root().join("examples/roster.yaml")).unwrap(),
        ),
        (
            "roster.yaml".into(),
            std::fs::read_to_string(repo_root().join("roster.yaml")).unwrap(),
        ),
    ];
    for (i, (file, t)) in written_rosters().into_iter().enumerate() {
        texts.push((format!("roster {i} written in {file}"), t));
    }
    // Rosters the tests build.
    for (name, rule) in [
        ("SC_ONE", crate::approvals::SC_ONE),
        ("SC_WEEK", crate::approvals::SC_WEEK),
        ("TWO_THIRDS", crate::approvals::TWO_THIRDS),
    ] {
        let base = crate::approvals::base_roster(rule);
        texts.push((format!("approvals' base roster ({name})"), base.clone()));
        texts.push((
            format!("approvals' base roster ({name}) adding a member"),
            crate::approvals::adding(&base, "newbie"),
        ));
    }
    texts.push((
        "embargo_people's roster".into(),
        crate::embargo_people::roster_yaml(),
    ));
    texts.push((
        "sync_github's roster".into(),
        roster_text(&[("alice", true), ("bob", true), ("carol", false)], ""),
    ));
    let discord = crate::sync_discord::discord_roster(&[
        ("alice", true, Some(1)),
        ("bob", true, Some(2)),
        ("carol", false, None),
    ]);
    let versions = psrt_fakes::scenario::ROSTER_HISTORY;
    for v in 0..versions.len() {
        texts.push((
            format!("soak version {v}"),
            crate::soak::roster_text(&versions, v),
        ));
    }
    let mut rosters: Vec<(String, Roster)> = vec![("sync_discord's roster".into(), discord)];
    rosters.extend(texts.into_iter().filter_map(|(name, t)| {
        let r = usable(&t);
        if r.is_none() {
            println!("not used (a template, or psrt check refuses it): {name}");
        }
        r.map(|r| (name, r))
    }));
    rosters
}

/// A team that holds what `base` asks, in a GitHub where each of `head`'s
/// ids has `head`'s login: the seats with their ids (a seat without one
/// holds the id `head` records for its login, else an id of its own).
fn team_holding(base: &desired::Team, head: &desired::Team) -> TeamState {
    let head_id = |login: &psrt::roster::Login| {
        head.seats
            .iter()
            .find(|h| &h.login == login)
            .and_then(|h| h.github_id)
    };
    TeamState {
        members: base
            .seats
            .iter()
            .enumerate()
            .map(|(i, s)| TeamMember {
                login: s.login.to_string(),
                id: s
                    .github_id
                    .or_else(|| head_id(&s.login))
                    .unwrap_or(1_000_000_000_000 + i as u64),
                role: s.role,
            })
            .collect(),
        current_logins: head
            .seats
            .iter()
            .filter_map(|h| Some((h.github_id?, h.login.to_string())))
            .collect(),
        ..TeamState::default()
    }
}

/// The logins the nightly's plan says it grants nothing new to.
fn withheld_in(notes: &[String]) -> Vec<String> {
    let mut out: Vec<String> = notes
        .iter()
        .filter(|n| n.contains("without `github_id` get nothing new by login"))
        .filter_map(|n| n.split_once("renames): "))
        .filter_map(|(_, rest)| rest.split_once("; record"))
        .flat_map(|(list, _)| list.split(", ").map(str::to_owned).collect::<Vec<_>>())
        .collect();
    out.sort();
    out
}

fn list_holding(want: &desired::List) -> ListState {
    let entries = |m: &std::collections::BTreeMap<String, desired::Subscriber>| {
        m.keys()
            .map(|k| Entry {
                email: k.clone(),
                member_id: k.clone(),
            })
            .collect()
    };
    ListState {
        members: entries(&want.subscribers),
        owners: entries(&want.owners),
    }
}

/// The guild: everyone either roster names is in it; `base`'s holders hold the role.
fn role_holding(base: &desired::Role, head: &desired::Role) -> RoleState {
    let held: BTreeSet<u64> = base.holders.iter().filter_map(|h| h.user_id()).collect();
    let mut state = RoleState::default();
    for h in base.holders.iter().chain(&head.holders) {
        if let Some(id) = h.user_id() {
            state.members.insert(
                id,
                GuildMember {
                    id,
                    username: h.login.to_string(),
                    holds_role: held.contains(&id),
                },
            );
        }
    }
    state
}

/// The nightly's plan for `head` on each service holding what `base` asks,
/// against what the verdict says; `Err` names the first disagreement.
fn agree(base: &Roster, head: &Roster) -> Result<usize, String> {
    let (bd, hd) = (Desired::of(base), Desired::of(head));
    let mut compared = 0;

    if bd.team.same_target(&hd.team) {
        let nightly = github_team::plan("t", &hd.team, &team_holding(&bd.team, &hd.team));
        let mut withheld: Vec<String> = bd
            .team
            .withheld(&hd.team)
            .into_iter()
            .map(|w| {
                if w.promotion {
                    format!("{} (maintainer)", w.login)
                } else {
                    w.login.to_string()
                }
            })
            .collect();
        withheld.sort();
        if withheld_in(&nightly.notes) != withheld {
            return Err(format!(
                "team: the nightly withholds {:?}, the verdict {withheld:?}",
                withheld_in(&nightly.notes)
            ));
        }
        let mut sync: Vec<TeamOp> = nightly
            .changes
            .into_iter()
            .map(|c| match c {
                TeamChange::Add { login, role, .. } => Ok(TeamOp::Add {
                    login: login.as_str().into(),
                    role,
                }),
                TeamChange::SetRole { login, from, to } => Ok(TeamOp::SetRole {
                    login: login.as_str().into(),
                    from,
                    to,
                    roster_login: login.as_str().into(),
                }),
                TeamChange::Remove { login, role } => Ok(TeamOp::Remove {
                    login: login.as_str().into(),
                    role,
                }),
                other => Err(format!("the nightly plans {other:?}")),
            })
            .collect::<Result<_, _>>()?;
        sync.sort();
        // The verdict's rows name the roster's login; the nightly, the team's.
        let delta = bd.team.delta(&hd.team);
        let verdict: Vec<TeamOp> = delta
            .iter()
            .cloned()
            .map(|op| match op {
                TeamOp::SetRole {
                    login, from, to, ..
                } => TeamOp::SetRole {
                    roster_login: login.clone(),
                    login,
                    from,
                    to,
                },
                op => op,
            })
            .collect();
        if sync != verdict {
            return Err(format!("team: nightly {sync:?}, verdict {verdict:?}"));
        }
        // And the verdict's row names each of them on the right side.
        let rows = psrt::approvals::access::between(base, head);
        let row = &rows[0];
        for op in &delta {
            let gains = match op {
                TeamOp::Add { .. } => true,
                TeamOp::Remove { .. } => false,
                TeamOp::SetRole { to, .. } => *to == desired::TeamRole::Maintainer,
            };
            let side = if gains { &row.gains } else { &row.loses };
            let name = format!("`{}`", op_login(op));
            if !side
                .iter()
                .any(|x| x == &name || x.starts_with(&format!("{name} ")))
            {
                return Err(format!("the team's row {row:?} misses {op:?}"));
            }
        }
        compared += 1;
    }

    if let (Some(b), Some(h)) = (&bd.list, &hd.list) {
        if b.same_target(h) {
            let mut sync: Vec<ListOp> = mailman::plan("l", h, &list_holding(b))
                .changes
                .into_iter()
                .map(|c| match c {
                    ListChange::Subscribe { address, .. } => ListOp::Subscribe(address),
                    ListChange::AddOwner { address, .. } => ListOp::AddOwner(address),
                    ListChange::RemoveOwner { member_id, .. } => ListOp::RemoveOwner(member_id),
                    ListChange::Unsubscribe { member_id, .. } => ListOp::Unsubscribe(member_id),
                })
                .collect();
            sync.sort();
            let verdict = b.delta(h);
            if sync != verdict {
                return Err(format!("list: nightly {sync:?}, verdict {verdict:?}"));
            }
            compared += 1;
        }
    }

    if let (Some(b), Some(h)) = (&bd.role, &hd.role) {
        if b.same_target(h) {
            let mut sync: Vec<RoleOp> = discord::plan("r", h, &role_holding(b, h))
                .changes
                .into_iter()
                .map(|c| match c {
                    RoleChange::Grant { user_id, .. } => RoleOp::Grant(user_id.to_string()),
                    RoleChange::Revoke { user_id, .. } => RoleOp::Revoke(user_id.to_string()),
                })
                .collect();
            sync.sort();
            let verdict = b.delta(h);
            if sync != verdict {
                return Err(format!("role: nightly {sync:?}, verdict {verdict:?}"));
            }
            compared += 1;
        }
    }
    Ok(compared)
}

fn op_login(op: &TeamOp) -> &psrt::roster::Login {
    match op {
        TeamOp::Add { login, .. } | TeamOp::Remove { login, .. } => login,
        TeamOp::SetRole { roster_login, .. } => roster_login,
    }
}

#[test]
fn the_verdict_and_the_nightly_agree_on_every_roster_of_the_test_suite() {
    let corpus = corpus();
    assert!(corpus.len() >= 15, "{} rosters", corpus.len());
    let mut compared = 0;
    for (bn, base) in &corpus {
        for (hn, head) in &corpus {
            match agree(base, head) {
                Ok(n) => compared += n,
                Err(e) => panic!("{bn} → {hn}: {e}"),
            }
        }
    }
    println!(
        "{} rosters, {} pairs, {compared} service plans compared",
        corpus.len(),
        corpus.len() * corpus.len()
    );
    assert!(compared > corpus.len());
}

/// One person of the generated rosters: whether they are a member, an admin,
/// renamed, and which of their contact fields and id the roster records.
#[derive(Debug, Clone)]
struct Person {
    member: bool,
    admin: bool,
    renamed: bool,
    id: bool,
    /// Another account under the same login (a changed `github_id`).
    other_account: bool,
    email: Option<u8>,
    discord: bool,
}

fn person() -> impl Strategy<Value = Person> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::bool::weighted(0.15),
        any::<bool>(),
        prop::bool::weighted(0.1),
        prop::option::weighted(0.8, 0..2u8),
        any::<bool>(),
    )
        .prop_map(
            |(member, admin, renamed, id, other_account, email, discord)| Person {
                member,
                admin,
                renamed,
                id,
                other_account,
                email,
                discord,
            },
        )
}

/// `keep`: the migration settings `mailman.keep_unknown` and `discord.keep_unknown`.
fn generated(people: &[Person], extras: &[bool], keep: (bool, bool)) -> String {
    let mut s = String::from(
        "version: 1\ngithub: { org: python, team: psrt }\nmailman:\n  list: security.example.org\n  extra_addresses: [",
    );
    let names: Vec<String> = extras
        .iter()
        .enumerate()
        .filter(|(_, on)| **on)
        .map(|(i, _)| format!("extra{i}@example.org"))
        .collect();
    s.push_str(&names.join(", "));
    s.push_str("]\n  extra_owners: [");
    s.push_str(&names.iter().take(1).cloned().collect::<Vec<_>>().join(", "));
    s.push_str(&format!(
        "]\n  keep_unknown: {}\ndiscord: {{ guild: \"1234567890123456789\", role: \"2345678901234567890\", keep_unknown: {} }}\nmembers:\n",
        keep.0, keep.1
    ));
    let login = |i: usize, p: &Person| format!("p{i}{}", if p.renamed { "x" } else { "" });
    for (i, p) in people.iter().enumerate().filter(|(_, p)| p.member) {
        s.push_str(&format!("  - name: P{i}\n    github: {}\n", login(i, p)));
        if p.id {
            let id = if p.other_account { 200 + i } else { 100 + i };
            s.push_str(&format!("    github_id: {id}\n"));
        }
        if let Some(e) = p.email {
            s.push_str(&format!("    email: p{i}.{e}@example.org\n"));
        }
        if p.discord {
            s.push_str(&format!(
                "    discord: \"{}\"\n",
                3_456_789_012_345_678_900u64 + i as u64
            ));
        }
        if p.admin {
            s.push_str("    roles: [admin]\n");
        }
    }
    s.push_str("emeritus:\n");
    for (i, p) in people.iter().enumerate().filter(|(_, p)| !p.member) {
        s.push_str(&format!("  - name: P{i}\n    github: {}\n", login(i, p)));
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Generated pairs: people join, leave, rename (same id), change their
    /// account under the same login (another id), change their address or
    /// role, lose an address (the list unsubscribes strangers anyway).
    #[test]
    fn the_verdict_and_the_nightly_agree_on_generated_rosters(
        base in prop::collection::vec(person(), 2..8),
        changes in prop::collection::vec(person(), 8),
        flip in prop::collection::vec(any::<bool>(), 8),
        extras in (prop::collection::vec(any::<bool>(), 3), prop::collection::vec(any::<bool>(), 3)),
        keep in (prop::bool::weighted(0.2), prop::bool::weighted(0.2), prop::bool::weighted(0.2), prop::bool::weighted(0.2)),
    ) {
        let head: Vec<Person> = base
            .iter()
            .zip(&changes)
            .zip(&flip)
            .map(|((b, c), f)| if *f { Person { id: b.id, ..c.clone() } } else { b.clone() })
            .collect();
        let (bt, ht) = (
            generated(&base, &extras.0, (keep.0, keep.1)),
            generated(&head, &extras.1, (keep.2, keep.3)),
        );
        // Parsed, not validated: a generated roster may have fewer than two
        // admins, which only `psrt check` minds.
        let parse = |t: &str| psrt::roster::parse(t.as_bytes()).map(|l| l.roster);
        if let (Ok(b), Ok(h)) = (parse(&bt), parse(&ht)) {
            prop_assert!(agree(&b, &h).is_ok(), "{}\n---\n{}\n{:?}", bt, ht, agree(&b, &h));
        }
    }
}
