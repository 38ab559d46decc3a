//! `psrt publish --open-pr`: the devguide's member lists kept current by one
//! pull request, opened, updated, and left alone when in sync.

use psrt::fakes::github::GitHubFake;

use crate::common::*;

pub const DEVGUIDE: &str = "python/devguide";

/// A roster: `members` as (name, login, roles), `emeritus` as (name, login, roles).
fn roster_with(members: &[(&str, &str, &str)], emeritus: &[(&str, &str, &str)]) -> String {
    let mut s = String::from(
        "version: 1\ngithub:\n  org: python\n  team: psrt\n  advisory_repos: [python/cpython]\n  eligibility_teams: [python-core]\n  steering_council_team: steering-council\nmembers:\n",
    );
    for (name, login, roles) in members {
        s.push_str(&format!(
            "  - name: {name}\n    github: {login}\n    roles: [{roles}]\n"
        ));
    }
    s.push_str("emeritus:\n");
    for (name, login, roles) in emeritus {
        s.push_str(&format!("  - name: {name}\n"));
        if !login.is_empty() {
            s.push_str(&format!("    github: {login}\n"));
        }
        s.push_str(&format!("    roles: [{roles}]\n"));
    }
    s
}

pub fn old_roster() -> String {
    roster_with(
        &[
            ("Ada Admin", "ada", "admin"),
            ("Grace Admin", "grace", "admin"),
            ("Alan Triager", "alan", ""),
        ],
        &[
            ("Dennis Former", "dennis", ""),
            ("Old Timer", "", "release-manager"),
        ],
    )
}

/// Barbara joins; Alan leaves.
pub fn new_roster() -> String {
    roster_with(
        &[
            ("Ada Admin", "ada", "admin"),
            ("Grace Admin", "grace", "admin"),
            ("Barbara New", "barbara", ""),
        ],
        &[
            ("Dennis Former", "dennis", ""),
            ("Old Timer", "", "release-manager"),
            ("Alan Triager", "alan", ""),
        ],
    )
}

/// Later, before the pull request is merged: Ken joins as a Release Manager.
fn newer_roster() -> String {
    new_roster().replace(
        "emeritus:\n",
        "  - name: Ken Release\n    github: ken\n    roles: [release-manager]\nemeritus:\n",
    )
}

fn lists(roster: &str) -> (String, String) {
    let r = parse_roster(roster);
    (
        psrt::publish::members_csv(&r).unwrap(),
        psrt::publish::emeritus_csv(&r).unwrap(),
    )
}

/// GitHub with the devguide, its lists as `old_roster` gives them.
pub async fn devguide_world() -> (GitHubFake, psrt::fakes::Running) {
    let (gh, server) = github().await;
    gh.org_member("psrt-bot");
    let (m, e) = lists(&old_roster());
    gh.commit(
        DEVGUIDE,
        "main",
        &[
            ("security/psrt.csv", &m),
            ("security/psrt-emeritus.csv", &e),
            ("security/psrt.rst", "PSRT\n====\n"),
        ],
        "the devguide",
    );
    (gh, server)
}

fn publish(dir: &std::path::Path, url: &str, roster: &str) -> Run {
    write(dir, "roster.yaml", roster);
    let mut cmd = psrt();
    cmd.current_dir(dir)
        .args(["publish", "--open-pr"])
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", url)
        .env("GITHUB_REPOSITORY", "python/psrt")
        .env("PSRT_GITHUB_WRITE_PAUSE_MS", "0");
    run(&mut cmd)
}

async fn publish_async(url: &str, roster: String) -> Run {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().unwrap();
        publish(dir.path(), &url, &roster)
    })
    .await
    .unwrap()
}

fn writes(gh: &GitHubFake) -> Vec<String> {
    gh.knobs
        .writes()
        .iter()
        .map(|l| format!("{} {}", l.method, l.path))
        .collect()
}

