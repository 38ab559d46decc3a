//! psrt's benchmarks: `cargo bench` (all) or `cargo bench -- NAME`.
//!
//! Scenario benchmarks, not micro-benchmarks: each prints what the issue asks
//! to measure (time, requests, writes) as Markdown table rows for
//! docs/benchmarks.md.

use std::time::{Duration, Instant};

/// The soak of the test suite, run longer here.
#[path = "../tests/it/soak.rs"]
mod soak;

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    println!("| benchmark | figure |\n|---|---|");
    if wanted("check") {
        check_10k();
    } else if wanted("phases") {
        check_phases();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if wanted("sync") {
        rt.block_on(sync_github());
        rt.block_on(sync_mailman_discord());
    }
    if wanted("nightly") {
        rt.block_on(nightly());
    }
    if wanted("announce") {
        rt.block_on(announce());
    }
    if wanted("publish") {
        rt.block_on(publish_devguide());
    }
    if wanted("approvals") {
        rt.block_on(approvals());
    }
    if wanted("approvals") || wanted("sweep") {
        rt.block_on(approvals_sweep());
    }
    if wanted("bot") {
        rt.block_on(bot_comparison());
    }
    if wanted("hourly") {
        rt.block_on(hourly_cost());
    }
    if wanted("audit") {
        rt.block_on(audit());
    }
    if wanted("commands") {
        rt.block_on(commands_wait());
    }
    if wanted("soak") {
        rt.block_on(soak_long());
    }
    if wanted("ledger") {
        ledger_keeping();
    }
}

/// The ledger kept in clear (locally) and encrypted with age (in a
/// workflow) at 500 reports: one save (psrt saves after each message or
/// change) and one load, with its size on disk. Two shapes: the deadline
/// ledger (4 messages per report), and a ledger holding every section at
/// once, larger than either workflow's (each report seen, its discussion
/// with a status hash, 3 thresholds and 3 answered commands, its 4
/// messages; a CVE id reserved for one in five; the validators of each
/// discussion and of the lists; the steady state with 100 forks).
fn ledger_keeping() {
    use psrt::ids::GhsaId;
    use psrt::ledger::{Keeping, Ledger, Sighting, Steady, Validator, Validators, steady};
    const N: usize = 500;
    let identity = age::x25519::Identity::generate();
    let now = chrono::Utc::now();
    let id = |i: usize| format!("GHSA-{i:04}-0000-0000");
    let mut messages = Ledger::in_memory();
    let mut full = Ledger::in_memory();
    let mut seen = Vec::new();
    let mut validators = Validators::default();
    for i in 0..N {
        let g = id(i);
        for l in [&mut messages, &mut full] {
            l.record_sent(&g, &["warn-30", "warn-14", "warn-7", "warn-1"], now)
                .unwrap();
        }
        seen.push((
            GhsaId::new(g.clone()),
            Sighting {
                first: now,
                ignored_tag: None,
            },
        ));
        full.discussion_read(&g, 12, Some(now), Some("0123456789abcdef"))
            .unwrap();
        full.thresholds_done(
            &g,
            &["warn-30".into(), "warn-14".into(), "warn-7".into()],
            now,
        )
        .unwrap();
        for c in 0..3u64 {
            full.command_answered(&g, 4_000_000_000 + (i as u64) * 10 + c)
                .unwrap();
        }
        if i % 5 == 0 {
            full.reservation_answered(&g, &format!("CVE-2026-{:05}", 10_000 + i), now)
                .unwrap();
        }
        validators.0.insert(
            format!("/repos/python/cpython/security-advisories/{g}/comments?per_page=100"),
            Validator {
                etag: format!("W/\"{:064x}\"", i),
                next: None,
                at: now,
            },
        );
    }
    for page in 1..=5 {
        validators.0.insert(
            format!("/repos/python/cpython/security-advisories?per_page=100&page={page}"),
            Validator {
                etag: format!("W/\"{page:064x}\""),
                next: Some(format!(
                    "/repos/python/cpython/security-advisories?per_page=100&page={}",
                    page + 1
                )),
                at: now,
            },
        );
    }
    full.reports_seen(&seen, &[]).unwrap();
    let forks = (0..N)
        .step_by(5)
        .map(|i| steady::Fork {
            report: GhsaId::new(id(i)),
            repo: format!("python/cpython-ghsa-{i:04}-0000-0000"),
            pulls: vec![1, 2],
        })
        .collect();
    let st = Steady {
        fingerprint: "0123456789abcdef".into(),
        until: now,
        reports: [("python/cpython".to_owned(), N)].into(),
        forks,
    };
    full.settle(validators, st, now).unwrap();
    full.discussion_full_read_done(now).unwrap();
    for (shape, ledger) in [("4 messages each", &messages), ("every section", &full)] {
        let text = ledger.to_json();
        let plain = text.len();
        for (name, keeping) in [
            ("in clear", Keeping::in_clear()),
            ("encrypted (age)", Keeping::encrypted(identity.clone())),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("ledger.json");
            // Written in clear, read, and saved as the keeping says.
            std::fs::write(&path, &text).unwrap();
            let kept = Ledger::load_kept(&path, &keeping).unwrap();
            kept.save().unwrap();
            let bytes = std::fs::metadata(&path).unwrap().len();
            // (Not the whole ledger: one read from a file without
            // `commands_since` takes its earliest sighting.)
            let back = Ledger::load_kept(&path, &keeping).unwrap();
            assert!(back.messages() == ledger.messages() && back.seen() == ledger.seen());
            let (save, _) = time(20, || kept.save().unwrap());
            let (load, _) = time(20, || Ledger::load_kept(&path, &keeping).unwrap());
            println!(
                "| ledger {name}, {N} reports, {shape} ({plain} bytes of JSON, {bytes} on disk): one save | {:.2} ms |",
                save.as_secs_f64() * 1e3
            );
            println!(
                "| ledger {name}, {N} reports, {shape}: one load | {:.2} ms |",
                load.as_secs_f64() * 1e3
            );
        }
    }
}

/// `psrt audit` (issue 23): the requests one run makes for a policy
/// repository with 7 workflows (4 scheduled), 2 advisory repositories and an
/// organisation of 300 repositories, 50 ms per request; against the page
/// minimum (the fewest requests that could answer the same questions).
async fn audit() {
    use psrt_fakes::scenario::audit as scenario;
    let now = chrono::Utc::now();
    let gh = psrt_fakes::github::GitHubFake::new("python", "t");
    let policy = "python/psrt-roster";
    gh.repo(policy);
    scenario::healthy(
        &gh,
        policy,
        &["python/cpython", "pypa/pip"],
        Some(5151),
        now,
    );
    // 300 repositories in the organisation, the policy repository and cpython among them.
    scenario::org_repositories(&gh, "python", 298);
    let server = gh.start().await.unwrap();
    let env = psrt::config::Env::from_vars(
        &[
            ("GITHUB_TOKEN".to_owned(), "t".to_owned()),
            ("GITHUB_API_URL".to_owned(), server.url()),
            ("PSRT_APPROVALS_APP_ID".to_owned(), "5151".to_owned()),
        ]
        .into_iter()
        .collect(),
    );
    let roster = psrt::roster::parse(
        b"version: 1\ngithub:\n  org: python\n  team: psrt\n  advisory_repos: [python/cpython, pypa/pip]\n  eligibility_teams: [python-core]\nmembers:\n  - name: Ada\n    github: ada\n    roles: [admin]\n",
    )
    .unwrap()
    .roster;
    let repos = gh.with(|s| s.repos.iter().filter(|r| r.owner == "python").count());
    gh.knobs.set_latency(Duration::from_millis(50));
    let mut ledger = psrt::ledger::Ledger::in_memory();
    for (label, at) in [
        ("first run of the day (with the organisation sweep)", now),
        (
            "the next hour (sweep not due)",
            now + chrono::Duration::minutes(1),
        ),
    ] {
        let client = psrt::github::GitHub::connect(
            env.github.as_ref().unwrap(),
            psrt::audit::github_scope(&roster, policy, true),
            psrt::github::Tuning::local(),
        )
        .await
        .unwrap();
        gh.knobs.clear_log();
        let t = Instant::now();
        let r = psrt::audit::run(
            &client,
            &roster,
            &policy.parse().unwrap(),
            psrt::audit::Options {
                apply: true,
                credentials: false,
                now: at,
                env: &env,
                tuning: psrt::github::Tuning::local(),
                sending: None,
                send_blocked: None,
                record: true,
                ledger: &mut ledger,
            },
        )
        .await;
        let wall = t.elapsed();
        assert!(r.problems.is_empty(), "{}", r.text());
        let log = gh.knobs.log();
        let count = |f: &dyn Fn(&str) -> bool| log.iter().filter(|l| f(&l.path)).count();
        let workflows =
            count(&|p| p.ends_with("/actions/workflows") || p.contains("/actions/workflows?"));
        let files = count(&|p| p.contains("/contents/.github/workflows/"));
        let runs = count(&|p| p.contains("/runs?"));
        let jobs = count(&|p| p.contains("/jobs"));
        let rules = count(&|p| p.contains("/rules/branches/"));
        let rulesets = count(&|p| p.contains("/rulesets"));
        let codeowners = count(&|p| p.contains("/codeowners/errors"));
        let org_pages = count(&|p| p.starts_with("/orgs/python/repos"));
        let reporting = count(&|p| p.contains("/private-vulnerability-reporting"));
        let repository = count(&|p| p.split('?').next() == Some("/repos/python/psrt-roster"));
        let writes = log.iter().filter(|l| l.is_write()).count();
        // The fewest requests that answer the same questions: the default
        // branch (1), the workflows (1), each workflow's file to know which
        // are scheduled and when (7), each scheduled one's latest runs (4)
        // and that run's jobs (4: a run's conclusion counts the audit's own
        // job), the branch's rules (1), the ruleset they come from for its
        // bypass list (1), CODEOWNERS' errors (1), the setting of each
        // advisory repository (2), the organisation's pages (3) and the
        // setting of every other public repository (one each: no endpoint
        // lists it for many).
        let sweep = org_pages > 0;
        let minimum = 1
            + 1
            + 7
            + 4
            + 4
            + 1
            + 1
            + 1
            + 2
            + if sweep {
                repos.div_ceil(100) + (repos - 1)
            } else {
                0
            };
        println!(
            "| `psrt audit --apply`, 7 workflows (4 scheduled), 2 advisory repositories, an organisation of {repos} repositories, 50 ms/request: {label} | {} requests ({repository} repository, {workflows} workflow list, {files} workflow files, {runs} run lists, {jobs} job lists, {rules} rules of the branch, {rulesets} rulesets, {codeowners} CODEOWNERS, {org_pages} organisation pages, {reporting} private-reporting settings), {writes} writes; page minimum {minimum}; {:.2} s |",
            log.len(),
            wall.as_secs_f64()
        );
    }
}

