//! `psrt check --online` against the GitHub fake.

use crate::common::*;

/// A fake with: alice (id recorded, right), bob (renamed since), carol (no
/// such user), dave (not in an eligibility team), erin (legacy), the team,
/// and one advisory repository of two.
async fn world() -> (psrt_fakes::github::GitHubFake, psrt_fakes::Running, String) {
    let (fake, server) = github().await;
    let alice = fake.org_member("alice");
    let bob = fake.org_member("bob");
    fake.org_member("dave");
    fake.org_member("erin");
    fake.rename("bob", "bob-renamed");
    fake.add_to_team("python-core", "alice", "member");
    fake.add_to_team("python-core", "bob-renamed", "member");
    fake.add_to_team("steering-council", "sc1", "member");
    fake.repo("python/cpython");
    let text = format!(
        r#"version: 1
github:
  org: python
  team: psrt
  advisory_repos: [python/cpython, pypa/pip]
  eligibility_teams: [python-core]
  steering_council_team: steering-council
members:
  - name: Alice
    github: alice
    github_id: {alice}
    roles: [admin]
  - name: Bob
    github: bob
    github_id: {bob}
    roles: [admin]
  - name: Carol
    github: carol
  - name: Dave
    github: dave
  - name: Erin
    github: erin
    legacy: true
"#
    );
    (fake, server, text)
}

fn rules(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| {
            let (_, rest) = l.split_once(": ")?;
            let kind = rest.split(':').next()?;
            kind.contains('[').then(|| kind.to_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn online_check_reports_renames_unknown_logins_eligibility_and_repos() {
    let (_fake, server, text) = world().await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", &text);
    let mut cmd = psrt();
    cmd.current_dir(dir.path())
        .args(["check", "--online"])
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", server.url());
    let r = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap();
    assert_eq!(r.code, 1, "{}", r.all());
    let got = rules(&r.stdout);
    for want in [
        "error[renamed-login]",
        "error[unknown-login]",
        "error[not-eligible]",
        "error[missing-repo]",
        "warning[missing-github-id]",
    ] {
        assert!(
            got.iter().any(|g| g == want),
            "{want} missing from {got:?}\n{}",
            r.stdout
        );
    }
    assert!(
        r.stdout.contains("github_id") && r.stdout.contains("is `bob-renamed` on GitHub now"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("help: update the login: `github: bob-renamed`"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("`carol` is not a GitHub user"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("`dave` is in none of python-core"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("`erin` is in none"),
        "legacy members are eligible"
    );
    assert!(
        r.stdout.contains("repository pypa/pip does not exist"),
        "{}",
        r.stdout
    );
    // each at the right line
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    assert!(
        r.stdout.contains(&format!(
            "roster.yaml:{}:13: error[renamed-login]",
            line_of("github: bob")
        )),
        "{}",
        r.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn online_check_without_credentials_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "roster.yaml",
        roster_text(&[("alice", true), ("bob", true)], ""),
    );
    let r = run(psrt().current_dir(dir.path()).args(["check", "--online"]));
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("`psrt check --online` needs GitHub: GITHUB_TOKEN"),
        "{}",
        r.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Prism: run scripts/test"]
async fn online_check_operations_match_githubs_description() {
    let (fake, server, text) = world().await;
    let prism = crate::prism::Prism::start("PSRT_GITHUB_SPEC", &server.url());
    fake.with(|s| s.public_url = Some(prism.url.clone()));
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", &text);
    let url = prism.url.clone();
    let mut cmd = psrt();
    cmd.current_dir(dir.path())
        .args(["check", "--online"])
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", url);
    let r = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap();
    assert!(
        r.stdout.contains("error[renamed-login]"),
        "{}\n{}",
        r.all(),
        prism.log_text()
    );
    assert!(!r.all().contains("could not look up"), "{}", r.all());
    assert_eq!(prism.violations(), Vec::<String>::new());
}

/// A former member's entry without `github_id`: revocation could not follow
/// a rename, so `check --online` says which id to record.
#[tokio::test(flavor = "multi_thread")]
async fn an_emeritus_entry_without_its_github_id_is_a_warning_with_the_id() {
    let (fake, server, text) = world().await;
    let gone = fake.org_member("gone");
    let text = text + "emeritus:\n  - name: Gone\n    github: gone\n";
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", &text);
    let mut cmd = psrt();
    cmd.current_dir(dir.path())
        .args(["check", "--online"])
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", server.url());
    let r = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap();
    assert!(
        r.stdout.contains("`gone` has no github_id")
            && r.stdout.contains(&format!(
                "help: add `github_id: {gone}`: psrt removes former members from unpublished reports by id too"
            )),
        "{}",
        r.stdout
    );
}
