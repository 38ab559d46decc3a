//! Every GitHub operation psrt uses, through Prism validating against
//! GitHub's official OpenAPI description: the fake and the client cannot
//! drift from the real API without this failing.

use psrt::sync::{Service, Status};

use crate::common::*;
use crate::prism::Prism;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Prism: run scripts/test"]
async fn team_sync_operations_match_githubs_description() {
    let (fake, server) = github().await;
    let prism = Prism::start("PSRT_GITHUB_SPEC", &server.url());
    fake.with(|s| s.public_url = Some(prism.url.clone()));
    // Drift that exercises every team operation: pages, roles, an add, an
    // invitation, a removal, a rename, a failed invitation, a stranger's
    // invitation to cancel.
    for i in 0..120 {
        fake.add_to_team(
            "psrt",
            &format!("m{i:03}"),
            if i < 2 { "maintainer" } else { "member" },
        );
    }
    fake.add_to_team("psrt", "gone", "member");
    fake.org_member("newbie");
    fake.user("outsider");
    let renamed = fake.org_member("old-name");
    fake.rename("old-name", "new-name");
    fake.failed_invitation("psrt", "retry-me", "Invitation expired");
    fake.invite("psrt", "stranger");
    let mut members: Vec<(String, bool)> = (0..120).map(|i| (format!("m{i:03}"), i < 2)).collect();
    members[5].1 = true;
    members.extend([
        ("newbie".to_owned(), false),
        ("outsider".to_owned(), false),
        ("retry-me".to_owned(), false),
    ]);
    let list: Vec<(&str, bool)> = members.iter().map(|(l, a)| (l.as_str(), *a)).collect();
    let text = roster_text(&list, "").replace(
        "members:\n",
        &format!("members:\n  - name: Renamed\n    github: old-name\n    github_id: {renamed}\n"),
    );
    // Grants follow the account: the roster records each id.
    let roster = parse_roster(&with_ids(&fake, &text));
    let env = github_env(&prism.url);

    let reports = sync(&roster, &env, &[Service::Github], true, false).await;
    let gh = one(&reports, Service::Github);
    assert!(
        matches!(gh.outcome, Status::Applied),
        "{gh:#?}\n{}",
        prism.log_text()
    );
    assert!(!gh.failed(), "{gh:#?}\n{}", prism.log_text());
    let actions: Vec<&str> = gh.changes.iter().map(|c| c.action).collect();
    for a in ["add", "reinvite", "role", "cancel-invitation", "remove"] {
        assert!(actions.contains(&a), "{a} not exercised: {actions:?}");
    }
    let again = sync(&roster, &env, &[Service::Github], true, false).await;
    assert!(one(&again, Service::Github).changes.is_empty());
    assert_eq!(prism.violations(), Vec::<String>::new());
    // The proxy really was in the path for every page.
    assert!(fake.knobs.log().iter().any(|l| l.path.contains("page=2")));
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Prism: run scripts/test"]
async fn github_app_authentication_matches_githubs_description() {
    let (fake, server) = github().await;
    let prism = Prism::start("PSRT_GITHUB_SPEC", &server.url());
    fake.add_to_team("psrt", "alice", "maintainer");
    fake.add_to_team("psrt", "bob", "maintainer");
    fake.with(|s| {
        s.tokens.clear();
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
        ("GITHUB_API_URL", prism.url.clone()),
    ]);
    let reports = sync(
        &roster(&[("alice", true), ("bob", true)]),
        &env,
        &[Service::Github],
        false,
        false,
    )
    .await;
    assert!(
        matches!(one(&reports, Service::Github).outcome, Status::Planned),
        "{:#?}\n{}",
        reports,
        prism.log_text()
    );
    assert_eq!(prism.violations(), Vec::<String>::new());
}

/// The check itself can fail: a response that breaks the description (a
/// `login` that is a number) and a request that breaks it (a role GitHub does
/// not have) are both stopped by the proxy.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Prism: run scripts/test"]
async fn the_proxy_catches_a_fake_or_a_client_that_drifts() {
    let (fake, server) = github().await;
    let prism = Prism::start("PSRT_GITHUB_SPEC", &server.url());
    fake.knobs.inject(
        psrt_fakes::Fault::new(http::Method::GET, "/members", 200)
            .body(r#"[{"login": 5, "id": "x"}]"#),
    );
    let reports = sync(
        &roster(&[("alice", true), ("bob", true)]),
        &github_env(&prism.url),
        &[Service::Github],
        false,
        false,
    )
    .await;
    let gh = one(&reports, Service::Github);
    assert!(
        matches!(&gh.outcome, Status::ReadFailed { error } if error.contains("500")),
        "{gh:?}"
    );

    let client = reqwest::Client::new();
    let resp = client
        .put(format!(
            "{}/orgs/python/teams/psrt/memberships/alice",
            prism.url
        ))
        .header("authorization", format!("Bearer {TOKEN}"))
        .json(&serde_json::json!({ "role": "owner" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        422,
        "Prism rejects a request outside the description"
    );
    assert!(!prism.violations().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Prism: run scripts/test"]
async fn inactivity_pull_request_operations_match_githubs_description() {
    use crate::inactivity::{POLICY_REPO, inactivity_roster, inactivity_world};
    let (gh, server) = inactivity_world().await;
    let prism = Prism::start("PSRT_GITHUB_SPEC", &server.url());
    gh.with(|s| s.public_url = Some(prism.url.clone()));
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", inactivity_roster());
    for now in ["2026-11-20", "2026-11-21"] {
        let mut cmd = psrt();
        cmd.current_dir(dir.path())
            .args(["inactivity", "--open-pr", "--now", now])
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_API_URL", &prism.url)
            .env("PSRT_GITHUB_WRITE_PAUSE_MS", "0")
            .env("GITHUB_REPOSITORY", POLICY_REPO);
        let r = tokio::task::spawn_blocking(move || run(&mut cmd))
            .await
            .unwrap();
        assert_eq!(r.code, 0, "{}\n{}", r.all(), prism.log_text());
    }
    assert_eq!(gh.pulls(POLICY_REPO).len(), 1);
    let ops: Vec<String> = gh
        .knobs
        .log()
        .iter()
        .map(|l| format!("{} {}", l.method, l.path.split('?').next().unwrap_or("")))
        .collect();
    for want in [
        "PATCH /repos/python/psrt-roster/git/refs/heads/psrt-inactivity-2026",
        "POST /repos/python/psrt-roster/git/refs",
        "PUT /repos/python/psrt-roster/contents/roster.yaml",
        "PATCH /repos/python/psrt-roster/pulls/1",
        "GET /repos/python/cpython-ghsa-tri1/pulls",
    ] {
        assert!(
            ops.iter().any(|o| o == want),
            "{want} not exercised: {ops:#?}"
        );
    }
    assert_eq!(prism.violations(), Vec::<String>::new());
}
