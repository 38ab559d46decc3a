//! `psrt demo`: the whole nightly job, then the yearly one, against local
//! stand-ins of GitHub, Mailman, Discord and an SMTP server, on loopback.
//! No network, no credentials. The same library code runs as in production;
//! only the addresses differ.

use std::fmt::Write as _;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

use crate::fakes::discord::DiscordFake;
use crate::fakes::github::{FakeAdvisory, GitHubFake};
use crate::fakes::mailman::{FakeListMember, MailmanFake};
use crate::fakes::smtp::{Captured, SmtpSink};
use crate::ledger::Ledger;
use crate::notify::{Mailer, Templates};
use crate::sync::{self, Context, Options, report};

/// The example roster the demo starts from (`examples/roster.yaml`).
pub const EXAMPLE_ROSTER: &str = include_str!("../examples/roster.yaml");
const POLICY_REPO: &str = "python/psrt";
const GUILD: u64 = 1_234_567_890_123_456_789;
const ROLE: u64 = 2_345_678_901_234_567_890;

/// Everything the demo started.
struct World {
    github: GitHubFake,
    mailman: MailmanFake,
    discord: DiscordFake,
    sink: SmtpSink,
    servers: (
        crate::fakes::Running,
        crate::fakes::Running,
        crate::fakes::Running,
        crate::fakes::smtp::RunningSink,
    ),
}

fn discord_id(n: u64) -> u64 {
    300_000_000_000_000_000 + n
}

/// Seeds the stand-ins so that they have drifted from the example roster.
async fn world(now: DateTime<Utc>) -> anyhow::Result<World> {
    let github = GitHubFake::new("python", "demo-token");
    github.add_to_team("psrt", "ada", "maintainer");
    github.add_to_team("psrt", "grace", "member"); // an admin without the maintainer role
    for l in ["alan", "ken", "margaret", "dennis"] {
        github.add_to_team("psrt", l, "member"); // dennis: a former member still in the team
    }
    github.org_member("barbara"); // a missing member
    github.user("sofia"); // outside the org: she will be invited
    for l in ["ada", "grace", "alan", "barbara", "margaret"] {
        github.add_to_team("python-core", l, "member");
    }
    github.add_to_team("steering-council", "council-member", "member");
    github.commit(
        POLICY_REPO,
        "main",
        &[("roster.yaml", EXAMPLE_ROSTER)],
        "the roster",
    );
    // An open report 80 days old, coordinated by Alan (Sofia fixed it).
    let mut old = FakeAdvisory::new(
        "python/cpython",
        "GHSA-8q2v-80d0-ld00",
        "triage",
        now - Duration::days(80),
    )
    .coordinator("alan");
    old.credits
        .push(("sofia".into(), "remediation_developer".into()));
    old.collaborating_teams = vec!["psrt".into()];
    old.updated_at = now - Duration::days(2);
    old.summary = "embargoed: never printed".into();
    github.advisory(old);
    // A report 5 days old that nobody coordinates yet.
    let mut fresh = FakeAdvisory::new(
        "python/cpython",
        "GHSA-5f3w-n0c0-0rd1",
        "triage",
        now - Duration::days(5),
    );
    fresh.summary = "embargoed: never printed".into();
    github.advisory(fresh);
    // A closed (never published) report Dennis still has access to.
    let mut closed = FakeAdvisory::new(
        "python/cpython",
        "GHSA-c1sd-4cc3-55ed",
        "closed",
        now - Duration::days(200),
    );
    closed.collaborating_users = vec!["dennis".into()];
    closed.closed_at = Some(now - Duration::days(150));
    github.advisory(closed);
    // A published report Ada coordinated this year.
    let mut published = FakeAdvisory::new(
        "python/cpython",
        "GHSA-pub1-2026-0001",
        "published",
        now - Duration::days(240),
    )
    .coordinator("ada");
    published.published_at = Some(now - Duration::days(200));
    published.updated_at = now - Duration::days(200);
    github.advisory(published);

    let mailman = MailmanFake::new("restadmin", "demo-password");
    mailman.with(|s| {
        s.domains.push("example.org".into());
        s.lists
            .push(("security.example.org".into(), "security@example.org".into()));
        let subscribed = ["ada", "grace", "alan", "ken", "margaret", "sofia", "dennis"]; // Barbara missing
        for (i, who) in subscribed.iter().enumerate() {
            s.members.push(FakeListMember {
                member_id: format!("m{i:031}"),
                list_id: "security.example.org".into(),
                email: format!("{who}@example.org"),
                display_name: String::new(),
                role: "member".into(),
            });
        }
        s.members.push(FakeListMember {
            member_id: format!("o{:031}", 0),
            list_id: "security.example.org".into(),
            email: "ada@example.org".into(),
            display_name: String::new(),
            role: "owner".into(),
        });
    });

    let discord = DiscordFake::new("demo-bot-token");
    discord.guild(GUILD, ROLE);
    for (n, name, holds) in [
        (1, "ada", true),
        (3, "alan", true),
        (4, "barbara", false),
        (5, "ken", true),
        (9, "dennis", true),
        (10, "visitor", false),
    ] {
        discord.member(
            GUILD,
            discord_id(n),
            name,
            if holds { &[ROLE] } else { &[] },
        );
    }

    let sink = SmtpSink::default();
    let servers = (
        github.start().await?,
        mailman.start().await?,
        discord.start().await?,
        sink.start().await?,
    );
    Ok(World {
        github,
        mailman,
        discord,
        sink,
        servers,
    })
}

