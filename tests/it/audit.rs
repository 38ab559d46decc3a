//! `psrt audit` against the GitHub stand-in (and the SMTP sink): every
//! problem kind found when present and not when absent, `--apply`
//! re-enabling only what GitHub disabled and keeping the rest alive at its
//! cadence, the two audits that must not keep each other red, runs that
//! prove nothing, the emails (once, weekly, cleared, the digest), exit
//! codes, and a failed read that is "not checked", never clear.

use chrono::{DateTime, Duration, Utc};
use psrt::audit::{self, Kind, Report, State};
use psrt::ledger::Ledger;
use psrt_fakes::Fault;
use psrt_fakes::scenario::audit as scenario;
use psrt_fakes::smtp::SmtpSink;

use crate::common::*;

pub const POLICY: &str = "python/psrt-roster";
const APPROVALS_APP: u64 = 5151;

/// A fixed clock, so that reports and emails snapshot the same.
pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-07T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

pub fn audit_roster() -> String {
    "version: 1\ngithub:\n  org: python\n  team: psrt\n  advisory_repos: [python/cpython, pypa/pip]\n  eligibility_teams: [python-core]\nemail:\n  from: \"PSRT <psrt-bot@example.org>\"\nmembers:\n  - name: Ada\n    github: ada\n    email: ada@example.org\n    roles: [admin]\n  - name: Bo\n    github: bo\n    email: bo@example.org\n    roles: [admin]\n  - name: Cy\n    github: cy\n    email: cy@example.org\n"
        .to_owned()
}

/// A healthy world: the policy repository, cpython and pip, and 5 other
/// repositories of the organisation.
pub async fn world() -> (
    psrt_fakes::github::GitHubFake,
    psrt_fakes::Running,
    Vec<(String, u64)>,
) {
    let (gh, server) = github().await;
    gh.repo(POLICY);
    let ids = scenario::healthy(
        &gh,
        POLICY,
        &["python/cpython", "pypa/pip"],
        Some(APPROVALS_APP),
        t0(),
    );
    scenario::org_repositories(&gh, "python", 5);
    (gh, server, ids)
}

fn env(url: &str, extra: &[(&str, String)]) -> psrt::config::Env {
    let mut vars = vec![
        ("GITHUB_TOKEN", TOKEN.to_owned()),
        ("GITHUB_API_URL", url.to_owned()),
        ("PSRT_APPROVALS_APP_ID", APPROVALS_APP.to_string()),
    ];
    vars.extend(extra.iter().cloned());
    env_for(&vars)
}

pub struct Audit<'a> {
    pub apply: bool,
    pub record: bool,
    pub now: DateTime<Utc>,
    pub ledger: &'a mut Ledger,
    pub smtp_port: Option<u16>,
}

pub async fn audit_with(url: &str, extra: &[(&str, String)], a: Audit<'_>) -> Report {
    let roster = parse_roster(&audit_roster());
    let env = env(url, extra);
    let gh = psrt::github::GitHub::connect(
        env.github.as_ref().unwrap(),
        audit::github_scope(&roster, POLICY, a.apply),
        psrt::github::Tuning::local(),
    )
    .await
    .unwrap();
    let templates = psrt::notify::Templates::built_in();
    let mailer = a.smtp_port.map(|port| {
        let smtp = psrt::config::SmtpEnv {
            url: psrt::secret::Secret::new(format!("smtp://127.0.0.1:{port}?tls=none")),
            ca_file: None,
        };
        psrt::notify::Mailer::new(&smtp, "PSRT <psrt-bot@example.org>").unwrap()
    });
    let sending = mailer.as_ref().map(|m| audit::mail::Sending {
        mailer: m,
        templates: &templates,
        to: vec!["ada@example.org".into(), "bo@example.org".into()],
    });
    audit::run(
        &gh,
        &roster,
        &POLICY.parse().unwrap(),
        audit::Options {
            apply: a.apply,
            credentials: false,
            now: a.now,
            env: &env,
            tuning: psrt::github::Tuning::local(),
            sending,
            send_blocked: None,
            record: a.record,
            ledger: a.ledger,
        },
    )
    .await
}

