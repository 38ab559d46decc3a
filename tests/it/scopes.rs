//! Least privilege on GitHub: under the GitHub App, every command asks for
//! installation tokens limited to the repositories and permissions it needs
//! (one per organisation and repository), and the fake refuses what a token
//! was not given, so these tests prove the scoping.

use chrono::{Duration, Utc};
use psrt::github::Scope;
use psrt_fakes::github::{FakeAdvisory, FakeApp, FakeInstallation, GitHubFake};

use crate::common::*;

const POLICY_REPO: &str = "python/psrt-roster";

fn two_org_roster() -> String {
    crate::advisories::cve_roster().replace(
        "advisory_repos: [python/cpython]",
        "advisory_repos: [python/cpython, pypa/pip]",
    )
}

fn app_env(url: &str) -> psrt::config::Env {
    env_for(&[
        ("PSRT_GITHUB_APP_ID", "4242".into()),
        (
            "PSRT_GITHUB_APP_KEY",
            std::fs::read_to_string(fixture("test-app-key.pem")).unwrap(),
        ),
        ("GITHUB_API_URL", url.to_owned()),
    ])
}

/// The permissions the operations guide asks for the main App: no
/// Contents, no Issues, no Statuses anywhere (issue 22: a stolen key cannot
/// push to cpython or pip).
pub const MAIN_APP_PERMISSIONS: &[(&str, &str)] = &[
    // psrt audit: the workflows (enabled again on the policy repository
    // only), the workflow files and CODEOWNERS errors (read), and whether
    // each repository accepts private vulnerability reports (read).
    ("actions", "write"),
    ("administration", "read"),
    ("contents", "read"),
    ("members", "write"),
    ("metadata", "read"),
    ("pull_requests", "read"),
    ("repository_advisories", "write"),
];

/// The pull-request App's: installed on the policy repository and the
/// devguide only.
pub const PR_APP_PERMISSIONS: &[(&str, &str)] = &[
    ("contents", "write"),
    ("metadata", "read"),
    ("pull_requests", "write"),
];

pub const PR_APP_ID: u64 = 4343;

