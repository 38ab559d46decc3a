//! `psrt sync` as the workflow runs it: the binary, its output and exit status.

use http::Method;
use psrt_fakes::Fault;

use crate::common::*;

async fn run_psrt(dir: &std::path::Path, args: &[&str], env: &[(&str, String)]) -> Run {
    let mut cmd = psrt();
    cmd.current_dir(dir)
        .args(args)
        .env("PSRT_GITHUB_WRITE_PAUSE_MS", "0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap()
}

fn team_roster(dir: &std::path::Path, fake: &psrt_fakes::github::GitHubFake) {
    let members: Vec<(String, bool)> = (0..8).map(|i| (format!("m{i}"), i < 2)).collect();
    let list: Vec<(&str, bool)> = members.iter().map(|(l, a)| (l.as_str(), *a)).collect();
    write(dir, "roster.yaml", with_ids(fake, &roster_text(&list, "")));
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_text_json_and_apply() {
    let (fake, server) = github().await;
    for i in 0..8 {
        fake.add_to_team(
            "psrt",
            &format!("m{i}"),
            if i == 0 { "maintainer" } else { "member" },
        );
    }
    fake.add_to_team("psrt", "zed", "member");
    let dir = tempfile::tempdir().unwrap();
    team_roster(dir.path(), &fake);
    let env = [
        ("GITHUB_TOKEN", TOKEN.to_owned()),
        ("GITHUB_API_URL", server.url()),
    ];

    let r = run_psrt(dir.path(), &["sync"], &env).await;
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("github python/psrt: 9 now; 2 change(s)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("  ~ role    m1   member → maintainer"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("  - remove  zed  (member)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("dry run, nothing was changed"),
        "{}",
        r.stdout
    );
    assert!(fake.knobs.writes().is_empty());

    let r = run_psrt(dir.path(), &["sync", "--json"], &env).await;
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let changes = v["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0]["service"], "github");
    assert_eq!(changes[0]["action"], "role");
    assert_eq!(changes[0]["subject"], "m1");
    assert_eq!(v["errors"].as_array().unwrap().len(), 0);

    let summary = dir.path().join("summary.md");
    let mut env2 = env.to_vec();
    env2.push(("GITHUB_STEP_SUMMARY", summary.display().to_string()));
    let r = run_psrt(dir.path(), &["sync", "--apply"], &env2).await;
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("✓ - remove  zed"), "{}", r.stdout);
    assert!(
        r.stdout.contains("summary: 2 change(s) applied, 0 failed"),
        "{}",
        r.stdout
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.contains("| github | - remove | zed | (member) | ✓ |"),
        "{md}"
    );
    assert_eq!(fake.knobs.writes().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_write_is_reported_the_rest_go_on_and_the_exit_is_1() {
    let (fake, server) = github().await;
    for i in 0..8 {
        fake.add_to_team(
            "psrt",
            &format!("m{i}"),
            if i < 2 { "maintainer" } else { "member" },
        );
    }
    fake.org_member("new1");
    fake.org_member("new2");
    fake.knobs
        .inject(Fault::new(Method::PUT, "/memberships/new1", 500));
    let dir = tempfile::tempdir().unwrap();
    let members: Vec<(String, bool)> = (0..8)
        .map(|i| (format!("m{i}"), i < 2))
        .chain([("new1".into(), false), ("new2".into(), false)])
        .collect();
    let list: Vec<(&str, bool)> = members.iter().map(|(l, a)| (l.as_str(), *a)).collect();
    write(
        dir.path(),
        "roster.yaml",
        with_ids(&fake, &roster_text(&list, "")),
    );
    let r = run_psrt(
        dir.path(),
        &["sync", "--apply"],
        &[
            ("GITHUB_TOKEN", TOKEN.to_owned()),
            ("GITHUB_API_URL", server.url()),
        ],
    )
    .await;
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stdout.contains("✗ + add  new1"), "{}", r.stdout);
    assert!(r.stdout.contains("✓ + add  new2"), "{}", r.stdout);
    assert!(r.stdout.contains("1 failed"), "{}", r.stdout);
    assert!(fake.team_members("psrt").iter().any(|(l, _)| l == "new2"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_or_empty_roster_syncs_nothing() {
    let (fake, server) = github().await;
    fake.add_to_team("psrt", "alice", "maintainer");
    let env = [
        ("GITHUB_TOKEN", TOKEN.to_owned()),
        ("GITHUB_API_URL", server.url()),
    ];
    let dir = tempfile::tempdir().unwrap();
    for text in [
        "version: 1\ngithub: {org: python, team: psrt}\nmembers: []\n".to_owned(),
        roster_text(&[("alice", true), ("bob", true)], "")
            .replace("github: bob", "github: bob\n    emial: x"),
        String::new(),
    ] {
        write(dir.path(), "roster.yaml", &text);
        let r = run_psrt(
            dir.path(),
            &["sync", "--apply", "--allow-mass-removal"],
            &env,
        )
        .await;
        assert_eq!(r.code, 1, "{}", r.all());
        assert!(r.stderr.contains("nothing was changed"), "{}", r.all());
    }
    assert_eq!(fake.knobs.requests(), 0, "not a single request");
}

/// Issue 22: a service the roster configures that psrt cannot reach is a
/// failed run that names it, dry or applying; `--service` deselecting it is
/// quiet.
#[tokio::test(flavor = "multi_thread")]
async fn missing_credentials_fail_the_run_and_say_what_was_not_done() {
    let dir = tempfile::tempdir().unwrap();
    team_roster(
        dir.path(),
        &psrt_fakes::github::GitHubFake::new("python", TOKEN),
    );
    for args in [&["sync"][..], &["sync", "--apply"]] {
        let r = run_psrt(dir.path(), args, &[]).await;
        assert_eq!(r.code, 1, "{}", r.all());
        assert!(r.stdout.contains("github python/psrt: error: NOT synced: GITHUB_TOKEN (or PSRT_GITHUB_APP_ID and PSRT_GITHUB_APP_KEY) is not set"), "{}", r.stdout);
        assert!(
            r.stdout.contains("NOT checked: github") && !r.stdout.contains("in sync"),
            "{}",
            r.stdout
        );
    }
    // The roster has no mailman or discord section: those are quiet.
    let r = run_psrt(dir.path(), &["sync", "--service", "mailman"], &[]).await;
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("github python/psrt: skipped: not selected (--service)")
            && r.stdout.contains("summary: no service was checked"),
        "{}",
        r.stdout
    );
}

/// Issue 23's last paragraph: after the team could not be read, the summary
/// says what was not checked, never "everything is in sync".
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_read_is_never_summarised_as_in_sync() {
    let (fake, server) = github().await;
    fake.knobs
        .inject(Fault::new(Method::GET, "/orgs/python/teams/psrt/members", 500).times(100));
    let dir = tempfile::tempdir().unwrap();
    team_roster(dir.path(), &fake);
    let env = [
        ("GITHUB_TOKEN", TOKEN.to_owned()),
        ("GITHUB_API_URL", server.url()),
    ];
    let r = run_psrt(dir.path(), &["sync"], &env).await;
    assert_eq!(r.code, 1, "{}", r.all());
    let summary = r.stdout.lines().last().unwrap_or_default();
    assert_eq!(
        summary,
        "summary: nothing was checked; NOT checked: github (see above; nothing was done there)",
        "{}",
        r.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_never_reach_output_or_logs() {
    let (fake, server) = github().await;
    for i in 0..8 {
        fake.add_to_team("psrt", &format!("m{i}"), "member");
    }
    fake.knobs
        .inject(Fault::new(Method::PUT, "/memberships/", 500));
    let dir = tempfile::tempdir().unwrap();
    team_roster(dir.path(), &fake);
    let key = std::fs::read_to_string(fixture("test-app-key.pem")).unwrap();
    let key_line = key.lines().nth(1).unwrap().to_owned();
    let cases: Vec<Vec<(&str, String)>> = vec![
        // a working token, a failing write, the most verbose logs
        vec![
            ("GITHUB_TOKEN", TOKEN.to_owned()),
            ("GITHUB_API_URL", server.url()),
            ("PSRT_LOG", "trace".into()),
        ],
        // a rejected token
        vec![
            ("GITHUB_TOKEN", format!("{TOKEN}x")),
            ("GITHUB_API_URL", server.url()),
            ("PSRT_LOG", "trace".into()),
        ],
        // nobody listening
        vec![
            ("GITHUB_TOKEN", TOKEN.to_owned()),
            ("GITHUB_API_URL", "http://127.0.0.1:9".into()),
            ("PSRT_LOG", "trace".into()),
        ],
        // an App whose key is refused
        vec![
            ("PSRT_GITHUB_APP_ID", "1".into()),
            ("PSRT_GITHUB_APP_KEY", key.clone()),
            ("GITHUB_API_URL", server.url()),
            ("PSRT_LOG", "trace".into()),
        ],
    ];
    for env in cases {
        for args in [&["-vv", "sync", "--apply"][..], &["sync", "--json"][..]] {
            let r = run_psrt(dir.path(), args, &env).await;
            let all = r.all();
            assert!(!all.contains(TOKEN), "token leaked:\n{all}");
            assert!(!all.contains(&key_line), "key leaked:\n{all}");
            assert!(
                !all.contains("ghs_fake_installation"),
                "installation token leaked:\n{all}"
            );
        }
    }
}