/// The long soak: the CI run's sixty nights under five more seeds at 20%
/// faults, and a year of nights at 15%.
async fn soak_long() {
    let mut runs: Vec<soak::Config> = (1..=5)
        .map(|seed| soak::Config {
            fault_rate: 0.20,
            hourly_every: 1,
            ..soak::Config::ci(seed)
        })
        .collect();
    runs.push(soak::Config {
        nights: 365,
        hourly_every: 1,
        ..soak::Config::ci(2027)
    });
    let mut total = soak::Figures::default();
    for cfg in &runs {
        let f = soak::soak(cfg).await;
        println!("| {} |", f.render(cfg));
        total.nights += f.nights;
        total.requests += f.requests;
        for (k, n) in &f.faults {
            *total.faults.entry(*k).or_insert(0) += n;
        }
        total.smtp_faults += f.smtp_faults;
        total.retries += f.retries;
        total.reads_failed += f.reads_failed;
        total.messages_sent += f.messages_sent;
        total.wall += f.wall;
        let (a, t) = (&f.advisories, &mut total.advisories);
        t.runs += a.runs;
        t.runs_failed += a.runs_failed;
        t.patches += a.patches;
        t.cve_requests += a.cve_requests;
        t.cve_reserved += a.cve_reserved;
        t.cve_faults += a.cve_faults;
        t.cve_recovered += a.cve_recovered;
        t.forks += a.forks;
        total.nights_to_converge = total.nights_to_converge.max(f.nights_to_converge);
    }
    println!(
        "| soak, all {} runs | {} nights, {} requests, {} faults, {} retries, {} service-nights without a plan, {} messages each sent once; advisories: {} hourly runs, {} PATCHes, {} forks, {} CVE ids reserved (one per report), {} faults on CVE Services, {} lost answers found again; converged within {} night(s) every time, {:.0} s |",
        runs.len(),
        total.nights,
        total.requests,
        total.total_faults(),
        total.retries,
        total.reads_failed,
        total.messages_sent,
        total.advisories.runs,
        total.advisories.patches,
        total.advisories.forks,
        total.advisories.cve_reserved,
        total.advisories.cve_faults,
        total.advisories.cve_recovered,
        total.nights_to_converge,
        total.wall.as_secs_f64()
    );
}

fn roster_of(n: usize) -> psrt::roster::Roster {
    let mut s = String::from(
        "version: 1\ngithub:\n  org: python\n  team: psrt\n  eligibility_teams: [python-core]\nmembers:\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            "  - name: M{i}\n    github: m{i}\n    github_id: {}\n",
            10_000 + i
        ));
        if i < 3 {
            s.push_str("    roles: [admin]\n");
        }
    }
    psrt::roster::parse(s.as_bytes()).expect("valid").roster
}

async fn sync_once(
    roster: &psrt::roster::Roster,
    env: &psrt::config::Env,
    services: &[psrt::sync::Service],
    apply: bool,
) -> Vec<psrt::sync::ServiceReport> {
    let ctx = psrt::sync::Context {
        env,
        tuning: psrt::github::Tuning::local(),
    };
    psrt::sync::run(
        roster,
        &ctx,
        services,
        psrt::sync::Options {
            apply,
            allow_mass_removal: true,
        },
    )
    .await
}

/// GitHub team: a no-op sync at 30 and 5,000 members with 50 ms per request,
/// and writes per change.
async fn sync_github() {
    use psrt::sync::Service;
    for n in [30, 5_000] {
        let fake = psrt_fakes::github::GitHubFake::new("python", "t");
        fake.team("psrt");
        for i in 0..n {
            let id = fake.add_to_team_with_id(
                "psrt",
                &format!("m{i}"),
                10_000 + i as u64,
                if i < 3 { "maintainer" } else { "member" },
            );
            let _ = id;
        }
        let server = fake.start().await.unwrap();
        let env = psrt::config::Env::from_vars(
            &[
                ("GITHUB_TOKEN".to_owned(), "t".to_owned()),
                ("GITHUB_API_URL".to_owned(), server.url()),
            ]
            .into_iter()
            .collect(),
        );
        let roster = roster_of(n);
        fake.knobs.set_latency(std::time::Duration::from_millis(50));
        fake.knobs.clear_log();
        let t = Instant::now();
        let reports = sync_once(&roster, &env, &[Service::Github], true).await;
        let wall = t.elapsed();
        assert!(reports[0].changes.is_empty(), "not a no-op");
        let log = fake.knobs.log();
        let writes = log.iter().filter(|l| l.is_write()).count();
        println!(
            "| no-op `psrt sync --apply` (GitHub team), {n} members, 50 ms/request | {} requests ({} pages of members, {} of maintainers, 1 invitations, 1 failed invitations), {writes} writes, {:.2} s |",
            log.len(),
            log.iter()
                .filter(|l| l.path.contains("role=member"))
                .count(),
            log.iter()
                .filter(|l| l.path.contains("role=maintainer"))
                .count(),
            wall.as_secs_f64()
        );
    }
    // Writes per change: 10 adds, 5 role changes, 5 removals.
    let fake = psrt_fakes::github::GitHubFake::new("python", "t");
    fake.team("psrt");
    for i in 0..40 {
        if i < 30 {
            fake.add_to_team(
                "psrt",
                &format!("m{i}"),
                if i < 3 || (10..15).contains(&i) {
                    "maintainer"
                } else {
                    "member"
                },
            );
        } else {
            fake.org_member(&format!("m{i}"));
        }
    }
    fake.add_to_team("psrt", "x1", "member");
    let server = fake.start().await.unwrap();
    let env = psrt::config::Env::from_vars(
        &[
            ("GITHUB_TOKEN".to_owned(), "t".to_owned()),
            ("GITHUB_API_URL".to_owned(), server.url()),
        ]
        .into_iter()
        .collect(),
    );
    let mut s = String::from("version: 1\ngithub:\n  org: python\n  team: psrt\nmembers:\n");
    for i in 0..40 {
        if (20..25).contains(&i) {
            continue; // 5 removals
        }
        s.push_str(&format!("  - name: M{i}\n    github: m{i}\n"));
        if i < 3 {
            s.push_str("    roles: [admin]\n");
        }
    }
    let roster = psrt::roster::parse(s.as_bytes()).expect("valid").roster;
    fake.knobs.clear_log();
    let reports = sync_once(&roster, &env, &[Service::Github], true).await;
    let changes = reports[0].changes.len();
    let writes = fake.knobs.writes().len();
    println!(
        "| `psrt sync --apply` (GitHub team) with {changes} changes | {writes} writes ({} requests in all) |",
        fake.knobs.requests()
    );
}

/// Times `f` `runs` times after one warm-up; returns (median, min).
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration) {
    std::hint::black_box(f());
    let mut samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect();
    samples.sort();
    (samples[samples.len() / 2], samples[0])
}

/// `full`: every member field filled in (8 per member); otherwise the shape
/// of today's roster (name, login, roles).
fn roster_with(n: usize, full: bool) -> String {
    let mut s = String::from(
        "version: 1\ngithub:\n  org: python\n  team: psrt\n  advisory_repos: [python/cpython, pypa/pip]\n  eligibility_teams: [python-core]\n  steering_council_team: steering-council\n",
    );
    if full {
        s.push_str("mailman:\n  list: security.python.org\ndiscord:\n  guild: \"1234567890123456789\"\n  role: \"2345678901234567890\"\n");
    }
    s.push_str("steering_council: [member-0]\nmembers:\n");
    for i in 0..n {
        let roles = if i < 3 { "[admin]" } else { "[]" };
        if !full {
            s.push_str(&format!(
                "  - name: Member {i}\n    github: member-{i}\n    roles: {roles}\n"
            ));
            continue;
        }
        s.push_str(&format!(
            "  - name: Member {i}\n    github: member-{i}\n    github_id: {}\n    email: member{i}@example.org\n    discord: \"{}\"\n    roles: {roles}\n    since: 2020-01-01\n    last_active: 2025-06-01\n",
            1000 + i,
            100_000_000_000_000_000u64 + i as u64
        ));
    }
    s
}

fn check_10k() {
    check_real();
    check_n(10_000, true);
    check_n(10_000, false);
    check_encrypted(10_000);
    pyyaml(&roster_with(10_000, true), "all 8 member fields");
    check_phases();
}

