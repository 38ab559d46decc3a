//! `psrt approvals`: the approval matrix, publishing, and the command, against
//! the GitHub fake (and through Prism, GitHub's own description).

use chrono::{DateTime, Duration, Utc};
use psrt::approvals::{self, Options, Repo, Verdict};
use psrt_fakes::github::{FakePull, FakeReview, GitHubFake};

use crate::common::*;

const REPO: &str = "python/psrt-roster";
/// psrt's own account in these tests (TOKEN acts as it).
const PSRT: &str = "psrt-bot";

pub(crate) fn base_roster(rule: &str) -> String {
    format!(
        r#"version: 1
github:
  org: python
  team: psrt
  advisory_repos: [python/cpython]
  eligibility_teams: [python-core]
  steering_council_team: steering-council
mailman:
  list: security.example.org
  extra_addresses: []
discord:
  guild: "1234567890123456789"
  role: "2345678901234567890"
policy:
  approvals:
    membership: {rule}
steering_council: [sc1, sc2, sc3]
members:
  - name: Ada
    github: ada
    github_id: 101
    email: ada@example.org
    discord: "3456789012345678901"
    roles: [admin]
  - name: Bo
    github: bo
    roles: [admin]
  - name: Cy
    github: cy
  - name: Di
    github: di
  - name: Ed
    github: ed
  - name: Proposer
    github: proposer
emeritus:
  - name: Old Timer
    github: oldtimer
"#
    )
}

struct Pr {
    gh: GitHubFake,
    _server: psrt_fakes::Running,
    url: String,
    /// The pull request's first commit.
    old: String,
    head: String,
    opened: DateTime<Utc>,
}

/// A pull request by `proposer`, opened `opened_days_ago`, that changes the
/// roster from `base` to `head` in two commits (a draft, then `head`).
async fn pr(base: &str, head: &str, opened_days_ago: i64) -> Pr {
    let (gh, server) = github().await;
    gh.token_user(TOKEN, PSRT);
    for l in [
        "ada", "bo", "cy", "di", "ed", "proposer", "newbie", "stranger", "sc1", "sc2", "sc3",
        "mallory",
    ] {
        gh.org_member(l);
    }
    for l in ["sc1", "sc2", "sc3"] {
        gh.add_to_team("steering-council", l, "member");
    }
    for l in ["ada", "bo", "cy", "di", "ed", "proposer", "newbie"] {
        gh.add_to_team("python-core", l, "member");
    }
    let opened = Utc::now() - Duration::days(opened_days_ago);
    gh.commit(REPO, "main", &[("roster.yaml", base)], "base");
    let old = gh.commit_by(
        REPO,
        "change",
        &[("roster.yaml", &head.replace("Newbie", "Newbie Draft"))],
        "first draft",
        "proposer",
        None,
        opened,
    );
    let head_sha = gh.commit_by(
        REPO,
        "change",
        &[("roster.yaml", head)],
        "change",
        "proposer",
        None,
        opened,
    );
    gh.update_repo(REPO, |r| {
        r.pulls.push(FakePull {
            number: 7,
            title: "Add newbie".into(),
            body: String::new(),
            head: "change".into(),
            base: "main".into(),
            state: "open".into(),
            user: "proposer".into(),
            created_at: opened,
            requested_users: vec![],
            requested_teams: vec![],
        })
    });
    let url = server.url();
    Pr {
        gh,
        _server: server,
        url,
        old,
        head: head_sha,
        opened,
    }
}

impl Pr {
    fn review(&self, who: &str, state: &str, commit: &str, minutes_ago: i64) {
        let at: DateTime<Utc> = Utc::now() - Duration::minutes(minutes_ago);
        let (who, state, commit) = (who.to_owned(), state.to_owned(), commit.to_owned());
        self.gh.update_repo(REPO, move |r| {
            let id = 100 + r.reviews.len() as u64;
            r.reviews.push(FakeReview {
                id,
                pull: 7,
                user: who,
                state,
                commit_id: commit,
                submitted_at: at,
            });
        });
    }

    /// A new head commit by `by`, dated `committed` by git; returns its sha.
    fn push(&mut self, text: &str, by: &str, committed: DateTime<Utc>) -> String {
        self.head = self.gh.commit_by(
            REPO,
            "change",
            &[("roster.yaml", text)],
            "push",
            by,
            None,
            committed,
        );
        self.head.clone()
    }

    /// psrt published a verdict on `sha` at `at` (as on the push event).
    fn judged(&self, sha: &str, at: DateTime<Utc>) {
        self.gh
            .seed_verdict(REPO, 7, sha, approvals::CONTEXT, PSRT, at);
    }

    async fn client(&self, url: &str) -> psrt::github::GitHub {
        psrt::github::GitHub::connect(
            github_env(url).github.as_ref().unwrap(),
            approvals::github_scope("python", REPO, true),
            psrt::github::Tuning::local(),
        )
        .await
        .unwrap()
    }

    async fn run(
        &self,
        publish: bool,
    ) -> (
        Verdict,
        Option<(approvals::publish::Plan, approvals::publish::Applied)>,
    ) {
        let gh = self.client(&self.url).await;
        let (_, j, published) = approvals::run(
            &gh,
            &Repo::parse(REPO).unwrap(),
            7,
            Options {
                now: Utc::now(),
                in_actions: false,
                publish,
            },
        )
        .await
        .unwrap();
        (j.verdict, published)
    }