fn installation(
    id: u64,
    account: &str,
    repos: Option<&[&str]>,
    perms: &[(&str, &str)],
) -> FakeInstallation {
    FakeInstallation {
        id,
        account: account.to_owned(),
        repos: repos.map(|r| r.iter().map(|x| (*x).to_owned()).collect()),
        permissions: perms
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

/// The main App, installed on `python` (77) and `pypa` (88) with the main
/// App's permissions; the pull-request App (99) on the policy repository
/// and the devguide; no personal token works.
async fn app_world() -> (GitHubFake, psrt_fakes::Running) {
    let (gh, server) = github().await;
    for l in ["alice", "bob", "carol", "gus", "sam", "erin", "frank"] {
        gh.add_to_team("psrt", l, "member");
    }
    gh.with(|s| {
        s.tokens.clear();
        let mut main = FakeApp::new(
            4242,
            &std::fs::read_to_string(fixture("test-app-key.pub.pem")).unwrap(),
        );
        main.installations = vec![
            installation(77, "python", None, MAIN_APP_PERMISSIONS),
            installation(88, "pypa", None, MAIN_APP_PERMISSIONS),
        ];
        s.app = Some(main);
        let mut pr = FakeApp::new(
            PR_APP_ID,
            &std::fs::read_to_string(fixture("test-pr-app-key.pub.pem")).unwrap(),
        );
        pr.installations = vec![installation(
            99,
            "python",
            Some(&["psrt-roster", "devguide"]),
            PR_APP_PERMISSIONS,
        )];
        s.other_apps = vec![pr];
    });
    gh.repo(POLICY_REPO);
    gh.repo("python/devguide");
    gh.advisory(
        FakeAdvisory::new(
            "python/cpython",
            "GHSA-cpy1-0000-0001",
            "draft",
            Utc::now() - Duration::days(1),
        )
        .coordinator("alice"),
    );
    gh.advisory(
        FakeAdvisory::new(
            "pypa/pip",
            "GHSA-pip1-0000-0001",
            "triage",
            Utc::now() - Duration::days(1),
        )
        .coordinator("bob"),
    );
    (gh, server)
}

/// The tokens minted since the last call, sorted (they are minted concurrently).
fn minted(gh: &GitHubFake) -> Vec<String> {
    let mut v: Vec<String> = gh.with(|s| s.minted.drain(..).map(|g| g.to_string()).collect());
    v.sort();
    v
}

async fn advisories_run(
    gh_env: &psrt::config::Env,
    roster: &psrt::roster::Roster,
    apply: bool,
    cve: Option<&psrt::cve::CveServices>,
) -> psrt::advisories::Report {
    let github = psrt::github::GitHub::connect(
        gh_env.github.as_ref().unwrap(),
        psrt::advisories::github_scope(roster, apply),
        psrt::github::Tuning::local(),
    )
    .await
    .unwrap();
    let mut ledger = psrt::ledger::Ledger::default();
    psrt::advisories::run(
        &github,
        roster,
        psrt::advisories::Options {
            apply,
            now: Utc::now(),
            mailer: None,
            templates: &psrt::notify::Templates::built_in(),
            cve: cve.ok_or_else(|| "not configured".to_owned()),
            ledger: &mut ledger,
            public: false,
            run_url: None,
        },
    )
    .await
}

#[tokio::test]
async fn each_advisory_repository_gets_its_own_installation_token() {
    let (gh, server) = app_world().await;
    let (_cve, cve_server) = crate::advisories::cve_services().await;
    let cve = crate::advisories::cve_client(&cve_server.url(), crate::advisories::CVE_KEY);
    let roster = parse_roster(&two_org_roster());
    let env = app_env(&server.url());

    let mut scopes = String::new();
    let dry = advisories_run(&env, &roster, false, Some(&cve)).await;
    assert!(!dry.failed(), "{}", dry.text());
    scopes.push_str(&format!(
        "psrt advisories\n  {}\n",
        minted(&gh).join("\n  ")
    ));
    let applied = advisories_run(&env, &roster, true, Some(&cve)).await;
    assert!(!applied.failed(), "{}", applied.text());
    let pip = gh.get_advisory("GHSA-pip1-0000-0001").unwrap();
    assert_eq!(pip.collaborating_teams, ["psrt"]);
    scopes.push_str(&format!(
        "psrt advisories --apply\n  {}\n",
        minted(&gh).join("\n  ")
    ));
    // The next run reads the new fork with a token of its own.
    let again = advisories_run(&env, &roster, true, Some(&cve)).await;
    assert!(again.reports.is_empty(), "{}", again.text());
    scopes.push_str(&format!(
        "psrt advisories --apply (the next hour: the fork exists)\n  {}\n",
        minted(&gh).join("\n  ")
    ));
    let lookups: Vec<String> = gh
        .knobs
        .log()
        .iter()
        .filter(|l| l.path.ends_with("/installation"))
        .map(|l| l.path.clone())
        .collect();
    assert!(
        lookups.contains(&"/repos/pypa/pip/installation".to_owned()),
        "{lookups:?}"
    );
    assert!(
        lookups.contains(&"/repos/python/cpython/installation".to_owned()),
        "{lookups:?}"
    );
    insta::assert_snapshot!("installation_token_scopes_advisories", scopes);
}

#[tokio::test]
async fn a_token_reaches_only_its_repository_and_permissions() {
    let (gh, server) = app_world().await;
    let roster = parse_roster(&two_org_roster());
    let env = app_env(&server.url());
    let dry = advisories_run(&env, &roster, false, None).await;
    assert!(!dry.failed(), "{}", dry.text());
    let tokens: Vec<(String, psrt_fakes::github::Grant)> =
        gh.with(|s| s.installation_tokens.clone().into_iter().collect());
    let cpython = tokens
        .iter()
        .find(|(_, g)| g.repos.as_deref() == Some(&["cpython".to_owned()][..]))
        .map(|(t, _)| t.clone())
        .expect("a token for cpython");
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, path: &str, body: Option<serde_json::Value>| {
        let mut req = http
            .request(method, format!("{}{path}", server.url()))
            .bearer_auth(&cpython);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send()
    };
    let ok = call(
        reqwest::Method::GET,
        "/repos/python/cpython/security-advisories",
        None,
    )
    .await
    .unwrap();
    assert_eq!(ok.status(), 200);
    let other_repo = call(
        reqwest::Method::GET,
        "/repos/pypa/pip/security-advisories",
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        other_repo.status(),
        404,
        "a token for cpython does not reach pip"
    );
    let same_org_other_repo = call(
        reqwest::Method::GET,
        "/repos/python/psrt-roster/contents/roster.yaml",
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        same_org_other_repo.status(),
        404,
        "nor another repository of its org"
    );
    let write = call(
        reqwest::Method::PATCH,
        "/repos/python/cpython/security-advisories/GHSA-cpy1-0000-0001",
        Some(serde_json::json!({ "collaborating_teams": [] })),
    )
    .await
    .unwrap();
    assert_eq!(write.status(), 403, "a dry run's token cannot write");
    let team = call(
        reqwest::Method::GET,
        "/orgs/python/teams/psrt/members",
        None,
    )
    .await
    .unwrap();
    assert_eq!(team.status(), 403, "nor read the org's teams");
    assert!(
        gh.get_advisory("GHSA-cpy1-0000-0001")
            .unwrap()
            .collaborating_teams
            .is_empty()
    );
    // And psrt itself refuses a request outside the command's scope.
    let github = psrt::github::GitHub::connect(
        env.github.as_ref().unwrap(),
        psrt::deadlines::github_scope(&roster),
        psrt::github::Tuning::local(),
    )
    .await
    .unwrap();
    let e = github
        .repository_exists(&POLICY_REPO.parse().unwrap())
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("outside this command's GitHub scope"),
        "{e}"
    );
}

#[tokio::test]
async fn a_repository_the_app_is_not_installed_on_is_an_error_for_it_alone() {
    let (gh, server) = app_world().await;
    gh.with(|s| {
        if let Some(app) = s.app.as_mut() {
            app.installations.retain(|i| i.account != "pypa");
        }
    });
    let roster = parse_roster(&two_org_roster());
    let r = advisories_run(&app_env(&server.url()), &roster, true, None).await;
    assert!(r.failed());
    let text = r.text();
    assert!(
        text.contains("advisories pypa/pip: error:")
            && text.contains("the GitHub App is not installed on pypa/pip"),
        "{text}"
    );
    assert!(
        text.contains("advisories python/cpython: 1 unpublished report(s) read"),
        "{text}"
    );
    assert_eq!(
        gh.get_advisory("GHSA-cpy1-0000-0001")
            .unwrap()
            .collaborating_teams,
        ["psrt"],
        "the other repository went on"
    );
}

/// What each command asks for, as the App mints it: run each command (the
/// binary, as the workflows do) and list the tokens the fake minted.
#[tokio::test(flavor = "multi_thread")]
async fn every_command_asks_for_its_own_scope() {
    let (gh, server) = app_world().await;
    gh.commit(
        POLICY_REPO,
        "main",
        &[("roster.yaml", &two_org_roster())],
        "roster",
    );
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", two_org_roster());
    let key = std::fs::read_to_string(fixture("test-app-key.pem")).unwrap();
    let pr_key = std::fs::read_to_string(fixture("test-pr-app-key.pem")).unwrap();
    gh.team("steering-council");
    let mut out = String::new();
    for args in [
        &["sync", "--service", "github"][..],
        &["sync", "--service", "github", "--apply"],
        &["check", "--online"],
        &["advisories"],
        &["advisories", "--apply"],
        &["deadlines"],
        &["inactivity"],
        &["inactivity", "--open-pr"],
        &["publish", "--open-pr"],
        &["audit"],
        &["audit", "--apply"],
    ] {
        minted(&gh);
        let mut cmd = psrt();
        cmd.current_dir(dir.path())
            .args(args)
            .env("PSRT_GITHUB_APP_ID", "4242")
            .env("PSRT_GITHUB_APP_KEY", &key)
            .env("PSRT_PR_APP_ID", PR_APP_ID.to_string())
            .env("PSRT_PR_APP_KEY", &pr_key)
            .env("GITHUB_API_URL", server.url())
            .env("GITHUB_REPOSITORY", POLICY_REPO)
            .env("PSRT_GITHUB_WRITE_PAUSE_MS", "0");
        let r = tokio::task::spawn_blocking(move || run(&mut cmd))
            .await
            .unwrap();
        assert!(
            !r.all().contains("outside this command's GitHub scope")
                && !r.all().contains("Resource not accessible")
                && !r.all().contains("not granted to this installation"),
            "psrt {}: {}",
            args.join(" "),
            r.all()
        );
        if args.contains(&"--open-pr") {
            assert_eq!(r.code, 0, "psrt {}: {}", args.join(" "), r.all());
        }
        out.push_str(&format!("psrt {}\n", args.join(" ")));
        for m in minted(&gh) {
            out.push_str(&format!("  {m}\n"));
        }
    }
    insta::assert_snapshot!("installation_token_scopes_per_command", out);
}

/// Issue 22, item 6: the pull requests go through the pull-request App
/// alone. Without it, `--open-pr` fails before any write and names the
/// variables; the main App cannot stand in for it (it holds no Contents
/// write: GitHub refuses the token), and the pull-request App reaches
/// neither cpython nor the team.
#[tokio::test(flavor = "multi_thread")]
async fn only_the_pull_request_app_writes_contents() {
    let (gh, server) = app_world().await;
    gh.commit(
        POLICY_REPO,
        "main",
        &[("roster.yaml", &two_org_roster())],
        "roster",
    );
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", two_org_roster());
    let key = std::fs::read_to_string(fixture("test-app-key.pem")).unwrap();
    for args in [&["inactivity", "--open-pr"][..], &["publish", "--open-pr"]] {
        let mut cmd = psrt();
        cmd.current_dir(dir.path())
            .args(args)
            .env("PSRT_GITHUB_APP_ID", "4242")
            .env("PSRT_GITHUB_APP_KEY", &key)
            .env("GITHUB_API_URL", server.url())
            .env("GITHUB_REPOSITORY", POLICY_REPO);
        let r = tokio::task::spawn_blocking(move || run(&mut cmd))
            .await
            .unwrap();
        assert_eq!(r.code, 1, "{}", r.all());
        assert!(
            r.stderr
                .contains("needs the pull-request App: PSRT_PR_APP_ID, PSRT_PR_APP_KEY"),
            "{}",
            r.stderr
        );
    }
    assert!(gh.knobs.writes().is_empty(), "nothing was written");
    // The main App's installation cannot mint Contents write at all...
    let main = psrt::config::Env::from_vars(
        &[
            ("PSRT_GITHUB_APP_ID", "4242".to_owned()),
            ("PSRT_GITHUB_APP_KEY", key.clone()),
            ("GITHUB_API_URL", server.url()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    );
    let as_main = psrt::github::GitHub::connect(
        main.github.as_ref().unwrap(),
        psrt::inactivity::pull_request_scope("python", POLICY_REPO),
        psrt::github::Tuning::local(),
    )
    .await
    .unwrap();
    let e = as_main
        .repository(&POLICY_REPO.parse().unwrap())
        .await
        .unwrap_err();
    assert!(
        format!("{e:#}").contains("not granted to this installation"),
        "{e:#}"
    );
    // ...and the pull-request App reaches neither cpython nor the team.
    let pr = psrt::config::Env::from_vars(
        &[
            ("PSRT_PR_APP_ID", PR_APP_ID.to_string()),
            (
                "PSRT_PR_APP_KEY",
                std::fs::read_to_string(fixture("test-pr-app-key.pem")).unwrap(),
            ),
            ("GITHUB_API_URL", server.url()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    );
    let as_pr = psrt::github::GitHub::connect(
        pr.pull_requests.as_ref().unwrap(),
        psrt::advisories::github_scope(&parse_roster(&two_org_roster()), true),
        psrt::github::Tuning::local(),
    )
    .await
    .unwrap();
    let path = "/repos/python/cpython/security-advisories";
    assert!(
        as_pr
            .advisories(&"python/cpython".parse().unwrap(), None)
            .await
            .is_err(),
        "the pull-request App read {path}"
    );
    let path = "/orgs/python/teams/psrt/members";
    assert!(
        as_pr.team_members("python", "psrt").await.is_err(),
        "the pull-request App read {path}"
    );
}

/// `docs/operations.md` has the table of commands and scopes: each row is
/// what the code asks for.
#[test]
fn the_operations_guide_lists_each_commands_scope() {
    let docs = std::fs::read_to_string(repo_root().join("docs/operations.md")).unwrap();
    let roster = parse_roster(&two_org_roster());
    let cell = |p: &psrt::github::Permissions| {
        if p.is_empty() {
            "—".to_owned()
        } else {
            p.to_string()
        }
    };
    let repos = |s: &Scope, which: &[String]| {
        let mut p = psrt::github::Permissions::default();
        for r in which {
            if let Some(x) = s.repos.get(&r.to_ascii_lowercase()) {
                p.add(&x.iter().collect::<Vec<_>>());
            }
        }
        cell(&p)
    };
    let row = |name: &str, s: &Scope, other: &str| {
        format!(
            "| `{name}` | {} | {} | {} | {other} |",
            cell(&s.org_permissions),
            repos(s, &roster.github.advisory_repos),
            s.forks.as_ref().map_or("—".to_owned(), cell),
        )
    };
    let policy = |s: &Scope| {
        s.repos
            .get(POLICY_REPO)
            .map_or("—".to_owned(), |p| format!("policy repository: {p}"))
    };
    let audit_cell = |s: &Scope| {
        format!(
            "{}; every other repository of the organisation: {}",
            policy(s),
            s.org_repos.as_ref().map_or("—".to_owned(), cell)
        )
    };
    let inactivity = psrt::inactivity::github_scope(&roster);
    let inactivity_pr = psrt::inactivity::pull_request_scope("python", POLICY_REPO);
    let approvals = psrt::approvals::github_scope("python", POLICY_REPO, false);
    let publishing = psrt::approvals::github_scope("python", POLICY_REPO, true);
    let devguide = psrt::devguide::github_scope("python", psrt::devguide::DEFAULT_REPO);
    let devguide_cell = devguide
        .repos
        .get(psrt::devguide::DEFAULT_REPO)
        .map_or("—".to_owned(), |p| {
            format!("the devguide: {p} (the pull-request App)")
        });
    let rows = [
        row(
            "psrt sync",
            &psrt::sync::github_team::scope(&roster, false),
            "—",
        ),
        row(
            "psrt sync --apply",
            &psrt::sync::github_team::scope(&roster, true),
            "—",
        ),
        row(
            "psrt check --online",
            &psrt::online::github_scope(&roster),
            "—",
        ),
        row(
            "psrt advisories",
            &psrt::advisories::github_scope(&roster, false),
            "—",
        ),
        row(
            "psrt advisories --apply",
            &psrt::advisories::github_scope(&roster, true),
            "—",
        ),
        row(
            "psrt deadlines [--send]",
            &psrt::deadlines::github_scope(&roster),
            "—",
        ),
        row(
            "psrt inactivity",
            &psrt::inactivity::github_scope(&roster),
            "—",
        ),
        row(
            "psrt inactivity --open-pr",
            &inactivity,
            &format!("{} (the pull-request App)", policy(&inactivity_pr)),
        ),
        row("psrt approvals --pr N", &approvals, &policy(&approvals)),
        row(
            "psrt approvals --pr N --publish",
            &publishing,
            &policy(&publishing),
        ),
        row("psrt approvals --all", &approvals, &policy(&approvals)),
        row(
            "psrt approvals --all --publish",
            &publishing,
            &policy(&publishing),
        ),
        row(
            "psrt announce GHSA-ID",
            &psrt::announce::github_scope("python", &roster.github.advisory_repos),
            "—",
        ),
        row("psrt publish --open-pr", &devguide, &devguide_cell),
        row(
            "psrt audit",
            &psrt::audit::github_scope(&roster, POLICY_REPO, false),
            &audit_cell(&psrt::audit::github_scope(&roster, POLICY_REPO, false)),
        ),
        row(
            "psrt audit --apply",
            &psrt::audit::github_scope(&roster, POLICY_REPO, true),
            &audit_cell(&psrt::audit::github_scope(&roster, POLICY_REPO, true)),
        ),
    ];
    let missing: Vec<&String> = rows.iter().filter(|r| !docs.contains(r.as_str())).collect();
    assert!(
        missing.is_empty(),
        "docs/operations.md lacks the rows:\n{}",
        missing
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The installation lookups per repository and the scoped token requests
/// (`repositories`, `permissions`), through Prism with GitHub's description.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Prism: run scripts/test"]
async fn scoped_installation_tokens_match_githubs_description() {
    let (gh, server) = app_world().await;
    let prism = crate::prism::Prism::start("PSRT_GITHUB_SPEC", &server.url());
    gh.with(|s| s.public_url = Some(prism.url.clone()));
    let roster = parse_roster(&two_org_roster());
    let env = app_env(&prism.url);
    for apply in [true, true] {
        let r = advisories_run(&env, &roster, apply, None).await;
        assert!(!r.failed(), "{}\n{}", r.text(), prism.log_text());
    }
    let ops: Vec<String> = gh
        .knobs
        .log()
        .iter()
        .map(|l| format!("{} {}", l.method, l.path))
        .collect();
    for want in [
        "GET /repos/python/cpython/installation",
        "GET /repos/pypa/pip/installation",
        "POST /app/installations/77/access_tokens",
        "POST /app/installations/88/access_tokens",
        "GET /repos/python/cpython-ghsa-cpy1-0000-0001/pulls?state=all&per_page=100",
    ] {
        assert!(
            ops.iter().any(|o| o == want),
            "{want} not exercised: {ops:#?}"
        );
    }
    assert_eq!(prism.violations(), Vec::<String>::new());
}