/// `psrt check` on the committed `roster.yaml` (today's PSRT): in process
/// (parse + validate) and the whole process, as the pull-request workflow
/// runs it.
fn check_real() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/roster.yaml");
    let text = std::fs::read(path).unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let (median, min) = time(101, || {
        let loaded = psrt::roster::parse(&text).expect("valid");
        psrt::roster::validate::validate(&loaded, today)
    });
    let members = psrt::roster::parse(&text)
        .expect("valid")
        .roster
        .members
        .len();
    println!(
        "| `psrt check`, the real roster ({members} members; {} KiB), parse + validate in process | median {:.3} ms, min {:.3} ms |",
        text.len() / 1024,
        median.as_secs_f64() * 1e3,
        min.as_secs_f64() * 1e3
    );
    let exe = env!("CARGO_BIN_EXE_psrt");
    let (median, min) = time(31, || {
        let out = std::process::Command::new(exe)
            .arg("--roster")
            .arg(path)
            .arg("check")
            .output()
            .unwrap();
        assert!(out.status.success(), "psrt check failed");
    });
    println!(
        "| `psrt check`, the real roster, the whole process | median {:.1} ms, min {:.1} ms |",
        median.as_secs_f64() * 1e3,
        min.as_secs_f64() * 1e3
    );
}

/// Where the full-field check's time goes, phase by phase (`-- phases`).
fn check_phases() {
    // The floor: serde-saphyr's own parser, events only, and typed without spans.
    let text = roster_with(10_000, true);
    let (median, _) = time(15, || {
        let mut p = serde_saphyr::granit_parser::Parser::new_from_str(&text);
        while let Some(ev) = p.next_event() {
            ev.expect("valid YAML");
        }
    });
    println!(
        "| the YAML parser alone on the full-field file (floor) | median {:.1} ms |",
        median.as_secs_f64() * 1e3
    );
    // Where the check's time goes: the tree with positions through
    // serde-saphyr's `Spanned<Node>`, the schema walk on it, then the typed
    // model from the same tree (`roster::parse` is all three).
    let (median, _) = time(15, || psrt::roster::load::parse_tree(&text).expect("valid"));
    println!(
        "| the tree with positions through serde-saphyr's `Spanned<Node>` (`roster::load::parse_tree`) | median {:.1} ms |",
        median.as_secs_f64() * 1e3
    );
    let root = psrt::roster::load::parse_tree(&text).expect("valid");
    let (median, _) = time(15, || {
        let mut diags = Vec::new();
        psrt::roster::schema::check(&root, &mut diags);
        assert!(diags.is_empty());
    });
    println!(
        "| the schema walk on that tree | median {:.1} ms |",
        median.as_secs_f64() * 1e3
    );
    drop(root);
    let (median, _) = time(15, || psrt::roster::parse(text.as_bytes()).expect("valid"));
    println!(
        "| the loaded roster: tree, schema walk, then the typed model (`roster::parse`) | median {:.1} ms |",
        median.as_secs_f64() * 1e3
    );
    let loaded = psrt::roster::parse(text.as_bytes()).expect("valid");
    let (median, _) = time(15, || {
        psrt::roster::validate::validate(
            &loaded,
            chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        )
    });
    println!(
        "| validation of the loaded roster | median {:.1} ms |",
        median.as_secs_f64() * 1e3
    );
    let (median, _) = time(15, || {
        serde_saphyr::from_str::<psrt::roster::Roster>(&text).expect("valid")
    });
    println!(
        "| serde-saphyr typed, no positions, same file | median {:.1} ms |",
        median.as_secs_f64() * 1e3
    );
}