    async fn verdict(&self) -> Verdict {
        self.run(false).await.0
    }
}

pub(crate) fn adding(base: &str, who: &str) -> String {
    base.replace(
        "emeritus:\n",
        &format!("  - name: Newbie\n    github: {who}\nemeritus:\n"),
    )
}

pub(crate) const SC_ONE: &str = "{ reviewers: steering-council, required: 1 }";
pub(crate) const SC_WEEK: &str = "{ reviewers: steering-council, required: 1, min_open_days: 7 }";
pub(crate) const TWO_THIRDS: &str = r#"{ reviewers: members, required: "2/3", min_open_days: 7 }"#;

/// What a case expects: the verdict, and a phrase in its reasons or notes.
struct Case {
    name: &'static str,
    passes: bool,
    says: &'static str,
}

fn check(case: &Case, v: &Verdict, table: &mut Vec<String>) {
    let all = format!("{:?}\n{:?}\n{}", v.reasons, v.notes, v.summary);
    assert_eq!(v.passes, case.passes, "{}: {v:#?}", case.name);
    assert!(
        all.contains(case.says),
        "{}: `{}` not said:\n{all}",
        case.name,
        case.says
    );
    table.push(format!(
        "| {} | {} | {} |",
        case.name,
        if v.passes { "✅ passes" } else { "❌ fails" },
        v.summary
    ));
}