async fn dry(url: &str) -> Report {
    audit_with(
        url,
        &[],
        Audit {
            apply: false,
            record: false,
            now: t0(),
            ledger: &mut Ledger::in_memory(),
            smtp_port: None,
        },
    )
    .await
}

fn kinds(r: &Report) -> Vec<(Kind, String)> {
    let mut v: Vec<(Kind, String)> = r
        .problems
        .iter()
        .map(|p| (p.kind, p.subject.clone()))
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn a_healthy_world_has_no_problem() {
    let (_gh, server, _) = world().await;
    let r = dry(&server.url()).await;
    assert_eq!(kinds(&r), vec![], "{}", r.text());
    assert!(!r.failed(), "{}", r.text());
    let text = r.text();
    for want in [
        "✓ nightly.yml",
        "the latest scheduled run (2026-12-07 07:00 UTC) passed; runs every 1 day",
        "runs every 1 hour",
        "runs every 366 days",
        "the psrt/approvals status from the approvals App (id 5151) is required",
        "review from code owners is required",
        "approval of the most recent push is required",
        "active; nobody may bypass it",
        "GitHub reads it without errors",
        "python/cpython",
        "6 public repositories read; 0 accept reports unwatched",
        "summary: no problem; not checked this run: credentials (run with --credentials)",
    ] {
        assert!(text.contains(want), "{want}\n{text}");
    }
    // The unscheduled workflows are not judged.
    assert!(!text.contains("approvals.yml"), "{text}");
}

/// In a workflow, the approvals App's id is not optional: without it the
/// audit cannot tell a `psrt/approvals` anyone may set from the App's, so
/// it is a problem there (a local run only notes it).
#[tokio::test]
async fn a_workflow_without_the_approvals_apps_id_is_a_problem() {
    let (_gh, server, _) = world().await;
    for (id, in_actions) in [("", true), ("abc", true), ("", false)] {
        let mut extra = vec![("PSRT_APPROVALS_APP_ID", id.to_owned())];
        if in_actions {
            extra.push(("GITHUB_ACTIONS", "true".to_owned()));
            extra.push(("PSRT_MODE", "apply".to_owned()));
        }
        let r = audit_with(
            &server.url(),
            &extra,
            Audit {
                apply: false,
                record: false,
                now: t0(),
                ledger: &mut Ledger::in_memory(),
                smtp_port: None,
            },
        )
        .await;
        let want = if in_actions {
            vec![(Kind::Credential, "its source".to_owned())]
        } else {
            vec![]
        };
        assert_eq!(kinds(&r), want, "{id:?} {in_actions}\n{}", r.text());
        assert!(
            r.text().contains("which App must set psrt/approvals is"),
            "{}",
            r.text()
        );
    }
}

#[tokio::test]
async fn every_problem_at_once_and_each_named() {
    let (gh, server, ids) = world().await;
    scenario::everything_broken(&gh, POLICY, &ids, "pypa/pip", "python/unwatched", t0());
    let r = dry(&server.url()).await;
    let got = kinds(&r);
    for want in [
        (Kind::WorkflowDisabled, "hourly.yml"),
        (Kind::WorkflowDisabledByHand, "yearly.yml"),
        (Kind::RunFailed, "nightly.yml"),
        (Kind::NoRecentSuccess, "publish.yml"),
        (Kind::RuleMissing, "psrt/approvals"),
        (Kind::RuleMissing, "code owners' review"),
        (Kind::Bypass, "ruleset \"main\""),
        (Kind::Codeowners, "CODEOWNERS"),
        (Kind::ReportingOff, "pypa/pip"),
        (Kind::ReportingUnwatched, "python/unwatched"),
    ] {
        assert!(
            got.contains(&(want.0, want.1.to_owned())),
            "{want:?} not found:\n{}",
            r.text()
        );
    }
    assert!(r.failed());
    // Bypass actors are counted, never listed: public logs.
    assert!(r.text().contains("1 bypass actor(s)"), "{}", r.text());
    assert!(!r.text().contains("RepositoryRole"), "{}", r.text());
    insta::assert_snapshot!("audit_every_problem", r.text());
}

#[tokio::test]
async fn a_plan_mode_is_a_problem_while_it_lasts() {
    let (_gh, server, _) = world().await;
    let r = audit_with(
        &server.url(),
        &[("PSRT_MODE", "plan".to_owned())],
        Audit {
            apply: false,
            record: false,
            now: t0(),
            ledger: &mut Ledger::in_memory(),
            smtp_port: None,
        },
    )
    .await;
    assert_eq!(kinds(&r), vec![(Kind::PlanMode, "PSRT_MODE".to_owned())]);
    let r = audit_with(
        &server.url(),
        &[("PSRT_MODE", "plam".to_owned())],
        Audit {
            apply: false,
            record: false,
            now: t0(),
            ledger: &mut Ledger::in_memory(),
            smtp_port: None,
        },
    )
    .await;
    assert_eq!(kinds(&r), vec![(Kind::PlanMode, "PSRT_MODE".to_owned())]);
    assert!(r.text().contains("PSRT_MODE is `plam`"), "{}", r.text());
}

#[tokio::test]
async fn apply_enables_only_what_github_disabled() {
    let (gh, server, ids) = world().await;
    scenario::everything_broken(&gh, POLICY, &ids, "pypa/pip", "python/unwatched", t0());
    let mut ledger = Ledger::in_memory();
    let r = audit_with(
        &server.url(),
        &[],
        Audit {
            apply: true,
            record: true,
            now: t0(),
            ledger: &mut ledger,
            smtp_port: None,
        },
    )
    .await;
    assert_eq!(
        gh.workflow_state(POLICY, ".github/workflows/hourly.yml"),
        Some(("active".to_owned(), 1))
    );
    assert_eq!(
        gh.workflow_state(POLICY, ".github/workflows/yearly.yml"),
        Some(("disabled_manually".to_owned(), 0)),
        "an admin's choice is never undone"
    );
    assert!(
        r.writes.contains(&"enabled hourly.yml again".to_owned()),
        "{:?}",
        r.writes
    );
    let hourly = r
        .findings
        .iter()
        .find(|f| f.subject == "hourly.yml" && f.scope == "workflow hourly.yml")
        .unwrap();
    assert_eq!(hourly.state, State::Fixed);
    assert!(!kinds(&r).contains(&(Kind::WorkflowDisabled, "hourly.yml".to_owned())));
    // Without --apply nothing is written, only said.
    gh.audit_state(POLICY, |a| {
        for w in &mut a.workflows {
            if w.path.ends_with("/hourly.yml") {
                w.state = "disabled_inactivity".into();
            }
        }
    });
    gh.knobs.clear_log();
    let r = dry(&server.url()).await;
    assert!(gh.knobs.writes().is_empty(), "{:?}", gh.knobs.writes());
    assert!(
        r.writes
            .contains(&"would enable hourly.yml again (disabled for inactivity)".to_owned())
    );
}

#[tokio::test]
async fn the_workflows_are_kept_alive_monthly_while_the_repository_is_quiet() {
    let (gh, server, _) = world().await;
    gh.audit_state(POLICY, |a| a.pushed_at = Some(t0() - Duration::days(40)));
    let mut ledger = Ledger::in_memory();
    let url = server.url();
    let r = applied(&url, t0(), &mut ledger).await;
    assert!(
        r.writes.iter().any(|w| w.starts_with("kept alive")),
        "{:?}",
        r.writes
    );
    let calls = |file: &str| {
        gh.workflow_state(POLICY, &format!(".github/workflows/{file}"))
            .unwrap()
            .1
    };
    assert_eq!(
        [
            "nightly.yml",
            "hourly.yml",
            "yearly.yml",
            "publish.yml",
            "approvals.yml"
        ]
        .map(calls),
        [1, 1, 1, 1, 0],
        "the active scheduled workflows, once; never the unscheduled"
    );
    // An hour later, and 29 days later: nothing; 30 days later: again.
    applied(&url, t0() + Duration::hours(1), &mut ledger).await;
    applied(&url, t0() + Duration::days(29), &mut ledger).await;
    assert_eq!(calls("nightly.yml"), 1);
    applied(&url, t0() + Duration::days(30), &mut ledger).await;
    assert_eq!(calls("nightly.yml"), 2);
    // While people push, never.
    gh.audit_state(POLICY, |a| a.pushed_at = Some(t0() + Duration::days(59)));
    applied(&url, t0() + Duration::days(61), &mut ledger).await;
    assert_eq!(calls("nightly.yml"), 2);
}

async fn applied(url: &str, now: DateTime<Utc>, ledger: &mut Ledger) -> Report {
    audit_with(
        url,
        &[],
        Audit {
            apply: true,
            record: true,
            now,
            ledger,
            smtp_port: None,
        },
    )
    .await
}

/// Each workflow runs an audit job beside its own; judged with the audit's
/// job counted, a red audit would make its workflow's run red, which the
/// other workflow's audit would report, and so on forever.
#[tokio::test]
async fn two_audits_that_report_each_other_do_not_keep_each_other_red() {
    let (gh, server, ids) = world().await;
    let id = |f: &str| ids.iter().find(|(x, _)| x == f).unwrap().1;
    gh.run(
        POLICY,
        id("nightly.yml"),
        "schedule",
        "main",
        t0() - Duration::hours(1),
        &[
            ("sync, deadlines", "success"),
            (scenario::AUDIT_JOB, "failure"),
        ],
    );
    gh.run(
        POLICY,
        id("hourly.yml"),
        "schedule",
        "main",
        t0() - Duration::minutes(10),
        &[
            ("advisory lifecycle", "success"),
            (scenario::AUDIT_JOB, "failure"),
        ],
    );
    let r = dry(&server.url()).await;
    assert_eq!(kinds(&r), vec![], "{}", r.text());
    // And an audit job cancelled by a newer pending one proves the run
    // neither way: its other jobs decide.
    gh.run(
        POLICY,
        id("hourly.yml"),
        "schedule",
        "main",
        t0() - Duration::minutes(5),
        &[
            ("advisory lifecycle", "failure"),
            (scenario::AUDIT_JOB, "cancelled"),
        ],
    );
    let r = dry(&server.url()).await;
    assert_eq!(kinds(&r), vec![(Kind::RunFailed, "hourly.yml".to_owned())]);
}

#[tokio::test]
async fn a_dispatch_or_a_copy_on_a_branch_proves_nothing() {
    let (gh, server, ids) = world().await;
    let id = ids.iter().find(|(x, _)| x == "nightly.yml").unwrap().1;
    gh.audit_state(POLICY, |a| a.runs.retain(|r| r.workflow_id != id));
    gh.run(
        POLICY,
        id,
        "schedule",
        "main",
        t0() - Duration::days(5),
        &[("sync, deadlines", "failure")],
    );
    // A writer's green runs: dispatched by hand, and a scheduled copy on a branch.
    gh.run(
        POLICY,
        id,
        "workflow_dispatch",
        "main",
        t0() - Duration::hours(1),
        &[("sync, deadlines", "success")],
    );
    gh.run(
        POLICY,
        id,
        "schedule",
        "fix",
        t0() - Duration::hours(1),
        &[("sync, deadlines", "success")],
    );
    let r = dry(&server.url()).await;
    assert_eq!(
        kinds(&r),
        vec![(Kind::RunFailed, "nightly.yml".to_owned())],
        "{}",
        r.text()
    );
    // No scheduled run on the default branch at all, for two years.
    gh.audit_state(POLICY, |a| {
        a.runs
            .retain(|r| !(r.workflow_id == id && r.event == "schedule" && r.head_branch == "main"))
    });
    let r = dry(&server.url()).await;
    assert_eq!(
        kinds(&r),
        vec![(Kind::NoRecentSuccess, "nightly.yml".to_owned())],
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn a_read_that_fails_is_not_checked_and_clears_nothing() {
    let (gh, server, ids) = world().await;
    scenario::everything_broken(&gh, POLICY, &ids, "pypa/pip", "python/unwatched", t0());
    let mut ledger = Ledger::in_memory();
    let first = audit_with(
        &server.url(),
        &[],
        Audit {
            apply: false,
            record: true,
            now: t0(),
            ledger: &mut ledger,
            smtp_port: None,
        },
    )
    .await;
    assert!(kinds(&first).contains(&(Kind::RuleMissing, "code owners' review".to_owned())));
    // The rules are fixed, but psrt cannot read them any more.
    gh.audit_state(POLICY, |a| {
        a.rulesets = vec![psrt_fakes::github::FakeRuleset::psrt(
            scenario::RULESET_ID,
            Some(APPROVALS_APP),
        )];
    });
    gh.knobs
        .inject(Fault::new(http::Method::GET, "/rules/branches/", 500));
    let r = audit_with(
        &server.url(),
        &[],
        Audit {
            apply: false,
            record: true,
            now: t0() + Duration::hours(1),
            ledger: &mut ledger,
            smtp_port: None,
        },
    )
    .await;
    let got = kinds(&r);
    assert!(
        got.contains(&(Kind::NotChecked, "rules".to_owned())),
        "{}",
        r.text()
    );
    assert!(
        got.contains(&(Kind::RuleMissing, "code owners' review".to_owned())),
        "not cleared by a run that could not look: {}",
        r.text()
    );
    assert!(
        r.cleared.is_empty() || !r.cleared.iter().any(|c| c.contains("rule-missing")),
        "{:?}",
        r.cleared
    );
    assert!(
        r.summary().contains("NOT checked: rules"),
        "{}",
        r.summary()
    );
    assert!(r.failed());
    // Readable again: cleared.
    gh.knobs.clear_faults();
    let r = audit_with(
        &server.url(),
        &[],
        Audit {
            apply: false,
            record: true,
            now: t0() + Duration::hours(2),
            ledger: &mut ledger,
            smtp_port: None,
        },
    )
    .await;
    assert!(
        r.cleared
            .iter()
            .any(|c| c == "rule-missing code owners' review"),
        "{:?}",
        r.cleared
    );
    assert!(
        r.cleared.iter().any(|c| c == "not-checked rules"),
        "{:?}",
        r.cleared
    );
}

#[tokio::test]
async fn the_admins_hear_once_weekly_and_when_it_clears_and_get_a_weekly_digest() {
    let (gh, server, ids) = world().await;
    let sink = SmtpSink::default();
    let sink_server = sink.start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit-ledger.json");
    let mut out = String::new();
    let url = server.url();
    let at = |label: &'static str, now: DateTime<Utc>| {
        mail_step(&url, sink_server.port, &path, &sink, label, now)
    };
    // A problem appears: one email for it, and the first digest.
    let id = ids.iter().find(|(x, _)| x == "nightly.yml").unwrap().1;
    gh.run(
        POLICY,
        id,
        "schedule",
        "main",
        t0() - Duration::hours(1),
        &[
            ("sync, deadlines", "failure"),
            (scenario::AUDIT_JOB, "success"),
        ],
    );
    let (r, first) = at("t0", t0()).await;
    out.push_str(&log(&first, "t0"));
    assert!(r.failed());
    assert_eq!(first.len(), 2, "{out}");
    // An hour later: nothing new, nothing twice.
    let (_, again) = at("t0 + 1 hour", t0() + Duration::hours(1)).await;
    out.push_str(&log(&again, "t0 + 1 hour"));
    assert!(again.is_empty(), "{out}");
    // A week later: a reminder, and the digest (the hourly job ran meanwhile).
    let hourly = ids.iter().find(|(x, _)| x == "hourly.yml").unwrap().1;
    let ran = |at: DateTime<Utc>| {
        gh.run(
            POLICY,
            hourly,
            "schedule",
            "main",
            at,
            &[
                ("advisory lifecycle", "success"),
                (scenario::AUDIT_JOB, "success"),
            ],
        )
    };
    ran(t0() + Duration::days(7) - Duration::minutes(10));
    let (_, week) = at("t0 + 7 days", t0() + Duration::days(7)).await;
    out.push_str(&log(&week, "t0 + 7 days"));
    assert_eq!(week.len(), 2, "{out}");
    // It clears: one email.
    gh.run(
        POLICY,
        id,
        "schedule",
        "main",
        t0() + Duration::days(7) + Duration::hours(1),
        &[
            ("sync, deadlines", "success"),
            (scenario::AUDIT_JOB, "success"),
        ],
    );
    ran(t0() + Duration::days(7) + Duration::hours(1) + Duration::minutes(50));
    let (r, cleared) = at(
        "t0 + 7 days 2 hours",
        t0() + Duration::days(7) + Duration::hours(2),
    )
    .await;
    out.push_str(&log(&cleared, "t0 + 7 days 2 hours"));
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(cleared.len(), 1, "{out}");
    ran(t0() + Duration::days(8) - Duration::minutes(10));
    let (_, quiet) = at("t0 + 8 days", t0() + Duration::days(8)).await;
    out.push_str(&log(&quiet, "t0 + 8 days"));
    assert!(quiet.is_empty(), "{out}");
    // What the messages say, to whom: the admins only; no person, no report.
    for m in first.iter().chain(&week).chain(&cleared) {
        let mut to = m.to.clone();
        to.sort();
        assert_eq!(to, ["ada@example.org", "bo@example.org"]);
        assert_eq!(
            m.header("Auto-Submitted").as_deref(),
            Some("auto-generated")
        );
    }
    let body = |m: &psrt_fakes::smtp::Captured| {
        let text = quoted_printable::decode(m.body(), quoted_printable::ParseMode::Robust)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_else(|_| m.body());
        format!(
            "Subject: {}\n\n{text}",
            m.header("Subject").unwrap_or_default()
        )
    };
    let mut emails = out.clone();
    for m in first.iter().chain(&cleared) {
        emails.push_str(&format!("\n----\n{}", body(m)));
    }
    insta::assert_snapshot!("audit_emails", emails);
    // The ledger names kinds and subjects, never a person.
    let text = std::fs::read_to_string(&path).unwrap();
    for person in ["ada", "bo@", "cy"] {
        assert!(!text.contains(person), "{text}");
    }
}

fn log(msgs: &[psrt_fakes::smtp::Captured], label: &str) -> String {
    let mut s = format!("{label}: {} email(s)\n", msgs.len());
    for m in msgs {
        s.push_str(&format!("  {}\n", m.header("Subject").unwrap_or_default()));
    }
    s
}

async fn mail_step(
    url: &str,
    port: u16,
    path: &std::path::Path,
    sink: &SmtpSink,
    _label: &str,
    now: DateTime<Utc>,
) -> (Report, Vec<psrt_fakes::smtp::Captured>) {
    let mut ledger = Ledger::open(path, false, &psrt::ledger::Keeping::in_clear()).unwrap();
    let r = audit_with(
        url,
        &[],
        Audit {
            apply: false,
            record: true,
            now,
            ledger: &mut ledger,
            smtp_port: Some(port),
        },
    )
    .await;
    let msgs = sink.messages();
    sink.clear();
    (r, msgs)
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_codes_and_a_bad_mode_reported_not_refused() {
    let (gh, server, ids) = world().await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", audit_roster());
    let run_audit = |mode: Option<&str>| {
        let mut cmd = psrt();
        cmd.current_dir(dir.path())
            .args(["audit", "--repo", POLICY])
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_API_URL", server.url())
            .env("PSRT_APPROVALS_APP_ID", APPROVALS_APP.to_string());
        if let Some(m) = mode {
            cmd.env("PSRT_MODE", m);
        }
        cmd
    };
    // The real clock: the runs the healthy world seeded are fresh enough?
    // They were seeded for t0; seed fresh ones for now.
    let now = Utc::now();
    for (file, id) in &ids {
        let job = scenario::WORKFLOWS
            .iter()
            .find(|(f, _, _)| f == file)
            .unwrap()
            .2;
        gh.run(
            POLICY,
            *id,
            "schedule",
            "main",
            now - Duration::minutes(30),
            &[(job, "success")],
        );
    }
    let mut cmd = run_audit(None);
    let r = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap();
    assert_eq!(r.code, 0, "{}", r.all());
    let mut cmd = run_audit(Some("apply"));
    let r = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap();
    assert_eq!(r.code, 0, "{}", r.all());
    let mut cmd = run_audit(Some("plan"));
    let r = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap();
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stdout.contains("plan-mode"), "{}", r.all());
    // Any other command refuses a bad mode (exit 2); the audit reports it.
    let mut cmd = run_audit(Some(""));
    let r = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap();
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stdout.contains("PSRT_MODE is empty"), "{}", r.all());
    // Without GitHub, nothing is checked: an error, exit 1.
    let mut cmd = psrt();
    cmd.current_dir(dir.path())
        .args(["audit", "--repo", POLICY]);
    let r = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap();
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("psrt audit needs GitHub"), "{}", r.all());
    // --json carries the problems.
    gh.audit_state(POLICY, |a| a.private_reporting = false);
    gh.audit_state("pypa/pip", |a| a.private_reporting = false);
    let mut cmd = run_audit(None);
    cmd.arg("--json");
    let r = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap();
    assert_eq!(r.code, 1, "{}", r.all());
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["problems"][0]["kind"], "reporting-off", "{v:#}");
}

