//! Issue 22, item 2: a lost secret is never a green run. Every credential
//! the workflows hold is taken away in turn (missing, or refused), and each
//! command that needs it must exit 1 and say what it did not do; the
//! summary never says "in sync" or "as it should be" about what was not
//! checked. The table of exit codes and last lines is a snapshot (the
//! figures for the closing note).

use chrono::{Duration, Utc};
use psrt::fakes::github::FakeAdvisory;
use psrt::roster::contacts::{ContactKey, field};

use crate::common::*;

const GUILD: u64 = 1_234_567_890_123_456_789;
const ROLE: u64 = 2_345_678_901_234_567_890;

struct World {
    dir: tempfile::TempDir,
    env: Vec<(&'static str, String)>,
    _servers: Vec<psrt::fakes::Running>,
    _smtp: psrt::fakes::smtp::RunningSink,
}

/// GitHub, Mailman, Discord, SMTP and CVE Services stand-ins, and a roster
/// that configures every one of them, with encrypted addresses.
async fn world() -> World {
    let key = ContactKey::generate();
    let (gh, gh_server) = github().await;
    for l in ["alice", "bob", "carol"] {
        gh.add_to_team(
            "psrt",
            l,
            if l == "carol" { "member" } else { "maintainer" },
        );
    }
    gh.repo("python/psrt");
    gh.repo("python/devguide");
    gh.advisory(
        FakeAdvisory::new(
            "python/cpython",
            "GHSA-cred-0000-0001",
            "draft",
            Utc::now() - Duration::days(80),
        )
        .coordinator("carol"),
    );
    let mm = psrt::fakes::mailman::MailmanFake::new("rest", "mailman-pw");
    mm.with(|s| {
        s.domains.push("example.org".into());
        s.lists
            .push(("security.example.org".into(), "security@example.org".into()));
    });
    let mm_server = mm.start().await.unwrap();
    let dc = psrt::fakes::discord::DiscordFake::new("bot-token");
    dc.guild(GUILD, ROLE);
    let dc_server = dc.start().await.unwrap();
    let (_cve, cve_server) = crate::advisories::cve_services().await;
    let sink = psrt::fakes::smtp::SmtpSink::default();
    let smtp = sink.start().await.unwrap();

    let seal = |v: &str| field::seal(v, &[key.recipient()]).unwrap();
    let roster = format!(
        "version: 1
github:
  org: python
  team: psrt
  advisory_repos: [python/cpython]
  eligibility_teams: [python-core]
cve:
  org: PSF
  repos: [python/cpython]
contacts:
  recipients: [{public}]
mailman:
  list: security.example.org
discord:
  guild: \"{GUILD}\"
  role: \"{ROLE}\"
email:
  from: \"PSRT <psrt-bot@example.org>\"
steering_council: [sam]
members:
  - name: Alice
    github: alice
    email: \"{a}\"
    roles: [admin]
  - name: Bob
    github: bob
    email: \"{b}\"
    roles: [admin]
  - name: Carol
    github: carol
    email: \"{c}\"
    discord: \"{cd}\"
",
        public = key.public(),
        a = seal("alice@example.org"),
        b = seal("bob@example.org"),
        c = seal("carol@example.org"),
        cd = seal("300000000000000003"),
    );
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", roster);
    start_ledger(dir.path());
    let env = vec![
        ("GITHUB_TOKEN", TOKEN.to_owned()),
        ("GITHUB_API_URL", gh_server.url()),
        ("GITHUB_REPOSITORY", "python/psrt".to_owned()),
        ("PSRT_MAILMAN_URL", format!("{}/3.1", mm_server.url())),
        ("PSRT_MAILMAN_USER", "rest".to_owned()),
        ("PSRT_MAILMAN_PASSWORD", "mailman-pw".to_owned()),
        ("PSRT_DISCORD_API_URL", dc_server.url()),
        ("PSRT_DISCORD_TOKEN", "bot-token".to_owned()),
        (
            "PSRT_SMTP_URL",
            format!("smtp://127.0.0.1:{}?tls=none", smtp.port),
        ),
        ("PSRT_CVE_API_URL", cve_server.url()),
        ("PSRT_CVE_API_USER", crate::advisories::CVE_USER.to_owned()),
        ("PSRT_CVE_API_KEY", crate::advisories::CVE_KEY.to_owned()),
        ("PSRT_CONTACT_KEY", key.secret().expose().to_owned()),
        ("PSRT_GITHUB_WRITE_PAUSE_MS", "0".to_owned()),
    ];
    World {
        dir,
        env,
        _servers: vec![gh_server, mm_server, dc_server, cve_server],
        _smtp: smtp,
    }
}

/// What is done to one variable.
#[derive(Clone, Copy)]
enum Loss {
    Missing,
    Refused,
}

fn psrt_with(w: &World, args: &[&str], var: Option<(&str, Loss)>) -> Run {
    let mut cmd = psrt();
    cmd.current_dir(w.dir.path()).args(args);
    for (k, v) in &w.env {
        match var {
            Some((name, Loss::Missing)) if name == *k => {}
            Some((name, Loss::Refused)) if name == *k => {
                let wrong = if *k == "PSRT_CONTACT_KEY" {
                    ContactKey::generate().secret().expose().to_owned()
                } else {
                    format!("{v}-wrong")
                };
                cmd.env(k, wrong);
            }
            _ => {
                cmd.env(k, v);
            }
        }
    }
    run(&mut cmd)
}

/// The line that says how the run went: the summary, or the error.
fn verdict(r: &Run) -> String {
    r.stdout
        .lines()
        .rev()
        .find(|l| l.starts_with("summary:"))
        .or_else(|| r.stderr.lines().rev().find(|l| l.starts_with("error:")))
        .unwrap_or("(nothing)")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_credential_missing_or_refused_in_turn_fails_the_run() {
    let w = world().await;
    let cases: &[(&[&str], &str, Loss)] = &[
        (&["sync", "--apply"], "GITHUB_TOKEN", Loss::Missing),
        (&["sync", "--apply"], "GITHUB_TOKEN", Loss::Refused),
        (&["sync", "--apply"], "PSRT_MAILMAN_URL", Loss::Missing),
        (&["sync", "--apply"], "PSRT_MAILMAN_PASSWORD", Loss::Missing),
        (&["sync", "--apply"], "PSRT_MAILMAN_PASSWORD", Loss::Refused),
        (&["sync", "--apply"], "PSRT_DISCORD_TOKEN", Loss::Missing),
        (&["sync", "--apply"], "PSRT_DISCORD_TOKEN", Loss::Refused),
        (&["sync", "--apply"], "PSRT_CONTACT_KEY", Loss::Missing),
        (&["sync", "--apply"], "PSRT_CONTACT_KEY", Loss::Refused),
        (&["sync"], "PSRT_MAILMAN_PASSWORD", Loss::Missing),
        (&["deadlines", "--send"], "GITHUB_TOKEN", Loss::Missing),
        (&["deadlines", "--send"], "PSRT_SMTP_URL", Loss::Missing),
        (&["deadlines", "--send"], "PSRT_CONTACT_KEY", Loss::Missing),
        (&["deadlines", "--send"], "PSRT_CONTACT_KEY", Loss::Refused),
        (&["advisories", "--apply"], "GITHUB_TOKEN", Loss::Missing),
        (
            &["advisories", "--apply"],
            "PSRT_CVE_API_KEY",
            Loss::Missing,
        ),
        (&["advisories", "--apply"], "PSRT_SMTP_URL", Loss::Missing),
        (
            &["advisories", "--apply"],
            "PSRT_CONTACT_KEY",
            Loss::Missing,
        ),
        (&["inactivity", "--open-pr"], "GITHUB_TOKEN", Loss::Missing),
        (&["publish", "--open-pr"], "GITHUB_TOKEN", Loss::Missing),
        (&["approvals", "--pr", "1"], "GITHUB_TOKEN", Loss::Missing),
    ];
    let mut table = String::from("command | credential | exit | how the run ends\n");
    for (args, var, loss) in cases {
        let r = tokio::task::block_in_place(|| psrt_with(&w, args, Some((var, *loss))));
        let how = verdict(&r);
        table.push_str(&format!(
            "psrt {} | {var} {} | {} | {how}\n",
            args.join(" "),
            match loss {
                Loss::Missing => "missing",
                Loss::Refused => "refused",
            },
            r.code
        ));
        assert_eq!(r.code, 1, "psrt {args:?} without {var}:\n{}", r.all());
        for clean in ["everything is in sync", "every report is as it should be"] {
            assert!(!how.contains(clean), "psrt {args:?} without {var}: {how}");
        }
        assert!(!r.all().contains("panicked"), "{}", r.all());
    }
    insta::assert_snapshot!("credentials_lost_in_turn", table);
}

/// The same world with every credential is green, so the failures above
/// come from the credential taken away, not from the world.
#[tokio::test(flavor = "multi_thread")]
async fn with_every_credential_each_command_succeeds() {
    let w = world().await;
    for args in [
        &["sync", "--apply", "--allow-mass-removal"][..],
        &["sync"],
        &["deadlines", "--send"],
        &["advisories", "--apply"],
        &["advisories"],
    ] {
        let r = tokio::task::block_in_place(|| psrt_with(&w, args, None));
        assert_eq!(r.code, 0, "psrt {args:?}:\n{}", r.all());
    }
}

/// Quiet skips stay quiet: a roster without `mailman`, `discord` or `cve`
/// needs none of their credentials, and `--service` deselects.
#[tokio::test(flavor = "multi_thread")]
async fn services_the_roster_leaves_out_are_skipped_quietly() {
    let w = world().await;
    let text = std::fs::read_to_string(w.dir.path().join("roster.yaml")).unwrap();
    let start = text.find("mailman:").unwrap();
    let end = text.find("email:\n").unwrap();
    let without = format!("{}{}", &text[..start], &text[end..])
        .replace("cve:\n  org: PSF\n  repos: [python/cpython]\n", "");
    write(w.dir.path(), "roster.yaml", without);
    for (args, var) in [
        (&["sync", "--apply"][..], "PSRT_MAILMAN_PASSWORD"),
        (&["sync", "--apply"], "PSRT_DISCORD_TOKEN"),
        (&["advisories", "--apply"], "PSRT_CVE_API_KEY"),
    ] {
        let r = tokio::task::block_in_place(|| psrt_with(&w, args, Some((var, Loss::Missing))));
        assert_eq!(r.code, 0, "psrt {args:?} without {var}:\n{}", r.all());
    }
    write(w.dir.path(), "roster.yaml", text);
    let r = tokio::task::block_in_place(|| {
        psrt_with(
            &w,
            &["sync", "--service", "github", "--service", "discord"],
            Some(("PSRT_MAILMAN_PASSWORD", Loss::Missing)),
        )
    });
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("skipped: not selected (--service)"),
        "{}",
        r.stdout
    );
}
