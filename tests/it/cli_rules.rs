//! Issue 22: the command line's own rules. A preview of the future never
//! writes; `--repo` is `owner/name`; `psrt demo` refuses `--roster`;
//! `PSRT_MODE` is `plan` or `apply`, and `plan` drops every write flag; the
//! one-off flags a dispatch asks for are honoured for an admin only, and
//! each use is emailed to the admins.

use chrono::{Duration, Utc};

use crate::common::*;

fn in_dir(dir: &std::path::Path, args: &[&str], env: &[(&str, String)]) -> Run {
    let mut cmd = psrt();
    cmd.current_dir(dir)
        .args(args)
        .env("PSRT_GITHUB_WRITE_PAUSE_MS", "0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

fn roster_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "roster.yaml",
        roster_text(&[("alice", true), ("bob", true), ("carol", false)], ""),
    );
    dir
}

#[test]
fn a_now_after_the_clock_with_a_write_flag_is_a_usage_error() {
    let dir = roster_dir();
    let tomorrow = (Utc::now() + Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let future = (Utc::now() + Duration::minutes(5)).to_rfc3339();
    for now in [tomorrow.as_str(), future.as_str(), "2099-06-01"] {
        for args in [
            &["deadlines", "--send", "--now", now][..],
            &["advisories", "--apply", "--now", now],
            &["inactivity", "--open-pr", "--now", now],
            &["approvals", "--pr", "5", "--publish", "--now", now],
        ] {
            let r = in_dir(dir.path(), args, &[]);
            assert_eq!(r.code, 2, "{args:?}: {}", r.all());
            assert!(
                r.stderr.contains("is after the real clock")
                    && r.stderr
                        .contains("a preview of the future never sends, writes or records"),
                "{args:?}: {}",
                r.stderr
            );
        }
    }
    // A preview without a write flag, and a write flag with a past --now,
    // are not usage errors (they go on, and fail later for want of GitHub).
    for args in [
        &["deadlines", "--now", "2099-06-01"][..],
        &["advisories", "--now", "2099-06-01"],
        &["inactivity", "--now", "2099-06-01"],
        &["deadlines", "--send", "--now", "2026-01-01"],
        &["advisories", "--apply", "--now", "2026-01-01T00:00:00Z"],
    ] {
        let r = in_dir(dir.path(), args, &[]);
        assert_eq!(r.code, 1, "{args:?}: {}", r.all());
        assert!(!r.stderr.contains("after the real clock"), "{}", r.stderr);
    }
}

#[test]
fn repo_is_owner_slash_name_and_nothing_else() {
    let dir = roster_dir();
    for bad in [
        "https://github.com/python/cpython",
        "github.com/python/cpython",
        "python",
        "python/cpython/",
        "/cpython",
        "python/",
        "python/..",
        "python--x/cpython",
        "py thon/cpython",
        "python/cpython.git?x=1",
    ] {
        for args in [
            &["--repo", bad, "inactivity"][..],
            &["approvals", "--pr", "1", "--repo", bad],
            &["announce", "GHSA-aaaa-bbbb-cccc", "--repo", bad],
            &["publish", "--open-pr", "--devguide", bad],
        ] {
            let r = in_dir(dir.path(), args, &[]);
            assert_eq!(r.code, 2, "{args:?}: {}", r.all());
            assert!(
                r.stderr
                    .contains("expected a GitHub repository as owner/name (python/cpython)"),
                "{args:?}: {}",
                r.stderr
            );
        }
    }
    // Well formed: the command goes on (and fails later without GitHub).
    for good in [
        "python/cpython",
        "pypa/pip",
        "python/psrt.roster",
        "a-b/c_d.e",
    ] {
        let r = in_dir(dir.path(), &["approvals", "--pr", "1", "--repo", good], &[]);
        assert_eq!(r.code, 1, "{good}: {}", r.all());
    }
}

#[test]
fn the_demo_refuses_a_roster_it_would_not_use() {
    let dir = roster_dir();
    let r = in_dir(dir.path(), &["--roster", "roster.yaml", "demo"], &[]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.stderr
            .contains("psrt demo runs its own example roster (examples/roster.yaml)"),
        "{}",
        r.stderr
    );
    let r = in_dir(dir.path(), &["demo", "--roster", "other.yaml"], &[]);
    assert_eq!(r.code, 2, "{}", r.all());
}

#[test]
fn psrt_mode_must_be_plan_or_apply() {
    let dir = roster_dir();
    for bad in ["", "aply", "Plan", "apply ", "true"] {
        let r = in_dir(
            dir.path(),
            &["sync", "--apply"],
            &[("PSRT_MODE", bad.to_owned())],
        );
        assert_eq!(r.code, 2, "PSRT_MODE={bad:?}: {}", r.all());
        assert!(
            r.stderr.contains("PSRT_MODE is") && r.stderr.contains("`plan`"),
            "{}",
            r.stderr
        );
    }
}

/// The plan-only week as the workflows run it: the same command lines,
/// `PSRT_MODE=plan`, and nothing written; then `apply`.
#[tokio::test(flavor = "multi_thread")]
async fn plan_mode_writes_nothing_and_apply_mode_writes() {
    let (fake, server) = github().await;
    fake.add_to_team("psrt", "alice", "maintainer");
    fake.add_to_team("psrt", "zed", "member");
    for l in ["bob", "carol", "dan", "eve"] {
        fake.add_to_team("psrt", l, "member");
    }
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "roster.yaml",
        roster_text(
            &[
                ("alice", true),
                ("bob", true),
                ("carol", false),
                ("dan", false),
                ("eve", false),
            ],
            "",
        ),
    );
    let summary = dir.path().join("summary.md");
    let env = |mode: &str| {
        vec![
            ("GITHUB_TOKEN", TOKEN.to_owned()),
            ("GITHUB_API_URL", server.url()),
            ("PSRT_MODE", mode.to_owned()),
            ("GITHUB_ACTIONS", "true".to_owned()),
            ("GITHUB_STEP_SUMMARY", summary.display().to_string()),
        ]
    };
    let d = dir.path().to_owned();
    let plan = tokio::task::spawn_blocking({
        let env = env("plan");
        move || in_dir(&d, &["sync", "--apply"], &env)
    })
    .await
    .unwrap();
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(
        plan.stderr.contains(
            "note: plan mode (PSRT_MODE=plan): --apply dropped; nothing is written this run"
        ),
        "{}",
        plan.stderr
    );
    assert!(
        plan.stdout.contains("::notice title=psrt plan mode::")
            && plan.stdout.contains("- remove  zed")
            && plan
                .stdout
                .contains("this was a dry run, nothing was changed"),
        "{}",
        plan.stdout
    );
    assert!(fake.knobs.writes().is_empty(), "plan mode wrote");

    let d = dir.path().to_owned();
    let apply = tokio::task::spawn_blocking({
        let env = env("apply");
        move || in_dir(&d, &["sync", "--apply"], &env)
    })
    .await
    .unwrap();
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(!apply.all().contains("plan mode"), "{}", apply.all());
    assert!(!fake.knobs.writes().is_empty(), "apply mode wrote nothing");
}

