//! The soak: a roster history (the six versions `sync_github` replays, plus
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
//! modules.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use psrt::fakes::chaos::{Chaos, FaultKind};
use psrt::fakes::discord::DiscordFake;
use psrt::fakes::github::{FakeAdvisory, GitHubFake};
use psrt::fakes::mailman::MailmanFake;
use psrt::fakes::smtp::SmtpSink;
use psrt::ledger::Ledger;
use psrt::net::{RetryPolicy, RetryStats};
use psrt::sync::{Outcome, ServiceReport};

const TOKEN: &str = "soak-github-token";
const GUILD: u64 = 1_234_567_890_123_456_789;
const ROLE: u64 = 2_345_678_901_234_567_890;
const LIST: &str = "security.soak.example.org";
const STEADY: usize = 105;

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
}

impl Config {
    pub fn ci(seed: u64) -> Self {
        Self {
            seed,
            nights: 60,
            fault_rate: 0.15,
            timeout: Duration::from_millis(300),
            time_scale: 0.001,
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
        )
    }
}

/// The six roster versions of `sync_github`'s replay: (login, admin).
fn versions() -> Vec<Vec<(&'static str, bool)>> {
    vec![
        vec![("a", true), ("b", true)],
        vec![("a", true), ("b", true), ("c", false), ("d", false)],
        vec![
            ("a", true),
            ("b", false),
            ("c", true),
            ("d", false),
            ("e", false),
        ],
        vec![
            ("a", true),
            ("c", true),
            ("d", false),
            ("e", false),
            ("f", false),
            ("g", false),
        ],
        vec![
            ("A", true),
            ("C", true),
            ("d", true),
            ("e", false),
            ("f", false),
            ("g", false),
            ("h", false),
        ],
        vec![
            ("c", true),
            ("d", true),
            ("e", false),
            ("f", false),
            ("g", false),
            ("h", false),
            ("i", false),
            ("j", false),
        ],
    ]
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

fn roster_text(version: &[(&str, bool)]) -> String {
    let mut s = format!(
        "version: 1\ngithub:\n  org: python\n  team: psrt\n  advisory_repos: [python/cpython, pypa/pip]\n  eligibility_teams: [python-core]\nmailman:\n  list: {LIST}\ndiscord:\n  guild: \"{GUILD}\"\n  role: \"{ROLE}\"\nemail:\n  from: \"PSRT <psrt-bot@soak.example.org>\"\nmembers:\n"
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
    s
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

/// The reports over the soak: (created, days before night 0; coordinator;
/// night it is added; night it is published).
struct Report {
    ghsa: String,
    repo: &'static str,
    age: i64,
    coordinator: Option<&'static str>,
    appears: usize,
    published: Option<usize>,
    recoordinated: Option<(usize, &'static str)>,
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
    };
    vec![
        r(0, "python/cpython", 85, Some("s000")),
        r(1, "python/cpython", 40, Some("s001")),
        r(2, "pypa/pip", 10, Some("s002")),
        r(3, "python/cpython", 0, None),
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
        r(7, "pypa/pip", 88, Some("c")),
        r(8, "python/cpython", 20, Some("s006")),
        r(9, "python/cpython", 50, Some("s007")),
        r(10, "pypa/pip", 75, None),
        r(11, "python/cpython", 30, Some("s008")),
    ]
}

struct World {
    github: GitHubFake,
    mailman: MailmanFake,
    discord: DiscordFake,
    sink: SmtpSink,
    env: psrt::config::Env,
    _servers: (
        psrt::fakes::Running,
        psrt::fakes::Running,
        psrt::fakes::Running,
        psrt::fakes::smtp::RunningSink,
    ),
    smtp_port: u16,
}

async fn world() -> World {
    let github = GitHubFake::new("python", TOKEN);
    github.team("psrt");
    let everyone: BTreeSet<String> = versions()
        .iter()
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
            s.members.push(psrt::fakes::mailman::FakeListMember {
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
        env: psrt::config::Env::from_vars(&vars),
        _servers: (gh, mm, dc, smtp),
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

fn knobs(w: &World) -> [(&'static str, &psrt::fakes::Knobs); 3] {
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
            w.github.advisory(a);
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
            matches!(r.outcome, Outcome::Planned),
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
                ledger_path: Some(ledger_path),
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
            Outcome::ReadFailed { error } => {
                figures.reads_failed += 1;
                assert_eq!(
                    writes, 0,
                    "night {n}: {name}: writes after a failed read ({error})"
                );
                assert!(!error.is_empty());
            }
            Outcome::Planned | Outcome::Applied | Outcome::Blocked { .. } => {
                assert_eq!(
                    plan_of(report),
                    referee_plan,
                    "night {n}: {name}: a plan that a complete read does not give"
                );
            }
            Outcome::Skipped { reason } => panic!("night {n}: {name} skipped: {reason}"),
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
            on_disk.has(g, key),
            "night {n}: {g} {key} was received but is not in the ledger"
        );
    }
    for r in advisories() {
        for (key, _) in on_disk.sent(&r.ghsa) {
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

    if !fair_weather {
        return false;
    }
    // Converged: a fault-free read finds nothing to do, nothing is due.
    let check = fair.plans(w, roster).await;
    let due = psrt::deadlines::run(&fair.github, roster, &on_disk, now, None).await;
    check.iter().all(|r| r.changes.is_empty())
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
    let versions = versions();
    let rosters: Vec<psrt::roster::Roster> =
        versions.iter().map(|v| parse(&roster_text(v))).collect();
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
