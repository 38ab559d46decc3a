//! `psrt pin-ids`: every entry's `github_id` recorded in place, only for
//! accounts psrt can vouch for (issue 21: access follows the account).

use crate::common::*;

async fn run_psrt(dir: &std::path::Path, args: &[&str], env: &[(&str, String)]) -> Run {
    let mut cmd = psrt();
    cmd.current_dir(dir).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap()
}

const ROSTER: &str = "version: 1
# The PSRT's roster.
github:
  org: python
  team: psrt
  eligibility_teams: [python-core]

members:
  - name: Ada
    github: ada   # an admin
    roles: [admin]
  - name: Grace
    github: grace
    roles: [admin]
  - name: Barbara
    github: barbara
  # renamed long ago; someone else holds her old login now
  - name: Old Name
    github: oldname
  - name: Nobody
    github: no-such-login
  - name: Pinned
    github: pinned
    github_id: 4242

emeritus:
  - name: Dennis
    github: dennis
  - name: Ancient
";

#[tokio::test(flavor = "multi_thread")]
async fn ids_are_recorded_only_for_accounts_in_the_team_or_an_eligibility_team() {
    let (gh, server) = github().await;
    gh.add_to_team("psrt", "ada", "maintainer");
    gh.add_to_team("psrt", "grace", "member");
    gh.add_to_team("python-core", "barbara", "member");
    gh.add_to_team("python-core", "dennis", "member");
    gh.user("oldname"); // a stranger: in no team
    gh.org_member_with_id("pinned", 4242);
    let id = |l: &str| gh.with(|s| s.user_by_login(l).unwrap().id);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "roster.yaml", ROSTER);
    let env = [
        ("GITHUB_TOKEN", TOKEN.to_owned()),
        ("GITHUB_API_URL", server.url()),
    ];

    // The dry run names every finding and writes nothing.
    let r = run_psrt(dir.path(), &["pin-ids"], &env).await;
    assert_eq!(r.code, 0, "{}", r.all());
    let out = &r.stdout;
    for want in [
        "roster.yaml: 6 entries without `github_id`; 1 already recorded; 1 emeritus entr(ies) without a login".to_owned(),
        format!("+ members[0]    ada                  github_id: {}  (holds python/psrt)", id("ada")),
        format!("+ members[2]    barbara              github_id: {}  (holds python/python-core)", id("barbara")),
        format!("? members[3]    oldname              NOT recorded: account {} holds this login", id("oldname")),
        "? members[4]    no-such-login        NOT recorded: no GitHub account has this login".to_owned(),
        format!("+ emeritus[0]   dennis               github_id: {}", id("dennis")),
        "dry run: 4 github_id(s) to record; nothing written".to_owned(),
        "2 login(s) psrt cannot vouch for".to_owned(),
    ] {
        assert!(out.contains(&want), "missing {want:?} in\n{out}");
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), ROSTER);

    // --apply: each id on the line after its `github`, every other byte kept.
    let r = run_psrt(dir.path(), &["pin-ids", "--apply"], &env).await;
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("recorded 4 github_id(s) in roster.yaml"),
        "{}",
        r.stdout
    );
    let after = std::fs::read_to_string(&path).unwrap();
    let expected = ROSTER
        .replace(
            "    github: ada   # an admin\n",
            &format!(
                "    github: ada   # an admin\n    github_id: {}\n",
                id("ada")
            ),
        )
        .replace(
            "    github: grace\n",
            &format!("    github: grace\n    github_id: {}\n", id("grace")),
        )
        .replace(
            "    github: barbara\n",
            &format!("    github: barbara\n    github_id: {}\n", id("barbara")),
        )
        .replace(
            "    github: dennis\n",
            &format!("    github: dennis\n    github_id: {}\n", id("dennis")),
        );
    assert_eq!(after, expected);
    let check = run_psrt(dir.path(), &["check"], &[]).await;
    assert_eq!(check.code, 0, "{}", check.all());

    // Again: nothing more to record; the two it cannot vouch for remain.
    let r = run_psrt(dir.path(), &["pin-ids", "--apply"], &env).await;
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("nothing to record"), "{}", r.stdout);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_or_an_unreadable_team_changes_nothing() {
    let (gh, server) = github().await;
    gh.add_to_team("psrt", "ada", "maintainer");
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "roster.yaml", ROSTER);
    // No GitHub credentials: a clear error.
    let r = run_psrt(dir.path(), &["pin-ids", "--apply"], &[]).await;
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("psrt pin-ids needs GitHub"),
        "{}",
        r.all()
    );
    // An eligibility team that does not exist: nothing vouched, nothing written.
    let env = [
        ("GITHUB_TOKEN", TOKEN.to_owned()),
        ("GITHUB_API_URL", server.url()),
    ];
    let r = run_psrt(dir.path(), &["pin-ids", "--apply"], &env).await;
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("cannot read team python/python-core"),
        "{}",
        r.all()
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), ROSTER);
    // An invalid roster: its errors, nothing written.
    let bad = ROSTER.replace("    github: grace\n", "    github: ada\n");
    write(dir.path(), "roster.yaml", &bad);
    gh.team("python-core");
    let r = run_psrt(dir.path(), &["pin-ids", "--apply"], &env).await;
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stdout.contains("duplicate"), "{}", r.all());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), bad);
}
