//! `psrt demo`: the whole nightly job, then the yearly one, against local
//! stand-ins of GitHub, Mailman, Discord and an SMTP server, on loopback.
//! No network, no credentials. The same library code runs as in production;
//! only the addresses differ.

use std::fmt::Write as _;
use std::time::Instant;

use chrono::{DateTime, Utc};

use crate::ledger::Ledger;
use crate::notify::{Mailer, Templates};
use crate::sync::{self, Context, Options, report};
use psrt_fakes::scenario::demo::{
    DEVGUIDE, DISCORD_TOKEN, GITHUB_TOKEN, GUILD, MAILMAN_PASSWORD, MAILMAN_USER, POLICY_REPO,
    ROLE, World, world,
};
use psrt_fakes::smtp::Captured;

/// The example roster the demo starts from (`examples/roster.yaml`).
pub const EXAMPLE_ROSTER: &str = include_str!("../examples/roster.yaml");
/// The demo's contact key: a published demo key that protects nothing; it
/// opens the example roster's encrypted fields, as `PSRT_CONTACT_KEY` does
/// in the nightly job.
pub const DEMO_CONTACT_KEY: &str = include_str!("../examples/demo-contact-key.txt");

/// Opens a pull request to `main` of the policy repository in the
/// stand-in, from `head`; its number.
fn open_pull(w: &World, head: &str, title: &str, user: &str, now: DateTime<Utc>) -> u64 {
    let number = w
        .github
        .pulls(POLICY_REPO)
        .iter()
        .map(|p| p.number)
        .max()
        .unwrap_or(0)
        + 1;
    w.github.update_repo(POLICY_REPO, |r| {
        r.pulls.push(psrt_fakes::github::FakePull {
            number,
            title: title.into(),
            body: String::new(),
            head: head.into(),
            base: "main".into(),
            state: "open".into(),
            user: user.into(),
            created_at: now,
            requested_users: vec![],
            requested_teams: vec![],
        })
    });
    number
}

