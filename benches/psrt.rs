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
    if wanted("soak") {
        rt.block_on(soak_long());
    }
}

/// The long soak: the CI run's sixty nights under five more seeds at 20%
/// faults, and a year of nights at 15%.
async fn soak_long() {
    let mut runs: Vec<soak::Config> = (1..=5)
        .map(|seed| soak::Config {
            fault_rate: 0.20,
            ..soak::Config::ci(seed)
        })
        .collect();
    runs.push(soak::Config {
        nights: 365,
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
        total.nights_to_converge = total.nights_to_converge.max(f.nights_to_converge);
    }
    println!(
        "| soak, all {} runs | {} nights, {} requests, {} faults, {} retries, {} service-nights without a plan, {} messages each sent once, converged within {} night(s) every time, {:.0} s |",
        runs.len(),
        total.nights,
        total.requests,
        total.total_faults(),
        total.retries,
        total.reads_failed,
        total.messages_sent,
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
        let fake = psrt::fakes::github::GitHubFake::new("python", "t");
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
    let fake = psrt::fakes::github::GitHubFake::new("python", "t");
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
    s.push_str("members:\n");
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
    check_n(10_000, true);
    check_n(10_000, false);
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
        let mm = psrt::fakes::mailman::MailmanFake::new("u", "p");
        let dc = psrt::fakes::discord::DiscordFake::new("bot");
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
                    s.members.push(psrt::fakes::mailman::FakeListMember {
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
    use psrt::fakes::github::FakeAdvisory;
    const GUILD: u64 = 1_234_567_890_123_456_789;
    const ROLE: u64 = 2_345_678_901_234_567_890;
    let now = chrono::Utc::now();
    let gh = psrt::fakes::github::GitHubFake::new("python", "t");
    let mm = psrt::fakes::mailman::MailmanFake::new("u", "p");
    let dc = psrt::fakes::discord::DiscordFake::new("bot");
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
                s.members.push(psrt::fakes::mailman::FakeListMember {
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
            s.members.push(psrt::fakes::mailman::FakeListMember {
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
    let sink = psrt::fakes::smtp::SmtpSink::default();
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
