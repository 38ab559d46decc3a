//! `psrt deadlines`: time travel over whole report lives, the embargo,
//! exactly-once sending, failures, and real SMTP servers.

use chrono::{DateTime, Duration, TimeZone, Utc};
use psrt::deadlines::{self, Sending};
use psrt::ledger::Ledger;
use psrt::notify::{Mailer, Templates};
use psrt_fakes::github::FakeAdvisory;
use psrt_fakes::smtp::SmtpSink;

use crate::common::*;

pub const MARK: &str = "EMBARGO-MARKER-7f3a";

pub fn deadline_roster() -> String {
    r#"version: 1
github:
  org: python
  team: psrt
  advisory_repos: [python/cpython, pypa/pip]
  eligibility_teams: [python-core]
  steering_council_team: steering-council
email:
  from: "PSRT <psrt-bot@example.org>"
members:
  - name: Ada Admin
    github: ada
    email: ada@example.org
    roles: [admin]
  - name: Bo Admin
    github: bo
    email: bo@example.org
    roles: [admin]
  - name: Cy Coordinator
    github: cy
    email: cy@example.org
  - name: Di NoMail
    github: di
emeritus:
  - name: Ex Member
    github: ex
"#
    .to_owned()
}

fn day0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap()
}

fn night(d: i64) -> DateTime<Utc> {
    (day0() + Duration::days(d))
        .date_naive()
        .and_hms_opt(3, 0, 0)
        .unwrap()
        .and_utc()
}

async fn world() -> (
    psrt_fakes::github::GitHubFake,
    psrt_fakes::Running,
    SmtpSink,
    psrt_fakes::smtp::RunningSink,
) {
    let (gh, server) = github().await;
    for l in ["ada", "bo", "cy", "di", "ex", "reporter"] {
        gh.org_member(l);
    }
    gh.repo("python/cpython");
    gh.repo("pypa/pip");
    let sink = SmtpSink::default();
    let running = sink.start().await.unwrap();
    (gh, server, sink, running)
}

fn mailer(port: u16) -> Mailer {
    let env = psrt::config::SmtpEnv {
        url: psrt::secret::Secret::new(format!("smtp://127.0.0.1:{port}?tls=none")),
        ca_file: None,
    };
    Mailer::new(&env, "PSRT <psrt-bot@example.org>").unwrap()
}

#[tokio::test]
async fn whole_lives_of_several_reports() {
    let (gh, server, sink, sink_server) = world().await;
    gh.advisory(
        FakeAdvisory::new("python/cpython", "GHSA-aaaa-aaaa-aaaa", "triage", day0())
            .coordinator("cy"),
    );
    // First seen late: already 85 days old on the first run.
    gh.advisory(
        FakeAdvisory::new(
            "pypa/pip",
            "GHSA-bbbb-bbbb-bbbb",
            "draft",
            day0() - Duration::days(85),
        )
        .coordinator("cy"),
    );
    // Nobody coordinates it.
    gh.advisory(FakeAdvisory::new(
        "python/cpython",
        "GHSA-cccc-cccc-cccc",
        "triage",
        day0(),
    ));
    // Its coordinator leaves the PSRT on day 30.
    gh.advisory(
        FakeAdvisory::new("python/cpython", "GHSA-dddd-dddd-dddd", "triage", day0())
            .coordinator("cy"),
    );
    // Published on day 65: the warnings end.
    gh.advisory(
        FakeAdvisory::new("python/cpython", "GHSA-eeee-eeee-eeee", "draft", day0())
            .coordinator("cy"),
    );

    let roster = parse_roster(&deadline_roster());
    let gh_client = psrt::github::GitHub::connect(
        github_env(&server.url()).github.as_ref().unwrap(),
        psrt::deadlines::github_scope(&roster),
        psrt::github::Tuning::local(),
    )
    .await
    .unwrap();
    let mailer = mailer(sink_server.port);
    let templates = Templates::built_in();
    let mut ledger = Ledger::default();
    let mut schedule: Vec<String> = Vec::new();
    let missed: Vec<i64> = (70..=80).collect();
    for d in 0..=100 {
        if d == 30 {
            gh.update_advisory("GHSA-dddd-dddd-dddd", |a| {
                a.credits = vec![("ex".into(), "coordinator".into())]
            });
        }
        if d == 65 {
            gh.update_advisory("GHSA-eeee-eeee-eeee", |a| a.state = "published".into());
        }
        if missed.contains(&d) {
            continue;
        }
        let snapshot = ledger.clone();
        let out = deadlines::run(
            &gh_client,
            &roster,
            &snapshot,
            night(d),
            Some(Sending {
                mailer: &mailer,
                templates: &templates,
                ledger: &mut ledger,
            }),
        )
        .await;
        assert!(out.errors.is_empty(), "day {d}: {:?}", out.errors);
        for m in sink.messages() {
            schedule.push(format!(
                "day {d:>3}: {} -> {}",
                m.header("Subject").unwrap(),
                m.to.join(",")
            ));
        }
        sink.clear();
    }
    let text = schedule.join("\n");
    insta::assert_snapshot!("whole_lives", text);
    // Spot checks that do not depend on the snapshot:
    assert!(text.contains("day   0: [PSRT] GHSA-bbbb-bbbb-bbbb (pypa/pip): 5 days to the disclosure deadline -> cy@example.org")
        || text.contains("GHSA-bbbb-bbbb-bbbb (pypa/pip): 7 days"), "{text}");
    assert_eq!(
        text.matches("GHSA-cccc-cccc-cccc (python/cpython): no coordinator")
            .count(),
        1,
        "{text}"
    );
    assert_eq!(
        text.matches("GHSA-dddd-dddd-dddd (python/cpython): the coordinator is not a PSRT member")
            .count(),
        1,
        "{text}"
    );
    assert!(
        !text
            .lines()
            .any(|l| l.contains("GHSA-eeee") && l.starts_with("day  7")
                || l.contains("GHSA-eeee") && l.contains("past the")),
        "{text}"
    );
}