fn env_for(w: &World) -> crate::config::Env {
    let (gh, mm, dc, smtp) = &w.servers;
    let vars = [
        ("GITHUB_TOKEN", "demo-token".to_owned()),
        ("GITHUB_API_URL", gh.url()),
        ("GITHUB_REPOSITORY", POLICY_REPO.to_owned()),
        ("PSRT_MAILMAN_URL", format!("{}/3.1", mm.url())),
        ("PSRT_MAILMAN_USER", "restadmin".to_owned()),
        ("PSRT_MAILMAN_PASSWORD", "demo-password".to_owned()),
        ("PSRT_DISCORD_API_URL", dc.url()),
        ("PSRT_DISCORD_TOKEN", "demo-bot-token".to_owned()),
        (
            "PSRT_SMTP_URL",
            format!("smtp://127.0.0.1:{}?tls=none", smtp.port),
        ),
    ];
    crate::config::Env::from_vars(
        &vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn section(out: &mut String, title: &str) {
    let _ = writeln!(
        out,
        "\n━━ {title} {}",
        "━".repeat(72usize.saturating_sub(title.chars().count() + 4))
    );
}

fn email(out: &mut String, m: &Captured) {
    for h in [
        "From",
        "To",
        "Cc",
        "Subject",
        "Date",
        "Message-ID",
        "Auto-Submitted",
    ] {
        if let Some(v) = m.header(h) {
            let _ = writeln!(out, "  │ {h}: {v}");
        }
    }
    let _ = writeln!(out, "  │");
    for line in m.body().lines() {
        let _ = writeln!(out, "  │ {line}");
    }
}

/// A night of bad weather: the team drifts again (a former member back in,
/// a member out), and the sync runs while 30% of every stand-in's requests
/// fail (seeded: the same requests every time): what is not done is said,
/// a read that fails plans nothing. The next night, in fair weather, must
/// leave nothing to do. Returns whether it did.
async fn stormy_night(
    out: &mut String,
    w: &World,
    roster: &crate::roster::Roster,
    env: &crate::config::Env,
) -> bool {
    use crate::fakes::chaos::Chaos;
    section(
        out,
        "a stormy night: psrt sync --apply while 30% of requests fail",
    );
    w.github.add_to_team("psrt", "dennis", "member");
    w.github.with(|s| {
        let barbara = s.user_by_login("barbara").map(|u| u.id);
        if let (Some(id), Some(t)) = (barbara, s.teams.get_mut("psrt")) {
            t.members.remove(&id);
        }
    });
    let knobs = [&w.github.knobs, &w.mailman.knobs, &w.discord.knobs];
    let before: usize = knobs.iter().map(|k| k.requests()).sum();
    for (i, k) in knobs.iter().enumerate() {
        let mut c = Chaos::new(30 + i as u64, 0.3);
        c.stall = std::time::Duration::from_millis(600);
        k.set_chaos(Some(c));
    }
    let stats = std::sync::Arc::new(crate::net::RetryStats::default());
    let mut tuning = crate::github::Tuning::local();
    tuning.retry.timeout = std::time::Duration::from_millis(400);
    tuning.retry.time_scale = 0.01;
    tuning.retry.stats = Some(std::sync::Arc::clone(&stats));
    let ctx = Context {
        env,
        tuning: tuning.clone(),
    };
    let apply = Options {
        apply: true,
        allow_mass_removal: false,
    };
    let stormy = sync::run(roster, &ctx, &[], apply).await;
    for k in knobs {
        k.settle(std::time::Duration::from_secs(2)).await;
    }
    out.push_str(&report::text(&stormy, true));
    let mut faults: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for k in knobs {
        for (kind, n) in k.chaos_injected() {
            *faults.entry(kind.describe()).or_insert(0) += n;
        }
        k.set_chaos(None);
    }
    let requests: usize = knobs.iter().map(|k| k.requests()).sum::<usize>() - before;
    let _ = writeln!(
        out,
        "\n  weather: {requests} requests, {} answered with a fault ({}); psrt retried {} time(s)",
        faults.values().sum::<u64>(),
        faults
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", "),
        stats.retries.load(std::sync::atomic::Ordering::Relaxed)
    );
    let fair = Context {
        env,
        tuning: crate::github::Tuning::local(),
    };
    // A service whose read failed planned nothing and wrote nothing; the
    // next night (here: at once, in fair weather) finishes the work.
    let next = sync::run(roster, &fair, &[], apply).await;
    let left: usize = next.iter().map(|r| r.changes.len()).sum();
    let check = sync::run(roster, &fair, &[], Options::default()).await;
    let converged = check.iter().all(|r| r.changes.is_empty() && !r.failed());
    let _ = writeln!(
        out,
        "  the next night, in fair weather: {left} change(s) left to make, then {}",
        if converged {
            "everything in sync"
        } else {
            "STILL NOT IN SYNC"
        }
    );
    converged
}

/// Runs the demo and returns what it shows.
pub async fn run() -> anyhow::Result<String> {
    let started = Instant::now();
    let now = Utc::now();
    let loaded = crate::roster::parse(EXAMPLE_ROSTER.as_bytes())
        .map_err(|e| anyhow::anyhow!("examples/roster.yaml: {e}"))?;
    let roster = &loaded.roster;
    let w = world(now).await?;
    let env = env_for(&w);
    let tuning = crate::github::Tuning::local();
    let ctx = Context {
        env: &env,
        tuning: tuning.clone(),
    };
    let gh_env = env.github.as_ref().map_err(|m| anyhow::anyhow!("{m}"))?;
    let gh = crate::github::GitHub::connect(gh_env, "python", tuning).await?;
    let smtp = env.smtp.as_ref().map_err(|m| anyhow::anyhow!("{m}"))?;
    let mailer = Mailer::new(smtp, "PSRT <psrt-bot@example.org>")?;
    let templates = Templates::built_in();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "psrt demo: the nightly and yearly jobs against local stand-ins of GitHub, Mailman 3,\nDiscord and an SMTP server (loopback only, no credentials), seeded from\nexamples/roster.yaml with drift: a missing member, a former member still in the\nteam and on the list, an admin without the maintainer role, an open report 80\ndays old, one with no coordinator, a member inactive for a year."
    );

    section(&mut out, "nightly 1/5: psrt sync   (the plan: a dry run)");
    let plan = sync::run(roster, &ctx, &[], Options::default()).await;
    out.push_str(&report::text(&plan, false));

    section(&mut out, "nightly 2/5: psrt sync --apply");
    let applied = sync::run(
        roster,
        &ctx,
        &[],
        Options {
            apply: true,
            allow_mass_removal: false,
        },
    )
    .await;
    out.push_str(&report::text(&applied, true));

    section(
        &mut out,
        "nightly 3/5: psrt sync   (again: nothing left to do)",
    );
    let again = sync::run(roster, &ctx, &[], Options::default()).await;
    out.push_str(&report::text(&again, false));

    section(&mut out, "nightly 4/5: psrt advisories --apply");
    w.sink.clear();
    let hygiene = crate::advisories::run(&gh, roster, now, true, Some(&mailer), &templates).await;
    out.push_str(&report::text(std::slice::from_ref(&hygiene), true));
    let assigned = w.sink.messages();

    section(&mut out, "nightly 5/5: psrt deadlines --send");
    w.sink.clear();
    let mut ledger = Ledger::default();
    let snapshot = ledger.clone();
    let sent = crate::deadlines::run(
        &gh,
        roster,
        &snapshot,
        now,
        Some(crate::deadlines::Sending {
            mailer: &mailer,
            templates: &templates,
            ledger: &mut ledger,
            ledger_path: None,
        }),
    )
    .await;
    out.push_str(&crate::deadlines::text(&sent, now, true));
    let warnings = w.sink.messages();

    section(
        &mut out,
        "the emails that went out (captured by the SMTP stand-in)",
    );
    for m in assigned.iter().chain(&warnings) {
        email(&mut out, m);
        let _ = writeln!(out);
    }

    section(&mut out, "yearly: psrt inactivity --open-pr");
    let found = crate::inactivity::gather(&gh, roster).await?;
    let (report, pr) =
        crate::inactivity::open_pr(&gh, POLICY_REPO, &found, now, &templates).await?;
    out.push_str(&crate::inactivity::text(&report));
    let _ = writeln!(
        out,
        "\nopened pull request #{} on branch {} for the Steering Council's review:",
        pr.number, pr.branch
    );
    if let Some(p) = w.github.pulls(POLICY_REPO).first() {
        let _ = writeln!(out, "  │ title: {}", p.title);
        let _ = writeln!(
            out,
            "  │ reviewers requested: {}",
            p.requested_teams
                .iter()
                .map(|t| format!("@python/{t}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = writeln!(out, "  │");
        for line in p.body.lines() {
            let _ = writeln!(out, "  │ {line}");
        }
    }
    if let Some(after) = w.github.file(POLICY_REPO, &pr.branch, "roster.yaml") {
        let _ = writeln!(
            out,
            "\nthe change it carries (roster.yaml, edited in place):"
        );
        let diff = similar::TextDiff::from_lines(EXAMPLE_ROSTER, &after);
        let _ = write!(
            out,
            "{}",
            diff.unified_diff().context_radius(1).header(
                "roster.yaml (main)",
                &format!("roster.yaml ({})", pr.branch)
            )
        );
    }

    let stormy = stormy_night(&mut out, &w, roster, &env).await;

    section(
        &mut out,
        "the ledger kept between nights: reports, kinds, times, no person",
    );
    for line in serde_json::to_string_pretty(&ledger)?.lines() {
        let _ = writeln!(out, "  │ {line}");
    }

    section(&mut out, "summary");
    let team = w.github.team_members("psrt");
    let list = w
        .mailman
        .with(|s| s.members.iter().filter(|m| m.role == "member").count());
    let holders = w.discord.holders(GUILD, ROLE).len();
    let requests =
        w.github.knobs.requests() + w.mailman.knobs.requests() + w.discord.knobs.requests();
    let failed = applied.iter().any(|r| r.failed()) || hygiene.failed() || sent.failed() || !stormy;
    let _ = writeln!(
        out,
        "  sync: {} change(s) applied; team {} member(s), list {list} subscriber(s), Discord role {holders} holder(s); the re-plan is empty\n  advisories: {} report(s) fixed, one update each\n  deadlines: {} email(s) sent, recorded in the ledger\n  inactivity: {} inactive member(s); pull request #{} opened\n  {requests} HTTP requests to the stand-ins, {:.1} s, {}",
        applied.iter().map(|r| r.changes.len()).sum::<usize>(),
        team.len(),
        hygiene.changes.len(),
        sent.sent.len(),
        report.inactive().len(),
        pr.number,
        started.elapsed().as_secs_f64(),
        if failed {
            "with failures (see above)"
        } else {
            "no failures"
        }
    );
    let _ = writeln!(
        out,
        "\nTo run this for real: README.md, \"Running it for real\", and docs/operations.md\n(a GitHub App, the Mailman REST API, a Discord bot and SMTP, in a protected\nenvironment)."
    );
    if failed {
        anyhow::bail!("the demo hit failures:\n{out}");
    }
    Ok(out)
}
