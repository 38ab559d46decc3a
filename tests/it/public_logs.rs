//! Issue 22, item 7: public logs say no more than GitHub does. In a
//! workflow (`GITHUB_ACTIONS`) stdout, stderr, the job summary and the
//! ledger (an Actions cache any pull request can restore) name no
//! unpublished report: counts only, and the ledger is encrypted to the
//! job's own `PSRT_CONTACT_KEY`. The per-report detail goes to the admins
//! by email; a local run still shows it.

use chrono::{Duration, Utc};
use psrt::roster::contacts::ContactKey;
use psrt_fakes::github::FakeAdvisory;
use psrt_fakes::smtp::SmtpSink;

use crate::common::*;

const MARK: &str = "PUBLIC-LOG-MARKER";
const IDS: [&str; 3] = [
    "GHSA-pub1-0000-0001",
    "GHSA-pub2-0000-0002",
    "GHSA-pub3-0000-0003",
];

fn report(id: &str, state: &str, age_days: i64, title: &str) -> FakeAdvisory {
    let mut a = FakeAdvisory::new(
        "python/cpython",
        id,
        state,
        Utc::now() - Duration::days(age_days),
    );
    a.summary = format!("{title} {MARK} title");
    a.description = format!("{MARK} description");
    a.author = Some("rita".into());
    a.collaborating_teams = vec!["psrt".into()];
    a
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workflow_log_names_no_unpublished_report_and_the_ledger_is_sealed() {
    let (gh, server) = github().await;
    for l in ["alice", "bob", "carol", "gus", "sam"] {
        gh.add_to_team("psrt", l, "member");
    }
    gh.org_member("gone");
    gh.user("rita");
    gh.user("erin");
    gh.invite("psrt", "frank");
    // The reporter's own `[ACCEPT]`: ignored (a per-report reason).
    gh.advisory(report(IDS[0], "triage", 1, "[ACCEPT]"));
    // Near its deadline, a former member among its collaborators (removed).
    let mut b = report(IDS[1], "triage", 85, "").coordinator("carol");
    b.collaborating_users = vec!["gone".into()];
    gh.advisory(b);
    // Past its deadline.
    gh.advisory(report(IDS[2], "draft", 95, "").coordinator("alice"));
    let sink = SmtpSink::default();
    let smtp = sink.start().await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "roster.yaml",
        crate::advisories::hygiene_roster(),
    );
    let summary = dir.path().join("summary.md");
    let key = ContactKey::generate();
    let env = vec![
        ("GITHUB_TOKEN", TOKEN.to_owned()),
        ("GITHUB_API_URL", server.url()),
        (
            "PSRT_SMTP_URL",
            format!("smtp://127.0.0.1:{}?tls=none", smtp.port),
        ),
        ("PSRT_CONTACT_KEY", key.secret().expose().to_owned()),
        ("PSRT_GITHUB_WRITE_PAUSE_MS", "0".to_owned()),
        ("PSRT_LOG", "debug".to_owned()),
    ];
    let workflow = {
        let mut e = env.clone();
        e.push(("GITHUB_ACTIONS", "true".to_owned()));
        e.push(("GITHUB_STEP_SUMMARY", summary.display().to_string()));
        e.push(("GITHUB_REPOSITORY", "python/psrt".to_owned()));
        e
    };
    let go = |args: &'static [&'static str], env: Vec<(&'static str, String)>| {
        let d = dir.path().to_owned();
        tokio::task::spawn_blocking(move || {
            let mut cmd = psrt();
            cmd.current_dir(&d).args(args);
            for (k, v) in &env {
                cmd.env(k, v);
            }
            run(&mut cmd)
        })
    };
    let mut outputs = Vec::new();
    for args in [
        &["-v", "advisories"][..],
        &["advisories", "--json"],
        &["-v", "advisories", "--apply"],
        &["advisories", "--apply", "--json"],
        &["-v", "deadlines"],
        &["deadlines", "--json"],
        &["-v", "deadlines", "--send"],
    ] {
        let r = go(args, workflow.clone()).await.unwrap();
        assert!(r.code == 0 || r.code == 1, "{args:?}: {}", r.all());
        outputs.push((args, r.all()));
    }
    let summary_text = std::fs::read_to_string(&summary).unwrap();
    let ledger_path = dir.path().join(".psrt/ledger.json");
    let ledger_bytes = std::fs::read(&ledger_path).unwrap();
    let ledger_text = String::from_utf8_lossy(&ledger_bytes).into_owned();
    outputs.push((&["(job summary)"], summary_text.clone()));
    outputs.push((&["(ledger file)"], ledger_text.clone()));
    for (args, text) in &outputs {
        for id in IDS {
            for form in [id.to_owned(), id.to_lowercase(), id[5..].to_owned()] {
                let lines: Vec<&str> = text.lines().filter(|l| l.contains(&form)).collect();
                assert!(
                    lines.is_empty(),
                    "{args:?}: `{form}` in:\n{}",
                    lines.join("\n")
                );
            }
        }
        for secret in [MARK, "rita", "carol@example.org"] {
            assert!(!text.contains(secret), "{args:?}: `{secret}` in:\n{text}");
        }
    }
    // It did its work, and says so in counts.
    assert_eq!(gh.get_advisory(IDS[0]).unwrap().state, "triage");
    assert!(
        !gh.get_advisory(IDS[1])
            .unwrap()
            .collaborating_users
            .contains(&"gone".to_owned())
    );
    let applied = &outputs[2].1;
    assert!(
        applied.contains("psrt names no unpublished report here"),
        "{applied}"
    );
    assert!(summary_text.contains("open reports on"), "{summary_text}");
    // The ledger is sealed: age's header, and only the key opens it.
    assert!(
        ledger_text.starts_with("age-encryption.org/v1"),
        "{ledger_text}"
    );
    let keeping = psrt::ledger::Keeping::encrypted(
        key.secret()
            .expose()
            .parse::<age::x25519::Identity>()
            .unwrap(),
    );
    let ledger = psrt::ledger::Ledger::load_kept(&ledger_path, &keeping).unwrap();
    assert!(ledger.seen().get(IDS[0]).is_some());
    assert!(psrt::ledger::Ledger::load(&ledger_path).is_err());

    // The admins got each report's line by email (id and link only).
    let mails = sink.messages();
    let digest = mails
        .iter()
        .find(|m| {
            m.header("Subject")
                .is_some_and(|s| s.contains("psrt advisories"))
        })
        .unwrap_or_else(|| panic!("no digest among {} emails", mails.len()));
    // Quoted-printable: soft line breaks joined.
    let body = digest.body().replace("=\n", "");
    assert!(body.contains(IDS[0]) && body.contains(IDS[2]), "{body}");
    assert!(!body.contains(MARK) && !body.contains("rita"), "{body}");
    assert!(
        digest
            .to
            .iter()
            .all(|t| t == "alice@example.org" || t == "bob@example.org")
    );
    // A second applying run has nothing new: no second digest.
    let r = go(&["advisories", "--apply"], workflow.clone())
        .await
        .unwrap();
    assert!(!r.all().contains(IDS[0]), "{}", r.all());
    let digests = sink
        .messages()
        .iter()
        .filter(|m| {
            m.header("Subject")
                .is_some_and(|s| s.contains("psrt advisories"))
        })
        .count();
    assert_eq!(digests, 1);

    // A local run by an admin (with the key: the ledger opens) shows detail.
    let local = go(&["advisories"], env.clone()).await.unwrap();
    assert!(local.stdout.contains(IDS[0]), "{}", local.all());
    let local = go(&["deadlines"], env).await.unwrap();
    assert!(local.stdout.contains(IDS[2]), "{}", local.all());
}
