//! The plan: the rules in order, for each report, and nothing else: every
//! decision is a rule's ([`super::rules`]), every type the lifecycle's
//! ([`super::model`]). Pure: from the roster, what was read, the ledger and
//! the time.

use std::cell::RefCell;

use chrono::{DateTime, Utc};

use super::discussion::status::format as status_format;
use super::model::{Context, Draft, Loads, Plan, RepoAccess, State};
use super::rules::{self, Applies};
use crate::github::advisories::{AdvisoryState, Lifecycle};
use crate::ledger::Ledger;
use crate::roster::Roster;

pub use super::model::{CvePlan, Decision, Update};

/// The plan, from the roster, what was read, the ledger and the time: pure.
pub fn plan(roster: &Roster, state: &State, ledger: &Ledger, now: DateTime<Utc>) -> Plan {
    let format = status_format(roster);
    let ctx = Context {
        roster,
        state,
        ledger,
        now,
        loads: RefCell::new(Loads::of(&state.advisories)),
        status_format: &format,
        withheld: RefCell::default(),
    };
    let mut out = Plan {
        updates: vec![],
        repos: state.repos.clone(),
        notes: vec![],
        unaccounted: rules::former::unaccounted(&ctx),
        ledger_clears: vec![],
        carried_cve_ids: state
            .advisories
            .iter()
            .filter_map(|a| a.cve_id.as_ref())
            .map(|id| id.to_ascii_uppercase())
            .collect(),
        discussions: vec![],
        until: None,
        access: roster
            .github
            .advisory_repo_names()
            .iter()
            .map(|r| (r.to_string(), RepoAccess::of(roster, r)))
            .collect(),
        report_notes: vec![],
        ignored: vec![],
        sightings: vec![],
        gone: vec![],
        rebuilt: ledger.started_empty(),
        uncoordinated: 0,
    };
    if out.rebuilt {
        out.notes.push(format!(
            "started without a ledger ({}): rebuilt from GitHub and CVE Services (every report is seen afresh: a title tag there now is ignored until it changes; a draft's CVE id is looked up before one is reserved)",
            match ledger.origin() {
                crate::ledger::Origin::Reset => "--reset-ledger",
                _ => "none was found: a first run, or a cache restore that missed",
            }
        ));
    }
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
        if let Some(s) = rules::commands::sighting(&ctx, a) {
            out.sightings.push((a.advisory.ghsa_id.clone(), s));
        }
        let mut draft = Draft::new(a);
        rules::cve::reservation(&ctx, a, &mut draft);
        rules::commands::decide(&ctx, a, &mut draft);
        // A closing command closes, and nothing else happens to it this run.
        if !draft.is_closing() {
            for (applies, rule) in rules::ORDER {
                if *applies == Applies::Always || st.is_open() {
                    rule(&ctx, a, &mut draft);
                }
            }
        }
        let decided = draft.finish();
        out.report_notes.extend(
            decided
                .notes
                .into_iter()
                .map(|n| (a.advisory.ghsa_id.clone(), n)),
        );
        out.ignored.extend(decided.ignored);
        out.uncoordinated += usize::from(decided.uncoordinated);
        if decided.forget_reservation {
            out.ledger_clears.push(a.advisory.ghsa_id.clone());
        }
        out.discussions
            .extend(rules::discussion::plan(&ctx, a, decided.update.as_ref()));
        out.until = out
            .until
            .into_iter()
            .chain(rules::discussion::until(&ctx, a))
            .min();
        out.updates.extend(decided.update);
    }
    out.notes.extend(rules::team::withheld_note(&ctx));
    // Reports the ledger saw that are read no more: only when every
    // repository was read (an unread one's reports are not gone).
    if state.repos.values().all(Result::is_ok) {
        let read: std::collections::BTreeSet<&str> = state
            .advisories
            .iter()
            .map(|a| a.advisory.ghsa_id.as_str())
            .collect();
        out.gone = ledger
            .seen()
            .reports()
            .filter(|(g, _)| !read.contains(g.as_str()))
            .map(|(g, _)| g.clone())
            .collect();
    }
    out.updates.sort();
    out.discussions
        .sort_by(|a, b| (&a.repo, &a.ghsa_id).cmp(&(&b.repo, &b.ghsa_id)));
    out.notes.sort();
    out.notes.dedup();
    out.report_notes.sort();
    out.report_notes.dedup();
    out.ignored
        .sort_by(|x, y| (&x.repo, &x.ghsa_id).cmp(&(&y.repo, &y.ghsa_id)));
    out.sightings.sort_by(|x, y| x.0.cmp(&y.0));
    out.ledger_clears.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::super::model::{Fork, Given, State};
    use super::*;
    use crate::github::advisories::{Advisory, Collaborator, Credit, ForkPull, TitleTag};
    use crate::github::model::Account as ForkUser;
    use crate::ids::RepoName;
    use std::collections::BTreeMap;

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
    github_id: 4
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
            comments: None,
            has_cvss_v4: false,
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
            commands: Given::from_titles(&advisories),
            advisories,
            ended: vec![],
            ended_whole: true,
            ended_unread: Default::default(),
            listed: Default::default(),
            repos: BTreeMap::new(),
            team: [(1, "alice".to_owned()), (4, "bob".to_owned())].into(),
            accounts: BTreeMap::new(),
            forks: BTreeMap::new(),
            discussion_unavailable: Default::default(),
            discussion_changed: Default::default(),
        }
    }

    /// A ledger that saw these reports in an earlier run, untagged: a tag
    /// their titles carry now was added since, and counts.
    fn seen_before(ids: &[&str]) -> Ledger {
        let mut l = Ledger::default();
        let earlier = Utc::now() - chrono::Duration::hours(1);
        let s: Vec<(crate::ids::GhsaId, crate::ledger::Sighting)> = ids
            .iter()
            .map(|id| {
                (
                    crate::ids::GhsaId::new(*id),
                    crate::ledger::Sighting {
                        first: earlier,
                        ignored_tag: None,
                    },
                )
            })
            .collect();
        l.reports_seen(&s, &[]).unwrap();
        l
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
        let p = plan(
            &roster(),
            &state(vec![a]),
            &seen_before(&["GHSA-1"]),
            Utc::now(),
        );
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
            &seen_before(&["GHSA-1", "GHSA-2", "GHSA-3", "GHSA-4"]),
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
                // pip is not in cve.repos: a fork, no CVE id; outside
                // `python`, the members collaborate as users.
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
                number: 1,
                author: Some(user("dev", 10)),
                approvers: vec![user("alice", 1), user("rev", 11), user("dev", 10)],
            },
            ForkPull {
                number: 2,
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
        s.forks.insert("GHSA-1".into(), Ok(Fork::Read(pulls)));
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
            u.patch.credits.as_ref().map(Vec::len),
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
            p.report_notes[0]
                .1
                .contains("remediation credits not checked"),
            "{:?}",
            p.report_notes
        );
    }

    /// Issue 21: the reporter writes the first title. A tag the title
    /// carried when psrt first saw the report is ignored while it stays (and
    /// the plan says why, naming no one); once the title is seen without
    /// it, a tag added later counts; a different tag counts at once.
    #[test]
    fn a_tag_in_the_title_when_psrt_first_sees_a_report_is_ignored_until_it_changes() {
        let r = roster();
        let mut a = report("GHSA-1", AdvisoryState::Triage);
        a.title_tag = Some(TitleTag::Accept);
        let mut ledger = Ledger::default();
        let run = |a: &Lifecycle, ledger: &mut Ledger| {
            let p = plan(&r, &state(vec![a.clone()]), ledger, Utc::now());
            ledger.reports_seen(&p.sightings, &p.gone).unwrap();
            p
        };
        // First sight: ignored, and the ledger remembers the tag's kind.
        let p = run(&a, &mut ledger);
        assert!(p.updates.iter().all(|u| !u.accept), "{:?}", p.updates);
        assert_eq!(p.ignored.len(), 1);
        assert_eq!(
            p.ignored[0].why,
            super::super::model::Unheeded::TagFromTheStart
        );
        assert_eq!(
            ledger.seen().get("GHSA-1").unwrap().ignored_tag,
            Some(crate::ledger::TagKind::Accept)
        );
        // An hour later, the same tag: still ignored, nothing new recorded.
        let p = run(&a, &mut ledger);
        assert!(p.updates.iter().all(|u| !u.accept));
        assert!(p.sightings.is_empty());
        // The tag removed: nothing to ignore any more.
        a.title_tag = None;
        let p = run(&a, &mut ledger);
        assert!(p.ignored.is_empty() && p.updates.iter().all(|u| !u.accept));
        assert_eq!(ledger.seen().get("GHSA-1").unwrap().ignored_tag, None);
        // A member tags it: obeyed, with where the command came from.
        a.title_tag = Some(TitleTag::Accept);
        let p = run(&a, &mut ledger);
        let u = p.updates.iter().find(|u| u.accept).expect("accepted");
        assert_eq!(
            u.obeyed,
            [Given {
                command: super::super::model::Command::Accept,
                source: super::super::model::Source::TitleTag
            }]
        );
        assert!(p.ignored.is_empty());

        // First seen with [ACCEPT], then [CLOSE]: a different tag counts.
        let mut b = report("GHSA-2", AdvisoryState::Triage);
        b.title_tag = Some(TitleTag::Accept);
        let mut ledger = Ledger::default();
        run(&b, &mut ledger);
        b.title_tag = Some(TitleTag::Close);
        let p = run(&b, &mut ledger);
        assert_eq!(p.updates[0].decisions(), [Decision::Close]);
    }

    /// A `/psrt` command (the discussion's source) counts from a member,
    /// recognised by account id, and from nobody else.
    #[test]
    fn a_comment_command_counts_only_from_a_member_by_account_id() {
        use super::super::model::{Command, Source, Unheeded};
        let a = report("GHSA-1", AdvisoryState::Triage);
        for (author_id, counts) in [(1, true), (2, false), (9, false)] {
            let mut s = state(vec![a.clone()]);
            s.commands.insert(
                "GHSA-1".into(),
                vec![Given {
                    command: Command::Accept,
                    source: Source::Comment {
                        comment_id: 7,
                        author_id,
                    },
                }],
            );
            let p = plan(&roster(), &s, &Ledger::default(), Utc::now());
            assert_eq!(
                p.updates.iter().any(|u| u.accept),
                counts,
                "author {author_id}"
            );
            if !counts {
                assert_eq!(p.ignored[0].why, Unheeded::NotAMember);
            }
        }
    }

    /// Issue 21: without a ledger (lost, or new) a draft's CVE id is looked
    /// up in CVE Services (an id reserved earlier and never written) before
    /// any is reserved, and the plan says the ledger is rebuilt.
    #[test]
    fn without_a_ledger_a_drafts_cve_id_is_looked_up_before_one_is_reserved() {
        let dir = tempfile::tempdir().unwrap();
        let lost = Ledger::load(&dir.path().join("gone.json")).unwrap();
        let a = report("GHSA-1", AdvisoryState::Draft);
        let created = a.advisory.created_at;
        let p = plan(&roster(), &state(vec![a.clone()]), &lost, Utc::now());
        assert!(p.rebuilt);
        assert_eq!(p.updates[0].cve, Some(CvePlan::Recover(created)));
        assert!(
            p.notes[0].contains("started without a ledger"),
            "{:?}",
            p.notes
        );
        let kept = seen_before(&["GHSA-1"]);
        let p = plan(&roster(), &state(vec![a]), &kept, Utc::now());
        assert!(!p.rebuilt);
        assert_eq!(p.updates[0].cve, Some(CvePlan::Reserve));
    }

    /// Reports no longer read (published, withdrawn) are forgotten, unless
    /// a repository could not be read (its reports are not gone).
    #[test]
    fn reports_read_no_more_are_forgotten_only_after_a_complete_read() {
        let ledger = seen_before(&["GHSA-1", "GHSA-old"]);
        let a = report("GHSA-1", AdvisoryState::Triage);
        let p = plan(&roster(), &state(vec![a.clone()]), &ledger, Utc::now());
        assert_eq!(p.gone, ["GHSA-old"]);
        let mut s = state(vec![a]);
        s.repos.insert("pypa/pip".into(), Err("500".into()));
        let p = plan(&roster(), &s, &ledger, Utc::now());
        assert!(p.gone.is_empty());
    }

    #[test]
    fn a_renamed_member_is_added_by_account_never_by_the_old_login() {
        // Alice (id 1) left the team and was renamed; a stranger (id 77)
        // holds "alice" now. Bob has no `github_id` recorded.
        let r = crate::roster::parse(
            br#"version: 1
github:
  org: python
  team: psrt
  advisory_repos: [python/cpython]
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
  - name: C
    github: carol
    github_id: 3
"#,
        )
        .unwrap()
        .roster;
        let mut s = state(vec![report("GHSA-1", AdvisoryState::Triage)]);
        s.team = [(3, "carol".to_owned())].into();
        s.accounts.insert(1, Some("alice-new".to_owned()));
        let p = plan(&r, &s, &Ledger::default(), Utc::now());
        let u = &p.updates[0];
        assert_eq!(
            u.patch.collaborating_users.as_deref(),
            Some(&["alice-new".to_owned()][..]),
            "the account's login today; never the old login, never by name"
        );
        let note = p.notes.iter().find(|n| n.contains("not added")).unwrap();
        assert!(note.contains("1 without `github_id`"), "{note}");
        assert!(!note.contains("bob") && !note.contains("GHSA"), "{note}");
        // An account GitHub does not know, or could not read: nobody added.
        let mut s2 = state(vec![report("GHSA-1", AdvisoryState::Triage)]);
        s2.team = [(3, "carol".to_owned())].into();
        s2.accounts.insert(1, None);
        let p = plan(&r, &s2, &Ledger::default(), Utc::now());
        assert!(p.updates.is_empty());
        s2.accounts.clear();
        let p = plan(&r, &s2, &Ledger::default(), Utc::now());
        assert!(p.updates.is_empty());
        assert!(p.notes.iter().any(|n| n.contains("could not be read")));
    }

    #[test]
    fn outside_the_org_the_members_collaborate_or_the_named_team() {
        let mut pip = report("GHSA-2", AdvisoryState::Triage);
        pip.advisory.repo = repo("pypa/pip");
        pip.advisory.collaborating_teams.clear();
        let p = plan(
            &roster(),
            &state(vec![pip.clone()]),
            &Ledger::default(),
            Utc::now(),
        );
        let u = &p.updates[0];
        assert_eq!(u.patch.collaborating_teams, None, "no team of python");
        assert_eq!(
            u.patch.collaborating_users.as_deref(),
            Some(&["alice".to_owned(), "bob".to_owned()][..])
        );
        assert!(matches!(p.access["pypa/pip"], RepoAccess::Members { .. }));
        assert!(matches!(
            p.access["python/cpython"],
            RepoAccess::Team { .. }
        ));
        // A team of pypa named in the roster: that team, not the members.
        let mut r = roster();
        r.github
            .advisory_teams
            .insert("pypa".to_owned(), "pip-security".to_owned());
        let p = plan(&r, &state(vec![pip]), &Ledger::default(), Utc::now());
        let u = &p.updates[0];
        assert_eq!(
            u.patch.collaborating_teams.as_deref(),
            Some(&["pip-security".to_owned()][..])
        );
        assert_eq!(u.patch.collaborating_users, None);
    }
}
