//! `psrt approvals`: each rule, against the GitHub fake.

use chrono::{DateTime, Duration, Utc};
use psrt::fakes::github::{FakePull, FakeReview};

use crate::common::*;

const REPO: &str = "python/psrt-roster";

fn base_roster(rule: &str) -> String {
    format!(
        r#"version: 1
github:
  org: python
  team: psrt
  eligibility_teams: [python-core]
  steering_council_team: steering-council
policy:
  approvals:
    membership: {rule}
steering_council: [sc1, sc2, sc3]
members:
  - name: Ada
    github: ada
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
"#
    )
}

struct Pr {
    gh: psrt::fakes::github::GitHubFake,
    _server: psrt::fakes::Running,
    url: String,
    head: String,
    old: String,
}

/// A pull request by `proposer` that changes the roster from `base` to
/// `head` (in two commits: `old` then `head`).
async fn pr(base: &str, head: &str, opened_days_ago: i64) -> Pr {
    let (gh, server) = github().await;
    for l in [
        "ada", "bo", "cy", "di", "ed", "proposer", "newbie", "stranger", "sc1", "sc2", "sc3",
    ] {
        gh.org_member(l);
    }
    for l in ["sc1", "sc2", "sc3"] {
        gh.add_to_team("steering-council", l, "member");
    }
    for l in ["ada", "bo", "cy", "di", "ed", "proposer", "newbie"] {
        gh.add_to_team("python-core", l, "member");
    }
    gh.commit(REPO, "main", &[("roster.yaml", base)], "base");
    let old = gh.commit(
        REPO,
        "change",
        &[("roster.yaml", &head.replace("Newbie", "Newbie Draft"))],
        "first draft",
    );
    let head_sha = gh.commit(REPO, "change", &[("roster.yaml", head)], "change");
    gh.update_repo(REPO, |r| {
        r.pulls.push(FakePull {
            number: 7,
            title: "Add newbie".into(),
            body: String::new(),
            head: "change".into(),
            base: "main".into(),
            state: "open".into(),
            user: "proposer".into(),
            created_at: Utc::now() - Duration::days(opened_days_ago),
            requested_users: vec![],
            requested_teams: vec![],
        })
    });
    let url = server.url();
    Pr {
        gh,
        _server: server,
        url,
        head: head_sha,
        old,
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

    async fn verdict(&self) -> psrt::approvals::Verdict {
        let gh = psrt::github::GitHub::connect(
            github_env(&self.url).github.as_ref().unwrap(),
            psrt::commands::approvals::github_scope("python", REPO),
            psrt::github::Tuning::local(),
        )
        .await
        .unwrap();
        psrt::approvals::check(&gh, REPO, 7, Utc::now())
            .await
            .unwrap()
    }
}

fn adding_newbie(base: &str) -> String {
    format!("{base}  - name: Newbie\n    github: newbie\n")
}

const SC_ONE: &str = "{ reviewers: steering-council, required: 1 }";

#[tokio::test]
async fn no_approvals_fail() {
    let base = base_roster(SC_ONE);
    let p = pr(&base, &adding_newbie(&base), 1).await;
    let v = p.verdict().await;
    assert!(!v.passes);
    assert_eq!(
        v.reasons,
        ["0 of 1 required approval(s) from `steering-council`"]
    );
    assert_eq!(v.change.added, ["newbie"]);
    assert_eq!(v.missing, ["sc1", "sc2", "sc3"]);
}

#[tokio::test]
async fn a_non_reviewers_approval_does_not_count() {
    let base = base_roster(SC_ONE);
    let p = pr(&base, &adding_newbie(&base), 1).await;
    p.review("ada", "APPROVED", &p.head, 5);
    let v = p.verdict().await;
    assert!(!v.passes);
    assert!(
        v.notes
            .iter()
            .any(|n| n.contains("outside `steering-council`") && n.contains("ada")),
        "{:?}",
        v.notes
    );
}

#[tokio::test]
async fn enough_approvals_pass() {
    let base = base_roster(SC_ONE);
    let p = pr(&base, &adding_newbie(&base), 1).await;
    p.review("sc2", "APPROVED", &p.head, 5);
    let v = p.verdict().await;
    assert!(v.passes, "{v:#?}");
    assert_eq!(v.approved_by, ["sc2"]);
}

#[tokio::test]
async fn an_approval_of_an_older_commit_does_not_count() {
    let base = base_roster(SC_ONE);
    let p = pr(&base, &adding_newbie(&base), 1).await;
    p.review("sc1", "APPROVED", &p.old, 5);
    let v = p.verdict().await;
    assert!(!v.passes);
    assert!(
        v.notes
            .iter()
            .any(|n| n.contains("sc1 approved an older commit")),
        "{:?}",
        v.notes
    );
}

#[tokio::test]
async fn a_reviewer_added_by_the_head_roster_does_not_count() {
    // The rule is the base's: the head puts the proposer and cy on the
    // Council and both approve: it must not count.
    let base = base_roster(SC_ONE);
    let head = adding_newbie(&base).replace(
        "steering_council: [sc1, sc2, sc3]",
        "steering_council: [sc1, sc2, sc3, proposer, cy]",
    );
    let p = pr(&base, &head, 1).await;
    p.review("proposer", "APPROVED", &p.head, 5);
    p.review("cy", "APPROVED", &p.head, 4);
    let v = p.verdict().await;
    assert!(!v.passes, "{v:#?}");
    assert!(v.approved_by.is_empty());
}

#[tokio::test]
async fn the_authors_own_review_does_not_count() {
    let base = base_roster("{ reviewers: members, required: 1 }");
    let p = pr(&base, &adding_newbie(&base), 1).await;
    p.review("proposer", "APPROVED", &p.head, 5);
    let v = p.verdict().await;
    assert!(!v.passes);
    assert!(
        v.notes
            .iter()
            .any(|n| n.contains("proposer's own approval does not count")),
        "{:?}",
        v.notes
    );
}

#[tokio::test]
async fn a_veto_after_an_approval_blocks() {
    let base = base_roster("{ reviewers: members, required: 1, veto: steering-council }");
    let p = pr(&base, &adding_newbie(&base), 1).await;
    p.review("ada", "APPROVED", &p.head, 10);
    assert!(p.verdict().await.passes);
    p.review("sc3", "CHANGES_REQUESTED", &p.head, 2);
    let v = p.verdict().await;
    assert!(!v.passes);
    assert!(
        v.reasons
            .iter()
            .any(|r| r.contains("veto") && r.contains("sc3")),
        "{:?}",
        v.reasons
    );
    // The vetoer changes their mind: the latest decisive review counts.
    p.review("sc3", "APPROVED", &p.head, 1);
    assert!(p.verdict().await.passes);
}

#[tokio::test]
async fn a_two_thirds_vote_with_a_minimum_open_time() {
    // 6 members: 2/3 is 4 approvals, and the vote lasts 7 days.
    let base = base_roster(r#"{ reviewers: members, required: "2/3", min_open_days: 7 }"#);
    let p = pr(&base, &adding_newbie(&base), 3).await;
    for (i, who) in ["ada", "bo", "cy", "di"].iter().enumerate() {
        p.review(who, "APPROVED", &p.head, 10 - i as i64);
    }
    let v = p.verdict().await;
    assert!(!v.passes);
    assert_eq!(v.required, 4);
    assert_eq!(v.reasons.len(), 1, "{:?}", v.reasons);
    assert!(
        v.reasons[0].starts_with("open 3.0 of the 7 days"),
        "{:?}",
        v.reasons
    );
    // A week later, the same approvals pass; three do not.
    let p = pr(&base, &adding_newbie(&base), 8).await;
    for who in ["ada", "bo", "cy"] {
        p.review(who, "APPROVED", &p.head, 10);
    }
    let v = p.verdict().await;
    assert!(
        !v.passes && v.reasons == ["3 of 4 required approval(s) from `members`"],
        "{v:#?}"
    );
    p.review("di", "APPROVED", &p.head, 1);
    assert!(p.verdict().await.passes);
}

#[tokio::test]
async fn no_membership_change_passes_and_says_so() {
    let base = base_roster(SC_ONE);
    let head = base.replace("members:\n", "# a comment\nmembers:\n");
    let p = pr(&base, &head, 0).await;
    let v = p.verdict().await;
    assert!(v.passes);
    assert!(v.notes[0].contains("no change to members, emeritus or roles"));
}

#[tokio::test]
async fn new_members_must_be_eligible_and_an_unreadable_team_is_said() {
    let base = base_roster(SC_ONE);
    let head = format!("{base}  - name: Stranger\n    github: stranger\n");
    let p = pr(&base, &head, 1).await;
    p.review("sc1", "APPROVED", &p.head, 1);
    let v = p.verdict().await;
    assert!(!v.passes);
    assert!(
        v.reasons
            .iter()
            .any(|r| r.contains("not eligible") && r.contains("stranger")),
        "{:?}",
        v.reasons
    );
    // The token cannot read the team: not a silent pass, a note.
    p.gh.knobs.inject(psrt::fakes::Fault::new(
        http::Method::GET,
        "/teams/python-core/members",
        404,
    ));
    let v = p.verdict().await;
    assert!(v.passes, "{v:#?}");
    assert!(
        v.notes
            .iter()
            .any(|n| n.contains("eligibility of new members was NOT checked")),
        "{:?}",
        v.notes
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_command_exits_1_when_the_rule_fails_and_writes_a_summary() {
    let base = base_roster(SC_ONE);
    let p = pr(&base, &adding_newbie(&base), 1).await;
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
        r.stdout
            .contains("pull request #7: the approval rule does NOT hold"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("added: newbie"));
    assert!(
        std::fs::read_to_string(&summary)
            .unwrap()
            .contains("❌ the approval rule does not hold")
    );
    p.review("sc1", "APPROVED", &p.head, 1);
    let mut cmd = psrt();
    cmd.args(["approvals", "--pr", "7", "--repo", REPO])
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", &p.url);
    let r = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap();
    assert_eq!(r.code, 0, "{}", r.all());
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Prism: run scripts/test"]
async fn approval_operations_match_githubs_description() {
    let base = base_roster(SC_ONE);
    let p = pr(&base, &adding_newbie(&base), 1).await;
    p.review("sc1", "APPROVED", &p.head, 1);
    let prism = crate::prism::Prism::start("PSRT_GITHUB_SPEC", &p.url);
    p.gh.with(|s| s.public_url = Some(prism.url.clone()));
    let gh = psrt::github::GitHub::connect(
        github_env(&prism.url).github.as_ref().unwrap(),
        psrt::commands::approvals::github_scope("python", REPO),
        psrt::github::Tuning::local(),
    )
    .await
    .unwrap();
    let v = psrt::approvals::check(&gh, REPO, 7, Utc::now())
        .await
        .unwrap();
    assert!(v.passes, "{v:#?}\n{}", prism.log_text());
    assert_eq!(prism.violations(), Vec::<String>::new());
}
