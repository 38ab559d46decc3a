//! `psrt inactivity`: the report and the pull request, against the GitHub fake.

use chrono::{Duration, TimeZone, Utc};
use psrt_fakes::github::{FakeAdvisory, FakePull};

use crate::common::*;

pub const POLICY_REPO: &str = "python/psrt-roster";

pub fn inactivity_roster() -> String {
    r#"# yaml-language-server: $schema=schema/roster.schema.json
# The PSRT roster (test copy).
version: 1
github:
  org: python
  team: psrt
  advisory_repos: [python/cpython]
  eligibility_teams: [python-core]
  steering_council_team: steering-council

# Set by the yearly inactivity pull request.
last_inactivity_report: 2025-11-20

# Current members.
members:
  - name: Alice Admin
    github: alice
    roles: [admin]
  - name: Bob Admin
    github: bob
    roles: [admin]   # keeps the list
  - name: Carol Fixer
    github: carol
  # Dave has not been seen since 2024.
  - name: Dave Quiet
    github: dave
    github_id: 4004
    email: dave@example.org
  - name: Erin Finder
    github: erin
  - name: Frank Lists
    github: frank
    last_active: 2026-03-01
  - name: Gus Release
    github: gus
    roles: [release-manager]
  - name: Hana New
    github: hana
    since: 2026-06-01
  - name: Ivy Old
    github: ivy
    last_active: 2025-01-01

# Former members.
emeritus:
  - name: Zed Gone
    github: zed
    left: 2020-01-01
    reason: resigned
"#
    .to_owned()
}

pub fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap()
}

/// GitHub with the policy repository and evidence of every kind.
pub async fn inactivity_world() -> (psrt_fakes::github::GitHubFake, psrt_fakes::Running) {
    let (gh, server) = github().await;
    for l in [
        "alice", "bob", "carol", "dave", "erin", "frank", "gus", "hana", "ivy", "psrt-bot", "sc1",
    ] {
        gh.org_member(l);
    }
    gh.add_to_team("steering-council", "sc1", "member");
    gh.commit(
        POLICY_REPO,
        "main",
        &[("roster.yaml", &inactivity_roster())],
        "roster",
    );
    let inside = now() - Duration::days(100);
    let before = now() - Duration::days(500);
    // Published: alice coordinated it, inside the window.
    let mut p1 = FakeAdvisory::new(
        "python/cpython",
        "GHSA-pub1-pub1-pub1",
        "published",
        inside - Duration::days(30),
    )
    .coordinator("alice");
    p1.published_at = Some(inside);
    p1.updated_at = inside;
    gh.advisory(p1);
    // Closed (never published): bob developed the fix.
    let mut c1 = FakeAdvisory::new("python/cpython", "GHSA-cls1-cls1-cls1", "closed", inside);
    c1.credits
        .push(("bob".into(), "remediation_developer".into()));
    c1.closed_at = Some(inside + Duration::days(5));
    gh.advisory(c1);
    // In triage with a private fork: carol opened a pull request there.
    let mut t1 = FakeAdvisory::new("python/cpython", "GHSA-tri1-tri1-tri1", "triage", inside)
        .coordinator("alice");
    t1.private_fork = Some("python/cpython-ghsa-tri1".into());
    gh.advisory(t1);
    gh.commit(
        "python/cpython-ghsa-tri1",
        "fix",
        &[("fix.c", "/* fix */")],
        "fix",
    );
    gh.update_repo("python/cpython-ghsa-tri1", |r| {
        r.pulls.push(FakePull {
            number: 1,
            title: "fix".into(),
            body: String::new(),
            head: "fix".into(),
            base: "main".into(),
            state: "closed".into(),
            user: "carol".into(),
            created_at: inside + Duration::days(2),
            requested_users: vec![],
            requested_teams: vec![],
        })
    });
    // Old: dave coordinated it long before the window.
    let mut old = FakeAdvisory::new("python/cpython", "GHSA-old1-old1-old1", "published", before)
        .coordinator("dave");
    old.published_at = Some(before);
    gh.advisory(old);
    // Erin is only credited as finder: not handling a report.
    let mut f = FakeAdvisory::new("python/cpython", "GHSA-fnd1-fnd1-fnd1", "draft", inside)
        .coordinator("alice");
    f.credits.push(("erin".into(), "finder".into()));
    gh.advisory(f);
    (gh, server)
}