/// Embargoed details appear in no output, no log and no email, and no output
/// pairs a person with an unpublished report.
#[tokio::test(flavor = "multi_thread")]
async fn the_embargo_holds_in_output_logs_and_email() {
    let (gh, server, sink, sink_server) = world().await;
    gh.org_member("rep-marker-user");
    for (i, (repo, state, days_ago, coordinator)) in [
        ("python/cpython", "triage", 85, Some("cy")),
        ("python/cpython", "draft", 95, Some("ex")),
        ("pypa/pip", "triage", 10, None),
        ("pypa/pip", "closed", 50, Some("cy")),
        ("python/cpython", "withdrawn", 50, Some("cy")),
    ]
    .into_iter()
    .enumerate()
    {
        let mut a = FakeAdvisory::new(
            repo,
            &format!("GHSA-{i}{i}{i}{i}-xxxx-yyyy"),
            state,
            Utc::now() - Duration::days(days_ago),
        );
        a.summary = format!("{MARK} summary: heap overflow in the parser");
        a.description = format!("{MARK} description: send 4096 bytes to trigger it");
        a.author = Some("rep-marker-user".into());
        if let Some(c) = coordinator {
            a = a.coordinator(c);
        }
        a.credits.push(("rep-marker-user".into(), "finder".into()));
        gh.advisory(a);
    }
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", deadline_roster());
    start_ledger(dir.path());
    let env = [
        ("GITHUB_TOKEN", TOKEN.to_owned()),
        ("GITHUB_API_URL", server.url()),
        (
            "PSRT_SMTP_URL",
            format!("smtp://127.0.0.1:{}?tls=none", sink_server.port),
        ),
        ("PSRT_LOG", "trace".to_owned()),
    ];
    let mut outputs = Vec::new();
    for args in [
        &["-vv", "deadlines"][..],
        &["deadlines", "--json"],
        &["-vv", "deadlines", "--send"],
        &["deadlines", "--send", "--json"],
    ] {
        let mut cmd = psrt();
        cmd.current_dir(dir.path()).args(args);
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let r = tokio::task::spawn_blocking(move || run(&mut cmd))
            .await
            .unwrap();
        assert_eq!(r.code, 0, "{}", r.all());
        outputs.push(r.all());
    }
    let mails = sink.messages();
    assert!(
        mails.len() >= 3,
        "warnings, overdue and alerts were sent: {}",
        mails.len()
    );
    for text in outputs.iter().chain(mails.iter().map(|m| &m.data)) {
        for secret in [MARK, "heap overflow", "4096 bytes", "rep-marker-user"] {
            assert!(!text.contains(secret), "`{secret}` leaked:\n{text}");
        }
    }
    // Output never pairs a person with a report: no coordinator, no address.
    for text in &outputs {
        for person in [
            "cy@example.org",
            "ada@example.org",
            "Cy Coordinator",
            " cy ",
            "`cy`",
            "ex@",
        ] {
            assert!(!text.contains(person), "`{person}` in output:\n{text}");
        }
    }
    // Emails carry the id and the link.
    let first = &mails[0];
    let body = first.body();
    assert!(body.contains("https://github.com/"), "{body}");
    assert!(first.header("Subject").unwrap().starts_with("[PSRT] GHSA-"));
    assert_eq!(
        first.header("Auto-Submitted").as_deref(),
        Some("auto-generated")
    );
    assert!(first.header("Message-ID").is_some() && first.header("Date").is_some());
    // Published, closed and withdrawn reports never produce mail.
    assert!(
        mails
            .iter()
            .all(|m| !m.data.contains("GHSA-3333") && !m.data.contains("GHSA-4444"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_runs_at_the_same_instant_send_once() {
    let (gh, server, sink, sink_server) = world().await;
    gh.advisory(
        FakeAdvisory::new("python/cpython", "GHSA-aaaa-aaaa-aaaa", "triage", day0())
            .coordinator("cy"),
    );
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", deadline_roster());
    start_ledger(dir.path());
    let now = night(83).to_rfc3339();
    let mut codes = Vec::new();
    for _ in 0..2 {
        let mut cmd = psrt();
        cmd.current_dir(dir.path())
            .args(["deadlines", "--send", "--now", &now])
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_API_URL", server.url())
            .env(
                "PSRT_SMTP_URL",
                format!("smtp://127.0.0.1:{}?tls=none", sink_server.port),
            );
        codes.push(
            tokio::task::spawn_blocking(move || run(&mut cmd))
                .await
                .unwrap(),
        );
    }
    assert!(codes.iter().all(|r| r.code == 0), "{}", codes[0].all());
    assert_eq!(sink.messages().len(), 1, "exactly once");
    assert!(
        codes[0]
            .stdout
            .contains("sent: GHSA-aaaa-aaaa-aaaa: warning (7 days left)"),
        "{}",
        codes[0].stdout
    );
    assert!(
        codes[1].stdout.contains("0 message(s) sent"),
        "{}",
        codes[1].stdout
    );
    let ledger = Ledger::load(&dir.path().join(".psrt/ledger.json")).unwrap();
    assert!(
        ledger.messages().has("GHSA-aaaa-aaaa-aaaa", "warn-7")
            && ledger.messages().has("GHSA-aaaa-aaaa-aaaa", "warn-30")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_send_is_not_recorded_and_the_next_run_sends_it() {
    let (gh, server, sink, sink_server) = world().await;
    gh.advisory(
        FakeAdvisory::new("python/cpython", "GHSA-aaaa-aaaa-aaaa", "triage", day0())
            .coordinator("cy"),
    );
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", deadline_roster());
    start_ledger(dir.path());
    let now = night(83).to_rfc3339();
    let run_with = |url: String| {
        let mut cmd = psrt();
        cmd.current_dir(dir.path())
            .args(["deadlines", "--send", "--now", &now])
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_API_URL", server.url())
            .env("PSRT_SMTP_URL", url);
        run(&mut cmd)
    };
    sink.refuse(Some("550 5.1.1 mailbox unavailable"));
    let r = tokio::task::block_in_place(|| {
        run_with(format!("smtp://127.0.0.1:{}?tls=none", sink_server.port))
    });
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stdout.contains("the warning (7 days left) was not sent") && r.stdout.contains("550"),
        "{}",
        r.stdout
    );
    // Nobody listening.
    let r = tokio::task::block_in_place(|| run_with("smtp://127.0.0.1:9?tls=none".into()));
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        !dir.path().join(".psrt/ledger.json").exists()
            || !Ledger::load(&dir.path().join(".psrt/ledger.json"))
                .unwrap()
                .messages()
                .has("GHSA-aaaa-aaaa-aaaa", "warn-7")
    );
    sink.refuse(None);
    let r = tokio::task::block_in_place(|| {
        run_with(format!("smtp://127.0.0.1:{}?tls=none", sink_server.port))
    });
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn send_without_smtp_or_sender_says_what_is_missing() {
    let (_gh, server, _sink, _s) = world().await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", deadline_roster());
    let mut cmd = psrt();
    cmd.current_dir(dir.path())
        .args(["deadlines", "--send"])
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", server.url());
    let r = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap();
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("needs SMTP: PSRT_SMTP_URL is not set"),
        "{}",
        r.stderr
    );
    let mut cmd = psrt();
    cmd.current_dir(dir.path())
        .args(["deadlines", "--now", "yesterday"])
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", server.url());
    let r = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap();
    // A usage error (exit 2), said by clap before anything runs.
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("'yesterday' for '--now <TIME>': expected RFC 3339"),
        "{}",
        r.stderr
    );
}

#[test]
fn each_email_kind_renders() {
    use psrt::github::advisories::{Advisory, AdvisoryState};
    let roster = parse_roster(&deadline_roster());
    let a = Advisory {
        repo: "python/cpython".parse().unwrap(),
        ghsa_id: "GHSA-abcd-efgh-ijkl".into(),
        html_url: "https://github.com/python/cpython/security/advisories/GHSA-abcd-efgh-ijkl"
            .into(),
        state: AdvisoryState::Triage,
        created_at: day0(),
        updated_at: None,
        closed_at: None,
        published_at: None,
        credits: vec![],
        collaborating_users: vec![],
        collaborating_teams: vec![],
        private_fork: None,
    };
    let t = Templates::built_in();
    for (name, day) in [
        ("deadline-warning.txt", 83),
        ("deadline-overdue.txt", 93),
        ("coordinator-unassigned.txt", 4),
        ("coordinator-reassign.txt", 30),
        ("coordinator-assigned.txt", 4),
    ] {
        let (subject, body) = t
            .render(name, psrt::notify::report_context(&a, &roster, night(day)))
            .unwrap();
        insta::assert_snapshot!(name, format!("Subject: {subject}\n\n{body}"));
    }
}

/// Through real SMTP servers (aiosmtpd, started by scripts/test): plain, and
/// STARTTLS required with AUTH and a test certificate.
mod real_smtp {
    use super::*;

    fn var(k: &str) -> String {
        std::env::var(k).unwrap_or_else(|_| {
            panic!("{k} is not set: run scripts/test, which starts the SMTP servers")
        })
    }

    fn received(to: &str) -> Vec<String> {
        let dir = std::path::PathBuf::from(var("PSRT_TEST_SMTP_MAILDIR")).join("new");
        std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .filter(|m| m.contains(&format!("X-RcptTo: {to}")))
            .collect()
    }

    async fn send(url: String, ca: Option<String>, to: &str) -> anyhow::Result<()> {
        let env = psrt::config::SmtpEnv {
            url: psrt::secret::Secret::new(url),
            ca_file: ca.map(Into::into),
        };
        let m = Mailer::new(&env, "PSRT <psrt-bot@example.org>")?;
        m.send(&psrt::notify::Email {
            to: vec![to.into()],
            cc: vec![],
            subject: "[PSRT] GHSA-test".into(),
            body: "hello\n".into(),
        })
        .await
    }

    #[tokio::test]
    #[ignore = "needs the SMTP servers: run scripts/test"]
    async fn plain_smtp_delivers() {
        let to = format!("plain-{}@example.com", std::process::id());
        send(
            format!("smtp://127.0.0.1:{}?tls=none", var("PSRT_TEST_SMTP_PLAIN")),
            None,
            &to,
        )
        .await
        .unwrap();
        let got = received(&to);
        assert_eq!(got.len(), 1);
        assert!(
            got[0].contains("Auto-Submitted: auto-generated")
                && got[0].contains("Subject: [PSRT] GHSA-test")
        );
    }

    #[tokio::test]
    #[ignore = "needs the SMTP servers: run scripts/test"]
    async fn starttls_with_auth_delivers_and_failures_are_distinct() {
        let port = var("PSRT_TEST_SMTP_TLS");
        let ca = var("PSRT_TEST_SMTP_CA");
        let to = format!("tls-{}@example.com", std::process::id());
        send(
            format!("smtp://tester:secret@localhost:{port}"),
            Some(ca.clone()),
            &to,
        )
        .await
        .unwrap();
        assert_eq!(received(&to).len(), 1);

        let e = send(
            format!("smtp://tester:wrong-pass@localhost:{port}"),
            Some(ca.clone()),
            &to,
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("535") || e.to_lowercase().contains("auth"),
            "{e}"
        );
        assert!(!e.contains("wrong-pass"), "{e}");
        let e = send(format!("smtp://tester:secret@localhost:{port}"), None, &to)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.to_lowercase().contains("certificate")
                || e.to_lowercase().contains("issuer")
                || e.contains("tls"),
            "unknown issuer: {e}"
        );
        let e = send(format!("smtp://localhost:{port}?tls=none"), None, &to)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("530"), "plain on a TLS-required port: {e}");
        let e = send(
            format!("smtp://tester:secret@localhost:{port}?tls=none"),
            None,
            &to,
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(e.contains("drop ?tls=none"), "credentials without TLS: {e}");
        let e = send(
            format!("smtp://127.0.0.1:{}", var("PSRT_TEST_SMTP_PLAIN")),
            None,
            &to,
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(
            e.to_lowercase().contains("starttls") || e.to_lowercase().contains("tls"),
            "STARTTLS required by default: {e}"
        );
        assert_eq!(received(&to).len(), 1, "only the good one arrived");
    }
}