/// Every operation the audit uses, through Prism with GitHub's official
/// description: the workflows, runs and jobs, `enable`, the rulesets and
/// the branch's rules, CODEOWNERS errors, private reporting, and the
/// organisation's repositories over several pages.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Prism: run scripts/test"]
async fn the_audits_operations_match_githubs_description() {
    let (gh, server, ids) = world().await;
    scenario::org_repositories(&gh, "python", 130);
    scenario::everything_broken(&gh, POLICY, &ids, "pypa/pip", "python/unwatched", t0());
    gh.audit_state(POLICY, |a| a.pushed_at = Some(t0() - Duration::days(45)));
    let prism = crate::prism::Prism::start("PSRT_GITHUB_SPEC", &server.url());
    gh.with(|s| s.public_url = Some(prism.url.clone()));
    let r = audit_with(
        &prism.url,
        &[],
        Audit {
            apply: true,
            record: true,
            now: t0(),
            ledger: &mut Ledger::in_memory(),
            smtp_port: None,
        },
    )
    .await;
    assert!(
        r.not_checked().is_empty(),
        "{}\n{}",
        r.text(),
        prism.log_text()
    );
    assert!(
        r.write_failures.is_empty(),
        "{:?}\n{}",
        r.write_failures,
        prism.log_text()
    );
    let ops: Vec<String> = gh
        .knobs
        .log()
        .iter()
        .map(|l| format!("{} {}", l.method, l.path))
        .collect();
    for want in [
        "GET /repos/python/psrt-roster/actions/workflows",
        "PUT /repos/python/psrt-roster/actions/workflows/",
        "/runs",
        "/jobs",
        "GET /repos/python/psrt-roster/rulesets",
        "GET /repos/python/psrt-roster/rules/branches/main",
        "GET /repos/python/psrt-roster/codeowners/errors",
        "GET /repos/pypa/pip/private-vulnerability-reporting",
        "GET /orgs/python/repos",
        "GET /repos/python/psrt-roster/contents/.github/workflows/nightly.yml",
    ] {
        assert!(
            ops.iter().any(|o| o.contains(want)),
            "{want} not exercised: {ops:#?}"
        );
    }
    assert!(
        ops.iter()
            .any(|o| o.contains("/orgs/python/repos") && o.contains("page=2")),
        "the organisation's second page: {ops:#?}"
    );
    assert_eq!(
        prism.violations(),
        Vec::<String>::new(),
        "{}",
        prism.log_text()
    );
}