fn check_n(n: usize, full: bool) {
    let text = roster_with(n, full);
    let shape = if full {
        "all 8 member fields"
    } else {
        "name, login, roles"
    };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let (median, min) = time(15, || {
        let loaded = psrt::roster::parse(text.as_bytes()).expect("valid");
        let diags = psrt::roster::validate::validate(&loaded, today);
        assert!(
            diags.is_empty(),
            "{} diagnostics, first {:?}",
            diags.len(),
            diags.first()
        );
    });
    println!(
        "| `psrt check`, {n} members ({shape}; {} KiB), parse + validate in process | median {:.1} ms, min {:.1} ms |",
        text.len() / 1024,
        median.as_secs_f64() * 1e3,
        min.as_secs_f64() * 1e3
    );
    // The whole command, as CI runs it: process start, read, check, print.
    let dir = std::env::temp_dir().join(format!("psrt-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("roster.yaml");
    std::fs::write(&path, &text).unwrap();
    let exe = env!("CARGO_BIN_EXE_psrt");
    let (median, min) = time(10, || {
        let out = std::process::Command::new(exe)
            .arg("--roster")
            .arg(&path)
            .arg("check")
            .output()
            .unwrap();
        assert!(out.status.success(), "psrt check failed");
    });
    println!(
        "| `psrt check`, {n} members ({shape}), the whole process | median {:.1} ms, min {:.1} ms |",
        median.as_secs_f64() * 1e3,
        min.as_secs_f64() * 1e3
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Mailman (stand-in) and Discord (fake): a no-op sync at 30 and 5,000
/// members with 50 ms per request.
async fn sync_mailman_discord() {
    use psrt::sync::Service;
    const GUILD: u64 = 1_234_567_890_123_456_789;
    const ROLE: u64 = 2_345_678_901_234_567_890;
    for n in [30usize, 5_000] {
        let mm = psrt_fakes::mailman::MailmanFake::new("u", "p");
        let dc = psrt_fakes::discord::DiscordFake::new("bot");
        dc.guild(GUILD, ROLE);
        let mut text = format!(
            "version: 1\ngithub:\n  org: python\n  team: psrt\n  eligibility_teams: [python-core]\nmailman:\n  list: security.example.org\ndiscord:\n  guild: \"{GUILD}\"\n  role: \"{ROLE}\"\nmembers:\n"
        );
        mm.with(|s| {
            s.domains.push("example.org".into());
            s.lists
                .push(("security.example.org".into(), "security@example.org".into()));
        });
        for i in 0..n {
            let email = format!("m{i}@example.org");
            let did = 300_000_000_000_000_000u64 + i as u64;
            text.push_str(&format!(
                "  - name: M{i}\n    github: m{i}\n    email: {email}\n    discord: \"{did}\"\n"
            ));
            if i < 3 {
                text.push_str("    roles: [admin]\n");
            }
            mm.with(|s| {
                for role in if i < 3 {
                    &["member", "owner"][..]
                } else {
                    &["member"][..]
                } {
                    s.members.push(psrt_fakes::mailman::FakeListMember {
                        member_id: format!("{role}{i:08}"),
                        list_id: "security.example.org".into(),
                        email: email.clone(),
                        display_name: String::new(),
                        role: (*role).into(),
                    });
                }
            });
            dc.member(GUILD, did, &format!("m{i}"), &[ROLE]);
        }
        let roster = psrt::roster::parse(text.as_bytes()).expect("valid").roster;
        let mm_server = mm.start().await.unwrap();
        let dc_server = dc.start().await.unwrap();
        let env = psrt::config::Env::from_vars(
            &[
                (
                    "PSRT_MAILMAN_URL".to_owned(),
                    format!("{}/3.1", mm_server.url()),
                ),
                ("PSRT_MAILMAN_USER".to_owned(), "u".to_owned()),
                ("PSRT_MAILMAN_PASSWORD".to_owned(), "p".to_owned()),
                ("PSRT_DISCORD_TOKEN".to_owned(), "bot".to_owned()),
                ("PSRT_DISCORD_API_URL".to_owned(), dc_server.url()),
            ]
            .into_iter()
            .collect(),
        );
        for (service, knobs) in [(Service::Mailman, &mm.knobs), (Service::Discord, &dc.knobs)] {
            knobs.set_latency(std::time::Duration::from_millis(50));
            knobs.clear_log();
            let t = Instant::now();
            let reports = sync_once(&roster, &env, &[service], true).await;
            let wall = t.elapsed();
            let r = reports.iter().find(|r| r.service == service).unwrap();
            assert!(r.changes.is_empty() && !r.failed(), "not a no-op: {r:?}");
            let log = knobs.log();
            let what = match service {
                Service::Mailman => format!(
                    "{} pages of members, {} of owners",
                    log.iter()
                        .filter(|l| l.path.contains("roster/member"))
                        .count(),
                    log.iter()
                        .filter(|l| l.path.contains("roster/owner"))
                        .count()
                ),
                _ => format!(
                    "1 role lookup, {} pages of guild members",
                    log.iter().filter(|l| l.path.contains("/members?")).count()
                ),
            };
            println!(
                "| no-op `psrt sync --apply` ({service}), {n} members, 50 ms/request | {} requests ({what}), {} writes, {:.2} s |",
                log.len(),
                log.iter().filter(|l| l.is_write()).count(),
                wall.as_secs_f64()
            );
        }
    }
}

/// The nightly job as the workflow runs it (the release binary, three
/// commands) on 30 members and 50 open reports, against the stand-ins with
/// 50 ms per request: a first run with drift, then a steady-state run.
async fn nightly() {
    use psrt_fakes::github::FakeAdvisory;
    const GUILD: u64 = 1_234_567_890_123_456_789;
    const ROLE: u64 = 2_345_678_901_234_567_890;
    let now = chrono::Utc::now();
    let gh = psrt_fakes::github::GitHubFake::new("python", "t");
    let mm = psrt_fakes::mailman::MailmanFake::new("u", "p");
    let dc = psrt_fakes::discord::DiscordFake::new("bot");
    dc.guild(GUILD, ROLE);
    mm.with(|s| {
        s.domains.push("example.org".into());
        s.lists
            .push(("security.example.org".into(), "security@example.org".into()));
    });
    let mut text = format!(
        "version: 1\ngithub:\n  org: python\n  team: psrt\n  advisory_repos: [python/cpython]\n  eligibility_teams: [python-core]\n  steering_council_team: steering-council\nmailman:\n  list: security.example.org\ndiscord:\n  guild: \"{GUILD}\"\n  role: \"{ROLE}\"\nemail:\n  from: \"PSRT <psrt@example.org>\"\nmembers:\n"
    );
    for i in 0..30u64 {
        let login = format!("m{i}");
        text.push_str(&format!("  - name: M{i}\n    github: {login}\n    email: {login}@example.org\n    discord: \"{}\"\n", 300_000_000_000_000_000 + i));
        if i < 3 {
            text.push_str("    roles: [admin]\n");
        }
        // Drift: a few are missing from each service.
        if i % 10 != 9 {
            gh.add_to_team("psrt", &login, if i < 3 { "maintainer" } else { "member" });
            dc.member(GUILD, 300_000_000_000_000_000 + i, &login, &[ROLE]);
        } else {
            gh.org_member(&login);
            dc.member(GUILD, 300_000_000_000_000_000 + i, &login, &[]);
        }
        if i % 10 != 8 {
            mm.with(|s| {
                s.members.push(psrt_fakes::mailman::FakeListMember {
                    member_id: format!("m{i:031}"),
                    list_id: "security.example.org".into(),
                    email: format!("{login}@example.org"),
                    display_name: String::new(),
                    role: "member".into(),
                })
            });
        }
    }
    mm.with(|s| {
        for i in 0..3 {
            s.members.push(psrt_fakes::mailman::FakeListMember {
                member_id: format!("o{i:031}"),
                list_id: "security.example.org".into(),
                email: format!("m{i}@example.org"),
                display_name: String::new(),
                role: "owner".into(),
            })
        }
    });
    // 50 open reports, of every age; none has the team yet.
    for i in 0..50i64 {
        let mut a = FakeAdvisory::new(
            "python/cpython",
            &format!("GHSA-n{i:03}-0000-0000"),
            if i % 3 == 0 { "draft" } else { "triage" },
            now - chrono::Duration::days(2 * i),
        );
        if i % 4 != 0 {
            a = a.coordinator(&format!("m{}", i % 30));
        }
        gh.advisory(a);
    }
    let sink = psrt_fakes::smtp::SmtpSink::default();
    let servers = (
        gh.start().await.unwrap(),
        mm.start().await.unwrap(),
        dc.start().await.unwrap(),
        sink.start().await.unwrap(),
    );
    let dir = std::env::temp_dir().join(format!("psrt-bench-nightly-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("roster.yaml"), &text).unwrap();
    let env = [
        ("GITHUB_TOKEN", "t".to_owned()),
        ("GITHUB_API_URL", servers.0.url()),
        ("PSRT_MAILMAN_URL", format!("{}/3.1", servers.1.url())),
        ("PSRT_MAILMAN_USER", "u".into()),
        ("PSRT_MAILMAN_PASSWORD", "p".into()),
        ("PSRT_DISCORD_API_URL", servers.2.url()),
        ("PSRT_DISCORD_TOKEN", "bot".into()),
        (
            "PSRT_SMTP_URL",
            format!("smtp://127.0.0.1:{}?tls=none", servers.3.port),
        ),
        ("PSRT_GITHUB_WRITE_PAUSE_MS", "0".into()),
    ];
    for knobs in [&gh.knobs, &mm.knobs, &dc.knobs] {
        knobs.set_latency(std::time::Duration::from_millis(50));
    }
    let exe = env!("CARGO_BIN_EXE_psrt");
    for round in ["first run (drift)", "steady state"] {
        for knobs in [&gh.knobs, &mm.knobs, &dc.knobs] {
            knobs.clear_log();
        }
        sink.clear();
        let t = Instant::now();
        let mut walls = Vec::new();
        let mut peak_kib = 0i64;
        for args in [
            &["sync", "--apply"][..],
            &["advisories", "--apply"],
            &["deadlines", "--send"],
        ] {
            let dir = dir.clone();
            let env = env.clone();
            let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
            let step = Instant::now();
            let (ok, rss) = tokio::task::spawn_blocking(move || {
                let mut cmd = std::process::Command::new(exe);
                cmd.current_dir(&dir)
                    .args(&args)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null());
                for (k, v) in &env {
                    cmd.env(k, v);
                }
                run_measured(cmd)
            })
            .await
            .unwrap();
            peak_kib = peak_kib.max(rss);
            assert!(ok, "psrt failed in the nightly benchmark");
            walls.push(step.elapsed());
        }
        let wall = t.elapsed();
        let requests = gh.knobs.requests() + mm.knobs.requests() + dc.knobs.requests();
        let writes = gh.knobs.writes().len() + mm.knobs.writes().len() + dc.knobs.writes().len();
        println!(
            "| nightly, {round}: sync + advisories + deadlines, 30 members, 50 open reports, 50 ms/request | {requests} requests ({writes} writes), {} emails, {:.2} s (sync {:.2}, advisories {:.2}, deadlines {:.2}) |",
            sink.messages().len(),
            wall.as_secs_f64(),
            walls[0].as_secs_f64(),
            walls[1].as_secs_f64(),
            walls[2].as_secs_f64()
        );
        println!(
            "| nightly, {round}: peak memory of the psrt processes (max RSS) | {:.1} MiB |",
            peak_kib as f64 / 1024.0
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Runs the release binary in `dir` with `env`; returns (success, wall time).
async fn run_psrt(
    dir: &std::path::Path,
    env: &[(&str, String)],
    args: &[&str],
) -> (bool, Duration, i64) {
    let exe = env!("CARGO_BIN_EXE_psrt");
    let dir = dir.to_owned();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let t = Instant::now();
    let (ok, rss) = tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(exe);
        cmd.current_dir(&dir)
            .args(&args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        for (k, v) in &env {
            cmd.env(k, v);
        }
        run_measured(cmd)
    })
    .await
    .unwrap();
    (ok, t.elapsed(), rss)
}

/// `psrt announce` on the example CPython advisory (two branches, two fix
/// pull requests): requests per run and wall time with 50 ms per request
/// (the release binary, median of 5), and the drafting itself in process
/// (schemas compiled on first use, then each record validated).
async fn announce() {
    let gh = psrt_fakes::github::GitHubFake::new("python", "t");
    let id = psrt_fakes::github::example_cpython_advisory(&gh, chrono::Utc::now());
    let server = gh.start().await.unwrap();
    let dir = std::env::temp_dir().join(format!("psrt-bench-announce-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("roster.yaml"),
        "version: 1\ngithub:\n  org: python\n  team: psrt\n  advisory_repos: [python/cpython]\n  eligibility_teams: [python-core]\n  steering_council_team: steering-council\nmembers:\n  - name: A\n    github: a\n    roles: [admin]\n  - name: B\n    github: b\n    roles: [admin]\n",
    )
    .unwrap();
    let env = [
        ("GITHUB_TOKEN", "t".to_owned()),
        ("GITHUB_API_URL", server.url()),
    ];
    gh.knobs.set_latency(Duration::from_millis(50));
    let mut walls = Vec::new();
    let mut requests = 0;
    let mut peak = 0;
    for _ in 0..5 {
        gh.knobs.clear_log();
        let (ok, wall, rss) = run_psrt(&dir, &env, &["announce", id, "--out", "out"]).await;
        assert!(ok, "psrt announce failed in the benchmark");
        walls.push(wall);
        requests = gh.knobs.requests();
        peak = peak.max(rss);
    }
    walls.sort();
    println!(
        "| `psrt announce`, the example CPython advisory, 50 ms/request | {requests} requests, 0 writes; median {:.2} s (min {:.2}) for the whole process; peak memory {:.1} MiB |",
        walls[2].as_secs_f64(),
        walls[0].as_secs_f64(),
        peak as f64 / 1024.0
    );
    // In process, no latency: gather once, then draft (the first draft compiles the schemas).
    gh.knobs.set_latency(Duration::ZERO);
    let ghc = psrt::github::GitHub::connect(
        &psrt::config::GitHubEnv {
            api_url: server.url(),
            auth: psrt::config::GitHubAuth::Token(psrt::secret::Secret::new("t".to_owned())),
        },
        psrt::announce::github_scope("python", &["python/cpython".to_owned()]),
        psrt::github::Tuning::local(),
    )
    .await
    .unwrap();
    let facts = psrt::announce::gather(&ghc, &["python/cpython".to_owned()], id, None)
        .await
        .unwrap();
    let templates = psrt::notify::Templates::built_in();
    let t = Instant::now();
    let first = psrt::announce::draft(&facts, &templates).unwrap();
    let first_t = t.elapsed();
    assert!(first.is_valid());
    let (median, min) = time(50, || psrt::announce::draft(&facts, &templates).unwrap());
    println!(
        "| `psrt announce` drafting in process: the three records, both validated | first {:.0} ms (compiles the two schemas), then median {:.2} ms (min {:.2}) |",
        first_t.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3,
        min.as_secs_f64() * 1e3
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// `psrt publish --open-pr` against the devguide with 50 ms per request:
/// in sync, opening the pull request, updating it, and a re-run with
/// nothing new (the release binary).
async fn publish_devguide() {
    let gh = psrt_fakes::github::GitHubFake::new("python", "t");
    let roster = |members: &[&str], emeritus: &[&str]| {
        let mut s = String::from(
            "version: 1\ngithub:\n  org: python\n  team: psrt\n  eligibility_teams: [python-core]\n  steering_council_team: steering-council\nmembers:\n",
        );
        for (i, m) in members.iter().enumerate() {
            s.push_str(&format!("  - name: {m}\n    github: {m}\n"));
            if i < 2 {
                s.push_str("    roles: [admin]\n");
            }
        }
        s.push_str("emeritus:\n");
        for e in emeritus {
            s.push_str(&format!("  - name: {e}\n    github: {e}\n"));
        }
        s
    };
    let members: Vec<String> = (0..30).map(|i| format!("m{i}")).collect();
    let m: Vec<&str> = members.iter().map(String::as_str).collect();
    let in_sync = roster(&m, &["e1", "e2"]);
    let parsed = psrt::roster::parse(in_sync.as_bytes()).unwrap().roster;
    gh.commit(
        "python/devguide",
        "main",
        &[
            (
                psrt::devguide::MEMBERS_PATH,
                &psrt::publish::members_csv(&parsed).unwrap(),
            ),
            (
                psrt::devguide::EMERITUS_PATH,
                &psrt::publish::emeritus_csv(&parsed).unwrap(),
            ),
        ],
        "devguide",
    );
    let server = gh.start().await.unwrap();
    gh.knobs.set_latency(Duration::from_millis(50));
    let dir = std::env::temp_dir().join(format!("psrt-bench-publish-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let env = [
        ("GITHUB_TOKEN", "t".to_owned()),
        ("GITHUB_API_URL", server.url()),
        ("PSRT_GITHUB_WRITE_PAUSE_MS", "0".to_owned()),
    ];
    let one_joins = roster(&[&m[..], &["new1"]].concat(), &["e1", "e2"]);
    let one_leaves = roster(&[&m[1..], &["new1"]].concat(), &["e1", "e2", "m0"]);
    for (what, text) in [
        ("in sync", &in_sync),
        ("opens the pull request (a member joins)", &one_joins),
        ("updates it (another leaves)", &one_leaves),
        ("again, nothing new", &one_leaves),
    ] {
        std::fs::write(dir.join("roster.yaml"), text).unwrap();
        gh.knobs.clear_log();
        let (ok, wall, _) = run_psrt(&dir, &env, &["publish", "--open-pr"]).await;
        assert!(ok, "psrt publish --open-pr failed in the benchmark");
        println!(
            "| `psrt publish --open-pr`, 30 members, 50 ms/request: {what} | {} requests, {} writes, {:.2} s |",
            gh.knobs.requests(),
            gh.knobs.writes().len(),
            wall.as_secs_f64()
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Runs a command to completion; returns (success, its peak RSS in KiB).
///
/// The peak is the child's own `VmHWM` from `/proc`, sampled every 2 ms
/// until it exits. (`wait4`'s `ru_maxrss` cannot be used: Linux records the
/// pre-exec address space's high-water mark, which for a spawned child is the
/// benchmark process's own size.)
fn run_measured(mut cmd: std::process::Command) -> (bool, i64) {
    let mut child = cmd.spawn().expect("psrt starts");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0i64;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            if let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<i64>().ok())
            {
                peak = peak.max(kib);
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            return (status.success(), peak);
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// One `psrt approvals` run on a membership pull request (30 members, a
/// newcomer proposed, the Council's approval on the head), against the GitHub
/// fake with 50 ms per request: a dry run, the first `--publish` (creates the
/// comment) and the next (edits it); then the devguide's vote rule
/// (`min_open_days`), which also walks the commits and reads psrt's statuses.
async fn approvals() {
    use chrono::{Duration as Days, Utc};
    use psrt::approvals::{Options, Repo};
    use psrt_fakes::github::{FakePull, FakeReview, GitHubFake};
    const REPO: &str = "python/psrt";
    for (rule, label) in [
        (
            "{ reviewers: steering-council, required: 1 }",
            "Council rule",
        ),
        (
            "{ reviewers: steering-council, required: 1, min_open_days: 7 }",
            "Council rule with a 7-day vote",
        ),
    ] {
        let fake = GitHubFake::new("python", "t");
        fake.token_user("t", "psrt-bot");
        let mut base = format!(
            "version: 1\ngithub:\n  org: python\n  team: psrt\n  eligibility_teams: [python-core, python-triage]\npolicy:\n  approvals:\n    membership: {rule}\nsteering_council: [sc1, sc2, sc3, sc4, sc5]\nmembers:\n"
        );
        for i in 0..30 {
            base.push_str(&format!("  - name: M{i}\n    github: m{i}\n"));
            if i < 3 {
                base.push_str("    roles: [admin]\n");
            }
            fake.add_to_team("python-core", &format!("m{i}"), "member");
        }
        fake.add_to_team("python-triage", "newbie", "member");
        for i in 1..=5 {
            fake.org_member(&format!("sc{i}"));
        }
        let head = format!("{base}  - name: Newbie\n    github: newbie\n");
        let opened = Utc::now() - Days::days(10);
        fake.commit(REPO, "main", &[("roster.yaml", &base)], "base");
        let sha = fake.commit_by(
            REPO,
            "add",
            &[("roster.yaml", &head)],
            "add",
            "m5",
            None,
            opened,
        );
        fake.seed_verdict(REPO, 1, &sha, psrt::approvals::CONTEXT, "psrt-bot", opened);
        fake.update_repo(REPO, |r| {
            r.pulls.push(FakePull {
                number: 1,
                title: "Add newbie".into(),
                body: String::new(),
                head: "add".into(),
                base: "main".into(),
                state: "open".into(),
                user: "m5".into(),
                created_at: opened,
                requested_users: vec![],
                requested_teams: vec![],
            });
            r.reviews.push(FakeReview {
                id: 1,
                pull: 1,
                user: "sc2".into(),
                state: "APPROVED".into(),
                commit_id: sha.clone(),
                submitted_at: Utc::now(),
            });
        });
        let server = fake.start().await.unwrap();
        let env = psrt::config::Env::from_vars(
            &[
                ("GITHUB_TOKEN".to_owned(), "t".to_owned()),
                ("GITHUB_API_URL".to_owned(), server.url()),
            ]
            .into_iter()
            .collect(),
        );
        fake.knobs.set_latency(Duration::from_millis(50));
        for (run, publish) in [
            ("dry run", false),
            ("first --publish", true),
            ("next --publish", true),
        ] {
            fake.knobs.clear_log();
            let t = Instant::now();
            let gh = psrt::github::GitHub::connect(
                env.github.as_ref().unwrap(),
                psrt::approvals::github_scope("python", REPO, publish),
                psrt::github::Tuning::local(),
            )
            .await
            .unwrap();
            let opts = Options {
                now: Utc::now(),
                in_actions: false,
                publish,
            };
            let (_, j, _) = psrt::approvals::run(&gh, &Repo::parse(REPO).unwrap(), 1, opts)
                .await
                .unwrap();
            let wall = t.elapsed();
            assert!(j.verdict.passes, "{:#?}", j.verdict);
            let log = fake.knobs.log();
            let writes: Vec<String> = log
                .iter()
                .filter(|l| l.is_write())
                .map(|l| {
                    let what = if l.path.contains("/comments") {
                        "comment"
                    } else {
                        "status"
                    };
                    format!("{} {what}", l.method)
                })
                .collect();
            println!(
                "| `psrt approvals` ({label}), {run}, 50 ms/request | {} requests ({} reads, {} writes: {}), {:.2} s |",
                log.len(),
                log.len() - writes.len(),
                writes.len(),
                if writes.is_empty() {
                    "none".to_owned()
                } else {
                    writes.join(", ")
                },
                wall.as_secs_f64()
            );
        }
    }
}

/// `psrt approvals --all`, the hourly sweep: 10 open pull requests to the
/// default branch, of which 2 change `roster.yaml` (one adds a member, one
/// changes an address; the Council approved the first) and 8 only the docs,
/// plus one to another branch; a 30-member roster, the GitHub fake with
/// 50 ms per request. A dry run, the first `--publish` (a comment and a
/// status on each) and the next, with nothing new (nothing written).
async fn approvals_sweep() {
    use chrono::{Duration as Days, Utc};
    use psrt::approvals::{Options, Repo};
    use psrt_fakes::github::{FakePull, FakeReview, GitHubFake};
    const REPO: &str = "python/psrt";
    let fake = GitHubFake::new("python", "t");
    fake.token_user("t", "psrt-bot");
    let mut base = "version: 1\ngithub:\n  org: python\n  team: psrt\n  eligibility_teams: [python-core]\npolicy:\n  approvals:\n    membership: { reviewers: steering-council, required: 1 }\nsteering_council: [sc1, sc2, sc3, sc4, sc5]\nmembers:\n".to_owned();
    for i in 0..30 {
        base.push_str(&format!(
            "  - name: M{i}\n    github: m{i}\n    email: m{i}@example.org\n"
        ));
        if i < 3 {
            base.push_str("    roles: [admin]\n");
        }
        fake.add_to_team("python-core", &format!("m{i}"), "member");
    }
    fake.add_to_team("python-core", "newbie", "member");
    for i in 1..=5 {
        fake.org_member(&format!("sc{i}"));
    }
    fake.commit(REPO, "main", &[("roster.yaml", &base)], "base");
    fake.commit(REPO, "release", &[], "a release branch");
    let opened = Utc::now() - Days::days(2);
    let adding = format!("{base}  - name: Newbie\n    github: newbie\n");
    let moving = base.replace("m7@example.org", "m7@elsewhere.example");
    let docs: Vec<(String, String)> = (1..=8)
        .map(|n| (format!("docs/page-{n}.md"), "words\n".to_owned()))
        .collect();
    let mut heads = Vec::new();
    for number in 1..=11u64 {
        let (target, file, text) = match number {
            1..=8 => (
                "main",
                docs[number as usize - 1].0.as_str(),
                docs[number as usize - 1].1.as_str(),
            ),
            9 => ("main", "roster.yaml", adding.as_str()),
            10 => ("main", "roster.yaml", moving.as_str()),
            _ => ("release", "roster.yaml", moving.as_str()),
        };
        let branch = format!("pr-{number}");
        fake.update_repo(REPO, |r| {
            let from = r.branches[target].clone();
            r.branches.insert(branch.clone(), from);
        });
        let sha = fake.commit_by(REPO, &branch, &[(file, text)], "change", "m5", None, opened);
        fake.update_repo(REPO, |r| {
            r.pulls.push(FakePull {
                number,
                title: format!("change {number}"),
                body: String::new(),
                head: branch,
                base: target.into(),
                state: "open".into(),
                user: "m5".into(),
                created_at: opened,
                requested_users: vec![],
                requested_teams: vec![],
            })
        });
        heads.push(sha);
    }
    let nine = heads[8].clone();
    fake.update_repo(REPO, |r| {
        r.reviews.push(FakeReview {
            id: 1,
            pull: 9,
            user: "sc2".into(),
            state: "APPROVED".into(),
            commit_id: nine,
            submitted_at: Utc::now(),
        })
    });
    let server = fake.start().await.unwrap();
    let env = psrt::config::Env::from_vars(
        &[
            ("GITHUB_TOKEN".to_owned(), "t".to_owned()),
            ("GITHUB_API_URL".to_owned(), server.url()),
        ]
        .into_iter()
        .collect(),
    );
    fake.knobs.set_latency(Duration::from_millis(50));
    for (run, publish) in [
        ("dry run", false),
        ("first --publish", true),
        ("next --publish, nothing new", true),
    ] {
        fake.knobs.clear_log();
        let t = Instant::now();
        let gh = psrt::github::GitHub::connect(
            env.github.as_ref().unwrap(),
            psrt::approvals::github_scope("python", REPO, publish),
            psrt::github::Tuning::local(),
        )
        .await
        .unwrap();
        let opts = Options {
            now: Utc::now(),
            in_actions: false,
            publish,
        };
        let sweep = psrt::approvals::sweep::all(&gh, &Repo::parse(REPO).unwrap(), opts)
            .await
            .unwrap();
        let wall = t.elapsed();
        assert!(
            !sweep.failed(),
            "{}",
            psrt::approvals::render::sweep_text(&sweep)
        );
        assert_eq!(sweep.judged.len(), 2);
        assert_eq!(sweep.unchanged.len(), 8);
        let log = fake.knobs.log();
        let writes = log.iter().filter(|l| l.is_write()).count();
        let files = log.iter().filter(|l| l.path.contains("/files")).count();
        println!(
            "| `psrt approvals --all`, 10 open pull requests to main (2 change the roster) and 1 elsewhere, {run}, 50 ms/request | {} requests ({} reads: the list, {files} file lists, {} for the 2 roster pull requests; {writes} writes), {:.2} s |",
            log.len(),
            log.len() - writes,
            log.len() - writes - 1 - files,
            wall.as_secs_f64()
        );
    }
}

/// `psrt check` with `PSRT_CONTACT_KEY` on 10,000 members with every field,
/// each `email` encrypted to two recipients (10,000 fields, decrypted in
/// parallel, one thread per core).
fn check_encrypted(n: usize) {
    use psrt::roster::contacts::{ContactKey, field, open};
    let nightly = ContactKey::generate();
    let admin = ContactKey::generate();
    let recipients = [nightly.recipient(), admin.recipient()];
    let plain = roster_with(n, true);
    let mut text = String::with_capacity(plain.len() * 3);
    for line in plain.lines() {
        if line == "members:" {
            text.push_str(&format!(
                "contacts:\n  recipients: [{}, {}]\n",
                nightly.public(),
                admin.public()
            ));
        }
        match line.strip_prefix("    email: ") {
            Some(addr) => text.push_str(&format!(
                "    email: \"{}\"\n",
                field::seal(addr, &recipients).unwrap()
            )),
            None => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let threads = psrt::roster::contacts::open::threads_for(n);
    let (median, min) = time(7, || {
        let loaded = psrt::roster::parse(text.as_bytes()).expect("valid");
        let opened = open(&loaded.roster, Some(Ok(&nightly)));
        assert_eq!(opened.opened(), n);
        let diags = psrt::roster::validate::validate_with(&loaded, today, Some(&opened));
        assert!(diags.is_empty(), "{:?}", diags.first());
    });
    println!(
        "| `psrt check` with PSRT_CONTACT_KEY, {n} members (all fields, {n} encrypted emails, 2 recipients; {} KiB), parse + decrypt ({threads} threads) + validate in process | median {:.1} ms, min {:.1} ms |",
        text.len() / 1024,
        median.as_secs_f64() * 1e3,
        min.as_secs_f64() * 1e3
    );
    let (median, _) = time(7, || {
        let loaded = psrt::roster::parse(text.as_bytes()).expect("valid");
        let diags = psrt::roster::validate::validate(&loaded, today);
        assert!(diags.is_empty(), "{:?}", diags.first());
    });
    println!(
        "| `psrt check` without the key, same file (framing of {n} fields only), in process | median {:.1} ms |",
        median.as_secs_f64() * 1e3
    );
    let values: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("    email: \""))
        .map(|v| v.trim_end_matches('"'))
        .collect();
    let (median, _) = time(7, || {
        let out = psrt::roster::contacts::open::decrypt_all(&values, &nightly);
        assert!(out.iter().all(Result::is_ok));
    });
    println!(
        "| age decryption alone, {n} fields, {threads} threads | median {:.1} ms |",
        median.as_secs_f64() * 1e3
    );
    let dir = std::env::temp_dir().join(format!("psrt-bench-enc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("roster.yaml");
    std::fs::write(&path, &text).unwrap();
    let exe = env!("CARGO_BIN_EXE_psrt");
    let secret = nightly.secret();
    let (median, min) = time(7, || {
        let out = std::process::Command::new(exe)
            .arg("--roster")
            .arg(&path)
            .arg("check")
            .env("PSRT_CONTACT_KEY", secret.expose())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    });
    println!(
        "| `psrt check` with PSRT_CONTACT_KEY, same file, the whole process | median {:.1} ms, min {:.1} ms |",
        median.as_secs_f64() * 1e3,
        min.as_secs_f64() * 1e3
    );
    pyyaml(&text, "the encrypted file");
    let _ = std::fs::remove_dir_all(dir);
}

/// PyYAML's C loader on the same text: `yaml.load(f, Loader=yaml.CSafeLoader)`,
/// timed inside Python (parse only) and as a whole process. Python is
/// `PSRT_BENCH_PYTHON`, or the venv `scripts/bench-pyyaml` makes.
fn pyyaml(text: &str, what: &str) {
    let python = std::env::var("PSRT_BENCH_PYTHON").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/.test-services/bench/bin/python"
        )
        .to_owned()
    });
    let dir = std::env::temp_dir().join(format!("psrt-bench-py-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("roster.yaml");
    std::fs::write(&path, text).unwrap();
    let script = "import sys, time, yaml\nt = time.perf_counter()\nyaml.load(open(sys.argv[1]), Loader=yaml.CSafeLoader)\nprint(time.perf_counter() - t)";
    let mut inner = Vec::new();
    let mut whole = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let out = std::process::Command::new(&python)
            .args(["-c", script])
            .arg(&path)
            .output();
        let Some(out) = out.ok().filter(|o| o.status.success()) else {
            println!(
                "| PyYAML C loader ({what}) | not measured: run scripts/bench-pyyaml (or set PSRT_BENCH_PYTHON to a python with PyYAML) |"
            );
            return;
        };
        whole.push(t.elapsed());
        let secs: f64 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(f64::NAN);
        inner.push(Duration::from_secs_f64(secs.max(0.0)));
    }
    inner.sort();
    whole.sort();
    println!(
        "| PyYAML C loader (`yaml.CSafeLoader`), {what}: parse only / the whole python process | median {:.1} ms / {:.1} ms |",
        inner[2].as_secs_f64() * 1e3,
        whole[2].as_secs_f64() * 1e3
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// One fixture for the bot comparison: `n` open reports in python/cpython
/// (a third drafts), a 30-member team all in place, every report
/// coordinated. With `drift`: no report has the team, drafts have neither
/// fork nor CVE id, one in ten triage reports carries `[ACCEPT]` and one in
/// ten `[CLOSE]`. Without drift: everything done (team, forks, CVE ids).
fn bot_fixture(n: usize, drift: bool) -> psrt_fakes::github::GitHubFake {
    use psrt_fakes::github::FakeAdvisory;
    let gh = psrt_fakes::github::GitHubFake::new("python", "t");
    for i in 0..30 {
        gh.add_to_team(
            "psrt",
            &format!("m{i}"),
            if i < 3 { "maintainer" } else { "member" },
        );
    }
    let now = chrono::Utc::now();
    for i in 0..n {
        let draft = i % 3 == 0;
        let id = format!("GHSA-b{i:03}-0000-0000");
        let mut a = FakeAdvisory::new(
            "python/cpython",
            &id,
            if draft { "draft" } else { "triage" },
            now - chrono::Duration::hours(i as i64),
        )
        .coordinator(&format!("m{}", i % 30));
        if drift {
            if !draft && i % 10 == 1 {
                a.summary = "[ACCEPT] a report".into();
            }
            if !draft && i % 10 == 2 {
                a.summary = "[CLOSE] a report".into();
            }
        } else {
            a.collaborating_teams = vec!["psrt".into()];
            if draft {
                a.private_fork = Some(format!("python/cpython-{}", id.to_ascii_lowercase()));
                a.cve_id = Some(format!("CVE-2026-{}", 50_000 + i));
            }
        }
        gh.advisory(a);
    }
    if !drift {
        for i in (0..n).filter(|i| i % 3 == 0) {
            gh.repo(&format!("python/cpython-ghsa-b{i:03}-0000-0000"));
        }
    }
    gh
}

/// What the GHSA bot would send on the same fixture, derived from its code
/// (it cannot be run here: see docs/benchmarks.md): 1 installations list, 1
/// token, 1 list of the installation's repositories, 1 list of advisories
/// per repository (no pagination: the first 30 only); per visible open
/// report: 1 PATCH when anything changes (a closing tag: the PATCH and
/// nothing else), 1 fork for a draft without one, 1 CVE reservation for a
/// draft without an id. Returns (GitHub requests, GitHub writes, CVE
/// reservations) as coded, and the writes if it read every page.
fn bot_derived(gh: &psrt_fakes::github::GitHubFake) -> (usize, usize, usize, usize) {
    let advisories = gh.with(|s| s.advisories.clone());
    let mut open: Vec<_> = advisories
        .iter()
        .filter(|a| a.state == "triage" || a.state == "draft")
        .collect();
    // GitHub lists newest first.
    open.sort_by_key(|a| std::cmp::Reverse(a.created_at));
    let count = |list: &[&psrt_fakes::github::FakeAdvisory]| {
        let mut writes = 0;
        let mut cves = 0;
        for a in list {
            let t = a.summary.to_ascii_uppercase();
            if t.contains("[CLOSE]") {
                writes += 1;
                continue;
            }
            let draft = a.state == "draft" || t.contains("[ACCEPT]");
            let needs_cve = draft && a.cve_id.is_none();
            let patch = !a.collaborating_teams.iter().any(|x| x == "psrt")
                || t.contains("[ACCEPT]")
                || needs_cve;
            writes += usize::from(patch) + usize::from(draft && a.private_fork.is_none());
            cves += usize::from(needs_cve);
        }
        (writes, cves)
    };
    let visible: Vec<_> = open.iter().take(30).copied().collect();
    let (writes, cves) = count(&visible);
    let (all_writes, _) = count(&open);
    (4 + writes, writes, cves, all_writes)
}

/// psrt and the GHSA bot side by side: 10 and 100 open reports, with drift
/// and in steady state; psrt runs as production does (the GitHub App, a
/// token per installation and repository), against the fakes with 50 ms
/// per request. The per-run CVE cap is raised to 100 here: the bot has
/// none, and the comparison counts the same work done in one run.
async fn bot_comparison() {
    use psrt_fakes::github::FakeApp;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let key = std::fs::read_to_string(root.join("tests/fixtures/test-app-key.pem")).unwrap();
    let public = std::fs::read_to_string(root.join("tests/fixtures/test-app-key.pub.pem")).unwrap();
    let roster_text = "version: 1\ngithub:\n  org: python\n  team: psrt\n  advisory_repos: [python/cpython]\n  eligibility_teams: [python-core]\ncve:\n  org: PSF\n  repos: [python/cpython]\npolicy:\n  max_cve_reservations_per_run: 100\nmembers:\n".to_owned()
        + &(0..30)
            .map(|i| format!("  - name: M{i}\n    github: m{i}\n{}", if i < 3 { "    roles: [admin]\n" } else { "" }))
            .collect::<String>();
    let roster = psrt::roster::parse(roster_text.as_bytes())
        .expect("valid")
        .roster;
    println!(
        "| fixture | bot (derived): requests, writes, CVE | psrt: requests (lists + team, re-reads, private forks, App auth), writes (PATCH + forks), CVE | psrt wall time, 50 ms/request |"
    );
    println!("|---|---|---|---|");
    for n in [10usize, 100] {
        for drift in [true, false] {
            let gh = bot_fixture(n, drift);
            gh.with(|s| {
                s.tokens.clear();
                s.app = Some(FakeApp::new(4242, &public).install(77, "python"));
            });
            let cve = psrt_fakes::cve::CveFake::new("PSF", "u", "k");
            let (servers, cve_server) = (gh.start().await.unwrap(), cve.start().await.unwrap());
            let (bot_requests, bot_writes, bot_cves, bot_all_writes) = bot_derived(&gh);
            let env = psrt::config::Env::from_vars(
                &[
                    ("PSRT_GITHUB_APP_ID".to_owned(), "4242".to_owned()),
                    ("PSRT_GITHUB_APP_KEY".to_owned(), key.clone()),
                    ("GITHUB_API_URL".to_owned(), servers.url()),
                ]
                .into_iter()
                .collect(),
            );
            let cve_env = psrt::config::CveEnv {
                api_url: cve_server.url(),
                user: "u".into(),
                key: psrt::secret::Secret::new("k"),
            };
            let cve_client =
                psrt::cve::CveServices::new(&cve_env, "PSF", &psrt::net::RetryPolicy::fast())
                    .unwrap();
            gh.knobs.set_latency(Duration::from_millis(50));
            cve.knobs.set_latency(Duration::from_millis(50));
            gh.knobs.clear_log();
            let mut ledger = psrt::ledger::Ledger::default();
            let github = psrt::github::GitHub::connect(
                env.github.as_ref().unwrap(),
                psrt::advisories::github_scope(&roster, true),
                psrt::github::Tuning::local(),
            )
            .await
            .unwrap();
            let t = Instant::now();
            let report = psrt::advisories::run(
                &github,
                &roster,
                psrt::advisories::Options {
                    apply: true,
                    now: chrono::Utc::now(),
                    mailer: None,
                    templates: &psrt::notify::Templates::built_in(),
                    cve: Ok(&cve_client),
                    ledger: &mut ledger,
                    public: false,
                    run_url: None,
                },
            )
            .await;
            let wall = t.elapsed();
            assert!(!report.failed(), "{}", report.text());
            let log = gh.knobs.log();
            let is = |l: &psrt_fakes::Logged, f: &dyn Fn(&str) -> bool| f(&l.path);
            let auth = log
                .iter()
                .filter(|l| {
                    is(l, &|p| {
                        p.starts_with("/app/") || p.ends_with("/installation")
                    })
                })
                .count();
            let forks = log
                .iter()
                .filter(|l| !l.is_write() && is(l, &|p| p.contains("-ghsa-")))
                .count();
            let rereads = log
                .iter()
                .filter(|l| !l.is_write() && is(l, &|p| p.contains("/security-advisories/GHSA-")))
                .count();
            let writes = log
                .iter()
                .filter(|l| l.is_write() && !is(l, &|p| p.starts_with("/app/")))
                .count();
            let lists = log.len() - auth - forks - rereads - writes;
            println!(
                "| {n} open reports, {} | {bot_requests} requests, {bot_writes} writes, {bot_cves} CVE{} | {} requests ({lists} + {rereads} + {forks} + {auth}), {writes} writes ({} changed reports), {} CVE | {:.2} s |",
                if drift { "with drift" } else { "steady" },
                if bot_all_writes != bot_writes {
                    format!(" (sees 30 of {n}: {bot_all_writes} writes if it read every page)")
                } else {
                    String::new()
                },
                log.len(),
                report.updates,
                cve.reserved().len(),
                wall.as_secs_f64()
            );
        }
    }
}

/// `count` ended reports beside the open ones: published over the years,
/// one in ten withdrawn, each coordinated, with a comment or two (they are
/// listed with the others, and watched only for a `/psrt` command).
fn add_ended(gh: &psrt_fakes::github::GitHubFake, count: usize) {
    use psrt_fakes::github::FakeAdvisory;
    let long_ago = chrono::Utc::now() - chrono::Duration::days(400);
    for i in 0..count {
        let id = format!("GHSA-e{i:03}-0000-0000");
        let withdrawn = i % 10 == 9;
        let mut a = FakeAdvisory::new(
            "python/cpython",
            &id,
            if withdrawn { "withdrawn" } else { "published" },
            long_ago - chrono::Duration::days(i as i64),
        )
        .coordinator(&format!("m{}", i % 30));
        if !withdrawn {
            a.published_at = Some(long_ago);
        }
        a.collaborating_teams = vec!["psrt".into()];
        gh.advisory(a);
        for c in 0..(i % 3) {
            gh.advisory_comment(&id, "m4", &format!("note {c}"), long_ago);
        }
    }
}

/// The steady hourly run's cost (issue 25, item 4): the same fixture as the
/// bot comparison without drift (a third drafts, each with a private fork),
/// run hour after hour with the ledger kept, as the workflow does, and a
/// client per run (a process per hour). Per run: requests, rate-limit
/// points (the stand-in counts as GitHub does: not the `304`s, not the
/// App's own JWT calls), requests to a comments endpoint, wall time. The
/// page minimum: every page a run without validators must read once.
async fn hourly_cost() {
    use psrt_fakes::github::FakeApp;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let key = std::fs::read_to_string(root.join("tests/fixtures/test-app-key.pem")).unwrap();
    let public = std::fs::read_to_string(root.join("tests/fixtures/test-app-key.pub.pem")).unwrap();
    let roster_text = "version: 1\ngithub:\n  org: python\n  team: psrt\n  advisory_repos: [python/cpython]\n  eligibility_teams: [python-core]\ncve:\n  org: PSF\n  repos: [python/cpython]\nmembers:\n".to_owned()
        + &(0..30)
            .map(|i| format!("  - name: M{i}\n    github: m{i}\n{}", if i < 3 { "    roles: [admin]\n" } else { "" }))
            .collect::<String>();
    let roster = psrt::roster::parse(roster_text.as_bytes())
        .expect("valid")
        .roster;
    println!(
        "| fixture, run | requests | rate-limit points | to a comments endpoint | comments written | ledger bytes | wall time, 50 ms/request |"
    );
    println!("|---|---|---|---|---|---|---|");
    // (open reports, ended ones: published over the years, a few withdrawn)
    for (n, ended) in [(10usize, 0usize), (100, 0), (100, 300)] {
        let gh = bot_fixture(n, false);
        add_ended(&gh, ended);
        let fixture = if ended == 0 {
            format!("{n} open reports")
        } else {
            format!("{n} open + {ended} ended reports")
        };
        gh.with(|s| {
            s.tokens.clear();
            s.app = Some(FakeApp::new(4242, &public).install(77, "python"));
        });
        let cve = psrt_fakes::cve::CveFake::new("PSF", "u", "k");
        let (server, cve_server) = (gh.start().await.unwrap(), cve.start().await.unwrap());
        let env = psrt::config::Env::from_vars(
            &[
                ("PSRT_GITHUB_APP_ID".to_owned(), "4242".to_owned()),
                ("PSRT_GITHUB_APP_KEY".to_owned(), key.clone()),
                ("GITHUB_API_URL".to_owned(), server.url()),
            ]
            .into_iter()
            .collect(),
        );
        let cve_env = psrt::config::CveEnv {
            api_url: cve_server.url(),
            user: "u".into(),
            key: psrt::secret::Secret::new("k"),
        };
        let cve_client =
            psrt::cve::CveServices::new(&cve_env, "PSF", &psrt::net::RetryPolicy::fast()).unwrap();
        gh.knobs.set_latency(Duration::from_millis(50));
        let drafts = (0..n).filter(|i| i % 3 == 0).count();
        // Three lists (triage, draft, closed) and the team, one page each at
        // these sizes, the list without a filter (the ended reports: one
        // page per 100 advisories of every state), and each draft's fork's
        // pull requests.
        let every_state = (n + ended).div_ceil(100);
        let minimum = 4 + every_state + drafts;
        let dir = tempfile::tempdir().unwrap();
        let ledger_path = dir.path().join("ledger.json");
        let start = chrono::Utc::now();
        let mut hour = 0i64;
        let mut run = |label: &'static str| {
            hour += 1;
            let now = start + chrono::Duration::hours(hour);
            let (gh, env, roster, cve_client, ledger_path, fixture) =
                (&gh, &env, &roster, &cve_client, &ledger_path, &fixture);
            async move {
                gh.knobs.clear_log();
                let before = gh.rate();
                let comments_before: usize = gh.with(|s| s.advisory_comments.len());
                let t = Instant::now();
                let github = psrt::github::GitHub::connect(
                    env.github.as_ref().unwrap(),
                    psrt::advisories::github_scope(roster, true),
                    psrt::github::Tuning::local(),
                )
                .await
                .unwrap();
                let mut ledger = psrt::ledger::Ledger::load(ledger_path).unwrap();
                let report = psrt::advisories::run(
                    &github,
                    roster,
                    psrt::advisories::Options {
                        apply: true,
                        now,
                        mailer: None,
                        templates: &psrt::notify::Templates::built_in(),
                        cve: Ok(cve_client),
                        ledger: &mut ledger,
                        public: false,
                        run_url: None,
                    },
                )
                .await;
                let wall = t.elapsed();
                assert!(!report.failed(), "{}", report.text());
                let log = gh.knobs.log();
                let to_comments = log.iter().filter(|l| l.path.contains("/comments")).count();
                let written = gh.with(|s| s.advisory_comments.len()) - comments_before;
                let points = gh.rate().used - before.used;
                let bytes = std::fs::metadata(ledger_path).map_or(0, |m| m.len());
                println!(
                    "| {fixture}, {label} | {} | {points} | {to_comments} | {written} | {bytes} | {:.2} s |",
                    log.len(),
                    wall.as_secs_f64()
                );
                points
            }
        };
        run("go-live (no validators yet: every page, as today)").await;
        run("the next hour (validators held)").await;
        let noop = run("no-op: nothing new").await;
        assert_eq!(noop, 0, "a no-op run spends no rate-limit point");
        // A busy hour: a member's comment on one report in ten, a new
        // coordinator on another.
        for i in (0..n).filter(|i| i % 10 == 4) {
            gh.advisory_comment(
                &format!("GHSA-b{i:03}-0000-0000"),
                "m5",
                "a question",
                chrono::Utc::now(),
            );
        }
        gh.update_advisory("GHSA-b007-0000-0000", |a| {
            *a = a.clone().coordinator("m9");
            a.updated_at = chrono::Utc::now();
        });
        if ended > 0 {
            // And a member's command on a published report: its refusal
            // (written after psrt started watching the report: the runs'
            // clock is an hour a run ahead of the wall clock).
            gh.advisory_comment(
                "GHSA-e000-0000-0000",
                "m5",
                "/psrt accept",
                start + chrono::Duration::hours(3),
            );
        }
        run(if ended > 0 {
            "busy: comments on 1 in 10, a coordinator changed, a command on a published report (refused)"
        } else {
            "busy: comments on 1 in 10, a coordinator changed"
        })
        .await;
        run("the hour after (psrt's own comments moved the lists)").await;
        run("no-op again").await;
        println!(
            "| {fixture}: page minimum | {minimum} pages (3 lists + the team + {every_state} of the list without a filter + {drafts} forks' pull requests), each a point without validators | | | | | |"
        );
    }
}

/// `/psrt` commands (issue 26): what a command costs in the hourly run that
/// answers it, what a run with nothing new costs, and so what a more
/// frequent schedule would cost for a shorter wait. The hourly fixture (the
/// bot comparison's steady one, the GitHub App, 50 ms per request), members
/// with their account ids.
async fn commands_wait() {
    use psrt_fakes::github::FakeApp;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let key = std::fs::read_to_string(root.join("tests/fixtures/test-app-key.pem")).unwrap();
    let public = std::fs::read_to_string(root.join("tests/fixtures/test-app-key.pub.pem")).unwrap();
    println!(
        "| fixture, run | requests | rate-limit points | to a comments endpoint | comments written | wall time, 50 ms/request |"
    );
    println!("|---|---|---|---|---|---|");
    for n in [10usize, 100] {
        let gh = bot_fixture(n, false);
        let roster_text = "version: 1\ngithub:\n  org: python\n  team: psrt\n  advisory_repos: [python/cpython]\n  eligibility_teams: [python-core]\ncve:\n  org: PSF\n  repos: [python/cpython]\nmembers:\n".to_owned()
            + &(0..30)
                .map(|i| {
                    let login = format!("m{i}");
                    format!(
                        "  - name: M{i}\n    github: {login}\n    github_id: {}\n{}",
                        gh.user(&login),
                        if i < 3 { "    roles: [admin]\n" } else { "" }
                    )
                })
                .collect::<String>();
        let roster = psrt::roster::parse(roster_text.as_bytes())
            .expect("valid")
            .roster;
        gh.with(|s| {
            s.tokens.clear();
            s.app = Some(FakeApp::new(4242, &public).install(77, "python"));
        });
        let cve = psrt_fakes::cve::CveFake::new("PSF", "u", "k");
        let (server, cve_server) = (gh.start().await.unwrap(), cve.start().await.unwrap());
        let env = psrt::config::Env::from_vars(
            &[
                ("PSRT_GITHUB_APP_ID".to_owned(), "4242".to_owned()),
                ("PSRT_GITHUB_APP_KEY".to_owned(), key.clone()),
                ("GITHUB_API_URL".to_owned(), server.url()),
            ]
            .into_iter()
            .collect(),
        );
        let cve_env = psrt::config::CveEnv {
            api_url: cve_server.url(),
            user: "u".into(),
            key: psrt::secret::Secret::new("k"),
        };
        let cve_client =
            psrt::cve::CveServices::new(&cve_env, "PSF", &psrt::net::RetryPolicy::fast()).unwrap();
        gh.knobs.set_latency(Duration::from_millis(50));
        let dir = tempfile::tempdir().unwrap();
        let ledger_path = dir.path().join("ledger.json");
        let start = chrono::Utc::now();
        let mut hour = 0i64;
        let mut run = |label: &'static str| {
            hour += 1;
            let now = start + chrono::Duration::hours(hour);
            let (gh, env, roster, cve_client, ledger_path) =
                (&gh, &env, &roster, &cve_client, &ledger_path);
            async move {
                gh.knobs.clear_log();
                let before = gh.rate();
                let comments_before: usize = gh.with(|s| s.advisory_comments.len());
                let t = Instant::now();
                let github = psrt::github::GitHub::connect(
                    env.github.as_ref().unwrap(),
                    psrt::advisories::github_scope(roster, true),
                    psrt::github::Tuning::local(),
                )
                .await
                .unwrap();
                let mut ledger = psrt::ledger::Ledger::load(ledger_path).unwrap();
                let report = psrt::advisories::run(
                    &github,
                    roster,
                    psrt::advisories::Options {
                        apply: true,
                        now,
                        mailer: None,
                        templates: &psrt::notify::Templates::built_in(),
                        cve: Ok(cve_client),
                        ledger: &mut ledger,
                        public: false,
                        run_url: None,
                    },
                )
                .await;
                let wall = t.elapsed();
                assert!(!report.failed(), "{}", report.text());
                let log = gh.knobs.log();
                let to_comments = log.iter().filter(|l| l.path.contains("/comments")).count();
                let written = gh.with(|s| s.advisory_comments.len()) - comments_before;
                let points = gh.rate().used - before.used;
                println!(
                    "| {n} open reports, {label} | {} | {points} | {to_comments} | {written} | {:.2} s |",
                    log.len(),
                    wall.as_secs_f64()
                );
                let d = &report.discussion;
                (
                    log.len(),
                    points,
                    wall,
                    (d.commands_answered, d.commands_refused),
                )
            }
        };
        run("go-live").await;
        run("the next hour").await;
        let (noop_requests, noop_points, noop_wall, _) = run("no-op: nothing new").await;
        // A member accepts a triage report; another asks for help elsewhere.
        // Written between the third run and the fourth: a command written
        // before the first run (the ledger's start) would be told to be
        // written again instead of run.
        let written = start + chrono::Duration::minutes(3 * 60 + 30);
        gh.advisory_comment("GHSA-b001-0000-0000", "m5", "/psrt accept", written);
        gh.advisory_comment("GHSA-b002-0000-0000", "m6", "/psrt help", written);
        let (_, _, command_wall, answered) =
            run("two commands: an accept (claim, PATCH, fork, outcome) and a help").await;
        // Both run, neither refused (written after the ledger began).
        assert_eq!(answered, (2, 0));
        run("the hour after (psrt's replies moved the lists)").await;
        run("no-op again").await;
        for every in [60u32, 30, 15, 5] {
            let extra = 60 / every - 1;
            println!(
                "| {n} open reports, a run every {every} min | a command waits {:.1} min on average, at most {:.1} | {} extra no-op run(s) an hour: {} requests, {} points | | | |",
                f64::from(every) / 2.0 + command_wall.as_secs_f64() / 60.0,
                f64::from(every) + command_wall.as_secs_f64() / 60.0,
                extra,
                extra as usize * noop_requests,
                extra as u64 * noop_points,
            );
        }
        let _ = noop_wall;
    }
}
