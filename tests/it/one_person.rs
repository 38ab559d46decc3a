//! Issue 21, item 4: no inference from one person's change. A coordinator
//! moving to `emeritus` is a public pull request; if the nightly log then
//! shows "reassign alert to the admins" on exactly the reports they
//! coordinated, the log pairs a person with unpublished reports. So no line
//! or JSON record about one report may differ because one person joined or
//! left. Every command runs (dry runs and writes, against the stand-ins) in
//! worlds that differ from a base by one person, and the per-report output
//! (lines and JSON records that mention a report) is compared.

use chrono::{Duration, Utc};
use psrt_fakes::github::FakeAdvisory;
use psrt_fakes::smtp::SmtpSink;

use crate::common::*;
use crate::deadlines::deadline_roster;

/// The commands, in the order a day runs them (the writes last).
const COMMANDS: &[&[&str]] = &[
    &["check"],
    &["sync"],
    &["sync", "--json"],
    &["advisories"],
    &["advisories", "--json"],
    &["deadlines"],
    &["deadlines", "--json"],
    &["inactivity"],
    &["publish"],
    &["advisories", "--apply"],
    &["deadlines", "--send"],
    &["sync", "--apply"],
];

/// The worlds: the base roster and each one-person change of it.
fn worlds() -> Vec<(&'static str, String)> {
    let base = deadline_roster();
    let cy = "  - name: Cy Coordinator\n    github: cy\n    email: cy@example.org\n";
    let di = "  - name: Di NoMail\n    github: di\n";
    assert!(base.contains(cy) && base.contains(di));
    vec![
        ("base", base.clone()),
        (
            "a member joins",
            base.replace(
                "emeritus:\n",
                "  - name: Ned New\n    github: ned\n    email: ned@example.org\nemeritus:\n",
            ),
        ),
        (
            "a coordinator leaves to emeritus",
            base.replace(cy, "").replace(
                "emeritus:\n",
                "emeritus:\n  - name: Cy Coordinator\n    github: cy\n",
            ),
        ),
        (
            "a member (no report of theirs) leaves to emeritus",
            base.replace(di, "").replace(
                "emeritus:\n",
                "emeritus:\n  - name: Di NoMail\n    github: di\n",
            ),
        ),
        (
            "a coordinator loses their address",
            base.replace("    email: cy@example.org\n", ""),
        ),
    ]
}

/// What every command printed about each report, in one world (a fresh
/// GitHub and SMTP stand-in each, seeded alike).
async fn per_report_output(roster: &str) -> Vec<(String, Vec<String>)> {
    let (gh, server) = github().await;
    for l in ["ada", "bo", "cy", "di"] {
        gh.add_to_team("psrt", l, "member");
    }
    for l in ["ex", "ned", "rep"] {
        gh.org_member(l);
    }
    gh.repo("python/cpython");
    gh.repo("pypa/pip");
    let now = Utc::now();
    let mk = |repo: &str, id: &str, state: &str, days: i64, coordinator: Option<&str>| {
        let mut a = FakeAdvisory::new(repo, id, state, now - Duration::days(days));
        if let Some(c) = coordinator {
            a = a.coordinator(c);
        }
        a.collaborating_teams = vec!["psrt".into()];
        a.author = Some("rep".into());
        a
    };
    // Two reports Cy coordinates (one past its deadline), with Cy among
    // the collaborators; one Ada coordinates; one nobody does.
    let mut a = mk(
        "python/cpython",
        "GHSA-cyaa-0000-0001",
        "triage",
        85,
        Some("cy"),
    );
    a.collaborating_users = vec!["cy".into()];
    gh.advisory(a);
    gh.advisory(mk(
        "pypa/pip",
        "GHSA-cybb-0000-0002",
        "draft",
        95,
        Some("cy"),
    ));
    gh.advisory(mk(
        "python/cpython",
        "GHSA-adaa-0000-0003",
        "triage",
        61,
        Some("ada"),
    ));
    gh.advisory(mk(
        "python/cpython",
        "GHSA-none-0000-0004",
        "triage",
        20,
        None,
    ));
    let sink = SmtpSink::default();
    let smtp = sink.start().await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", roster);
    start_ledger(dir.path());
    let env = vec![
        ("GITHUB_TOKEN", TOKEN.to_owned()),
        ("GITHUB_API_URL", server.url()),
        (
            "PSRT_SMTP_URL",
            format!("smtp://127.0.0.1:{}?tls=none", smtp.port),
        ),
        ("PSRT_GITHUB_WRITE_PAUSE_MS", "0".to_owned()),
    ];
    let mut out = Vec::new();
    for args in COMMANDS {
        let d = dir.path().to_owned();
        let env = env.clone();
        let r = tokio::task::spawn_blocking(move || {
            let mut cmd = psrt();
            cmd.current_dir(&d).args(*args);
            for (k, v) in &env {
                cmd.env(k, v);
            }
            run(&mut cmd)
        })
        .await
        .unwrap();
        assert!(r.code != 101, "{args:?} panicked: {}", r.all());
        out.push((args.join(" "), about_reports(&r.all())));
    }
    out
}

/// The lines that mention a report, and every JSON object that does.
fn about_reports(output: &str) -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if m.values()
                    .any(|x| x.as_str().is_some_and(|s| s.contains("GHSA-")))
                {
                    out.push(v.to_string());
                }
                m.values().for_each(|x| walk(x, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    let trimmed = output.trim_start();
    if trimmed.starts_with('{') {
        // `--json`: the document is on stdout, notes after it on stderr.
        let mut de = serde_json::Deserializer::from_str(trimmed).into_iter::<serde_json::Value>();
        if let Some(Ok(v)) = de.next() {
            walk(&v, &mut found);
            return found;
        }
    }
    output
        .lines()
        .filter(|l| l.contains("GHSA-"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn no_reports_output_differs_because_one_person_joined_or_left() {
    let worlds = worlds();
    let base = per_report_output(&worlds[0].1).await;
    // The comparison is not empty: the reports are named somewhere.
    assert!(
        base.iter().filter(|(_, lines)| !lines.is_empty()).count() >= 4,
        "{base:#?}"
    );
    for (world, roster) in &worlds[1..] {
        let other = per_report_output(roster).await;
        for ((cmd, before), (_, after)) in base.iter().zip(&other) {
            assert_eq!(
                before, after,
                "`psrt {cmd}`: the output about reports differs when {world}"
            );
        }
    }
}