/// Plan mode needs what a writing run needs: a lost SMTP secret shows in
/// the first week, not on the first applying night.
#[tokio::test(flavor = "multi_thread")]
async fn plan_mode_fails_for_a_credential_the_writes_would_need() {
    let (_fake, server) = github().await;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "roster.yaml",
        roster_text(
            &[("alice", true), ("bob", true)],
            "email:\n  from: \"PSRT <psrt@example.org>\"\n",
        ),
    );
    let env = vec![
        ("GITHUB_TOKEN", TOKEN.to_owned()),
        ("GITHUB_API_URL", server.url()),
        ("PSRT_MODE", "plan".to_owned()),
    ];
    let d = dir.path().to_owned();
    let r = tokio::task::spawn_blocking(move || in_dir(&d, &["deadlines", "--send"], &env))
        .await
        .unwrap();
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stdout
            .contains("NOT sent: psrt deadlines --send needs SMTP: PSRT_SMTP_URL is not set"),
        "{}",
        r.all()
    );
}

/// A dispatch's `--allow-mass-removal`: refused (nothing done, exit 1) for a
/// schedule, for a member who is not an admin, for an admin's login held
/// by another account, and for a re-run by someone else; honoured for an
/// admin by account id, logged, and emailed to the admins first.
#[tokio::test(flavor = "multi_thread")]
async fn a_dispatch_override_is_honoured_for_an_admin_only_and_emailed() {
    let (fake, server) = github().await;
    for (l, id) in [("alice", 501), ("bob", 502)] {
        fake.add_to_team_with_id("psrt", l, id, "maintainer");
    }
    for l in ["x1", "x2", "x3", "x4"] {
        fake.add_to_team("psrt", l, "member");
    }
    fake.org_member_with_id("carol", 503);
    let sink = psrt_fakes::smtp::SmtpSink::default();
    let smtp = sink.start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let roster = "version: 1
github:
  org: python
  team: psrt
email:
  from: \"PSRT <psrt@example.org>\"
members:
  - name: Alice
    github: alice
    github_id: 501
    email: alice@example.org
    roles: [admin]
  - name: Bob
    github: bob
    github_id: 502
    email: bob@example.org
    roles: [admin]
  - name: Carol
    github: carol
    github_id: 503
";
    write(dir.path(), "roster.yaml", roster);
    let base = vec![
        ("GITHUB_TOKEN", TOKEN.to_owned()),
        ("GITHUB_API_URL", server.url()),
        (
            "PSRT_SMTP_URL",
            format!("smtp://127.0.0.1:{}?tls=none", smtp.port),
        ),
        ("PSRT_DISPATCH_ALLOW_MASS_REMOVAL", "true".to_owned()),
        ("GITHUB_SERVER_URL", "https://github.com".to_owned()),
        ("GITHUB_REPOSITORY", "python/psrt".to_owned()),
        ("GITHUB_RUN_ID", "77".to_owned()),
        ("GITHUB_RUN_ATTEMPT", "1".to_owned()),
    ];
    let with = |event: &str, actor: &str, id: &str, triggering: &str| {
        let mut e = base.clone();
        e.push(("GITHUB_EVENT_NAME", event.to_owned()));
        e.push(("GITHUB_ACTOR", actor.to_owned()));
        e.push(("GITHUB_ACTOR_ID", id.to_owned()));
        e.push(("GITHUB_TRIGGERING_ACTOR", triggering.to_owned()));
        e
    };
    for (env, why) in [
        (
            with("schedule", "alice", "501", "alice"),
            "outside a workflow dispatched by hand",
        ),
        (
            with("workflow_dispatch", "carol", "503", "carol"),
            "not a roster admin",
        ),
        (
            with("workflow_dispatch", "alice", "999", "alice"),
            "account id 999",
        ),
        (
            with("workflow_dispatch", "alice", "501", "mallory"),
            "started by `mallory`",
        ),
    ] {
        let d = dir.path().to_owned();
        let r = tokio::task::spawn_blocking(move || in_dir(&d, &["sync", "--apply"], &env))
            .await
            .unwrap();
        assert_eq!(r.code, 1, "{}", r.all());
        assert!(
            r.stderr.contains(why) && r.stderr.contains("nothing was done"),
            "{why}: {}",
            r.stderr
        );
        assert_eq!(fake.knobs.requests(), 0, "{why}: a request was made");
        assert!(sink.messages().is_empty());
    }
    // Without the override the valve stops the removal of 4 of 6.
    let mut env = with("workflow_dispatch", "alice", "501", "alice");
    env.retain(|(k, _)| *k != "PSRT_DISPATCH_ALLOW_MASS_REMOVAL");
    let d = dir.path().to_owned();
    let r = tokio::task::spawn_blocking(move || in_dir(&d, &["sync", "--apply"], &env))
        .await
        .unwrap();
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stdout.contains("--allow-mass-removal"), "{}", r.stdout);
    assert!(fake.knobs.writes().is_empty());
    // An admin, by account id: honoured, announced, emailed first.
    let env = with("workflow_dispatch", "alice", "501", "alice");
    let d = dir.path().to_owned();
    let r = tokio::task::spawn_blocking(move || in_dir(&d, &["sync", "--apply"], &env))
        .await
        .unwrap();
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains(
            "override: --allow-mass-removal used by admin alice (account id 501), dispatched by hand: https://github.com/python/psrt/actions/runs/77/attempts/1; the admins were emailed"
        ),
        "{}",
        r.stdout
    );
    let mails = sink.messages();
    assert_eq!(mails.len(), 1);
    let to = mails[0].header("To").unwrap_or_default();
    assert!(
        to.contains("alice@example.org") && to.contains("bob@example.org"),
        "{to}"
    );
    assert!(
        mails[0]
            .header("Subject")
            .is_some_and(|s| s.contains("--allow-mass-removal used in a workflow run by alice")),
        "{:?}",
        mails[0].header("Subject")
    );
    assert_eq!(fake.team_members("psrt").len(), 3, "the mass removal ran");
}