fn run_inactivity(dir: &std::path::Path, server: &str, args: &[&str]) -> Run {
    let mut cmd = psrt();
    cmd.current_dir(dir)
        .args(args)
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", server)
        .env("PSRT_GITHUB_WRITE_PAUSE_MS", "0")
        .env("GITHUB_REPOSITORY", POLICY_REPO);
    run(&mut cmd)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_report_weighs_every_kind_of_evidence() {
    let (_gh, server) = inactivity_world().await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", inactivity_roster());
    let url = server.url();
    let d = dir.path().to_owned();
    let r = tokio::task::spawn_blocking(move || {
        run_inactivity(&d, &url, &["inactivity", "--now", "2026-11-20"])
    })
    .await
    .unwrap();
    assert_eq!(r.code, 0, "{}", r.all());
    insta::assert_snapshot!("inactivity_report", r.stdout);
    for unpublished in ["GHSA-cls1", "GHSA-tri1", "GHSA-fnd1"] {
        assert!(
            !r.all().contains(unpublished),
            "{unpublished} named in a public report"
        );
    }
}

/// Issue 12, finding 2: a date beside "credit on an unpublished report"
/// matched that report's latest change, pairing the member with it. The
/// evidence is now undated: no date of an unpublished report (created,
/// changed, closed, its fork's pull request) appears anywhere in the
/// report, text, JSON or pull request.
#[tokio::test(flavor = "multi_thread")]
async fn evidence_on_unpublished_reports_is_never_dated() {
    let (gh, server) = github().await;
    for l in [
        "alice", "bob", "carol", "dave", "erin", "frank", "gus", "hana", "ivy",
    ] {
        gh.org_member(l);
    }
    gh.add_to_team("steering-council", "sc1", "member");
    gh.commit(
        POLICY_REPO,
        "main",
        &[("roster.yaml", &inactivity_roster())],
        "roster",
    );
    let at = |d: &str| {
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc()
    };
    // Unpublished, on dates nothing else has: bob coordinates a draft,
    // carol fixed a closed one, dave opened a pull request in a triage
    // report's private fork.
    let mut draft = FakeAdvisory::new(
        "python/cpython",
        "GHSA-und1-und1-und1",
        "draft",
        at("2026-05-05"),
    )
    .coordinator("bob");
    draft.updated_at = at("2026-07-13");
    gh.advisory(draft);
    let mut closed = FakeAdvisory::new(
        "python/cpython",
        "GHSA-und2-und2-und2",
        "closed",
        at("2026-04-04"),
    );
    closed
        .credits
        .push(("carol".into(), "remediation_developer".into()));
    closed.updated_at = at("2026-06-16");
    closed.closed_at = Some(at("2026-06-17"));
    gh.advisory(closed);
    let mut triage = FakeAdvisory::new(
        "python/cpython",
        "GHSA-und3-und3-und3",
        "triage",
        at("2026-03-03"),
    )
    .coordinator("alice");
    triage.updated_at = at("2026-09-19");
    triage.private_fork = Some("python/cpython-ghsa-und3".into());
    gh.advisory(triage);
    gh.commit(
        "python/cpython-ghsa-und3",
        "fix",
        &[("fix.c", "/* */")],
        "fix",
    );
    gh.update_repo("python/cpython-ghsa-und3", |r| {
        r.pulls.push(FakePull {
            number: 1,
            title: "fix".into(),
            body: String::new(),
            head: "fix".into(),
            base: "main".into(),
            state: "open".into(),
            user: "dave".into(),
            created_at: at("2026-08-28"),
            requested_users: vec![],
            requested_teams: vec![],
        })
    });
    // Published: its dates may be shown.
    let mut public = FakeAdvisory::new(
        "python/cpython",
        "GHSA-pub9-pub9-pub9",
        "published",
        at("2026-02-01"),
    )
    .coordinator("erin");
    public.published_at = Some(at("2026-02-22"));
    public.updated_at = at("2026-02-22");
    gh.advisory(public);

    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", inactivity_roster());
    let mut outputs = Vec::new();
    for args in [
        &["inactivity", "--now", "2026-11-20"][..],
        &["inactivity", "--json", "--now", "2026-11-20"],
        &["inactivity", "--open-pr", "--now", "2026-11-20"],
    ] {
        let (url, d) = (server.url(), dir.path().to_owned());
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        let r = tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run_inactivity(&d, &url, &args)
        })
        .await
        .unwrap();
        assert_eq!(r.code, 0, "{}", r.all());
        outputs.push(r.all());
    }
    let pulls = gh.pulls(POLICY_REPO);
    outputs.push(format!("{}\n{}", pulls[0].title, pulls[0].body));
    for text in &outputs {
        for date in [
            "2026-05-05",
            "2026-07-13",
            "2026-04-04",
            "2026-06-16",
            "2026-06-17",
            "2026-03-03",
            "2026-09-19",
            "2026-08-28",
        ] {
            assert!(
                !text.contains(date),
                "{date}, a date of an unpublished report, in:\n{text}"
            );
        }
        for id in ["GHSA-und1", "GHSA-und2", "GHSA-und3"] {
            assert!(!text.contains(id), "{id} named in:\n{text}");
        }
    }
    let report = &outputs[0];
    let row = |login: &str| {
        report
            .lines()
            .find(|l| l.split_whitespace().next() == Some(login))
            .unwrap_or_else(|| panic!("no row for {login}:\n{report}"))
            .to_owned()
    };
    assert!(
        row("bob").contains("a coordinator credit on an unpublished report in the window"),
        "{report}"
    );
    assert!(row("bob").ends_with("active"));
    assert!(
        row("carol")
            .contains("a remediation developer credit on an unpublished report in the window")
    );
    assert!(
        row("dave")
            .contains("a pull request in an unpublished report's private fork in the window")
    );
    // A published report's date is fine to show.
    assert!(row("erin").contains("2026-02-22"), "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pull_request_moves_the_inactive_and_a_second_run_updates_it() {
    let (gh, server) = inactivity_world().await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", inactivity_roster());
    let url = server.url();
    let d = dir.path().to_owned();
    let r = tokio::task::spawn_blocking(move || {
        run_inactivity(
            &d,
            &url,
            &["inactivity", "--open-pr", "--now", "2026-11-20"],
        )
    })
    .await
    .unwrap();
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("opened pull request #1"), "{}", r.stdout);

    let pulls = gh.pulls(POLICY_REPO);
    assert_eq!(pulls.len(), 1);
    let pr = &pulls[0];
    assert_eq!(
        (pr.head.as_str(), pr.base.as_str()),
        ("psrt-inactivity-2026", "main")
    );
    assert_eq!(pr.requested_teams, ["steering-council"]);
    insta::assert_snapshot!("inactivity_pr_title", pr.title);
    insta::assert_snapshot!("inactivity_pr_body", pr.body);
    for unpublished in ["GHSA-cls1", "GHSA-tri1", "GHSA-fnd1"] {
        assert!(
            !pr.body.contains(unpublished),
            "{unpublished} named in the pull request"
        );
    }

    // The diff: three entries move, one line records the date, nothing else changes.
    let before = inactivity_roster();
    let after = gh
        .file(POLICY_REPO, "psrt-inactivity-2026", "roster.yaml")
        .unwrap();
    insta::assert_snapshot!("inactivity_pr_diff", unified_diff(&before, &after));
    let roster = parse_roster(&after);
    assert_eq!(
        roster
            .members
            .iter()
            .map(|m| m.github.as_str())
            .collect::<Vec<_>>(),
        ["alice", "bob", "carol", "frank", "gus", "hana"]
    );
    assert_eq!(
        roster
            .last_inactivity_report
            .map(|d| d.to_string())
            .as_deref(),
        Some("2026-11-20")
    );
    let gone: Vec<_> = roster
        .emeritus
        .iter()
        .skip(1)
        .map(|e| {
            (
                e.github.as_ref().unwrap().to_string(),
                e.reason.clone().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        gone,
        [
            ("dave".into(), "inactive".into()),
            ("erin".into(), "inactive".into()),
            ("ivy".into(), "inactive".into())
        ]
    );
    // The edited roster passes psrt check.
    let check_dir = tempfile::tempdir().unwrap();
    write(check_dir.path(), "roster.yaml", &after);
    assert_eq!(
        run(psrt().current_dir(check_dir.path()).arg("check")).code,
        0
    );

    // Second run, same cycle: the same pull request, no new commit.
    gh.knobs.clear_log();
    let url = server.url();
    let d = dir.path().to_owned();
    let r = tokio::task::spawn_blocking(move || {
        run_inactivity(
            &d,
            &url,
            &["inactivity", "--open-pr", "--now", "2026-11-21"],
        )
    })
    .await
    .unwrap();
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("updated pull request #1"), "{}", r.stdout);
    assert_eq!(
        gh.pulls(POLICY_REPO).len(),
        1,
        "never a second pull request"
    );
    let writes: Vec<String> = gh
        .knobs
        .writes()
        .iter()
        .map(|l| format!("{} {}", l.method, l.path))
        .collect();
    // The report date moved a day: one new commit on the reset branch, then the pull request.
    assert!(
        writes
            .iter()
            .any(|w| w.starts_with("PATCH /repos/python/psrt-roster/pulls/1")),
        "{writes:#?}"
    );
    assert!(
        !writes
            .iter()
            .any(|w| w.starts_with("POST /repos/python/psrt-roster/pulls ")),
        "{writes:#?}"
    );

    // Third run at the same date: the branch already has the edit.
    gh.knobs.clear_log();
    let url = server.url();
    let d = dir.path().to_owned();
    let r = tokio::task::spawn_blocking(move || {
        run_inactivity(
            &d,
            &url,
            &["inactivity", "--open-pr", "--now", "2026-11-21"],
        )
    })
    .await
    .unwrap();
    assert!(
        r.stdout.contains("the branch already had this edit"),
        "{}",
        r.stdout
    );
    let writes: Vec<String> = gh
        .knobs
        .writes()
        .iter()
        .map(|l| format!("{} {}", l.method, l.path))
        .collect();
    assert_eq!(
        writes,
        [
            "PATCH /repos/python/psrt-roster/pulls/1",
            "POST /repos/python/psrt-roster/pulls/1/requested_reviewers"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn with_nobody_inactive_the_pull_request_records_the_date() {
    let (gh, server) = inactivity_world().await;
    let text = inactivity_roster().replace(
        "last_inactivity_report: 2025-11-20",
        "last_inactivity_report: 2026-11-01",
    );
    gh.commit(
        POLICY_REPO,
        "main",
        &[("roster.yaml", &text)],
        "recent report",
    );
    // Everyone is active by last_active.
    let text = text
        .replace(
            "    github: dave\n",
            "    github: dave\n    last_active: 2026-11-10\n",
        )
        .replace(
            "    github: erin\n",
            "    github: erin\n    last_active: 2026-11-10\n",
        )
        .replace("last_active: 2025-01-01", "last_active: 2026-11-10")
        .replace(
            "    github: carol\n",
            "    github: carol\n    last_active: 2026-11-10\n",
        )
        .replace(
            "    github: alice\n",
            "    github: alice\n    last_active: 2026-11-10\n",
        )
        .replace(
            "    github: bob\n",
            "    github: bob\n    last_active: 2026-11-10\n",
        )
        .replace("last_active: 2026-03-01", "last_active: 2026-11-10")
        .replace(
            "    since: 2026-06-01\n",
            "    since: 2026-06-01\n    last_active: 2026-11-10\n",
        );
    gh.commit(
        POLICY_REPO,
        "main",
        &[("roster.yaml", &text)],
        "everyone active",
    );
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", &text);
    let url = server.url();
    let d = dir.path().to_owned();
    let r = tokio::task::spawn_blocking(move || {
        run_inactivity(
            &d,
            &url,
            &["inactivity", "--open-pr", "--now", "2026-11-20"],
        )
    })
    .await
    .unwrap();
    assert_eq!(r.code, 0, "{}", r.all());
    let pr = &gh.pulls(POLICY_REPO)[0];
    assert_eq!(pr.title, "Inactivity report 2026-11-20: nobody inactive");
    assert!(
        pr.body
            .contains("Nobody is inactive. Merging it records the report date"),
        "{}",
        pr.body
    );
    let after = gh
        .file(POLICY_REPO, "psrt-inactivity-2026", "roster.yaml")
        .unwrap();
    let changed: Vec<&str> = after
        .lines()
        .filter(|l| !text.lines().any(|o| o == *l))
        .collect();
    assert_eq!(changed, ["last_inactivity_report: 2026-11-20"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_inactive_admin_needed_for_min_admins_is_named_but_not_moved() {
    let (gh, server) = inactivity_world().await;
    // Bob is inactive too (his credit is outside the window now), and an admin.
    let text = inactivity_roster().replace(
        "last_inactivity_report: 2025-11-20",
        "last_inactivity_report: 2026-10-01",
    );
    gh.commit(
        POLICY_REPO,
        "main",
        &[("roster.yaml", &text)],
        "later window",
    );
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", &text);
    let url = server.url();
    let d = dir.path().to_owned();
    let r = tokio::task::spawn_blocking(move || {
        run_inactivity(
            &d,
            &url,
            &["inactivity", "--open-pr", "--now", "2026-11-20"],
        )
    })
    .await
    .unwrap();
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("not moved (the roster would break a rule):"),
        "{}",
        r.stdout
    );
    let after = parse_roster(
        &gh.file(POLICY_REPO, "psrt-inactivity-2026", "roster.yaml")
            .unwrap(),
    );
    assert!(after.admins().count() >= 2);
    let body = &gh.pulls(POLICY_REPO)[0].body;
    assert!(body.contains("### Not moved"), "{body}");
}

/// A unified diff (no context trimming), for snapshots.
fn unified_diff(a: &str, b: &str) -> String {
    let a: Vec<&str> = a.lines().collect();
    let b: Vec<&str> = b.lines().collect();
    // LCS table, fine for files of this size.
    let mut t = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            t[i][j] = if a[i] == b[j] {
                t[i + 1][j + 1] + 1
            } else {
                t[i + 1][j].max(t[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push_str(&format!("  {}\n", a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || t[i][j + 1] >= t[i + 1][j]) {
            out.push_str(&format!("+ {}\n", b[j]));
            j += 1;
        } else {
            out.push_str(&format!("- {}\n", a[i]));
            i += 1;
        }
    }
    out
}

/// PEP 811: "coordinated **or commented on**". A member whose only activity
/// is a comment is active: Dave (renamed since: matched by account id) on a
/// published report, shown with its id and date; Ivy on a closed,
/// unpublished one, counted but neither named nor dated. A repository
/// without the comments API is said.
#[tokio::test(flavor = "multi_thread")]
async fn a_comment_is_activity_matched_by_account_id_and_never_dates_an_unpublished_report() {
    let (gh, server) = inactivity_world().await;
    let dave = gh.user("dave");
    gh.rename("dave", "dave-renamed");
    let commented = chrono::NaiveDate::from_ymd_opt(2026, 8, 14).unwrap();
    let noon = commented.and_hms_opt(12, 0, 0).unwrap().and_utc();
    gh.advisory_comment(
        "GHSA-pub1-pub1-pub1",
        "dave-renamed",
        "EMBARGO-MARKER-x",
        noon,
    );
    let unpublished_day = chrono::NaiveDate::from_ymd_opt(2026, 9, 23).unwrap();
    gh.advisory_comment(
        "GHSA-cls1-cls1-cls1",
        "ivy",
        "EMBARGO-MARKER-y",
        unpublished_day.and_hms_opt(12, 0, 0).unwrap().and_utc(),
    );
    let roster = inactivity_roster().replace("github_id: 4004", &format!("github_id: {dave}"));
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", &roster);
    let url = server.url();
    let d = dir.path().to_owned();
    let r = tokio::task::spawn_blocking(move || {
        run_inactivity(&d, &url, &["inactivity", "--now", "2026-11-20"])
    })
    .await
    .unwrap();
    assert_eq!(r.code, 0, "{}", r.all());
    let line = |login: &str| {
        r.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{login} ")))
            .unwrap_or_default()
            .to_owned()
    };
    let dave_line = line("dave");
    assert!(
        dave_line.contains("2026-08-14")
            && dave_line.contains("comment on GHSA-pub1-pub1-pub1")
            && dave_line.ends_with("active"),
        "{}",
        r.stdout
    );
    let ivy_line = line("ivy");
    assert!(
        ivy_line.contains("a comment on an unpublished report") && ivy_line.ends_with("active"),
        "{}",
        r.stdout
    );
    for leak in ["GHSA-cls1", "2026-09-23", "EMBARGO-MARKER"] {
        assert!(!r.all().contains(leak), "{leak}: {}", r.all());
    }
    assert!(!r.stdout.contains("not checked"), "{}", r.stdout);

    // Without the preview: said, and the rest of the evidence still counts.
    gh.comments_unavailable("python/cpython");
    let url = server.url();
    let d = dir.path().to_owned();
    let r = tokio::task::spawn_blocking(move || {
        run_inactivity(&d, &url, &["inactivity", "--now", "2026-11-20"])
    })
    .await
    .unwrap();
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("not checked: comments on the advisories of python/cpython"),
        "{}",
        r.stdout
    );
    assert!(
        line_of(&r.stdout, "dave").ends_with("INACTIVE"),
        "{}",
        r.stdout
    );
}

fn line_of(text: &str, login: &str) -> String {
    text.lines()
        .find(|l| l.trim_start().starts_with(&format!("{login} ")))
        .unwrap_or_default()
        .to_owned()
}
