//! The soak: a roster history (`ROSTER_HISTORY`, which `sync_github` replays, plus
//! a hundred steady members so lists take two pages) over sixty simulated
//! nights against the GitHub, Mailman and Discord stand-ins and the SMTP
//! sink, with seeded random faults on a share of every request (500, 502,
//! 503; 429 and 403 rate limits with and without `Retry-After`; connection
//! resets; stalls past the client's deadline; truncated bodies) and of SMTP
//! sessions. Each night runs what the nightly job runs (`sync --apply` for
//! the three services, `deadlines --send`) and checks the invariants:
//!
//! - never a removal, or a lost role, of someone the roster keeps;
//! - never more removals than `policy.max_removal_fraction` allows;
//! - never a write planned from a partial read: a plan equals the one a
//!   fault-free read of the same state gives, and a failed read writes
//!   nothing;
//! - every deadline email at most once (by its Message-ID);
//! - the ledger loads, and agrees with what the SMTP server received;
//! - no panic (the test would stop).
//!
//! Then the faults stop, and everything must converge within one night.
//!
//! This file is also compiled into the benchmark (`cargo bench --bench psrt
//! -- soak`) for the long run, so it uses nothing from the other test
//! modules; the scenario data it shares with them (the roster history)
//! comes from `psrt_fakes::scenario`.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use psrt::ledger::Ledger;
use psrt::net::{RetryPolicy, RetryStats};
use psrt::sync::{ServiceReport, Status};
use psrt_fakes::chaos::{Chaos, FaultKind};
use psrt_fakes::cve::CveFake;
use psrt_fakes::discord::DiscordFake;
use psrt_fakes::github::{FakeAdvisory, FakeApp, GitHubFake};
use psrt_fakes::mailman::MailmanFake;
use psrt_fakes::scenario::ROSTER_HISTORY;
use psrt_fakes::smtp::SmtpSink;

const TOKEN: &str = "soak-github-token";
const GUILD: u64 = 1_234_567_890_123_456_789;
const ROLE: u64 = 2_345_678_901_234_567_890;
const LIST: &str = "security.soak.example.org";
const STEADY: usize = 105;
/// The CNA, and psrt's account there.
const CVE_ORG: &str = "PSF";
const CVE_USER: &str = "psrt-bot";
const CVE_KEY: &str = "soak-cve-api-key";
/// The only repository whose drafts get CVE ids.
const CVE_REPO: &str = "python/cpython";
/// The CVE id one report arrives with.
const ARRIVES_WITH: &str = "CVE-2025-31337";
/// The GitHub App `psrt advisories` runs as, installed on both organisations.
const APP_ID: u64 = 4242;
const APP_KEY: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/test-app-key.pem"
));
const APP_PUBLIC_KEY: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/test-app-key.pub.pem"
));
/// Reports that arrive in `python/cpython` during the soak, one every four nights.
const STREAM: usize = 14;
/// Hourly runs of `psrt advisories --apply` per simulated night with
/// faults, and per fair night (the second credits a fix opened after the
/// first made its fork).
const HOURLY_RUNS: usize = 1;
const HOURLY_RUNS_FAIR: usize = 2;

/// What to run.
#[derive(Debug, Clone)]
pub struct Config {
    pub seed: u64,
    /// Nights with faults.
    pub nights: usize,
    /// Share of requests (and SMTP sessions) hit by a fault.
    pub fault_rate: f64,
    /// The client's deadline for each request (a stall lasts longer).
    pub timeout: Duration,
    /// Every wait the client sleeps is multiplied by this.
    pub time_scale: f64,
    /// The advisory lifecycle runs on every `hourly_every`-th night with
    /// faults (and always in the fair night): 2 in CI, to keep the soak
    /// well under a minute; 1 (every night) in the long runs.
    pub hourly_every: usize,
}

impl Config {
    pub fn ci(seed: u64) -> Self {
        Self {
            seed,
            nights: 60,
            fault_rate: 0.15,
            timeout: Duration::from_millis(300),
            time_scale: 0.001,
            hourly_every: 2,
        }
    }
}

/// What happened: the figures the soak prints.
#[derive(Debug, Default, Clone)]
pub struct Figures {
    pub nights: usize,
    pub requests: u64,
    pub writes: u64,
    pub faults: BTreeMap<FaultKind, u64>,
    pub smtp_faults: u64,
    pub retries: u64,
    /// Service-nights without a plan (a read that failed despite retries).
    pub reads_failed: u64,
    /// Changes that failed despite retries (made on a later night).
    pub changes_failed: u64,
    /// Deadline runs that reported an error (a read or a send).
    pub deadline_errors: u64,
    pub messages_sent: u64,
    pub nights_to_converge: usize,
    pub wall: Duration,
    /// The advisory lifecycle (`psrt advisories --apply`, hourly).
    pub advisories: AdvisoryFigures,
}

/// The hourly advisory runs' figures.
#[derive(Debug, Default, Clone)]
pub struct AdvisoryFigures {
    pub runs: u64,
    /// Runs that reported a failure (a read, an update, a reservation, a fork).
    pub runs_failed: u64,
    /// GitHub requests of the advisory runs (App tokens included).
    pub github_requests: u64,
    /// `PATCH` requests on advisories (retries included).
    pub patches: u64,
    /// Requests to CVE Services.
    pub cve_requests: u64,
    /// Ids CVE Services reserved (one per report that needed one).
    pub cve_reserved: u64,
    /// Faults injected into CVE Services' requests.
    pub cve_faults: u64,
    /// Reservations whose answer was lost (a stall, a cut body, a reset),
    /// found again in CVE Services on a later run instead of reserving another.
    pub cve_recovered: u64,
    /// Temporary private forks created.
    pub forks: u64,
    /// Remediation credits given.
    pub credits: u64,
}

impl Figures {
    pub fn total_faults(&self) -> u64 {
        self.faults.values().sum::<u64>() + self.smtp_faults
    }

    pub fn render(&self, cfg: &Config) -> String {
        let kinds: Vec<String> = self
            .faults
            .iter()
            .map(|(k, n)| format!("{n} {}", k.describe()))
            .collect();
        format!(
            "soak (seed {}, {:.0}% faults): {} nights, {} requests, {} writes; {} faults injected ({} HTTP: {}; {} SMTP sessions); {} retries; {} service-night(s) without a plan (a read failed despite retries), {} change(s) failed, {} deadline run(s) with errors (each made good on a later night); {} messages sent, each once; converged {} night(s) after the faults stopped; {:.1} s",
            cfg.seed,
            cfg.fault_rate * 100.0,
            self.nights,
            self.requests,
            self.writes,
            self.total_faults(),
            self.faults.values().sum::<u64>(),
            kinds.join(", "),
            self.smtp_faults,
            self.retries,
            self.reads_failed,
            self.changes_failed,
            self.deadline_errors,
            self.messages_sent,
            self.nights_to_converge,
            self.wall.as_secs_f64()
        ) + &format!(
            "; advisories: {} hourly runs ({} with a failure), {} GitHub requests, {} PATCHes (at most one per advisory per run), {} forks, {} remediation credits; CVE Services: {} requests, {} faults, {} ids reserved (one per report), {} lost answers found again",
            self.advisories.runs,
            self.advisories.runs_failed,
            self.advisories.github_requests,
            self.advisories.patches,
            self.advisories.forks,
            self.advisories.credits,
            self.advisories.cve_requests,
            self.advisories.cve_faults,
            self.advisories.cve_reserved,
            self.advisories.cve_recovered,
        )
    }
}

