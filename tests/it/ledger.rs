//! The deadline ledger under a kill: `psrt deadlines --send` killed
//! (SIGKILL) in the middle of a run of many messages, again and again, then
//! run to the end. Each run repeats at most one message (the one in flight
//! when the previous run died), the ledger always loads, and a corrupt one
//! sends nothing until `--reset-ledger`.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use psrt::ledger::Ledger;
use psrt_fakes::github::FakeAdvisory;
use psrt_fakes::smtp::SmtpSink;
use rand::{Rng, SeedableRng};

use crate::common::*;
use crate::deadlines::deadline_roster;

const REPORTS: usize = 40;

fn now() -> DateTime<Utc> {
    "2026-06-01T03:17:00Z".parse().unwrap()
}

/// `REPORTS` open reports, each with one message due at `now()`: a warning
/// to its coordinator (7 days left).
async fn world() -> (
    psrt_fakes::github::GitHubFake,
    psrt_fakes::Running,
    SmtpSink,
    psrt_fakes::smtp::RunningSink,
) {
    let (gh, server) = github().await;
    for l in ["ada", "bo", "cy", "di"] {
        gh.org_member(l);
    }
    for i in 0..REPORTS {
        gh.advisory(
            FakeAdvisory::new(
                "python/cpython",
                &format!("GHSA-{i:04}-kill-test"),
                "triage",
                now() - chrono::Duration::days(84),
            )
            .coordinator("cy"),
        );
    }
    gh.repo("pypa/pip");
    let sink = SmtpSink::default();
    let running = sink.start().await.unwrap();
    (gh, server, sink, running)
}