/// The override is refused when the admins cannot be told.
#[test]
fn an_override_that_cannot_be_emailed_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "roster.yaml",
        "version: 1\ngithub: {org: python, team: psrt}\nemail:\n  from: \"PSRT <psrt@example.org>\"\nmembers:\n  - name: A\n    github: alice\n    github_id: 501\n    email: alice@example.org\n    roles: [admin]\n  - name: B\n    github: bob\n    github_id: 502\n    roles: [admin]\n",
    );
    let env = vec![
        ("PSRT_DISPATCH_RESET_LEDGER", "true".to_owned()),
        ("GITHUB_EVENT_NAME", "workflow_dispatch".to_owned()),
        ("GITHUB_ACTOR", "alice".to_owned()),
        ("GITHUB_ACTOR_ID", "501".to_owned()),
        ("GITHUB_TRIGGERING_ACTOR", "alice".to_owned()),
        ("GITHUB_TOKEN", TOKEN.to_owned()),
    ];
    let r = in_dir(dir.path(), &["deadlines", "--send"], &env);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("--reset-ledger is not honoured: the admins could not be told (PSRT_SMTP_URL is not set)"),
        "{}",
        r.stderr
    );
}

/// Issue 22: an invitation that expired twice is flagged to the admins by
/// email, once, by the nightly `psrt sync --apply`, and named in the plan
/// every run; it is never sent a third time.
#[tokio::test(flavor = "multi_thread")]
async fn an_invitation_that_failed_twice_is_emailed_to_the_admins_once() {
    let (fake, server) = github().await;
    for (l, id) in [("alice", 501), ("bob", 502)] {
        fake.add_to_team_with_id("psrt", l, id, "maintainer");
    }
    fake.failed_invitation("psrt", "dana", "Invitation expired.");
    fake.failed_invitation("psrt", "dana", "Invitation expired.");
    let dana = fake.with(|s| s.user_by_login("dana").unwrap().id);
    let sink = psrt_fakes::smtp::SmtpSink::default();
    let smtp = sink.start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let roster = format!(
        "version: 1
github:
  org: python
  team: psrt
email:
  from: \"PSRT <psrt@example.org>\"
members:
  - name: Alice
    github: alice
    github_id: 501
    email: alice@example.org
    roles: [admin]
  - name: Bob
    github: bob
    github_id: 502
    email: bob@example.org
    roles: [admin]
  - name: Dana
    github: dana
    github_id: {dana}
"
    );
    write(dir.path(), "roster.yaml", &roster);
    let env = [
        ("GITHUB_TOKEN", TOKEN.to_owned()),
        ("GITHUB_API_URL", server.url()),
        (
            "PSRT_SMTP_URL",
            format!("smtp://127.0.0.1:{}?tls=none", smtp.port),
        ),
    ];
    let sync = |args: &[&str]| {
        let mut cmd = psrt();
        cmd.current_dir(dir.path())
            .args(args)
            .env("PSRT_GITHUB_WRITE_PAUSE_MS", "0");
        for (k, v) in &env {
            cmd.env(k, v);
        }
        tokio::task::spawn_blocking(move || run(&mut cmd))
    };
    // The plan names it; a dry run emails nobody.
    let r = sync(&["sync", "--service", "github"]).await.unwrap();
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("warning: `dana`'s invitation failed 2 times"),
        "{}",
        r.stdout
    );
    assert!(sink.messages().is_empty());
    // The writing run: no third invitation, one email to the admins.
    let r = sync(&["sync", "--service", "github", "--apply"])
        .await
        .unwrap();
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("the admins were emailed about 1 invitation(s) that failed twice"),
        "{}",
        r.stdout
    );
    assert!(fake.knobs.writes().is_empty(), "{:?}", fake.knobs.writes());
    let sent = sink.messages();
    assert_eq!(sent.len(), 1);
    let m = &sent[0];
    assert!(
        m.header("To")
            .is_some_and(|t| t.contains("alice@example.org") && t.contains("bob@example.org"))
    );
    assert!(
        m.header("Subject")
            .is_some_and(|s| s.contains("1 team invitation(s) failed twice")),
        "{:?}",
        m.header("Subject")
    );
    assert!(
        m.body().contains("The invitation of `dana`"),
        "{}",
        m.body()
    );
}