fn steady(i: usize) -> String {
    format!("s{i:03}")
}

/// A person's Discord id, from their login.
fn discord_of(login: &str) -> u64 {
    let n = login
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    400_000_000_000_000_000 + n % 1_000_000_000
}

fn email_of(login: &str) -> String {
    format!("{}@soak.example.org", login.to_ascii_lowercase())
}

/// The roster of version `v`: its members, the steady ones, and everyone
/// who left in an earlier version (and `zed`) as emeritus.
pub(crate) fn roster_text(versions: &[&[(&str, bool)]], v: usize) -> String {
    let version = &versions[v];
    let mut s = format!(
        "version: 1\ngithub:\n  org: python\n  team: psrt\n  advisory_repos: [python/cpython, pypa/pip]\n  eligibility_teams: [python-core]\nmailman:\n  list: {LIST}\ndiscord:\n  guild: \"{GUILD}\"\n  role: \"{ROLE}\"\ncve:\n  org: {CVE_ORG}\n  repos: [{CVE_REPO}]\nemail:\n  from: \"PSRT <psrt-bot@soak.example.org>\"\nmembers:\n"
    );
    let people = version
        .iter()
        .map(|(l, a)| ((*l).to_owned(), *a))
        .chain((0..STEADY).map(|i| (steady(i), false)));
    for (login, admin) in people {
        s.push_str(&format!(
            "  - name: {login}\n    github: {login}\n    email: {}\n    discord: \"{}\"\n",
            email_of(&login),
            discord_of(&login)
        ));
        if admin {
            s.push_str("    roles: [admin]\n");
        }
    }
    s.push_str("emeritus:\n");
    for login in emeritus(versions, v) {
        s.push_str(&format!("  - name: {login}\n    github: {login}\n"));
    }
    s
}

/// Who left before version `v` (lower case), and `zed`, the drift.
fn emeritus(versions: &[&[(&str, bool)]], v: usize) -> BTreeSet<String> {
    let now: BTreeSet<String> = versions[v]
        .iter()
        .map(|(l, _)| l.to_ascii_lowercase())
        .collect();
    versions[..v]
        .iter()
        .copied()
        .flatten()
        .map(|(l, _)| l.to_ascii_lowercase())
        .filter(|l| !now.contains(l))
        .chain(["zed".to_owned()])
        .collect()
}

fn parse(text: &str) -> psrt::roster::Roster {
    match psrt::roster::parse(text.as_bytes()) {
        Ok(l) => l.roster,
        Err(e) => panic!("bad soak roster: {e:?}"),
    }
}

fn ghsa(i: usize) -> String {
    format!("GHSA-{i:04}-soak-test")
}

fn night_time(n: usize) -> DateTime<Utc> {
    let day0: DateTime<Utc> = "2026-03-01T03:17:00Z".parse().unwrap_or_default();
    day0 + chrono::Duration::days(n as i64)
}

/// A fix pull request in a report's private fork: (night, author,
/// reviews as (reviewer, state)). It is opened once the fork exists.
type Fix = (usize, &'static str, &'static [(&'static str, &'static str)]);

/// The reports over the soak: (created, days before night 0; coordinator;
/// night it is added; night it is published), and how the advisory
/// lifecycle sees them: the state it arrives in, its reporter, a CVE id it
/// arrives with, collaborating users, title changes (night, title) and fix
/// pull requests (their nights counted from the night it appears).
struct Report {
    ghsa: String,
    repo: &'static str,
    age: i64,
    coordinator: Option<&'static str>,
    appears: usize,
    published: Option<usize>,
    recoordinated: Option<(usize, &'static str)>,
    state: &'static str,
    reporter: Option<&'static str>,
    cve_id: Option<&'static str>,
    users: &'static [&'static str],
    titles: &'static [(usize, &'static str)],
    fixes: &'static [Fix],
}

fn advisories() -> Vec<Report> {
    let r = |i, repo, age, coordinator| Report {
        ghsa: ghsa(i),
        repo,
        age,
        coordinator,
        appears: 0,
        published: None,
        recoordinated: None,
        state: "triage",
        reporter: None,
        cve_id: None,
        users: &[],
        titles: &[],
        fixes: &[],
    };
    vec![
        Report {
            reporter: Some("reporter0"),
            titles: &[
                (2, "[ACCEPT] Heap overflow in the tokenizer"),
                (30, "[COMPLETED] Heap overflow in the tokenizer"),
            ],
            fixes: &[
                // The reporter's own fix: their credit stays theirs.
                (12, "reporter0", &[("s010", "APPROVED")]),
                (
                    14,
                    "dev1",
                    &[
                        ("s011", "COMMENTED"),
                        ("s011", "APPROVED"),
                        ("reporter0", "APPROVED"),
                    ],
                ),
            ],
            ..r(0, "python/cpython", 85, Some("s000"))
        },
        Report {
            cve_id: Some(ARRIVES_WITH),
            titles: &[(6, "Path traversal in zipfile [accepted]")],
            ..r(1, "python/cpython", 40, Some("s001"))
        },
        Report {
            titles: &[
                (4, "[Accept] Wheel cache poisoning"),
                (40, "[close] Wheel cache poisoning"),
            ],
            fixes: &[(20, "s020", &[("s021", "APPROVED")])],
            ..r(2, "pypa/pip", 10, Some("s002"))
        },
        Report {
            titles: &[
                (9, "Race in [ACCEPT] tempfile"),
                (45, "[DUPLICATE] Race in tempfile"),
            ],
            ..r(3, "python/cpython", 0, None)
        },
        Report {
            appears: 5,
            ..r(4, "pypa/pip", -5, Some("s003"))
        },
        Report {
            recoordinated: Some((30, "s004")),
            ..r(5, "python/cpython", 60, Some("not-a-member"))
        },
        Report {
            published: Some(15),
            ..r(6, "python/cpython", 70, Some("s005"))
        },
        Report {
            users: &["b"],
            ..r(7, "pypa/pip", 88, Some("c"))
        },
        Report {
            titles: &[(25, "[ACCEPT] Integer overflow in struct")],
            fixes: &[(
                28,
                "dev2",
                &[("s030", "APPROVED"), ("s031", "CHANGES_REQUESTED")],
            )],
            ..r(8, "python/cpython", 20, Some("s006"))
        },
        Report {
            state: "draft",
            users: &["zed"],
            fixes: &[(33, "dev3", &[("s032", "APPROVED")])],
            ..r(9, "python/cpython", 50, Some("s007"))
        },
        Report {
            titles: &[(15, "Not a bug [NOTPLANNED]")],
            ..r(10, "pypa/pip", 75, None)
        },
        Report {
            titles: &[(57, "[ACCEPT] A late one")],
            ..r(11, "python/cpython", 30, Some("s008"))
        },
    ]
    .into_iter()
    // A report every four nights, accepted the next night, its fix two
    // nights later, completed after ten.
    .chain((0..STREAM).map(|k| Report {
        appears: 3 + 4 * k,
        titles: &[
            (1, "[ACCEPT] A stream report"),
            (10, "[COMPLETED] A stream report"),
        ],
        fixes: &[(3, "dev4", &[("s040", "APPROVED")])],
        ..r(12 + k, "python/cpython", -(3 + 4 * k as i64), Some("s009"))
    }))
    .collect()
}