/// The approval matrix: every case of the tests before issue 17, and the new
/// ones, each against the GitHub fake. The table is the closing note's.
#[tokio::test(flavor = "multi_thread")]
async fn the_approval_matrix() {
    let mut table = vec![
        "| case | verdict | psrt/approvals description |".to_owned(),
        "|---|---|---|".to_owned(),
    ];
    let sc = base_roster(SC_ONE);
    let with_newbie = adding(&sc, "newbie");
    macro_rules! case {
        ($name:expr, $passes:expr, $says:expr, $p:expr) => {{
            let p = $p;
            let v = p.verdict().await;
            check(
                &Case {
                    name: $name,
                    passes: $passes,
                    says: $says,
                },
                &v,
                &mut table,
            );
            p
        }};
    }

    // ── the cases of the tests before this issue ──
    case!(
        "a member added, no approvals",
        false,
        "0 of 1 required approval(s) from `steering-council`",
        pr(&sc, &with_newbie, 1).await
    );
    case!(
        "approved by someone outside the reviewers group",
        false,
        "outside `steering-council` do not count",
        {
            let p = pr(&sc, &with_newbie, 1).await;
            p.review("ada", "APPROVED", &p.head, 5);
            p
        }
    );
    case!(
        "approved by a Council member",
        true,
        "approved: 1 of 1 from steering-council",
        {
            let p = pr(&sc, &with_newbie, 1).await;
            p.review("sc2", "APPROVED", &p.head, 5);
            p
        }
    );
    case!(
        "the approval is of an older commit",
        false,
        "`sc1` approved an older commit",
        {
            let p = pr(&sc, &with_newbie, 1).await;
            p.review("sc1", "APPROVED", &p.old, 5);
            p
        }
    );
    case!(
        "the head adds its own approvers to the Council",
        false,
        "0 of 1 required",
        {
            let head = with_newbie.replace(
                "steering_council: [sc1, sc2, sc3]",
                "steering_council: [sc1, sc2, sc3, proposer, cy]",
            );
            let p = pr(&sc, &head, 1).await;
            p.review("proposer", "APPROVED", &p.head, 5);
            p.review("cy", "APPROVED", &p.head, 4);
            p
        }
    );
    case!(
        "the author approves their own pull request",
        false,
        "`proposer` opened this pull request",
        {
            let members = base_roster("{ reviewers: members, required: 1 }");
            let p = pr(&members, &adding(&members, "newbie"), 1).await;
            p.review("proposer", "APPROVED", &p.head, 5);
            p
        }
    );
    let veto = base_roster("{ reviewers: members, required: 1, veto: steering-council }");
    let p = case!(
        "a veto after an approval",
        false,
        "changes requested by `sc3`",
        {
            let p = pr(&veto, &adding(&veto, "newbie"), 1).await;
            p.review("ada", "APPROVED", &p.head, 10);
            p.review("sc3", "CHANGES_REQUESTED", &p.head, 2);
            p
        }
    );
    case!(
        "the vetoer approves after all",
        true,
        "approved: 1 of 1 from members",
        {
            p.review("sc3", "APPROVED", &p.head, 1);
            p
        }
    );
    let vote = base_roster(TWO_THIRDS);
    case!(
        "2/3 of members, open 3 of 7 days",
        false,
        "vote open 3.0 of 7 days",
        {
            let p = pr(&vote, &adding(&vote, "newbie"), 3).await;
            p.judged(&p.old, p.opened);
            for (i, who) in ["ada", "bo", "cy", "di"].iter().enumerate() {
                p.review(who, "APPROVED", &p.head, 10 - i as i64);
            }
            p
        }
    );
    let p = case!(
        "2/3 of members after 8 days, 3 of 4 approvals",
        false,
        "3 of 4 required approval(s) from `members`",
        {
            let p = pr(&vote, &adding(&vote, "newbie"), 8).await;
            p.judged(&p.old, p.opened);
            for who in ["ada", "bo", "cy"] {
                p.review(who, "APPROVED", &p.head, 10);
            }
            p
        }
    );
    case!(
        "2/3 of members after 8 days, 4 of 4 approvals",
        true,
        "approved: 4 of 4 from members",
        {
            p.review("di", "APPROVED", &p.head, 1);
            p
        }
    );
    case!("a comment only", true, "comments and formatting only", {
        pr(&sc, &sc.replace("members:\n", "# a comment\nmembers:\n"), 0).await
    });
    case!(
        "a new member who is not eligible",
        false,
        "not eligible: `stranger`",
        {
            let p = pr(&sc, &adding(&sc, "stranger"), 1).await;
            p.review("sc1", "APPROVED", &p.head, 1);
            p
        }
    );
    case!(
        "the eligibility teams cannot be read",
        false,
        "eligibility of `stranger` cannot be read",
        {
            let p = pr(&sc, &adding(&sc, "stranger"), 1).await;
            p.review("sc1", "APPROVED", &p.head, 1);
            p.gh.knobs.inject(psrt_fakes::Fault::new(
                http::Method::GET,
                "/teams/python-core/members",
                404,
            ));
            p
        }
    );
    case!(
        "the base roster names no eligibility team",
        false,
        "`github.eligibility_teams` is not configured",
        {
            let none = sc.replace("  eligibility_teams: [python-core]\n", "");
            let p = pr(&none, &adding(&none, "newbie"), 1).await;
            p.review("sc1", "APPROVED", &p.head, 1);
            p
        }
    );

    // ── everything that changes meaning is governed ──
    let changed: [(&str, String); 5] = [
        (
            "an email changed",
            sc.replace("ada@example.org", "outsider@elsewhere.example"),
        ),
        (
            "an extra list address",
            sc.replace(
                "extra_addresses: []",
                "extra_addresses: [spy@elsewhere.example]",
            ),
        ),
        (
            "a Discord id changed",
            sc.replace("3456789012345678901", "9876543210987654321"),
        ),
        (
            "a github_id changed",
            sc.replace("github_id: 101", "github_id: 666"),
        ),
        (
            "the policy loosened",
            sc.replace(SC_ONE, "{ reviewers: members, required: 1 }"),
        ),
    ];
    for (what, head) in &changed {
        let name: &'static str = format!("{what}, no approval").leak();
        case!(
            name,
            false,
            "0 of 1 required approval(s) from `steering-council`",
            pr(&sc, head, 1).await
        );
        let name: &'static str = format!("{what}, approved by a Council member").leak();
        case!(name, true, "approved: 1 of 1", {
            let p = pr(&sc, head, 1).await;
            p.review("sc3", "APPROVED", &p.head, 1);
            p
        });
    }
    case!(
        "the policy loosened, approved under the head's rule only",
        false,
        "outside `steering-council` do not count",
        {
            let p = pr(&sc, &changed[4].1, 1).await;
            p.review("ada", "APPROVED", &p.head, 1);
            p
        }
    );
    case!("a display name only", true, "only display names change", {
        pr(&sc, &sc.replace("name: Ada", "name: Ada Lovelace"), 0).await
    });
    let deleted = sc.replace("  - name: Ed\n    github: ed\n", "");
    case!(
        "a member deleted without emeritus, approved",
        false,
        "`ed` leaves `members` without an entry in `emeritus`",
        {
            let p = pr(&sc, &deleted, 1).await;
            p.review("sc1", "APPROVED", &p.head, 1);
            p
        }
    );
    case!(
        "a member moved to emeritus, approved",
        true,
        "approved: 1 of 1",
        {
            let moved = deleted.replace("    github: oldtimer\n", "    github: oldtimer\n  - name: Ed\n    github: ed\n    left: 2025-11-01\n    reason: resigned\n");
            let p = pr(&sc, &moved, 1).await;
            p.review("sc1", "APPROVED", &p.head, 1);
            p
        }
    );
    case!(
        "a second Council member's open change request",
        false,
        "changes requested by `sc2`",
        {
            let p = pr(&sc, &with_newbie, 1).await;
            p.review("sc1", "APPROVED", &p.head, 5);
            p.review("sc2", "CHANGES_REQUESTED", &p.old, 20);
            p
        }
    );
    case!(
        "the change request is dismissed",
        true,
        "approved: 1 of 1",
        {
            let p = pr(&sc, &with_newbie, 1).await;
            p.review("sc1", "APPROVED", &p.head, 5);
            p.review("sc2", "DISMISSED", &p.old, 20);
            p
        }
    );
    case!(
        "a change request from outside the groups",
        true,
        "so it does not block",
        {
            let p = pr(&sc, &with_newbie, 1).await;
            p.review("sc1", "APPROVED", &p.head, 5);
            p.review("mallory", "CHANGES_REQUESTED", &p.head, 4);
            p
        }
    );
    case!(
        "approved by a Council member who pushed a commit",
        false,
        "`sc1` pushed a commit to this pull request",
        {
            let mut p = pr(&sc, &with_newbie, 1).await;
            let text = with_newbie.replace("name: Newbie", "name: Newbie Person");
            p.push(&text, "sc1", Utc::now() - Duration::hours(2));
            p.review("sc1", "APPROVED", &p.head.clone(), 1);
            p
        }
    );
    let week = base_roster(SC_WEEK);
    case!(
        "a member added by a push to a pull request opened long ago",
        false,
        "vote open 1.0 of 7 days",
        {
            let mut p = pr(&week, &week.replace("members:\n", "# tidy\nmembers:\n"), 30).await;
            p.judged(&p.head.clone(), p.opened);
            let head = p.push(
                &adding(&week, "newbie"),
                "proposer",
                Utc::now() - Duration::days(1),
            );
            p.judged(&head, Utc::now() - Duration::days(1));
            p.review("sc1", "APPROVED", &head, 1);
            p
        }
    );
    case!(
        "the same, with a commit date backdated by a month",
        false,
        "vote open 1.0 of 7 days",
        {
            let mut p = pr(&week, &week.replace("members:\n", "# tidy\nmembers:\n"), 30).await;
            p.judged(&p.head.clone(), p.opened);
            let head = p.push(
                &adding(&week, "newbie"),
                "proposer",
                Utc::now() - Duration::days(30),
            );
            p.judged(&head, Utc::now() - Duration::days(1));
            p.review("sc1", "APPROVED", &head, 1);
            p
        }
    );
    case!("the same, pushed 8 days ago", true, "approved: 1 of 1", {
        let mut p = pr(&week, &week.replace("members:\n", "# tidy\nmembers:\n"), 30).await;
        p.judged(&p.head.clone(), p.opened);
        let head = p.push(
            &adding(&week, "newbie"),
            "proposer",
            Utc::now() - Duration::days(8),
        );
        p.judged(&head, Utc::now() - Duration::days(8));
        p.review("sc1", "APPROVED", &head, 1);
        p
    });
    case!(
        "a push psrt never judged opens the vote now",
        false,
        "which psrt has not judged before",
        {
            let p = pr(&week, &adding(&week, "newbie"), 30).await;
            p.review("sc1", "APPROVED", &p.head, 1);
            p
        }
    );
    case!(
        "the Council changed only in the head, approved by the new Council",
        false,
        "0 of 1 required",
        {
            let head = sc.replace(
                "steering_council: [sc1, sc2, sc3]",
                "steering_council: [cy, di]",
            );
            let p = pr(&sc, &head, 1).await;
            p.review("cy", "APPROVED", &p.head, 2);
            p.review("di", "APPROVED", &p.head, 1);
            p
        }
    );
    case!(
        "no Council in the base roster",
        false,
        "list the Council's GitHub logins in the top-level `steering_council:`",
        {
            let empty = sc.replace("steering_council: [sc1, sc2, sc3]\n", "");
            pr(&empty, &adding(&empty, "newbie"), 1).await
        }
    );
    case!(
        "a newcomer marked legacy who is not eligible",
        false,
        "not eligible: `stranger`",
        {
            let head = sc.replace(
                "emeritus:\n",
                "  - name: Stranger\n    github: stranger\n    legacy: true\nemeritus:\n",
            );
            let p = pr(&sc, &head, 1).await;
            p.review("sc1", "APPROVED", &p.head, 1);
            p
        }
    );
    case!(
        "a newcomer on the base's Council",
        true,
        "exempt from the eligibility rule",
        {
            let head = sc.replace("emeritus:\n", "  - name: Sc\n    github: sc3\nemeritus:\n");
            let p = pr(&sc, &head, 1).await;
            p.review("sc1", "APPROVED", &p.head, 1);
            p
        }
    );
    case!(
        "a rename followed by github_id, approved",
        true,
        "approved: 1 of 1",
        {
            let p = pr(
                &sc,
                &sc.replace("    github: ada\n", "    github: newbie\n"),
                1,
            )
            .await;
            p.review("sc1", "APPROVED", &p.head, 1);
            p
        }
    );
    case!(
        "a head roster that fails psrt check",
        false,
        "head roster is invalid",
        {
            pr(
                &sc,
                &sc.replace("github: ed", "github: \"::error::pwned\""),
                1,
            )
            .await
        }
    );
    case!(
        "a pull request to another branch",
        false,
        "does not target the repository's default branch",
        {
            let p = pr(&sc, &with_newbie, 1).await;
            p.gh.commit(REPO, "other", &[], "branch");
            p.gh.update_repo(REPO, |r| r.pulls[0].base = "other".into());
            p.review("sc1", "APPROVED", &p.head, 1);
            p
        }
    );
    insta::assert_snapshot!("approval_matrix", table.join("\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_head_roster_is_never_echoed() {
    let sc = base_roster(SC_ONE);
    let evil = sc
        .replace("github: ed", "github: \"::error::pwned `@sc1`\"")
        .replace(
            "name: Di",
            "name: \"<script>alert(1)</script>\"\n    colour: red",
        );
    let p = pr(&sc, &evil, 1).await;
    let (v, published) = p.run(true).await;
    assert!(!v.passes);
    let (_, applied) = published.unwrap();
    assert!(!applied.failed(), "{applied:?}");
    let body = &p.gh.comments(REPO, 7)[0].body;
    let out = format!(
        "{}{}{body}",
        approvals::text(&v, 7),
        serde_json::to_string(&v).unwrap()
    );
    for raw in ["pwned", "::error", "script", "colour", "@sc1"] {
        assert!(!out.contains(raw), "`{raw}` echoed:\n{out}");
    }
    assert!(body.contains("head roster is invalid"), "{body}");
    assert!(
        body.contains("with 1 error(s): `unknown-key` (line "),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_publish_nothing_is_written() {
    let sc = base_roster(SC_ONE);
    let p = pr(&sc, &adding(&sc, "newbie"), 1).await;
    p.gh.knobs.clear_log();
    let (v, published) = p.run(false).await;
    assert!(!v.passes && published.is_none());
    assert_eq!(p.gh.knobs.writes(), vec![]);
}

/// `--publish` writes exactly one status and creates, then edits, one comment;
/// a comment that forges psrt's marker is never edited.
#[tokio::test(flavor = "multi_thread")]
async fn publish_sets_one_status_and_keeps_one_comment() {
    let sc = base_roster(SC_ONE);
    let p = pr(&sc, &adding(&sc, "newbie"), 1).await;
    let forged = p.gh.add_comment(
        REPO,
        7,
        "mallory",
        &format!(
            "{}\n### ✅ psrt approvals: the approval rule holds",
            approvals::MARKER
        ),
    );
    p.gh.knobs.clear_log();
    let (v, published) = p.run(true).await;
    assert!(!v.passes);
    let (plan, applied) = published.unwrap();
    assert!(!applied.failed(), "{applied:?}");
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("1 comment(s) carry psrt's marker but were not written by psrt")),
        "{plan:?}"
    );
    let writes: Vec<String> =
        p.gh.knobs
            .writes()
            .iter()
            .map(|w| format!("{} {}", w.method, w.path))
            .collect();
    assert_eq!(
        writes,
        [
            "POST /repos/python/psrt-roster/issues/7/comments".to_owned(),
            format!("POST /repos/python/psrt-roster/statuses/{}", p.head),
        ]
    );
    let statuses = p.gh.statuses(REPO, &p.head);
    assert_eq!(statuses.len(), 1);
    assert_eq!(
        (
            statuses[0].state.as_str(),
            statuses[0].context.as_str(),
            statuses[0].creator.as_str()
        ),
        ("failure", "psrt/approvals", PSRT)
    );
    assert_eq!(
        statuses[0].description.as_deref(),
        Some("not approved: 0 of 1 from steering-council")
    );
    let comments = p.gh.comments(REPO, 7);
    assert_eq!(comments.len(), 2);
    let mine = comments.iter().find(|c| c.user == PSRT).unwrap();
    assert!(
        statuses[0]
            .target_url
            .as_deref()
            .unwrap()
            .ends_with(&format!("#issuecomment-{}", mine.id))
    );

    // The Council approves: the same comment is edited, one more status.
    p.review("sc1", "APPROVED", &p.head, 0);
    p.gh.knobs.clear_log();
    let (v, _) = p.run(true).await;
    assert!(v.passes, "{v:#?}");
    let writes: Vec<String> =
        p.gh.knobs
            .writes()
            .iter()
            .map(|w| format!("{} {}", w.method, w.path))
            .collect();
    assert_eq!(
        writes,
        [
            format!(
                "PATCH /repos/python/psrt-roster/issues/comments/{}",
                mine.id
            ),
            format!("POST /repos/python/psrt-roster/statuses/{}", p.head),
        ]
    );
    let comments = p.gh.comments(REPO, 7);
    assert_eq!(comments.len(), 2);
    let edited = comments.iter().find(|c| c.id == mine.id).unwrap();
    assert!(
        edited
            .body
            .contains("✅ psrt approvals: the approval rule holds")
    );
    let forged_now = comments.iter().find(|c| c.id == forged).unwrap();
    assert!(forged_now.body.contains("the approval rule holds") && forged_now.user == "mallory");
    assert_eq!(
        p.gh.statuses(REPO, &p.head)
            .iter()
            .map(|s| s.state.as_str())
            .collect::<Vec<_>>(),
        ["failure", "success"]
    );

    // Nothing new to say: the comment and the status are left alone
    // (GitHub keeps at most 1000 statuses per commit and context, and the
    // hourly sweep judges every roster pull request again).
    p.gh.knobs.clear_log();
    let (_, published) = p.run(true).await;
    assert_eq!(p.gh.knobs.writes(), vec![]);
    assert!(
        published
            .unwrap()
            .0
            .notes
            .contains(&"the psrt/approvals status is up to date".to_owned())
    );
    // A status someone else set since is answered with psrt's again.
    p.gh.seed_status(
        REPO,
        &p.head,
        approvals::CONTEXT,
        "success",
        "mallory",
        Utc::now(),
    );
    p.gh.knobs.clear_log();
    p.run(true).await;
    assert_eq!(p.gh.knobs.writes().len(), 1);
}

/// The comment as it renders: the verdict table, what changes, and per
/// service who gains or loses access.
#[tokio::test(flavor = "multi_thread")]
async fn the_comment_as_it_renders() {
    let sc = base_roster(SC_ONE);
    let head = adding(&sc, "newbie")
        .replace("ada@example.org", "outsider@elsewhere.example")
        .replace(
            "extra_addresses: []",
            "extra_addresses: [archive@elsewhere.example]",
        )
        .replace("  - name: Ed\n    github: ed\n", "")
        .replace(
            "name: Bo\n    github: bo\n    roles: [admin]",
            "name: Bo\n    github: bo\n    roles: [admin, release-manager]",
        );
    let p = pr(&sc, &head, 1).await;
    p.review("sc1", "APPROVED", &p.head, 3);
    p.review("ada", "APPROVED", &p.head, 2);
    p.run(true).await;
    let body = p.gh.comments(REPO, 7)[0].body.clone();
    for secret in ["outsider", "elsewhere", "archive@", "3456789012345678901"] {
        assert!(!body.contains(secret), "{secret} shown:\n{body}");
    }
    insta::assert_snapshot!("approvals_comment", body);
}

#[tokio::test(flavor = "multi_thread")]
async fn as_the_github_app_the_comment_is_found_by_the_app() {
    let sc = base_roster(SC_ONE);
    let p = pr(&sc, &adding(&sc, "newbie"), 1).await;
    p.gh.with(|s| {
        s.app = Some(
            psrt_fakes::github::FakeApp::new(
                4242,
                &std::fs::read_to_string(fixture("test-app-key.pub.pem")).unwrap(),
            )
            .install(77, "python"),
        );
    });
    let env = env_for(&[
        ("PSRT_GITHUB_APP_ID", "4242".into()),
        (
            "PSRT_GITHUB_APP_KEY",
            std::fs::read_to_string(fixture("test-app-key.pem")).unwrap(),
        ),
        ("GITHUB_API_URL", p.url.clone()),
    ]);
    let opts = Options {
        now: Utc::now(),
        in_actions: true,
        publish: true,
    };
    for _ in 0..2 {
        let gh = psrt::github::GitHub::connect(
            env.github.as_ref().unwrap(),
            approvals::github_scope("python", REPO, true),
            psrt::github::Tuning::local(),
        )
        .await
        .unwrap();
        let (_, j, published) = approvals::run(&gh, &Repo::parse(REPO).unwrap(), 7, opts)
            .await
            .unwrap();
        assert_eq!(j.identity.unwrap().login, "psrt[bot]");
        assert!(!published.unwrap().1.failed());
    }
    let comments = p.gh.comments(REPO, 7);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(
        (comments[0].user.as_str(), comments[0].app_id),
        ("psrt[bot]", Some(4242))
    );
    // The second run found its own status up to date.
    let statuses = p.gh.statuses(REPO, &p.head);
    assert_eq!(statuses.len(), 1);
    assert!(statuses.iter().all(|s| s.creator == "psrt[bot]"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workflow_token_outside_actions_cannot_publish_and_writes_nothing() {
    let sc = base_roster(SC_ONE);
    let p = pr(&sc, &adding(&sc, "newbie"), 1).await;
    p.gh.with(|s| s.tokens.push("ghs_workflow".into()));
    let env = env_for(&[
        ("GITHUB_TOKEN", "ghs_workflow".into()),
        ("GITHUB_API_URL", p.url.clone()),
    ]);
    let gh = psrt::github::GitHub::connect(
        env.github.as_ref().unwrap(),
        approvals::github_scope("python", REPO, true),
        psrt::github::Tuning::local(),
    )
    .await
    .unwrap();
    let opts = Options {
        now: Utc::now(),
        in_actions: false,
        publish: true,
    };
    let e = approvals::run(&gh, &Repo::parse(REPO).unwrap(), 7, opts)
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("cannot tell which account it writes as"),
        "{e}"
    );
    assert_eq!(p.gh.knobs.writes(), vec![]);
    // Under Actions, the same token writes as github-actions[bot].
    let opts = Options {
        in_actions: true,
        ..opts
    };
    approvals::run(&gh, &Repo::parse(REPO).unwrap(), 7, opts)
        .await
        .unwrap();
    assert_eq!(p.gh.comments(REPO, 7)[0].user, "github-actions[bot]");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_read_sets_an_error_status_rather_than_leaving_green() {
    let sc = base_roster(SC_ONE);
    let p = pr(&sc, &adding(&sc, "newbie"), 1).await;
    p.review("sc1", "APPROVED", &p.head, 1);
    assert!(p.run(true).await.0.passes);
    p.gh.knobs.inject(psrt_fakes::Fault::new(
        http::Method::GET,
        "/pulls/7/reviews",
        500,
    ));
    let gh = p.client(&p.url).await;
    let opts = Options {
        now: Utc::now(),
        in_actions: false,
        publish: true,
    };
    assert!(
        approvals::run(&gh, &Repo::parse(REPO).unwrap(), 7, opts)
            .await
            .is_err()
    );
    assert_eq!(
        p.gh.statuses(REPO, &p.head)
            .iter()
            .map(|s| s.state.as_str())
            .collect::<Vec<_>>(),
        ["success", "error"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_command_exits_1_when_the_rule_fails_and_writes_a_summary() {
    let base = base_roster(SC_ONE);
    let p = pr(&base, &adding(&base, "newbie"), 1).await;
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let mut cmd = psrt();
    cmd.args(["approvals", "--pr", "7", "--repo", REPO])
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", &p.url)
        .env("GITHUB_STEP_SUMMARY", &summary);
    let r = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap();
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stdout.contains("pull request #7: the approval rule does NOT hold (not approved: 0 of 1 from steering-council)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("membership       newbie"), "{}", r.stdout);
    assert!(!r.stdout.contains('`'), "{}", r.stdout);
    assert!(
        std::fs::read_to_string(&summary)
            .unwrap()
            .contains("❌ psrt approvals: the approval rule does not hold")
    );
    assert_eq!(p.gh.knobs.writes(), vec![], "wrote without --publish");
    p.review("sc1", "APPROVED", &p.head, 1);
    let mut cmd = psrt();
    cmd.args([
        "approvals",
        "--pr",
        "7",
        "--repo",
        REPO,
        "--publish",
        "--json",
    ])
    .env("GITHUB_TOKEN", TOKEN)
    .env("GITHUB_API_URL", &p.url);
    let r = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap();
    assert_eq!(r.code, 0, "{}", r.all());
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["passes"], true);
    assert!(
        r.stderr.contains("published: set psrt/approvals = success"),
        "{}",
        r.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Prism: run scripts/test"]
async fn approval_operations_match_githubs_description() {
    let week = base_roster(SC_WEEK);
    let mut p = pr(&week, &week.replace("members:\n", "# tidy\nmembers:\n"), 30).await;
    p.judged(&p.head.clone(), p.opened);
    let head = p.push(
        &adding(&week, "newbie"),
        "sc2",
        Utc::now() - Duration::days(9),
    );
    p.judged(&head, Utc::now() - Duration::days(9));
    p.review("sc1", "APPROVED", &head, 1);
    p.review("sc3", "COMMENTED", &head, 1);
    p.gh.add_comment(REPO, 7, "mallory", approvals::MARKER);
    let prism = crate::prism::Prism::start("PSRT_GITHUB_SPEC", &p.url);
    p.gh.with(|s| s.public_url = Some(prism.url.clone()));
    let gh = p.client(&prism.url).await;
    let opts = Options {
        now: Utc::now(),
        in_actions: false,
        publish: true,
    };
    for _ in 0..2 {
        // Creates the comment, then edits it (a note changes between runs).
        let (_, j, published) = approvals::run(&gh, &Repo::parse(REPO).unwrap(), 7, opts)
            .await
            .unwrap();
        assert!(j.verdict.passes, "{:#?}\n{}", j.verdict, prism.log_text());
        assert!(!published.unwrap().1.failed(), "{}", prism.log_text());
        p.review("mallory", "CHANGES_REQUESTED", &head, 0);
    }
    let paths: Vec<String> =
        p.gh.knobs
            .log()
            .iter()
            .map(|l| format!("{} {}", l.method, l.path.split('?').next().unwrap_or("")))
            .collect();
    for want in [
        "GET /user",
        "/pulls/7/commits",
        "/commits/",
        "PATCH /repos/python/psrt-roster/issues/comments/",
        "POST /repos/python/psrt-roster/statuses/",
    ] {
        assert!(
            paths.iter().any(|p| p.contains(want)),
            "{want} not exercised: {paths:#?}"
        );
    }
    assert_eq!(prism.violations(), Vec::<String>::new());
}

// ── issue 21, item 5: the governance holes ──

/// The base roster is read from the branch (`heads/<branch>`), never from a
/// tag or anything else of the same name: a tag `main` holding a looser
/// rule does not judge the pull request (git reads a bare `main` as the tag
/// when both exist).
#[tokio::test(flavor = "multi_thread")]
async fn the_base_roster_is_read_from_the_branch_not_a_tag_of_its_name() {
    let sc = base_roster(SC_ONE);
    let p = pr(&sc, &adding(&sc, "newbie"), 1).await;
    let loose = sc.replace(SC_ONE, "{ reviewers: members, required: 1 }");
    let tagged =
        p.gh.commit(REPO, "loose", &[("roster.yaml", &loose)], "a looser rule");
    p.gh.tag(REPO, "main", &tagged);
    p.review("ada", "APPROVED", &p.head, 1);
    let v = p.verdict().await;
    assert!(!v.passes, "judged by the tag's rule: {v:#?}");
    assert_eq!(v.summary, "not approved: 0 of 1 from steering-council");
    let read: Vec<String> =
        p.gh.knobs
            .log()
            .iter()
            .filter(|l| l.path.contains("/contents/roster.yaml"))
            .map(|l| l.path.clone())
            .collect();
    assert!(
        read.iter().any(|l| l.ends_with("?ref=heads%2Fmain")),
        "{read:#?}"
    );
}

/// The pull request number is read as an integer, as the workflow reads the
/// review artifact's: `05` and `5` are one pull request; anything but
/// digits, or zero, is a usage error that reaches no server.
#[tokio::test(flavor = "multi_thread")]
async fn the_pull_request_number_is_an_integer() {
    let sc = base_roster(SC_ONE);
    let p = pr(&sc, &adding(&sc, "newbie"), 1).await;
    let run_with = |n: &str| {
        let mut cmd = psrt();
        cmd.args(["approvals", "--repo", REPO, "--pr", n])
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_API_URL", &p.url);
        run(&mut cmd)
    };
    for n in ["7", "07", "0000000000000007"] {
        p.gh.knobs.clear_log();
        let r = tokio::task::block_in_place(|| run_with(n));
        assert_eq!(r.code, 1, "{n}: {}", r.all());
        assert!(
            r.stdout.starts_with("pull request #7: "),
            "{n}: {}",
            r.all()
        );
        assert!(
            p.gh.knobs
                .log()
                .iter()
                .any(|l| l.path == "/repos/python/psrt-roster/pulls/7"),
            "{n}"
        );
    }
    for bad in [
        "0",
        "00",
        "+7",
        "-7",
        "7 ",
        " 7",
        "0x7",
        "7e0",
        "٧",
        "99999999999999999999",
    ] {
        p.gh.knobs.clear_log();
        let r = tokio::task::block_in_place(|| run_with(bad));
        assert_eq!(r.code, 2, "{bad:?} was accepted: {}", r.all());
        assert!(r.stderr.contains("--pr"), "{bad:?}: {}", r.stderr);
        assert_eq!(p.gh.knobs.requests(), 0, "{bad:?} reached GitHub");
    }
}

/// The vote window counts only from psrt's statuses set after the pull
/// request's latest push: a commit that was the head before, reverted and
/// pushed again (the same sha) opens the vote again; it does not inherit
/// the time psrt first judged it. Both ways of undoing it: a reset (a force
/// push back to the parent, then the commit again as a fast-forward), and a
/// revert commit followed by a force push back to the commit.
#[tokio::test(flavor = "multi_thread")]
async fn a_revert_and_re_push_of_the_same_commit_restarts_the_vote() {
    let week = base_roster(SC_WEEK);
    let days = |n: i64| Utc::now() - Duration::days(n);
    for how in ["reset", "revert commit"] {
        let mut p = pr(&week, &week.replace("members:\n", "# tidy\nmembers:\n"), 30).await;
        let tidy = p.head.clone();
        p.judged(&tidy, p.opened);
        // Day -10: the newcomer is pushed, psrt judges it.
        let adding_sha = p.push(&adding(&week, "newbie"), "proposer", days(10));
        p.judged(&adding_sha, days(10));
        // Day -9: undone, psrt judges that.
        match how {
            "reset" => p.gh.push(REPO, "change", &tidy, "proposer", days(9)),
            _ => {
                let reverted = p.push(
                    &week.replace("members:\n", "# tidy\nmembers:\n"),
                    "proposer",
                    days(9),
                );
                p.judged(&reverted, days(9));
            }
        }
        p.judged(&tidy, days(9));
        // Day -1: the same commit again (a fast-forward after the reset, a
        // force push after the revert commit); psrt judges it.
        p.gh.push(REPO, "change", &adding_sha, "proposer", days(1));
        p.head = adding_sha.clone();
        p.judged(&adding_sha, days(1) + Duration::minutes(2));
        p.review("sc1", "APPROVED", &adding_sha, 1);
        let v = p.verdict().await;
        assert!(!v.passes, "{how}: the vote inherited day -10: {v:#?}");
        assert_eq!(v.summary, "vote open 1.0 of 7 days", "{how}");
        // Before psrt judged the re-push, the vote opens with this run.
        p.gh.with(|s| {
            s.statuses
                .statuses
                .retain(|st| !(st.sha == adding_sha && st.created_at > days(2)))
        });
        let v = p.verdict().await;
        assert_eq!(v.summary, "vote open 0.0 of 7 days", "{how}: {v:#?}");
    }
}

/// A status psrt set on the same commit while judging another pull request
/// (the commit was that one's head first) does not date this one's vote.
#[tokio::test(flavor = "multi_thread")]
async fn a_verdict_on_another_pull_request_does_not_date_the_vote() {
    let week = base_roster(SC_WEEK);
    let days = |n: i64| Utc::now() - Duration::days(n);
    let mut p = pr(&week, &week.replace("members:\n", "# tidy\nmembers:\n"), 30).await;
    let tidy = p.head.clone();
    p.judged(&tidy, p.opened);
    // Pull request #8 proposes the newcomer on top of #7's head, and is judged.
    p.gh.update_repo(REPO, |r| {
        r.branches.insert("other".into(), tidy.clone());
    });
    let shared = p.gh.commit_by(
        REPO,
        "other",
        &[("roster.yaml", &adding(&week, "newbie"))],
        "add",
        "proposer",
        None,
        days(10),
    );
    p.gh.update_repo(REPO, |r| {
        let mut eight = r.pulls[0].clone();
        eight.number = 8;
        eight.head = "other".into();
        r.pulls.push(eight);
    });
    p.gh.seed_verdict(REPO, 8, &shared, approvals::CONTEXT, PSRT, days(10));
    // Day -1: the same commit is pushed to #7 (a fast-forward), judged there.
    p.gh.push(REPO, "change", &shared, "proposer", days(1));
    p.head = shared.clone();
    p.judged(&shared, days(1));
    p.review("sc1", "APPROVED", &shared, 1);
    let v = p.verdict().await;
    assert!(!v.passes, "the vote inherited #8's day -10: {v:#?}");
    assert_eq!(v.summary, "vote open 1.0 of 7 days");
}