/// Left alone, opened, updated, already up to date, merged: the whole life
/// of the pull request against `url` (the fake, or Prism in front of it).
pub async fn devguide_scenario(gh: &GitHubFake, url: &str) {
    // In sync: three reads, nothing written.
    gh.knobs.clear_log();
    let r = publish_async(url, old_roster()).await;
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("already match the roster; nothing to do"),
        "{}",
        r.stdout
    );
    assert_eq!(writes(gh), Vec::<String>::new());
    assert_eq!(gh.knobs.requests(), 3, "{:#?}", gh.knobs.log());
    assert!(gh.pulls(DEVGUIDE).is_empty());

    // A member joins, one leaves: one pull request, both files on its branch.
    gh.knobs.clear_log();
    let r = publish_async(url, new_roster()).await;
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("opened pull request #1"), "{}", r.stdout);
    let pulls = gh.pulls(DEVGUIDE);
    assert_eq!(pulls.len(), 1);
    assert_eq!(
        (pulls[0].head.as_str(), pulls[0].base.as_str()),
        ("psrt-publish", "main")
    );
    let (m, e) = lists(&new_roster());
    assert_eq!(
        gh.file(DEVGUIDE, "psrt-publish", "security/psrt.csv"),
        Some(m)
    );
    assert_eq!(
        gh.file(DEVGUIDE, "psrt-publish", "security/psrt-emeritus.csv"),
        Some(e)
    );
    assert_eq!(
        writes(gh),
        [
            "POST /repos/python/devguide/git/refs",
            "PUT /repos/python/devguide/contents/security/psrt.csv",
            "PUT /repos/python/devguide/contents/security/psrt-emeritus.csv",
            "POST /repos/python/devguide/pulls",
        ]
    );

    // Another change before the merge: the same pull request, new commits.
    gh.knobs.clear_log();
    let r = publish_async(url, newer_roster()).await;
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("updated pull request #1"), "{}", r.stdout);
    assert_eq!(gh.pulls(DEVGUIDE).len(), 1, "never a second pull request");
    assert_eq!(
        writes(gh),
        [
            "PATCH /repos/python/devguide/git/refs/heads/psrt-publish",
            "PUT /repos/python/devguide/contents/security/psrt.csv",
            "PUT /repos/python/devguide/contents/security/psrt-emeritus.csv",
            "PATCH /repos/python/devguide/pulls/1",
        ]
    );
    let (m, _) = lists(&newer_roster());
    assert_eq!(
        gh.file(DEVGUIDE, "psrt-publish", "security/psrt.csv"),
        Some(m)
    );

    // Again, unchanged: the branch has the lists; only the description is refreshed.
    gh.knobs.clear_log();
    let r = publish_async(url, newer_roster()).await;
    assert!(
        r.stdout.contains("the branch already had these lists"),
        "{}",
        r.all()
    );
    assert_eq!(writes(gh), ["PATCH /repos/python/devguide/pulls/1"]);

    // The devguide merges it: in sync, nothing more.
    let (m, e) = lists(&newer_roster());
    gh.commit(
        DEVGUIDE,
        "main",
        &[
            ("security/psrt.csv", &m),
            ("security/psrt-emeritus.csv", &e),
        ],
        "Merge pull request #1",
    );
    gh.update_repo(DEVGUIDE, |r| r.pulls[0].state = "merged".into());
    gh.knobs.clear_log();
    let r = publish_async(url, newer_roster()).await;
    assert!(r.stdout.contains("nothing to do"), "{}", r.all());
    assert_eq!(writes(gh), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_devguide_pull_request_is_opened_updated_and_left_alone() {
    let (gh, server) = devguide_world().await;
    devguide_scenario(&gh, &server.url()).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Prism: run scripts/test"]
async fn devguide_pull_request_operations_match_githubs_description() {
    let (gh, server) = devguide_world().await;
    let prism = crate::prism::Prism::start("PSRT_GITHUB_SPEC", &server.url());
    gh.with(|s| s.public_url = Some(prism.url.clone()));
    devguide_scenario(&gh, &prism.url).await;
    assert_eq!(prism.violations(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pull_request_says_who_joins_and_who_leaves() {
    let (gh, server) = devguide_world().await;
    let r = publish_async(&server.url(), new_roster()).await;
    assert_eq!(r.code, 0, "{}", r.all());
    let pr = &gh.pulls(DEVGUIDE)[0];
    insta::assert_snapshot!("devguide_pr_title", pr.title);
    insta::assert_snapshot!("devguide_pr_body", pr.body);
    let (old_m, old_e) = lists(&old_roster());
    let mut diff = String::new();
    for (path, old) in [
        ("security/psrt.csv", old_m),
        ("security/psrt-emeritus.csv", old_e),
    ] {
        let new = gh.file(DEVGUIDE, "psrt-publish", path).unwrap();
        diff.push_str(
            &similar::TextDiff::from_lines(&old, &new)
                .unified_diff()
                .header(&format!("a/{path}"), &format!("b/{path}"))
                .to_string(),
        );
    }
    insta::assert_snapshot!("devguide_pr_diff", diff);
}

#[test]
fn devguide_needs_open_pr_and_a_repository() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", old_roster());
    let r = run(psrt()
        .current_dir(dir.path())
        .args(["publish", "--devguide", "x/y"]));
    assert_eq!(r.code, 2, "{}", r.all());
    let r = run(psrt()
        .current_dir(dir.path())
        .args(["publish", "--open-pr", "--devguide", "not-a-repo"])
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", "http://127.0.0.1:9"));
    // A usage error (exit 2): `--devguide` is owner/name, like `--repo`.
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.stderr.contains(
            "expected a GitHub repository as owner/name (python/cpython), not `not-a-repo`"
        ),
        "{}",
        r.stderr
    );
    // Nothing written locally with --open-pr and no --out.
    assert!(!dir.path().join("psrt.csv").exists());
}