/// The state a report's last title (up to night `n`) asks for, if any.
fn tagged_state(title: &str) -> Option<&'static str> {
    let t = title.to_ascii_lowercase();
    let closing = [
        "[close]",
        "[closed]",
        "[complete]",
        "[completed]",
        "[notplanned]",
        "[invalid]",
        "[duplicate]",
    ];
    if closing.iter().any(|c| t.contains(c)) {
        Some("closed")
    } else if t.contains("[accept]") || t.contains("[accepted]") {
        Some("draft")
    } else {
        None
    }
}

/// Everyone who appears in the soak (lower case): no ledger may hold one.
fn people() -> BTreeSet<String> {
    let mut p: BTreeSet<String> = ROSTER_HISTORY
        .iter()
        .copied()
        .flatten()
        .map(|(l, _)| l.to_ascii_lowercase())
        .chain((0..STEADY).map(steady))
        .chain(["zed", "not-a-member"].map(String::from))
        .collect();
    for r in advisories() {
        p.extend(r.coordinator.map(str::to_owned));
        p.extend(r.reporter.map(str::to_owned));
        p.extend(r.users.iter().map(|u| (*u).to_owned()));
        for (_, author, reviews) in r.fixes {
            p.insert((*author).to_owned());
            p.extend(reviews.iter().map(|(who, _)| (*who).to_owned()));
        }
    }
    p
}

struct World {
    github: GitHubFake,
    mailman: MailmanFake,
    discord: DiscordFake,
    sink: SmtpSink,
    cve: CveFake,
    env: psrt::config::Env,
    /// `psrt advisories`' environment: the GitHub App and CVE Services.
    advisories_env: psrt::config::Env,
    _servers: (
        psrt_fakes::Running,
        psrt_fakes::Running,
        psrt_fakes::Running,
        psrt_fakes::smtp::RunningSink,
        psrt_fakes::Running,
    ),
    smtp_port: u16,
}