fn env_for(w: &World) -> crate::config::Env {
    let (gh, mm, dc, smtp) = &w.servers;
    let vars = [
        ("GITHUB_TOKEN", GITHUB_TOKEN.to_owned()),
        ("GITHUB_API_URL", gh.url()),
        ("GITHUB_REPOSITORY", POLICY_REPO.to_owned()),
        ("PSRT_MAILMAN_URL", format!("{}/3.1", mm.url())),
        ("PSRT_MAILMAN_USER", MAILMAN_USER.to_owned()),
        ("PSRT_MAILMAN_PASSWORD", MAILMAN_PASSWORD.to_owned()),
        ("PSRT_DISCORD_API_URL", dc.url()),
        ("PSRT_DISCORD_TOKEN", DISCORD_TOKEN.to_owned()),
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
            // Recipients may have encrypted addresses: masked, as in plans.
            let v = if h == "To" || h == "Cc" {
                v.split(',')
                    .map(|a| crate::sync::mailman::mask(a.trim()))
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                v
            };
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
    use psrt_fakes::chaos::Chaos;
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

/// Going live safely (issue 22): a lost secret fails the run and the
/// summary says what was not checked; `PSRT_MODE` is `plan` or `apply`,
/// nothing else; a dispatch's one-off flag is for an admin, by account id.
/// `psrt pin-ids` on the example roster: the ids psrt vouches for (the
/// account holds the team or an eligibility team), the login it cannot
/// (Sofia, outside the organisation), which an admin checks and records by
/// hand; the result is what the policy repository holds from then on.
async fn pin_ids(
    out: &mut String,
    w: &World,
    loaded: &crate::roster::Loaded,
) -> anyhow::Result<(String, crate::roster::Loaded)> {
    section(
        out,
        "going live: psrt pin-ids   (access follows the account id, never the login)",
    );
    let env = env_for(w);
    let gh_env = env.github.as_ref().map_err(|m| anyhow::anyhow!("{m}"))?;
    let gh = crate::github::GitHub::connect(
        gh_env,
        crate::pin::github_scope(&loaded.roster),
        crate::github::Tuning::local(),
    )
    .await?;
    let plan = crate::pin::plan(&gh, loaded).await?;
    for line in plan.text("roster.yaml", false).lines() {
        let _ = writeln!(out, "  {line}");
    }
    let today = Utc::now().date_naive();
    let text = crate::pin::edit(loaded, &plan, today)?;
    let _ = writeln!(
        out,
        "  psrt pin-ids --apply: recorded {} github_id(s) in roster.yaml",
        plan.pinned().len()
    );
    // The admin's check of the logins psrt would not vouch for: in the
    // demo, each is the member's own account.
    let by_hand: Vec<((&'static str, usize), u64)> = plan
        .entries
        .iter()
        .filter_map(|e| match e.finding {
            crate::pin::Finding::NotVouched { id } => Some(((e.section, e.index), id)),
            _ => None,
        })
        .collect();
    let reloaded = crate::roster::parse(text.as_bytes())
        .map_err(|e| anyhow::anyhow!("the pinned roster: {e}"))?;
    let text = crate::roster::edit::insert_github_ids(&reloaded, &by_hand, today)?;
    let _ = writeln!(
        out,
        "  an admin checks the {} login(s) above with their owners and records those ids by hand;\n  the Steering Council approves the pull request, and the policy repository has them",
        by_hand.len()
    );
    w.github.commit(
        POLICY_REPO,
        "main",
        &[("roster.yaml", &text)],
        "Pin every github_id",
    );
    let pinned = crate::roster::parse(text.as_bytes())
        .map_err(|e| anyhow::anyhow!("the pinned roster: {e}"))?;
    Ok((text, pinned))
}

async fn going_live(out: &mut String, w: &World, roster: &crate::roster::Roster) {
    use crate::config::{Mode, RunContext};
    use crate::overrides::{Override, authorise};
    section(
        out,
        "going live: a lost secret is never a green run (PSRT_MAILMAN_PASSWORD gone)",
    );
    let (gh, mm, dc, _) = &w.servers;
    let vars: std::collections::HashMap<String, String> = [
        ("GITHUB_TOKEN", "demo-token".to_owned()),
        ("GITHUB_API_URL", gh.url()),
        ("PSRT_MAILMAN_URL", format!("{}/3.1", mm.url())),
        ("PSRT_MAILMAN_USER", "restadmin".to_owned()),
        ("PSRT_DISCORD_API_URL", dc.url()),
        ("PSRT_DISCORD_TOKEN", "demo-bot-token".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let env = crate::config::Env::from_vars(&vars);
    let ctx = Context {
        env: &env,
        tuning: crate::github::Tuning::local(),
    };
    let lost = sync::run(
        roster,
        &ctx,
        &[],
        Options {
            apply: true,
            allow_mass_removal: false,
        },
    )
    .await;
    out.push_str(&report::text(&lost, true));
    let _ = writeln!(
        out,
        "  → exit status {}: the workflow run fails",
        if lost.iter().any(|r| r.failed()) {
            1
        } else {
            0
        }
    );

    section(out, "going live: PSRT_MODE, the plan-only first week");
    for value in ["plan", "apply", "aply", ""] {
        let _ = writeln!(
            out,
            "  PSRT_MODE={value:<6} {}",
            match Mode::parse(value) {
                Ok(Mode::Plan) =>
                    "→ the scheduled jobs run without --apply/--send/--open-pr: plans only"
                        .to_owned(),
                Ok(Mode::Apply) => "→ the scheduled jobs write".to_owned(),
                Err(why) => format!("→ usage error (exit 2): {why}"),
            }
        );
    }

    section(
        out,
        "going live: a dispatch asks for --allow-mass-removal (honoured for an admin, by account id)",
    );
    let ada_id = w
        .github
        .with(|s| s.user_by_login("ada").map(|u| u.id))
        .unwrap_or_default();
    let mut pinned = roster.clone();
    for m in &mut pinned.members {
        if m.github.as_str() == "ada" {
            m.github_id = Some(ada_id);
        }
    }
    let run = |actor: &str, id: u64, by: &str| RunContext {
        event: Some("workflow_dispatch".into()),
        actor: Some(actor.into()),
        actor_id: Some(id.to_string()),
        triggering_actor: Some(by.into()),
        url: None,
    };
    for (who, ctx) in [
        ("ada (an admin)", run("ada", ada_id, "ada")),
        ("ada's login, another account", run("ada", 99_999, "ada")),
        ("a re-run of ada's by ken", run("ada", ada_id, "ken")),
    ] {
        let _ = writeln!(
            out,
            "  {who:<30} {}",
            match authorise(&pinned, &ctx, Override::AllowMassRemoval) {
                Ok(g) => format!(
                    "honoured: {} by admin {} (account id {}); the admins are emailed first",
                    g.flag, g.admin, g.account_id
                ),
                Err(why) => format!("refused: {why}"),
            }
        );
    }
}

/// Runs the demo and returns what it shows.
pub async fn run() -> anyhow::Result<String> {
    let started = Instant::now();
    let now = Utc::now();
    let loaded = crate::roster::parse(EXAMPLE_ROSTER.as_bytes())
        .map_err(|e| anyhow::anyhow!("examples/roster.yaml: {e}"))?;
    let key =
        crate::roster::contacts::ContactKey::parse(&crate::secret::Secret::new(DEMO_CONTACT_KEY))
            .map_err(|e| anyhow::anyhow!("examples/demo-contact-key.txt: {e}"))?;
    let w = world(now, EXAMPLE_ROSTER).await?;
    let mut out = String::new();
    // Access follows the account: the example roster records no
    // `github_id` yet, so the first step of going live pins them.
    let (policy_text, loaded) = pin_ids(&mut out, &w, &loaded).await?;
    let opened = crate::roster::contacts::open(&loaded.roster, Some(Ok(&key)));
    let roster = &opened.roster;
    let env = env_for(&w);
    let tuning = crate::github::Tuning::local();
    let ctx = Context {
        env: &env,
        tuning: tuning.clone(),
    };
    let gh_env = env.github.as_ref().map_err(|m| anyhow::anyhow!("{m}"))?;
    // The demo's token reaches everything; the scope is what the commands ask for.
    let mut scope = crate::advisories::github_scope(roster, true)
        .repos(&[POLICY_REPO], crate::inactivity::POLICY_REPO_PERMISSIONS);
    scope
        .org_permissions
        .add(crate::sync::github_team::WRITE_PERMISSIONS);
    let gh = crate::github::GitHub::connect(gh_env, scope, tuning).await?;
    let smtp = env.smtp.as_ref().map_err(|m| anyhow::anyhow!("{m}"))?;
    let mailer = Mailer::new(smtp, "PSRT <psrt-bot@example.org>")?;
    let templates = Templates::built_in();
    let pinned_out = std::mem::take(&mut out);
    let _ = writeln!(
        out,
        "psrt demo: the nightly, hourly and yearly jobs against local stand-ins of GitHub,\nMailman 3, Discord, CVE Services and an SMTP server (loopback only, no\ncredentials), seeded from examples/roster.yaml with drift: a missing member, a\nformer member still in the team and on the list, an admin without the maintainer\nrole, an open report 80 days old, one with no coordinator, one its coordinator\njust accepted with [ACCEPT] in its title, a member inactive for a year."
    );

    out.push_str(&pinned_out);
    section(
        &mut out,
        "contacts: PSRT_CONTACT_KEY opens the encrypted fields",
    );
    let _ = writeln!(
        out,
        "  {}\n  (the demo's key, examples/demo-contact-key.txt); below, addresses are masked",
        opened
            .summary()
            .unwrap_or_else(|| "no encrypted contact fields".into())
    );

    section(&mut out, "nightly 1/4: psrt sync   (the plan: a dry run)");
    let plan = sync::run_opened(&opened, &ctx, &[], Options::default()).await;
    out.push_str(&report::text(&plan, false));

    section(&mut out, "nightly 2/4: psrt sync --apply");
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
        "nightly 3/4: psrt sync   (again: nothing left to do)",
    );
    let again = sync::run(roster, &ctx, &[], Options::default()).await;
    out.push_str(&report::text(&again, false));

    section(
        &mut out,
        "hourly: psrt advisories --apply   (what the GHSA bot did, and more)",
    );
    w.sink.clear();
    let cve_env = crate::config::CveEnv {
        api_url: w.cve_server.url(),
        user: "psrt-bot@example.org".into(),
        key: crate::secret::Secret::new("demo-cve-key"),
    };
    let cve = crate::cve::CveServices::new(&cve_env, "PSF", &crate::net::RetryPolicy::fast())?;
    let mut ledger = Ledger::default();
    let hygiene = crate::advisories::run(
        &gh,
        roster,
        hourly(now, Some(&mailer), &templates, &cve, &mut ledger),
    )
    .await;
    out.push_str(&hygiene.text());
    // A member adds the tag to a report psrt has seen: it counts.
    let _ = writeln!(
        out,
        "\nan hour later a member has added [ACCEPT] to GHSA-acc3-pt00-0001's title (psrt saw it without):"
    );
    w.github.update_advisory("GHSA-acc3-pt00-0001", |a| {
        a.summary = "[ACCEPT] embargoed: never printed".into();
    });
    let hygiene = crate::advisories::run(
        &gh,
        roster,
        hourly(now, Some(&mailer), &templates, &cve, &mut ledger),
    )
    .await;
    out.push_str(&hygiene.text());
    let _ = writeln!(
        out,
        "\nthe same run's log in a workflow (GITHUB_ACTIONS: the log is public; it names no\nunpublished report, the admins get each report's line by email):"
    );
    for l in hygiene.withhold().text().lines() {
        let _ = writeln!(out, "  │ {l}");
    }
    let assigned = w.sink.messages();
    if let Some(a) = w.github.get_advisory("GHSA-acc3-pt00-0001") {
        let _ = writeln!(
            out,
            "\nthe report accepted by its title tag, as GitHub now has it:\n  │ state {}, private fork {}, CVE id {} (CVE Services' stand-in reserved {} id(s))",
            a.state,
            a.private_fork.as_deref().unwrap_or("none"),
            if a.cve_id.is_some() { "set" } else { "missing" },
            w.cve.reserved().len()
        );
    }

    if let Some(a) = w.github.get_advisory("GHSA-p1p0-0uts-1de0") {
        let _ = writeln!(
            out,
            "the pip report (pypa/pip, outside python), as GitHub now has it:\n  │ {} collaborating user(s) (every member, each by account id), {} team(s)",
            a.collaborating_users.len(),
            a.collaborating_teams.len()
        );
    }

    section(
        &mut out,
        "hourly, four days later: the report's discussion (a status comment, a deadline comment)",
    );
    let _ = writeln!(
        out,
        "  the first run only watched the open reports' discussions (at go-live a new comment\n  on every report would notify every collaborator at once). Since, Alan asked a\n  question on GHSA-8q2v-80d0-ld00, and its deadline is 6 days away (the 7-day threshold):"
    );
    w.github.advisory_comment(
        "GHSA-8q2v-80d0-ld00",
        "alan",
        "embargoed: never printed (a member's question)",
        now + chrono::Duration::days(3),
    );
    let later = now + chrono::Duration::days(4);
    let talk = crate::advisories::run(
        &gh,
        roster,
        hourly(later, None, &templates, &cve, &mut ledger),
    )
    .await;
    out.push_str(&talk.text());
    let _ = writeln!(
        out,
        "\npsrt's comments in the report's discussion (private to its collaborators), as they render:"
    );
    for c in w
        .github
        .advisory_comments("GHSA-8q2v-80d0-ld00")
        .iter()
        .filter(|c| c.user == "psrt-bot")
    {
        let _ = writeln!(out, "  ┌ comment by @{}", c.user);
        for line in c.body.lines().filter(|l| !l.starts_with("<!-- psrt:")) {
            let _ = writeln!(out, "  │ {line}");
        }
        let _ = writeln!(out, "  └");
    }
    let again = crate::advisories::run(
        &gh,
        roster,
        hourly(
            later + chrono::Duration::hours(1),
            None,
            &templates,
            &cve,
            &mut ledger,
        ),
    )
    .await;
    let _ = writeln!(
        out,
        "an hour later: {} status comment(s) written, {} deadline comment(s) posted (nothing new: the comments were not read)",
        again.discussion.status_created + again.discussion.status_edited,
        again.discussion.deadline_posted
    );
    commands_demo(
        &mut out,
        &w,
        &gh,
        roster,
        Commanding {
            at: later + chrono::Duration::hours(2),
            mailer: &mailer,
            templates: &templates,
            cve: &cve,
            ledger: &mut ledger,
        },
    )
    .await;

    section(&mut out, "nightly 4/4: psrt deadlines --send");
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
        }),
    )
    .await;
    out.push_str(&crate::deadlines::text(&sent, now, true));
    let _ = writeln!(out, "\nthe same in a workflow's public log:");
    for l in crate::deadlines::text_public(&sent, now, true).lines() {
        let _ = writeln!(out, "  │ {l}");
    }
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
        let diff = similar::TextDiff::from_lines(policy_text.as_str(), &after);
        let shown = diff
            .unified_diff()
            .context_radius(1)
            .header(
                "roster.yaml (main)",
                &format!("roster.yaml ({})", pr.branch),
            )
            .to_string();
        // An encrypted value is never printed, not even in a diff.
        for line in shown.lines() {
            let line = match line.split_once("age:") {
                Some((before, _)) => format!("{before}age:…\""),
                None => line.to_owned(),
            };
            let _ = writeln!(out, "{line}");
        }
    }

    section(
        &mut out,
        "after the embargo: psrt announce GHSA-4f7x-9m2q-vh3c",
    );
    let facts = crate::announce::gather(
        &gh,
        &roster.github.advisory_repos,
        "GHSA-4f7x-9m2q-vh3c",
        None,
    )
    .await
    .map_err(|e| anyhow::anyhow!("psrt announce: {e}"))?;
    let drafts = crate::announce::draft(&facts, &templates)?;
    out.push_str(&crate::announce::summary(&facts, &drafts));
    let announce_dir = std::env::temp_dir().join(format!("psrt-demo-{}", std::process::id()));
    let written = crate::announce::write(&drafts, &announce_dir)?;
    for p in &written {
        let _ = writeln!(out, "wrote {}", p.display());
    }
    let _ = writeln!(out, "\nthe email draft ({}):", crate::announce::EMAIL_FILE);
    for line in drafts.email.lines() {
        let _ = writeln!(out, "  │ {line}");
    }
    let _ = writeln!(
        out,
        "\n{}: affected {}; metrics cvssV4_0 {} {}; {} reference(s)",
        drafts.cve_file,
        drafts.cve["affected"][0]["versions"]
            .as_array()
            .map(|v| v
                .iter()
                .map(|x| format!(
                    "{} <{}",
                    x["version"].as_str().unwrap_or("?"),
                    x["lessThan"].as_str().unwrap_or("?")
                ))
                .collect::<Vec<_>>()
                .join(", "))
            .unwrap_or_default(),
        drafts.cve["metrics"][0]["cvssV4_0"]["baseScore"],
        drafts.cve["metrics"][0]["cvssV4_0"]["baseSeverity"]
            .as_str()
            .unwrap_or(""),
        drafts.cve["references"].as_array().map_or(0, Vec::len),
    );
    let _ = writeln!(
        out,
        "{}: aliases {}; GIT range fixed at {} commit(s) of python/cpython",
        drafts.osv_file,
        drafts.osv["aliases"],
        facts.fix_commits.len()
    );

    section(&mut out, "after a roster change: psrt publish --open-pr");
    let published = crate::devguide::open_pr(
        &gh,
        DEVGUIDE,
        roster,
        Some("`roster.yaml` in python/psrt"),
        &templates,
    )
    .await?;
    out.push_str(&crate::devguide::text(&published));
    if let Some(p) = w.github.pulls(DEVGUIDE).first() {
        let _ = writeln!(out, "  │ title: {}", p.title);
        let _ = writeln!(out, "  │");
        for line in p.body.lines() {
            let _ = writeln!(out, "  │ {line}");
        }
    }
    for path in [
        crate::devguide::MEMBERS_PATH,
        crate::devguide::EMERITUS_PATH,
    ] {
        let before = w.github.file(DEVGUIDE, "main", path).unwrap_or_default();
        let after = w
            .github
            .file(DEVGUIDE, crate::devguide::BRANCH, path)
            .unwrap_or_default();
        let diff = similar::TextDiff::from_lines(&before, &after);
        let _ = write!(
            out,
            "{}",
            diff.unified_diff().context_radius(1).header(
                &format!("{path} (main)"),
                &format!("{path} ({})", crate::devguide::BRANCH)
            )
        );
    }
    section(
        &mut out,
        "nightly and hourly: psrt audit --apply --send   (nothing stops or loosens silently)",
    );
    out.push_str(&audit_demo(&w, roster, &env, &templates, &mailer, now).await?);

    section(
        &mut out,
        "pull request: psrt approvals --pr N --publish   (judged by the base's rule)",
    );
    let (pr_number, governance) = approvals_demo(&w, &gh, &policy_text, now).await?;
    out.push_str(&governance);
    section(
        &mut out,
        "hourly: psrt approvals --all --publish   (every open roster pull request)",
    );
    let (swept, sweep_text) = sweep_demo(&w, &gh, now).await?;
    out.push_str(&sweep_text);

    let stormy = stormy_night(&mut out, &w, roster, &env).await;
    going_live(&mut out, &w, roster).await;

    section(
        &mut out,
        "the ledger kept between nights: reports, kinds, times, no person",
    );
    for line in ledger.to_json().lines() {
        let _ = writeln!(out, "  │ {line}");
    }

    section(&mut out, "summary");
    let team = w.github.team_members("psrt");
    let list = w
        .mailman
        .with(|s| s.members.iter().filter(|m| m.role == "member").count());
    let holders = w.discord.holders(GUILD, ROLE).len();
    let requests = w.github.knobs.requests()
        + w.mailman.knobs.requests()
        + w.discord.knobs.requests()
        + w.cve.knobs.requests();
    let failed = applied.iter().any(|r| r.failed())
        || hygiene.failed()
        || talk.failed()
        || again.failed()
        || sent.failed()
        || !drafts.is_valid()
        || !stormy;
    let _ = writeln!(
        out,
        "  sync: {} change(s) applied; team {} member(s), list {list} subscriber(s), Discord role {holders} holder(s); the re-plan is empty\n  advisories: {} report(s) updated, one update each; one accepted, with its fork and CVE id\n  deadlines: {} email(s) sent, recorded in the ledger\n  inactivity: {} inactive member(s); pull request #{} opened\n  approvals: pull request #{pr_number} fails without the Council, passes with its approval; the hourly sweep judged {swept}\n  announce: {} file(s) written, the CVE record {} and the OSV record {}\n  publish: {}\n  {requests} HTTP requests to the stand-ins, {:.1} s, {}",
        applied.iter().map(|r| r.changes.len()).sum::<usize>(),
        team.len(),
        hygiene.updates,
        sent.sent.len(),
        report.inactive().len(),
        pr.number,
        written.len(),
        if drafts.cve_verdict.is_valid() {
            "valid"
        } else {
            "INVALID"
        },
        if drafts.osv_verdict.is_valid() {
            "valid"
        } else {
            "INVALID"
        },
        match &published {
            crate::devguide::Report::Proposed { pull_request, .. } =>
                format!("devguide pull request #{} opened", pull_request.number),
            crate::devguide::Report::InSync { .. } => "the devguide was already in sync".to_owned(),
        },
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

/// A member proposes a newcomer by pull request: psrt judges it with the
/// base branch's rule (the Steering Council approves), publishes the status
/// and its one comment, and judges again after the Council's approval.
async fn approvals_demo(
    w: &World,
    gh: &crate::github::GitHub,
    base: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<(u64, String)> {
    use crate::approvals::{self, Options, Repo};
    let mut out = String::new();
    // A newcomer comes with the account id (psrt checks it against GitHub).
    let linus = w
        .github
        .with(|s| s.user_by_login("linus").map(|u| u.id))
        .unwrap_or_default();
    let head = base.replace(
        "\nemeritus:\n",
        &format!("  - name: Linus Proposed\n    github: linus\n    github_id: {linus}\n    email: linus@example.org\n\nemeritus:\n"),
    );
    let sha = w.github.commit_by(
        POLICY_REPO,
        "add-linus",
        &[("roster.yaml", &head)],
        "Add Linus to the PSRT",
        "alan",
        None,
        now,
    );
    let number = open_pull(w, "add-linus", "Add Linus to the PSRT", "alan", now);
    let repo = Repo::parse(POLICY_REPO)?;
    let opts = Options {
        now,
        in_actions: false,
        publish: true,
    };
    let (_, first, _) = approvals::run(gh, &repo, number, opts).await?;
    let _ = writeln!(
        out,
        "Alan opens #{number}, adding Linus; nobody has approved yet:"
    );
    out.push_str(&approvals::text(&first.verdict, number));
    w.github.update_repo(POLICY_REPO, |r| {
        let id = 500 + r.reviews.len() as u64;
        r.reviews.push(psrt_fakes::github::FakeReview {
            id,
            pull: number,
            user: "council-member".into(),
            state: "APPROVED".into(),
            commit_id: sha.clone(),
            submitted_at: now,
        });
    });
    let (_, second, _) = approvals::run(gh, &repo, number, opts).await?;
    let _ = writeln!(
        out,
        "\nThe Steering Council approves (review on the head commit):"
    );
    out.push_str(&approvals::text(&second.verdict, number));
    let statuses = w.github.statuses(POLICY_REPO, &sha);
    let _ = writeln!(
        out,
        "\ncommit status psrt/approvals on the head: {}",
        statuses
            .iter()
            .map(|s| s.state.as_str())
            .collect::<Vec<_>>()
            .join(" → ")
    );
    let comments = w.github.comments(POLICY_REPO, number);
    let _ = writeln!(
        out,
        "the pull request's comment ({} comment, edited in place), as Markdown:",
        comments.len()
    );
    if let Some(c) = comments.first() {
        for line in c.body.lines() {
            let _ = writeln!(out, "  │ {line}");
        }
    }
    if first.verdict.passes || !second.verdict.passes {
        anyhow::bail!("the approvals demo did not go as shown:\n{out}");
    }
    Ok((number, out))
}

/// What the commands' part of the demo runs with.
struct Commanding<'a> {
    at: chrono::DateTime<Utc>,
    mailer: &'a crate::notify::Mailer,
    templates: &'a crate::notify::Templates,
    cve: &'a crate::cve::CveServices,
    ledger: &'a mut Ledger,
}

/// `/psrt` commands (issue 26): a member accepts a report and delegates
/// it, the reporter's command is refused; the discussion as it renders.
async fn commands_demo(
    out: &mut String,
    w: &World,
    gh: &crate::github::GitHub,
    roster: &crate::roster::Roster,
    c: Commanding<'_>,
) {
    const REPORT: &str = "GHSA-5f3w-n0c0-0rd1";
    const PUBLISHED: &str = "GHSA-pub1-2026-0001";
    section(
        out,
        "hourly: /psrt commands in the report's discussion (members by account id)",
    );
    // psrt obeys members by account id: the roster records each one's.
    let mut roster = roster.clone();
    for m in &mut roster.members {
        m.github_id = Some(w.github.user(m.github.as_str()));
    }
    let _ = writeln!(
        out,
        "  on {REPORT} (in triage), Ada (a member) writes two commands and the reporter one:"
    );
    let t = c.at - chrono::Duration::minutes(30);
    let accept =
        w.github
            .advisory_comment(REPORT, "ada", "/psrt accept\nembargoed: never printed", t);
    w.github.advisory_comment(
        REPORT,
        "reporter",
        "/psrt close not-planned\nembargoed: never printed",
        t,
    );
    w.github
        .advisory_comment(REPORT, "ada", "/psrt coordinator @alan", t);
    // And on a report published months ago: refused, nothing changes.
    let _ = writeln!(
        out,
        "  on {PUBLISHED} (published), Ada writes `/psrt accept`:"
    );
    let on_published = w
        .github
        .advisory_comment(PUBLISHED, "ada", "/psrt accept", t);
    w.sink.clear();
    let r = crate::advisories::run(
        gh,
        &roster,
        hourly(c.at, Some(c.mailer), c.templates, c.cve, c.ledger),
    )
    .await;
    out.push_str(&r.text());
    let _ = writeln!(
        out,
        "\nthe report's discussion (private to its collaborators), as it renders:"
    );
    for m in w.github.advisory_comments(REPORT) {
        let _ = writeln!(out, "  ┌ comment {} by @{}", m.id, m.user);
        if m.user == "psrt-bot" {
            for line in m.body.lines().filter(|l| !l.starts_with("<!-- psrt:")) {
                let _ = writeln!(out, "  │ {line}");
            }
        } else {
            // Someone's comment: its first line (the command) only.
            let first = m.body.lines().next().unwrap_or("");
            let more = m.body.lines().count() > 1;
            let _ = writeln!(out, "  │ {first}{}", if more { "\n  │ (…)" } else { "" });
        }
        let _ = writeln!(out, "  └");
    }
    if let Some(a) = w.github.get_advisory(REPORT) {
        let coordinators: Vec<&str> = a
            .credits
            .iter()
            .filter(|(_, k)| k == "coordinator")
            .map(|(l, _)| l.as_str())
            .collect();
        let _ = writeln!(
            out,
            "\nas GitHub now has it: state {}, private fork {}, coordinator {}",
            a.state,
            a.private_fork.as_deref().unwrap_or("none"),
            coordinators.join(", ")
        );
    }
    let marker = format!("<!-- psrt:command {on_published} -->");
    for m in w
        .github
        .advisory_comments(PUBLISHED)
        .into_iter()
        .filter(|m| m.user == "psrt-bot" && m.body.starts_with(&marker))
    {
        let _ = writeln!(out, "on {PUBLISHED} (published), psrt's one reply:");
        for line in m.body.lines().filter(|l| !l.starts_with("<!-- psrt:")) {
            let _ = writeln!(out, "  │ {line}");
        }
    }
    if let Some(a) = w.github.get_advisory(PUBLISHED) {
        let _ = writeln!(out, "as GitHub now has it: state {}", a.state);
    }
    let mails = w.sink.messages();
    let _ = writeln!(
        out,
        "emails: {} (the new coordinator, and the admins for the delegation; ids and logins, never comment text):",
        mails.len()
    );
    for m in mails
        .iter()
        .filter(|m| m.header("Subject").is_some_and(|s| s.contains("/psrt")))
    {
        email(out, m);
    }
    let mut lost = Ledger::in_memory_lost();
    let c = Commanding {
        ledger: &mut lost,
        ..c
    };
    lost_ledger_demo(out, w, gh, &roster, c, accept).await;
}

/// The hourly ledger lost (an evicted Actions cache) and psrt's reply to a
/// command deleted in GitHub's UI: the command predates the new ledger's
/// memory of commands, so it is not run again; one reply says to write it
/// again.
async fn lost_ledger_demo(
    out: &mut String,
    w: &World,
    gh: &crate::github::GitHub,
    roster: &crate::roster::Roster,
    c: Commanding<'_>,
    accept: u64,
) {
    const REPORT: &str = "GHSA-5f3w-n0c0-0rd1";
    let marker = crate::advisories::discussion::commands::reply_marker(accept);
    let answer = |w: &World| {
        w.github
            .advisory_comments(REPORT)
            .into_iter()
            .find(|m| m.user == "psrt-bot" && m.body.starts_with(&marker))
    };
    let Some(reply) = answer(w) else {
        let _ = writeln!(
            out,
            "\n(no reply to Ada's accept: the lost ledger is not shown)"
        );
        return;
    };
    let _ = writeln!(
        out,
        "\nthen the hourly ledger is lost (its Actions cache evicted), an admin deletes psrt's reply to\nAda's `/psrt accept` in GitHub's UI and moves the report back to triage by hand; nothing\nremembers that the accept was answered:"
    );
    w.github.delete_advisory_comment_in_ui(reply.id);
    w.github
        .update_advisory(REPORT, |a| a.state = "triage".into());
    let first = c.at + chrono::Duration::hours(1);
    // The first run on the new ledger starts watching the discussions (as at
    // go-live); a new comment makes the next one read this one.
    let _ = crate::advisories::run(
        gh,
        roster,
        hourly(first, Some(c.mailer), c.templates, c.cve, c.ledger),
    )
    .await;
    w.github.advisory_comment(
        REPORT,
        "alan",
        "embargoed: never printed",
        first + chrono::Duration::minutes(10),
    );
    let r = crate::advisories::run(
        gh,
        roster,
        hourly(
            first + chrono::Duration::hours(1),
            Some(c.mailer),
            c.templates,
            c.cve,
            c.ledger,
        ),
    )
    .await;
    let d = &r.discussion;
    let _ = writeln!(
        out,
        "  the new ledger remembers commands from its first run; the next run: {} /psrt command(s) answered ({} refused),\n  the report still in {} (the accept is not run again); the one reply:",
        d.commands_answered,
        d.commands_refused,
        w.github
            .get_advisory(REPORT)
            .map_or_else(|| "?".to_owned(), |a| a.state)
    );
    if let Some(m) = answer(w) {
        let _ = writeln!(out, "  ┌ comment {} by @{}", m.id, m.user);
        for line in m.body.lines().filter(|l| !l.starts_with("<!-- psrt:")) {
            let _ = writeln!(out, "  │ {line}");
        }
        let _ = writeln!(out, "  └");
    }
}

/// The hourly sweep: Grace opens a pull request that only adds a page of
/// documentation; `approvals --all` judges the open pull requests that
/// change the roster (the inactivity report, Linus) and leaves hers alone.
async fn sweep_demo(
    w: &World,
    gh: &crate::github::GitHub,
    now: DateTime<Utc>,
) -> anyhow::Result<(String, String)> {
    use crate::approvals::{self, Options, Repo};
    w.github.commit_by(
        POLICY_REPO,
        "faq",
        &[("docs/faq.md", "# Questions\n")],
        "A page of questions",
        "grace",
        None,
        now,
    );
    let number = open_pull(w, "faq", "A page of questions", "grace", now);
    let opts = Options {
        now,
        in_actions: false,
        publish: true,
    };
    let sweep = approvals::sweep::all(gh, &Repo::parse(POLICY_REPO)?, opts).await?;
    let mut out = format!(
        "Grace opens #{number} (a page of documentation). The hourly job judges every open\npull request to main that changes roster.yaml, whatever review.yml did:\n"
    );
    for line in approvals::render::sweep_text(&sweep).lines() {
        let _ = writeln!(out, "  {line}");
    }
    if sweep.failed() || sweep.judged.len() != 2 || sweep.unchanged != [number] {
        anyhow::bail!("the approvals sweep did not go as shown:\n{out}");
    }
    let swept = format!(
        "{} open roster pull request(s) and left {} alone",
        sweep.judged.len(),
        sweep.unchanged.len()
    );
    Ok((swept, out))
}

/// `psrt audit --apply --send` on the demo's world: it finds the hourly
/// workflow GitHub disabled and enables it again, and names the repository
/// that accepts private reports nobody watches; the admins get one email
/// per problem and the weekly digest.
async fn audit_demo(
    w: &psrt_fakes::scenario::demo::World,
    roster: &crate::roster::Roster,
    env: &crate::config::Env,
    templates: &Templates,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let gh_env = env.github.as_ref().map_err(|m| anyhow::anyhow!("{m}"))?;
    let gh = crate::github::GitHub::connect(
        gh_env,
        crate::audit::github_scope(roster, POLICY_REPO, true),
        crate::github::Tuning::local(),
    )
    .await?;
    let before = w.github.knobs.requests();
    let mut ledger = Ledger::in_memory();
    let to: Vec<String> = roster
        .admins()
        .filter_map(|m| m.email.clone())
        .filter(|e| !e.starts_with("age:"))
        .collect();
    w.sink.clear();
    let report = crate::audit::run(
        &gh,
        roster,
        &crate::ids::RepoName::parse(POLICY_REPO)?,
        crate::audit::Options {
            apply: true,
            credentials: false,
            now,
            env,
            tuning: crate::github::Tuning::local(),
            sending: Some(crate::audit::mail::Sending {
                mailer,
                templates,
                to,
            }),
            send_blocked: None,
            record: true,
            ledger: &mut ledger,
        },
    )
    .await;
    let mut out = String::new();
    for line in report.text().lines() {
        let _ = writeln!(out, "  {line}");
    }
    let requests = w.github.knobs.requests() - before;
    let (state, _) = w
        .github
        .workflow_state(POLICY_REPO, ".github/workflows/hourly.yml")
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  (hourly.yml is now {state}; {requests} requests to GitHub, {} write(s); exit 1 while a problem remains)",
        report
            .writes
            .iter()
            .filter(|w| !w.starts_with("would"))
            .count()
    );
    let mails = w.sink.messages();
    let _ = writeln!(out, "  the admins' inbox ({} email(s)):", mails.len());
    for m in &mails {
        let _ = writeln!(out, "    {}", m.header("Subject").unwrap_or_default());
    }
    if let Some(first) = mails.first() {
        let body = quoted_printable::decode(first.body(), quoted_printable::ParseMode::Robust)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_else(|_| first.body());
        let _ = writeln!(out, "  the first, as sent:");
        for line in body.lines() {
            let _ = writeln!(out, "    │ {line}");
        }
    }
    w.sink.clear();
    Ok(out)
}

/// The hourly job as the demo runs it: applying, from a local run (the
/// per-report lines printed, not withheld for a public log).
fn hourly<'a>(
    now: DateTime<Utc>,
    mailer: Option<&'a Mailer>,
    templates: &'a Templates,
    cve: &'a crate::cve::CveServices,
    ledger: &'a mut Ledger,
) -> crate::advisories::Options<'a> {
    crate::advisories::Options {
        apply: true,
        now,
        mailer,
        templates,
        cve: Ok(cve),
        ledger,
        public: false,
        run_url: None,
    }
}

#[cfg(test)]
mod tests {
    /// The demo's world seeds the devguide's lists where `psrt publish`
    /// reads them (the stand-ins cannot name psrt's constants).
    #[test]
    fn the_demo_world_keeps_the_devguide_lists_where_psrt_reads_them() {
        use psrt_fakes::scenario::demo::{DEVGUIDE_EMERITUS_PATH, DEVGUIDE_MEMBERS_PATH};
        assert_eq!(DEVGUIDE_MEMBERS_PATH, crate::devguide::MEMBERS_PATH);
        assert_eq!(DEVGUIDE_EMERITUS_PATH, crate::devguide::EMERITUS_PATH);
    }
}