fn deadlines_cmd(
    dir: &std::path::Path,
    server: &str,
    smtp_port: u16,
    extra: &[&str],
) -> std::process::Command {
    let mut cmd = psrt();
    cmd.current_dir(dir)
        .args(["deadlines", "--send", "--now", &now().to_rfc3339()])
        .args(extra)
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", server)
        .env(
            "PSRT_SMTP_URL",
            format!("smtp://127.0.0.1:{smtp_port}?tls=none"),
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    cmd
}

/// Message-ID → times received.
fn received(sink: &SmtpSink) -> BTreeMap<String, usize> {
    let mut by_id = BTreeMap::new();
    for m in sink.messages() {
        *by_id
            .entry(m.header("Message-ID").unwrap_or_default())
            .or_insert(0) += 1;
    }
    by_id
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_again_and_again_sends_each_message_at_most_once_more() {
    let (_gh, server, sink, sink_server) = world().await;
    // The window a kill can fall in: stored by the server, not yet acknowledged.
    sink.set_ack_delay(Duration::from_millis(25));
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", deadline_roster());
    let ledger_path = start_ledger(dir.path());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(15);
    let mut kills = 0;
    let mut log = Vec::new();
    let mut max_repeats_in_a_run = 0;
    for round in 0..6 {
        let before = sink.messages().len();
        let seen_before = received(&sink);
        let mut child = deadlines_cmd(dir.path(), &server.url(), sink_server.port, &[])
            .spawn()
            .unwrap();
        // A random point of the run: it takes about REPORTS × 25 ms.
        let wait = rng.gen_range(150..900);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let killed = matches!(child.try_wait(), Ok(None));
        if killed {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        let status = tokio::task::spawn_blocking(move || child.wait_with_output())
            .await
            .unwrap()
            .unwrap();
        // Whatever the moment, the ledger loads.
        let ledger = Ledger::load(&ledger_path)
            .unwrap_or_else(|e| panic!("round {round}: the ledger does not load: {e}"));
        let recorded = (0..REPORTS)
            .filter(|i| {
                ledger
                    .messages()
                    .has(&format!("GHSA-{i:04}-kill-test"), "warn-7")
            })
            .count();
        let repeats = sink.messages()[before..]
            .iter()
            .filter(|m| seen_before.contains_key(&m.header("Message-ID").unwrap_or_default()))
            .count();
        max_repeats_in_a_run = max_repeats_in_a_run.max(repeats);
        log.push(format!(
            "round {round}: {} after {wait} ms, {} message(s) sent ({repeats} repeated), {recorded} recorded in all",
            if killed { "killed" } else { "finished" },
            sink.messages().len() - before,
        ));
        if !killed {
            assert!(status.status.success(), "{status:?}");
            break;
        }
    }
    // Then a run to the end.
    let (before, seen_before) = (sink.messages().len(), received(&sink));
    let out = tokio::task::spawn_blocking({
        let mut cmd = deadlines_cmd(dir.path(), &server.url(), sink_server.port, &[]);
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{out:?}");
    let repeats = sink.messages()[before..]
        .iter()
        .filter(|m| seen_before.contains_key(&m.header("Message-ID").unwrap_or_default()))
        .count();
    max_repeats_in_a_run = max_repeats_in_a_run.max(repeats);
    let by_id = received(&sink);
    let extra: usize = by_id.values().map(|n| n - 1).sum();
    log.push(format!(
        "final run: {} message(s) sent ({repeats} repeated)",
        sink.messages().len() - before
    ));
    log.push(format!(
        "after {kills} kill(s): {} distinct messages, {} received, {extra} repeat(s)",
        by_id.len(),
        sink.messages().len()
    ));
    println!("{}", log.join("\n"));
    assert!(
        kills >= 3,
        "the kills fell after the runs ended:\n{}",
        log.join("\n")
    );
    assert_eq!(by_id.len(), REPORTS, "every message went out");
    // A run repeats only the message the run before it had in flight.
    assert!(
        max_repeats_in_a_run <= 1,
        "a run repeated more than the one message in flight:\n{}",
        log.join("\n")
    );
    assert!(
        extra <= kills,
        "more repeats ({extra}) than kills ({kills}):\n{}",
        log.join("\n")
    );
    let ledger = Ledger::load(&ledger_path).unwrap();
    for i in 0..REPORTS {
        assert!(
            ledger
                .messages()
                .has(&format!("GHSA-{i:04}-kill-test"), "warn-7")
        );
    }
    // Nothing is left to send.
    sink.clear();
    let again = tokio::task::spawn_blocking({
        let mut cmd = deadlines_cmd(dir.path(), &server.url(), sink_server.port, &[]);
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    assert!(again.status.success());
    assert!(sink.messages().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupt_or_truncated_ledger_sends_nothing_until_reset() {
    let (_gh, server, sink, sink_server) = world().await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", deadline_roster());
    let ledger_path = dir.path().join(".psrt/ledger.json");
    // A good ledger, then the same cut in half, then garbage.
    let mut good = Ledger::open(&ledger_path, true, &psrt::ledger::Keeping::in_clear()).unwrap();
    good.record_sent("GHSA-0000-kill-test", &["warn-7"], now())
        .unwrap();
    let text = std::fs::read_to_string(&ledger_path).unwrap();
    for bad in [&text[..text.len() / 2], "\u{0}\u{1}garbage", ""] {
        std::fs::write(&ledger_path, bad).unwrap();
        let out = tokio::task::spawn_blocking({
            let mut cmd = deadlines_cmd(dir.path(), &server.url(), sink_server.port, &[]);
            move || cmd.output().unwrap()
        })
        .await
        .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("the ledger .psrt/ledger.json is corrupt or truncated")
                && stderr.contains("--reset-ledger"),
            "{stderr}"
        );
        assert!(sink.messages().is_empty(), "sent with a corrupt ledger");
        assert_eq!(
            std::fs::read_to_string(&ledger_path).unwrap(),
            bad,
            "left as it was"
        );
    }
    let out = tokio::task::spawn_blocking({
        let mut cmd = deadlines_cmd(
            dir.path(),
            &server.url(),
            sink_server.port,
            &["--reset-ledger"],
        );
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("--reset-ledger: starting a new ledger"),
        "{stderr}"
    );
    assert_eq!(sink.messages().len(), REPORTS);
    let ledger = Ledger::load(&ledger_path).unwrap();
    assert!(ledger.messages().has("GHSA-0039-kill-test", "warn-7"));
}

/// Issue 21, item 6: a missing ledger (a cache restore that missed, on
/// purpose or not) sends nothing: every open report would get its current
/// message again. `--reset-ledger` says that is meant; a dry run needs none.
#[tokio::test(flavor = "multi_thread")]
async fn a_missing_ledger_sends_nothing_until_reset() {
    let (_gh, server, sink, sink_server) = world().await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", deadline_roster());
    let ledger_path = dir.path().join(".psrt/ledger.json");
    let go = |extra: &'static [&'static str]| {
        let mut cmd = deadlines_cmd(dir.path(), &server.url(), sink_server.port, extra);
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
    };
    let out = go(&[]).await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("there is no ledger at .psrt/ledger.json; nothing was sent")
            && stderr.contains("--reset-ledger")
            && stderr.contains("reset_ledger"),
        "{stderr}"
    );
    assert!(sink.messages().is_empty(), "sent without a ledger");
    assert!(!ledger_path.exists(), "nothing was written either");
    // A dry run reads no ledger it would not use.
    let mut dry = psrt();
    dry.current_dir(dir.path())
        .args(["deadlines", "--now", &now().to_rfc3339()])
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", server.url());
    let out = tokio::task::spawn_blocking(move || run(&mut dry))
        .await
        .unwrap();
    assert_eq!(out.code, 0, "{}", out.all());
    // Reset on purpose: each open report gets its current message once.
    let out = go(&["--reset-ledger"]).await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sink.messages().len(), REPORTS);
    assert!(
        Ledger::load(&ledger_path)
            .unwrap()
            .messages()
            .has("GHSA-0039-kill-test", "warn-7")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ledger_that_cannot_be_saved_stops_the_sending() {
    let (gh, server, sink, sink_server) = world().await;
    let _ = gh;
    let dir = tempfile::tempdir().unwrap();
    // The ledger's directory is a file: every save fails.
    write(dir.path(), "not-a-dir", "");
    let path = dir.path().join("not-a-dir/ledger.json");
    let roster = parse_roster(&deadline_roster());
    let client = psrt::github::GitHub::connect(
        github_env(&server.url()).github.as_ref().unwrap(),
        psrt::deadlines::github_scope(&roster),
        psrt::github::Tuning::local(),
    )
    .await
    .unwrap();
    let mailer = psrt::notify::Mailer::new(
        &psrt::config::SmtpEnv {
            url: psrt::secret::Secret::new(format!(
                "smtp://127.0.0.1:{}?tls=none",
                sink_server.port
            )),
            ca_file: None,
        },
        "PSRT <psrt-bot@example.org>",
    )
    .unwrap();
    let templates = psrt::notify::Templates::built_in();
    let mut ledger = Ledger::open(&path, true, &psrt::ledger::Keeping::in_clear()).unwrap();
    let out = psrt::deadlines::run(
        &client,
        &roster,
        &Ledger::default(),
        now(),
        Some(psrt::deadlines::Sending {
            mailer: &mailer,
            templates: &templates,
            ledger: &mut ledger,
        }),
    )
    .await;
    assert_eq!(sink.messages().len(), 1, "one sent, then the save failed");
    assert_eq!(out.sent.len(), 1);
    assert!(
        out.errors[0].contains("the ledger could not be saved")
            && out.errors[0].contains("nothing more is sent this run"),
        "{:?}",
        out.errors
    );
    assert_eq!(out.errors.len(), REPORTS);
    assert!(
        out.errors[1..]
            .iter()
            .all(|e| e.contains("was not sent: the ledger cannot be saved")),
        "{:?}",
        out.errors
    );
}