async fn world() -> World {
    let github = GitHubFake::new("python", TOKEN);
    github.team("psrt");
    let everyone: BTreeSet<String> = ROSTER_HISTORY
        .iter()
        .copied()
        .flatten()
        .map(|(l, _)| l.to_ascii_lowercase())
        .chain((0..STEADY).map(steady))
        .collect();
    for l in &everyone {
        if l == "j" {
            github.user(l); // outside the org: invited, accepts the next day
        } else {
            github.org_member(l);
        }
    }
    github.org_member("not-a-member");
    // The steady members are everywhere already; drift to start from: a
    // former member (zed) still in the team, on the list and holding the role.
    for i in 0..STEADY {
        github.add_to_team("psrt", &steady(i), "member");
    }
    github.add_to_team("psrt", "zed", "member");
    github.repo("python/cpython");
    github.repo("pypa/pip");
    // The hourly job runs as the App, installed on both organisations; the
    // nightly keeps its token.
    github.with(|s| {
        s.app = Some(
            FakeApp::new(APP_ID, APP_PUBLIC_KEY)
                .install(77, "python")
                .install(88, "pypa"),
        );
    });
    let mailman = MailmanFake::new("rest", "rest-password");
    mailman.with(|s| {
        s.domains.push("soak.example.org".into());
        s.lists
            .push((LIST.to_owned(), "security@soak.example.org".into()));
        for (i, login) in (0..STEADY)
            .map(steady)
            .chain(["zed".to_owned()])
            .enumerate()
        {
            s.members.push(psrt_fakes::mailman::FakeListMember {
                member_id: format!("seeded-{i:04}"),
                list_id: LIST.to_owned(),
                email: email_of(&login),
                display_name: login.clone(),
                role: "member".to_owned(),
            });
        }
    });
    let discord = DiscordFake::new("soak-bot-token");
    discord.guild(GUILD, ROLE);
    for l in everyone.iter().chain(std::iter::once(&"zed".to_owned())) {
        let holds = l.starts_with('s') || l == "zed";
        discord.member(GUILD, discord_of(l), l, if holds { &[ROLE] } else { &[] });
    }
    let sink = SmtpSink::default();
    let gh = github.start().await.unwrap();
    let mm = mailman.start().await.unwrap();
    let dc = discord.start().await.unwrap();
    let smtp = sink.start().await.unwrap();
    let smtp_port = smtp.port;
    let cve = CveFake::new(CVE_ORG, CVE_USER, CVE_KEY);
    let cv = cve.start().await.unwrap();
    let advisories_vars: std::collections::HashMap<String, String> = [
        ("PSRT_GITHUB_APP_ID", APP_ID.to_string()),
        ("PSRT_GITHUB_APP_KEY", APP_KEY.to_owned()),
        ("GITHUB_API_URL", gh.url()),
        ("PSRT_CVE_API_URL", cv.url()),
        ("PSRT_CVE_API_USER", CVE_USER.to_owned()),
        ("PSRT_CVE_API_KEY", CVE_KEY.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let vars: std::collections::HashMap<String, String> = [
        ("GITHUB_TOKEN", TOKEN.to_owned()),
        ("GITHUB_API_URL", gh.url()),
        ("PSRT_MAILMAN_URL", format!("{}/3.1", mm.url())),
        ("PSRT_MAILMAN_USER", "rest".to_owned()),
        ("PSRT_MAILMAN_PASSWORD", "rest-password".to_owned()),
        ("PSRT_DISCORD_API_URL", dc.url()),
        ("PSRT_DISCORD_TOKEN", "soak-bot-token".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    World {
        github,
        mailman,
        discord,
        sink,
        cve,
        env: psrt::config::Env::from_vars(&vars),
        advisories_env: psrt::config::Env::from_vars(&advisories_vars),
        _servers: (gh, mm, dc, smtp, cv),
        smtp_port,
    }
}

/// Who each service holds: (person, privileged?).
#[derive(Debug, Clone, PartialEq)]
struct Holdings {
    github: BTreeMap<String, bool>,
    mailman: BTreeMap<String, bool>,
    discord: BTreeSet<u64>,
}

fn holdings(w: &World) -> Holdings {
    let github = w
        .github
        .team_members("psrt")
        .into_iter()
        .map(|(l, r)| (l.to_ascii_lowercase(), r == "maintainer"))
        .collect();
    // List owners (members are `mailman_members`).
    let mailman = w.mailman.with(|s| {
        s.members
            .iter()
            .filter(|e| e.list_id == LIST && e.role == "owner")
            .map(|e| (e.email.to_ascii_lowercase(), true))
            .collect()
    });
    let discord = w.discord.holders(GUILD, ROLE).into_iter().collect();
    Holdings {
        github,
        mailman,
        discord,
    }
}

fn mailman_members(w: &World) -> BTreeSet<String> {
    w.mailman.with(|s| {
        s.members
            .iter()
            .filter(|e| e.list_id == LIST && e.role == "member")
            .map(|e| e.email.to_ascii_lowercase())
            .collect()
    })
}

fn knobs(w: &World) -> [(&'static str, &psrt_fakes::Knobs); 3] {
    [
        ("github", &w.github.knobs),
        ("mailman", &w.mailman.knobs),
        ("discord", &w.discord.knobs),
    ]
}

fn plan_of(r: &ServiceReport) -> Vec<(String, String, Option<String>)> {
    r.changes
        .iter()
        .map(|c| (c.action.to_owned(), c.subject.clone(), c.detail.clone()))
        .collect()
}

fn tuning(cfg: &Config, stats: &Arc<RetryStats>) -> psrt::github::Tuning {
    psrt::github::Tuning {
        retry: RetryPolicy {
            attempts: 3,
            base_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(40),
            max_wait: Duration::from_secs(15 * 60),
            timeout: cfg.timeout,
            time_scale: cfg.time_scale,
            stats: Some(Arc::clone(stats)),
        },
        write_interval: Duration::ZERO,
        read_concurrency: 4,
    }
}

/// One night: the nightly job's sync and deadlines, with the invariants
/// checked. Returns whether everything matched the roster afterwards.
#[allow(clippy::too_many_arguments)]
async fn night(
    w: &World,
    fair: &Clients,
    cfg: &Config,
    n: usize,
    roster: &psrt::roster::Roster,
    stats: &Arc<RetryStats>,
    ledger_path: &std::path::Path,
    fair_weather: bool,
    figures: &mut Figures,
    sent: &mut BTreeMap<String, usize>,
    track: &mut Track,
) -> bool {
    let now = night_time(n);
    // The world moves: invitations are accepted, reports come and change.
    w.github.accept_invitations();
    for r in advisories() {
        if r.appears == n {
            let mut a = FakeAdvisory::new(
                r.repo,
                &r.ghsa,
                "triage",
                night_time(0) - chrono::Duration::days(r.age),
            );
            if let Some(c) = r.coordinator {
                a = a.coordinator(c);
            }
            a.state = r.state.to_owned();
            if let Some(reporter) = r.reporter {
                w.github.user(reporter);
                a.author = Some(reporter.to_owned());
                a.credits.push((reporter.to_owned(), "reporter".to_owned()));
            }
            a.cve_id = r.cve_id.map(str::to_owned);
            a.collaborating_users = r.users.iter().map(|u| (*u).to_owned()).collect();
            w.github.advisory(a);
        }
        for (_, title) in r.titles.iter().filter(|(when, _)| r.appears + when == n) {
            w.github
                .update_advisory(&r.ghsa, |a| a.summary = (*title).to_owned());
        }
        if r.published == Some(n) {
            w.github
                .update_advisory(&r.ghsa, |a| a.state = "published".into());
        }
        if let Some((when, who)) = r.recoordinated {
            if when == n {
                w.github.update_advisory(&r.ghsa, |a| {
                    a.credits = vec![(who.to_owned(), "coordinator".to_owned())]
                });
            }
        }
    }

    // The referee: a fault-free read of the same state.
    let referee = fair.plans(w, roster).await;
    for r in &referee {
        assert!(
            matches!(r.outcome, Status::Planned),
            "night {n}: the referee could not read {}: {r:?}",
            r.service
        );
    }
    let before = holdings(w);
    let before_members = mailman_members(w);
    let marks: Vec<usize> = knobs(w).iter().map(|(_, k)| k.log().len()).collect();

    // The night's sync and deadlines, under the weather (run side by side:
    // they touch different things, and the soak is shorter).
    let weather_tuning = if fair_weather {
        psrt::github::Tuning::local()
    } else {
        tuning(cfg, stats)
    };
    let ctx = psrt::sync::Context {
        env: &w.env,
        tuning: weather_tuning,
    };
    let ledger_before = Ledger::load(ledger_path)
        .unwrap_or_else(|e| panic!("night {n}: the ledger does not load: {e}"));
    let mut ledger = ledger_before.clone();
    let (nightly, out) = tokio::join!(
        psrt::sync::run(
            roster,
            &ctx,
            &[],
            psrt::sync::Options {
                apply: true,
                allow_mass_removal: false,
            },
        ),
        psrt::deadlines::run(
            if fair_weather {
                &fair.github
            } else {
                &fair.weathered
            },
            roster,
            &ledger_before,
            now,
            Some(psrt::deadlines::Sending {
                mailer: &fair.mailer,
                templates: &fair.templates,
                ledger: &mut ledger,
            }),
        )
    );
    for (_, k) in knobs(w) {
        k.settle(Duration::from_secs(5)).await;
    }
    let after = holdings(w);
    let after_members = mailman_members(w);

    // Invariants of the sync.
    let want_logins: BTreeMap<String, bool> = roster
        .members
        .iter()
        .map(|m| (m.github.key(), m.is_admin()))
        .collect();
    let want_emails: BTreeMap<String, bool> = roster
        .members
        .iter()
        .filter_map(|m| Some((m.email.clone()?.to_ascii_lowercase(), m.is_admin())))
        .collect();
    let want_discord: BTreeSet<u64> = roster
        .members
        .iter()
        .filter_map(|m| m.discord.as_deref()?.parse().ok())
        .collect();
    let fraction = roster.policy.max_removal_fraction;
    let cap = |current: usize| (fraction * current as f64).floor() as usize;
    // GitHub: nobody the roster keeps is removed or loses maintainer.
    let removed: Vec<&String> = before
        .github
        .keys()
        .filter(|l| !after.github.contains_key(*l))
        .collect();
    for l in &removed {
        assert!(
            !want_logins.contains_key(*l),
            "night {n}: {l} was removed from the team but is in the roster"
        );
    }
    assert!(
        removed.len() <= cap(before.github.len()),
        "night {n}: {} removals from a team of {}",
        removed.len(),
        before.github.len()
    );
    for (l, was_maintainer) in &before.github {
        if *was_maintainer && want_logins.get(l) == Some(&true) {
            assert_eq!(
                after.github.get(l),
                Some(&true),
                "night {n}: admin {l} lost the maintainer role"
            );
        }
    }
    // Mailman: no roster address unsubscribed, no roster admin's ownership lost.
    let unsubscribed: Vec<&String> = before_members.difference(&after_members).collect();
    for e in &unsubscribed {
        assert!(
            !want_emails.contains_key(*e),
            "night {n}: {e} was unsubscribed but is in the roster"
        );
    }
    assert!(unsubscribed.len() <= cap(before_members.len()));
    for (e, owner) in &before.mailman {
        if *owner && want_emails.get(e) == Some(&true) {
            assert_eq!(
                after.mailman.get(e),
                Some(&true),
                "night {n}: {e} lost list ownership"
            );
        }
    }
    // Discord: no roster member's role revoked.
    let revoked: Vec<&u64> = before.discord.difference(&after.discord).collect();
    for id in &revoked {
        assert!(
            !want_discord.contains(*id),
            "night {n}: {id} lost the role but is in the roster"
        );
    }
    assert!(revoked.len() <= cap(before.discord.len()));
    // Plans come from complete reads only.
    for (i, (name, k)) in knobs(w).iter().enumerate() {
        let log = k.log();
        let night_log = log.get(marks[i]..).unwrap_or_default();
        figures.requests += night_log.len() as u64;
        let writes = night_log.iter().filter(|l| l.is_write()).count();
        figures.writes += writes as u64;
        let report = nightly
            .iter()
            .find(|r| r.service.as_str() == *name)
            .expect("a report per service");
        let referee_plan = referee
            .iter()
            .find(|r| r.service == report.service)
            .map(plan_of)
            .unwrap_or_default();
        match &report.outcome {
            Status::ReadFailed { error } => {
                figures.reads_failed += 1;
                assert_eq!(
                    writes, 0,
                    "night {n}: {name}: writes after a failed read ({error})"
                );
                assert!(!error.is_empty());
            }
            Status::Planned | Status::Applied | Status::Blocked { .. } => {
                assert_eq!(
                    plan_of(report),
                    referee_plan,
                    "night {n}: {name}: a plan that a complete read does not give"
                );
            }
            Status::Skipped { reason } | Status::Unreachable { reason } => {
                panic!("night {n}: {name} skipped: {reason}")
            }
        }
        figures.changes_failed += report
            .changes
            .iter()
            .filter(|c| matches!(c.result, Some(psrt::sync::ChangeResult::Failed { .. })))
            .count() as u64;
    }

    // Deadlines: every message at most once; the ledger agrees with what
    // arrived.
    if !out.errors.is_empty() {
        figures.deadline_errors += 1;
    }
    // Every message at most once; the ledger agrees with what arrived.
    for m in w.sink.messages() {
        let id = m.header("Message-ID").unwrap_or_default();
        *sent.entry(id).or_insert(0) += 1;
    }
    w.sink.clear();
    for (id, count) in sent.iter() {
        assert_eq!(*count, 1, "night {n}: {id} arrived {count} times");
    }
    let on_disk = Ledger::load(ledger_path)
        .unwrap_or_else(|e| panic!("night {n}: the ledger does not load: {e}"));
    let received: BTreeSet<(String, String)> = sent.keys().filter_map(|id| parse_id(id)).collect();
    for (g, key) in &received {
        assert!(
            on_disk.messages().has(g, key),
            "night {n}: {g} {key} was received but is not in the ledger"
        );
    }
    for r in advisories() {
        for (key, _) in on_disk.messages().sent(&r.ghsa) {
            let explained = received.contains(&(r.ghsa.clone(), key.to_owned()))
                || warn_days(key).is_some_and(|t| {
                    received
                        .iter()
                        .any(|(g, k)| *g == r.ghsa && warn_days(k).is_some_and(|m| m < t))
                });
            assert!(
                explained,
                "night {n}: the ledger says {} {key} was sent, but it never arrived",
                r.ghsa
            );
        }
    }

    // The night's hourly advisory runs (after the nightly: they share the
    // ledger, under the same lock in the workflows).
    let advisories_converged = hourly_runs(
        w,
        cfg,
        n,
        roster,
        stats,
        ledger_path,
        fair_weather,
        figures,
        track,
    )
    .await;

    if !fair_weather {
        return false;
    }
    // Converged: a fault-free read finds nothing to do, nothing is due.
    let on_disk = Ledger::load(ledger_path)
        .unwrap_or_else(|e| panic!("night {n}: the ledger does not load: {e}"));
    let check = fair.plans(w, roster).await;
    let due = psrt::deadlines::run(&fair.github, roster, &on_disk, now, None).await;
    advisories_converged
        && check.iter().all(|r| r.changes.is_empty())
        && due.errors.is_empty()
        && due.evaluations.iter().all(|e| e.due.is_empty())
}

/// Clients that live for the whole soak: the referee's (fair weather),
/// and the deadline job's (the night's weather).
struct Clients {
    team: psrt::sync::github_team::GitHubTeam,
    list: psrt::sync::mailman::MailmanList,
    role: psrt::sync::discord::DiscordRole,
    github: psrt::github::GitHub,
    weathered: psrt::github::GitHub,
    mailer: psrt::notify::Mailer,
    templates: psrt::notify::Templates,
}

impl Clients {
    async fn new(
        w: &World,
        cfg: &Config,
        stats: &Arc<RetryStats>,
        roster: &psrt::roster::Roster,
    ) -> Self {
        let gh_env = w.env.github.as_ref().expect("github env");
        let local = psrt::github::Tuning::local();
        // Tokens, not the App: the scope only names what each part may do.
        let scope = psrt::sync::github_team::scope(roster, true);
        let connect = |t| psrt::github::GitHub::connect(gh_env, scope.clone(), t);
        let github = connect(local.clone()).await.expect("connect");
        let team = psrt::sync::github_team::GitHubTeam::new(
            Arc::new(connect(local.clone()).await.expect("connect")),
            roster,
        );
        let list = psrt::sync::mailman::MailmanList::new(
            w.env.mailman.as_ref().expect("mailman env"),
            LIST,
            local.retry.clone(),
        )
        .expect("mailman");
        let role = psrt::sync::discord::DiscordRole::new(
            w.env.discord.as_ref().expect("discord env"),
            &GUILD.to_string(),
            &ROLE.to_string(),
            local.retry.clone(),
        )
        .expect("discord");
        let mailer = psrt::notify::Mailer::new(
            &psrt::config::SmtpEnv {
                url: psrt::secret::Secret::new(format!(
                    "smtp://127.0.0.1:{}?tls=none",
                    w.smtp_port
                )),
                ca_file: None,
            },
            "PSRT <psrt-bot@soak.example.org>",
        )
        .expect("mailer");
        Self {
            team,
            list,
            role,
            github,
            weathered: connect(tuning(cfg, stats)).await.expect("connect"),
            mailer,
            templates: psrt::notify::Templates::built_in(),
        }
    }

    /// Each service's plan from a fault-free read.
    async fn plans(&self, w: &World, roster: &psrt::roster::Roster) -> Vec<ServiceReport> {
        for (_, k) in knobs(w) {
            k.chaos_enabled(false);
        }
        let dry = psrt::sync::Options {
            apply: false,
            allow_mass_removal: false,
        };
        let (a, b, c) = tokio::join!(
            psrt::sync::run_service(&self.team, roster, dry),
            psrt::sync::run_service(&self.list, roster, dry),
            psrt::sync::run_service(&self.role, roster, dry),
        );
        for (_, k) in knobs(w) {
            k.chaos_enabled(true);
        }
        vec![a, b, c]
    }
}

/// `<psrt.GHSA-0001-soak-test.warn-30@…>` → (GHSA, key).
fn parse_id(id: &str) -> Option<(String, String)> {
    let inner = id.strip_prefix("<psrt.")?.split('@').next()?;
    let (g, key) = inner.split_at(inner.find(".")?);
    Some((g.to_owned(), key.trim_start_matches('.').to_owned()))
}

fn warn_days(key: &str) -> Option<u32> {
    key.strip_prefix("warn-")?.parse().ok()
}

/// Runs the soak: `cfg.nights` nights of faults, then fair weather until
/// everything matches (at most three nights).
pub async fn soak(cfg: &Config) -> Figures {
    let started = Instant::now();
    let w = world().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger_path = dir.path().join(".psrt/ledger.json");
    let stats = Arc::new(RetryStats::default());
    for (i, (_, k)) in knobs(&w).iter().enumerate() {
        let mut c = Chaos::new(
            cfg.seed.wrapping_mul(31).wrapping_add(i as u64),
            cfg.fault_rate,
        );
        c.stall = cfg.timeout + Duration::from_millis(200);
        k.set_chaos(Some(c));
    }
    w.sink
        .set_chaos(Some((cfg.seed.wrapping_add(99), cfg.fault_rate)));
    // CVE Services: the same weather, in its own dialect (no GitHub 403s).
    let mut c = Chaos::new(cfg.seed.wrapping_mul(31).wrapping_add(7), cfg.fault_rate);
    c.kinds = FaultKind::PLAIN.to_vec();
    c.stall = cfg.timeout + Duration::from_millis(200);
    w.cve.knobs.set_chaos(Some(c));
    let mut track = Track::default();
    let rosters: Vec<psrt::roster::Roster> = (0..ROSTER_HISTORY.len())
        .map(|v| parse(&roster_text(&ROSTER_HISTORY, v)))
        .collect();
    let fair = Clients::new(&w, cfg, &stats, &rosters[0]).await;
    let mut figures = Figures::default();
    let mut sent = BTreeMap::new();
    let per_version = cfg.nights.div_ceil(rosters.len()).max(1);
    for n in 0..cfg.nights {
        let roster = &rosters[(n / per_version).min(rosters.len() - 1)];
        night(
            &w,
            &fair,
            cfg,
            n,
            roster,
            &stats,
            &ledger_path,
            false,
            &mut figures,
            &mut sent,
            &mut track,
        )
        .await;
        figures.nights += 1;
    }
    // The weather clears.
    for (_, k) in knobs(&w) {
        for (kind, c) in k.chaos_injected() {
            *figures.faults.entry(kind).or_insert(0) += c;
        }
        k.set_chaos(None);
    }
    for (kind, c) in w.cve.knobs.chaos_injected() {
        *figures.faults.entry(kind).or_insert(0) += c;
        figures.advisories.cve_faults += c;
    }
    w.cve.knobs.set_chaos(None);
    figures.smtp_faults = w.sink.chaos_injected();
    w.sink.set_chaos(None);
    let last = rosters.last().expect("a roster");
    let mut converged = false;
    for extra in 1..=3 {
        let n = cfg.nights + extra - 1;
        converged = night(
            &w,
            &fair,
            cfg,
            n,
            last,
            &stats,
            &ledger_path,
            true,
            &mut figures,
            &mut sent,
            &mut track,
        )
        .await;
        figures.nights += 1;
        if converged {
            figures.nights_to_converge = extra;
            break;
        }
    }
    assert!(
        converged,
        "not converged three nights after the faults stopped"
    );
    figures.retries = stats.retries.load(Ordering::Relaxed);
    figures.messages_sent = sent.len() as u64;
    figures.wall = started.elapsed();
    figures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_nights_of_faults_break_no_invariant_and_one_fair_night_converges() {
    let cfg = Config::ci(20261201);
    let f = soak(&cfg).await;
    println!("{}", f.render(&cfg));
    let requests = f.requests as f64;
    let http_faults = f.faults.values().sum::<u64>() as f64;
    // The weather was what was asked for: 10-20% of requests, every kind.
    assert!(
        (0.08..=0.22).contains(&(http_faults / requests)),
        "{http_faults} faults in {requests} requests"
    );
    assert_eq!(f.faults.len(), FaultKind::ALL.len(), "{:?}", f.faults);
    assert!(f.smtp_faults > 0);
    assert!(f.retries > 0);
    assert_eq!(f.nights_to_converge, 1);
    assert!(f.messages_sent >= 20, "{}", f.messages_sent);
}

/// What the advisory invariants remember across runs.
#[derive(Debug, Default)]
pub struct Track {
    /// Fix pull requests opened: (GHSA id, index in its `fixes`).
    fixes_opened: BTreeSet<(String, usize)>,
    /// Reports whose fork creation completed.
    forked: BTreeSet<String>,
    /// (GHSA id, login): a former member without access there.
    revoked: BTreeSet<(String, String)>,
    /// GHSA id → the CVE id the ledger held for it.
    ledger_ids: BTreeMap<String, String>,
    /// CVE id → the report it belongs to.
    owner: BTreeMap<String, String>,
    /// Ledger entries for a reservation whose answer was lost, seen so far.
    pending_seen: BTreeSet<String>,
}

fn fork_of(r: &Report) -> String {
    let (owner, name) = r.repo.split_once('/').unwrap_or(("", r.repo));
    format!("{owner}/{name}-{}", r.ghsa.to_ascii_lowercase())
}

/// Opens the fix pull requests that are due and whose fork exists.
fn open_fixes(w: &World, n: usize, track: &mut Track) {
    for r in advisories() {
        let Some(a) = w.github.get_advisory(&r.ghsa) else {
            continue;
        };
        if a.private_fork.is_none() {
            continue;
        }
        for (i, (when, author, reviews)) in r.fixes.iter().enumerate() {
            if r.appears + when <= n && track.fixes_opened.insert((r.ghsa.clone(), i)) {
                w.github.pull_with_reviews(&fork_of(&r), author, reviews);
            }
        }
    }
}

fn snapshot(w: &World) -> BTreeMap<String, FakeAdvisory> {
    w.github.with(|s| {
        s.advisories
            .iter()
            .map(|a| (a.ghsa_id.clone(), a.clone()))
            .collect()
    })
}

fn lower(v: &[String]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_ascii_lowercase()).collect()
}

/// `…/security-advisories/GHSA-…[/forks]` → the GHSA id.
fn ghsa_in(path: &str) -> Option<String> {
    let rest = path.split("/security-advisories/").nth(1)?;
    Some(rest.split(['/', '?']).next()?.to_owned())
}

/// Every string in the ledger file is a GHSA id, a message key, a CVE id
/// or a time; none is (or holds) a person.
fn assert_ledger_holds_nobody(n: usize, path: &std::path::Path, people: &BTreeSet<String>) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    let v: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("night {n}: the ledger is not JSON: {e}"));
    fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            serde_json::Value::Object(o) => {
                for (k, x) in o {
                    out.push(k.clone());
                    strings(x, out);
                }
            }
            _ => {}
        }
    }
    let mut all = Vec::new();
    strings(&v, &mut all);
    for s in all {
        let l = s.to_ascii_lowercase();
        assert!(
            !l.contains('@') && !people.contains(&l),
            "night {n}: the ledger holds a person: {s}"
        );
        // A URL (a validator's key, the next page), a repository (a fork in
        // the steady section): none of its parts is a person.
        let no_person_in_parts = !l
            .split(['/', '?', '&', '='])
            .any(|part| people.contains(part));
        let known_shape = l.starts_with("ghsa-")
            || l.starts_with("cve-")
            || l.starts_with("warn-")
            || l.starts_with("overdue")
            // The admins' email of a workflow run: what was told when.
            || l.starts_with("told-")
            || s.parse::<DateTime<Utc>>().is_ok()
            || (l.contains('/') && no_person_in_parts && !l.starts_with("w/"))
            // An ETag GitHub gave; a short hash (the status comment's facts,
            // the roster's fingerprint).
            || l.starts_with("w/\"")
            || (l.len() <= 16 && l.chars().all(|c| c.is_ascii_hexdigit()))
            || [
                "discussion",
                "count",
                "seen",
                "shown",
                "thresholds",
                "validators",
                "etag",
                "next",
                "discussion_full_read",
                // When the ledger's memory of `/psrt` commands began.
                "commands_since",
                "steady",
                "fingerprint",
                "until",
                "forks",
                "report",
                "repo",
                "pulls",
            ]
            .contains(&l.as_str())
            || [
                "version",
                "reports",
                "sent",
                "cve_reserved",
                "cve_pending",
                "id",
                "at",
                "since",
                "unassigned",
                "reassign",
                // Reports seen: when, and a title tag's kind.
                "seen",
                "first",
                "ignored_tag",
                "accept",
                "close",
            ]
            .contains(&l.as_str());
        assert!(known_shape, "night {n}: the ledger holds {s:?}");
    }
}

/// The night's hourly runs of `psrt advisories --apply`, wired as the
/// command wires them (the App's installation tokens scoped by
/// `github_scope`, CVE Services for `cve.org`), each checked against the
/// invariants. Returns whether, after them, the lifecycle has converged.
#[allow(clippy::too_many_arguments)]
async fn hourly_runs(
    w: &World,
    cfg: &Config,
    n: usize,
    roster: &psrt::roster::Roster,
    stats: &Arc<RetryStats>,
    ledger_path: &std::path::Path,
    fair_weather: bool,
    figures: &mut Figures,
    track: &mut Track,
) -> bool {
    let former: BTreeSet<String> = roster
        .emeritus
        .iter()
        .filter_map(|e| Some(e.github.as_ref()?.key()))
        .collect();
    let templates = psrt::notify::Templates::built_in();
    let people = people();
    let gh_env = w.advisories_env.github.as_ref().expect("the App's env");
    let (Some(settings), Ok(cve_env)) = (&roster.cve, &w.advisories_env.cve) else {
        panic!("the soak's roster has a cve section and CVE Services is configured");
    };
    let runs = if fair_weather {
        HOURLY_RUNS_FAIR
    } else if n % cfg.hourly_every.max(1) == 0 {
        HOURLY_RUNS
    } else {
        0
    };
    for hour in 0..runs {
        let now = night_time(n) + chrono::Duration::hours(hour as i64);
        open_fixes(w, n, track);
        let tuning = if fair_weather {
            psrt::github::Tuning::local()
        } else {
            tuning(cfg, stats)
        };
        let before = snapshot(w);
        let gh_mark = w.github.knobs.log().len();
        let cve_mark = w.cve.knobs.log().len();
        let mut ledger = Ledger::load(ledger_path)
            .unwrap_or_else(|e| panic!("night {n}: the ledger does not load: {e}"));
        let pending_before: BTreeSet<String> =
            ledger.cve().all_pending().map(|g| g.to_string()).collect();
        let cve = psrt::cve::CveServices::new(cve_env, &settings.org, &tuning.retry)
            .expect("a CVE Services client");
        let report = match psrt::github::GitHub::connect(
            gh_env,
            psrt::advisories::github_scope(roster, true),
            tuning,
        )
        .await
        {
            Ok(gh) => Some(
                psrt::advisories::run(
                    &gh,
                    roster,
                    psrt::advisories::Options {
                        apply: true,
                        now,
                        mailer: None,
                        templates: &templates,
                        cve: Ok(&cve),
                        ledger: &mut ledger,
                        public: false,
                        run_url: None,
                    },
                )
                .await,
            ),
            Err(_) => None,
        };
        w.github.knobs.settle(Duration::from_secs(5)).await;
        w.cve.knobs.settle(Duration::from_secs(5)).await;
        figures.advisories.runs += 1;
        if report.as_ref().is_none_or(|r| r.failed()) {
            figures.advisories.runs_failed += 1;
        }
        let after = snapshot(w);
        let gh_log = w.github.knobs.log();
        let gh_log = gh_log.get(gh_mark..).unwrap_or_default();
        let cve_log = w.cve.knobs.log();
        let cve_log = cve_log.get(cve_mark..).unwrap_or_default();
        figures.advisories.github_requests += gh_log.len() as u64;
        figures.advisories.cve_requests += cve_log.len() as u64;
        figures.requests += (gh_log.len() + cve_log.len()) as u64;
        figures.writes += gh_log
            .iter()
            .chain(cve_log)
            .filter(|l| l.is_write())
            .count() as u64;
        let at = format!("night {n}, run {hour}");

        // psrt's comments, whatever the weather: one status comment per
        // report, one comment per deadline threshold (a lost answer is
        // listed for, never posted again blindly).
        for g in after.keys() {
            let mut markers: BTreeMap<String, usize> = BTreeMap::new();
            for c in w.github.advisory_comments(g) {
                if let Some(first) = c.body.lines().next()
                    && first.starts_with("<!-- psrt:")
                {
                    *markers.entry(first.to_owned()).or_default() += 1;
                }
            }
            for (marker, n) in markers {
                assert!(n <= 1, "{at}: {n} comments {marker} on {g}");
            }
        }

        // At most one PATCH per advisory per run: a second one only retries
        // a PATCH whose answer did not arrive.
        let mut last: BTreeMap<String, &psrt_fakes::Logged> = BTreeMap::new();
        for l in gh_log {
            let Some(g) = ghsa_in(&l.path) else { continue };
            // A comment's PATCH (the status comment edited) is not the
            // advisory's.
            if l.method == http::Method::PATCH && !l.path.contains("/comments") {
                figures.advisories.patches += 1;
                if let Some(prev) = last.get(&g) {
                    assert!(
                        prev.fault.is_some(),
                        "{at}: a second PATCH of {g} after one that was answered ({prev})"
                    );
                }
                last.insert(g.clone(), l);
            }
            // No fork created twice for one report.
            if l.method == http::Method::POST && l.path.ends_with("/forks") {
                let had = before.get(&g).is_some_and(|a| a.private_fork.is_some());
                assert!(!had, "{at}: a fork requested again for {g}");
                if l.fault.is_none() && (200..300).contains(&l.status) {
                    assert!(track.forked.insert(g.clone()), "{at}: {g} forked twice");
                }
            }
        }

        for (g, a) in &after {
            let Some(b) = before.get(g) else { continue };
            // Nothing closed or published except by a title tag.
            if a.state != b.state {
                let asked = tagged_state(&b.summary);
                let ok = match (b.state.as_str(), a.state.as_str()) {
                    ("triage", "draft") => asked == Some("draft"),
                    ("triage" | "draft", "closed") => asked == Some("closed"),
                    _ => false,
                };
                assert!(ok, "{at}: {g} went {} → {} untagged", b.state, a.state);
            }
            // No credit overwritten or removed.
            let credits: BTreeSet<(String, String)> = a
                .credits
                .iter()
                .map(|(l, t)| (l.to_ascii_lowercase(), t.clone()))
                .collect();
            for (l, t) in &b.credits {
                assert!(
                    credits.contains(&(l.to_ascii_lowercase(), t.clone())),
                    "{at}: {g}: the {t} credit of {l} was overwritten"
                );
            }
            let logins: Vec<String> = a
                .credits
                .iter()
                .map(|(l, _)| l.to_ascii_lowercase())
                .collect();
            let unique: BTreeSet<&String> = logins.iter().collect();
            assert_eq!(
                unique.len(),
                logins.len(),
                "{at}: {g}: two credits for one user"
            );
            // The team on an open report is never removed.
            if matches!(b.state.as_str(), "triage" | "draft")
                && lower(&b.collaborating_teams).contains("psrt")
            {
                assert!(
                    lower(&a.collaborating_teams).contains("psrt"),
                    "{at}: {g}: the team lost access"
                );
            }
            // A former member's access is never granted back.
            let users = lower(&a.collaborating_users);
            let had = lower(&b.collaborating_users);
            for f in &former {
                if users.contains(f) {
                    assert!(
                        had.contains(f),
                        "{at}: {g}: former member {f} granted access"
                    );
                    assert!(
                        !track.revoked.contains(&(g.clone(), f.clone())),
                        "{at}: {g}: former member {f} granted access back"
                    );
                } else if !matches!(a.state.as_str(), "published" | "withdrawn") {
                    track.revoked.insert((g.clone(), f.clone()));
                }
            }
            // The CVE id a report arrived with never changes.
            if b.cve_id.is_some() {
                assert_eq!(a.cve_id, b.cve_id, "{at}: {g}: its CVE id changed");
            }
        }

        // CVE ids: each reserved id belongs to one report of cve.repos that
        // had none, no report ever gets two, and one reserved but on neither
        // the ledger nor an advisory is only allowed while the ledger says
        // its answer was lost (the next run finds it again).
        let ledger = Ledger::load(ledger_path)
            .unwrap_or_else(|e| panic!("{at}: the ledger does not load: {e}"));
        assert_ledger_holds_nobody(n, ledger_path, &people);
        let pending: BTreeSet<String> = ledger.cve().all_pending().map(|g| g.to_string()).collect();
        for g in pending.difference(&pending_before) {
            track.pending_seen.insert(g.clone());
        }
        for g in pending_before.difference(&pending) {
            if ledger.cve().reserved(g).is_some()
                || after.get(g).is_some_and(|a| a.cve_id.is_some())
            {
                figures.advisories.cve_recovered += 1;
            }
        }
        for (g, id) in ledger.cve().all_reserved() {
            {
                let was = track
                    .ledger_ids
                    .entry(g.to_string())
                    .or_insert_with(|| id.to_owned());
                assert_eq!(*was, id, "{at}: {g}: the ledger's CVE id changed");
            }
        }
        let mut orphans = Vec::new();
        for id in w.cve.reserved() {
            let on_advisory = after
                .values()
                .find(|a| a.cve_id.as_deref() == Some(id.as_str()))
                .map(|a| a.ghsa_id.clone());
            let in_ledger = ledger
                .cve()
                .all_reserved()
                .find(|(_, c)| *c == id)
                .map(|(g, _)| g.to_string());
            let Some(g) = on_advisory
                .or(in_ledger)
                .or_else(|| track.owner.get(&id).cloned())
            else {
                orphans.push(id);
                continue;
            };
            let report = advisories().into_iter().find(|r| r.ghsa == g);
            assert!(
                report
                    .as_ref()
                    .is_some_and(|r| r.repo.eq_ignore_ascii_case(CVE_REPO)),
                "{at}: {id} reserved for {g}, outside cve.repos"
            );
            assert!(
                report.is_some_and(|r| r.cve_id.is_none()),
                "{at}: {id} reserved for {g}, which arrived with an id"
            );
            let owner = track.owner.entry(id.clone()).or_insert_with(|| g.clone());
            assert_eq!(*owner, g, "{at}: {id} moved from {owner} to {g}");
        }
        let mut per_report: BTreeMap<&String, usize> = BTreeMap::new();
        for g in track.owner.values() {
            *per_report.entry(g).or_default() += 1;
        }
        for (g, count) in per_report {
            assert_eq!(count, 1, "{at}: {count} CVE ids reserved for {g}");
        }
        assert!(
            orphans.len() <= pending.len(),
            "{at}: CVE ids reserved and lost (on no advisory, in no ledger entry, no lost answer recorded): {orphans:?}; CVE Services' log: {:?}",
            cve_log.iter().map(ToString::to_string).collect::<Vec<_>>()
        );
        // A reserved id in the ledger is the one that ends up on the advisory.
        for (g, a) in &after {
            if let (Some(id), Some(kept)) = (&a.cve_id, track.ledger_ids.get(g)) {
                assert_eq!(id, kept, "{at}: {g} carries an id other than the ledger's");
            }
        }
    }
    figures.advisories.cve_reserved = w.cve.reserved().len() as u64;
    figures.advisories.forks = track.forked.len() as u64;
    let now_state = snapshot(w);
    figures.advisories.credits = now_state
        .values()
        .flat_map(|a| &a.credits)
        .filter(|(_, t)| t.starts_with("remediation_"))
        .count() as u64;
    if !fair_weather {
        return false;
    }

    // Converged: every draft of cve.repos has its fork, CVE id, team and
    // credits; every tagged report is in its target state; the ledger holds
    // no reservation; a dry run plans nothing.
    let mut converged = true;
    let mut why = Vec::new();
    // A report psrt first read with its tag already there (its first
    // nights' reads failed) keeps it ignored: the reporter writes the first
    // title (issue 21), so the tag counts only once a member puts it back.
    let seen = Ledger::load(ledger_path).unwrap_or_default();
    for r in advisories() {
        let Some(a) = now_state.get(&r.ghsa) else {
            continue;
        };
        let tag_ignored = seen
            .seen()
            .get(r.ghsa.as_str())
            .is_some_and(|s| s.ignored_tag.is_some());
        if let Some(target) = r
            .titles
            .iter()
            .rfind(|(when, _)| r.appears + when <= n)
            .and_then(|(_, t)| tagged_state(t))
        {
            if a.state != target && !(target == "draft" && a.state == "closed") && !tag_ignored {
                why.push(format!("{}: {} rather than {target}", r.ghsa, a.state));
            }
        }
        if a.state == "draft" {
            if a.private_fork.is_none() {
                why.push(format!("{}: a draft without its fork", r.ghsa));
            }
            if r.repo == CVE_REPO && a.cve_id.is_none() {
                why.push(format!("{}: a draft without a CVE id", r.ghsa));
            }
            if !lower(&a.collaborating_teams).contains("psrt") {
                why.push(format!("{}: a draft without the team", r.ghsa));
            }
            let credited: BTreeSet<String> = a
                .credits
                .iter()
                .map(|(l, _)| l.to_ascii_lowercase())
                .collect();
            for (i, (_, author, reviews)) in r.fixes.iter().enumerate() {
                if !track.fixes_opened.contains(&(r.ghsa.clone(), i)) {
                    why.push(format!("{}: fix {i} never opened", r.ghsa));
                    continue;
                }
                let approvers = reviews
                    .iter()
                    .filter(|(_, s)| *s == "APPROVED")
                    .map(|(who, _)| *who);
                for who in std::iter::once(*author).chain(approvers) {
                    if !credited.contains(who) {
                        why.push(format!("{}: a remediator without a credit", r.ghsa));
                    }
                }
            }
        }
        if let Some(reporter) = r.reporter {
            let theirs: Vec<&String> = a
                .credits
                .iter()
                .filter(|(l, _)| l == reporter)
                .map(|(_, t)| t)
                .collect();
            assert_eq!(
                theirs,
                ["reporter"],
                "night {n}: {}: the reporter's credit",
                r.ghsa
            );
        }
    }
    let ledger = Ledger::load(ledger_path).unwrap_or_default();
    if !ledger.cve().is_empty() {
        why.push("the ledger still holds a reservation".into());
    }
    let mut dry_ledger = ledger.detached();
    let gh = psrt::github::GitHub::connect(
        gh_env,
        psrt::advisories::github_scope(roster, false),
        psrt::github::Tuning::local(),
    )
    .await
    .expect("connect in fair weather");
    let cve =
        psrt::cve::CveServices::new(cve_env, &settings.org, &psrt::github::Tuning::local().retry)
            .expect("a CVE Services client");
    let dry = psrt::advisories::run(
        &gh,
        roster,
        psrt::advisories::Options {
            apply: false,
            now: night_time(n) + chrono::Duration::hours(runs as i64),
            mailer: None,
            templates: &templates,
            cve: Ok(&cve),
            ledger: &mut dry_ledger,
            public: false,
            run_url: None,
        },
    )
    .await;
    if dry.updates != 0 || dry.error.is_some() {
        why.push(format!("a dry run still plans: {}", dry.text()));
    }
    if !why.is_empty() {
        eprintln!("night {n}: advisories not converged: {why:?}");
        converged = false;
    }
    converged
}
