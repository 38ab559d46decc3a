//! The world `psrt demo` runs against: the example roster's services,
//! drifted (a missing member, a former member still in the team and on the
//! list, an admin without the maintainer role, an open report 80 days old,
//! one with no coordinator, one its coordinator just accepted with
//! `[ACCEPT]` in its title, a member inactive for a year, one whose only
//! activity is a comment), and the
//! published advisory `psrt announce` drafts the announcement for.

use chrono::{DateTime, Duration, Utc};

use crate::Running;
use crate::cve::CveFake;
use crate::discord::DiscordFake;
use crate::github::{FakeAdvisory, GitHubFake};
use crate::mailman::{FakeListMember, MailmanFake};
use crate::smtp::{RunningSink, SmtpSink};

/// The repository that holds `roster.yaml`.
pub const POLICY_REPO: &str = "python/psrt";
/// The devguide, and where it keeps the member lists (psrt's
/// `devguide::MEMBERS_PATH` and `EMERITUS_PATH`; psrt's demo checks that
/// they agree).
pub const DEVGUIDE: &str = "python/devguide";
pub const DEVGUIDE_MEMBERS_PATH: &str = "security/psrt.csv";
pub const DEVGUIDE_EMERITUS_PATH: &str = "security/psrt-emeritus.csv";
pub const GUILD: u64 = 1_234_567_890_123_456_789;
pub const ROLE: u64 = 2_345_678_901_234_567_890;
/// The credentials each stand-in accepts (they protect nothing).
pub const GITHUB_TOKEN: &str = "demo-token";
pub const MAILMAN_USER: &str = "restadmin";
pub const MAILMAN_PASSWORD: &str = "demo-password";
pub const DISCORD_TOKEN: &str = "demo-bot-token";

/// Everything the demo started.
pub struct World {
    pub github: GitHubFake,
    pub cve: CveFake,
    pub cve_server: Running,
    pub mailman: MailmanFake,
    pub discord: DiscordFake,
    pub sink: SmtpSink,
    /// GitHub, Mailman, Discord, SMTP.
    pub servers: (Running, Running, Running, RunningSink),
}

/// The Discord id of the demo's person `n`.
pub fn discord_id(n: u64) -> u64 {
    300_000_000_000_000_000 + n
}

/// Seeds the stand-ins so that they have drifted from the example roster
/// (`policy_roster`, committed as the policy repository's `roster.yaml`),
/// and starts them on loopback.
pub async fn world(now: DateTime<Utc>, policy_roster: &str) -> std::io::Result<World> {
    let github = GitHubFake::new("python", GITHUB_TOKEN);
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
    github.add_to_team("python-core", "linus", "member"); // proposed by a pull request
    github.token_user(GITHUB_TOKEN, "psrt-bot"); // the account psrt writes as
    github.commit(
        POLICY_REPO,
        "main",
        &[("roster.yaml", policy_roster)],
        "the roster",
    );
    // An open report 80 days old, coordinated by Alan. Sofia reviewed the
    // fix in its discussion: a comment, her only activity this year (PEP
    // 811 counts it).
    let mut old = FakeAdvisory::new(
        "python/cpython",
        "GHSA-8q2v-80d0-ld00",
        "triage",
        now - Duration::days(80),
    )
    .coordinator("alan");
    old.collaborating_teams = vec!["psrt".into()];
    old.updated_at = now - Duration::days(2);
    old.summary = "embargoed: never printed".into();
    github.advisory(old);
    github.advisory_comment(
        "GHSA-8q2v-80d0-ld00",
        "sofia",
        "embargoed: never printed (a review of the fix)",
        now - Duration::days(20),
    );
    // A report 5 days old that nobody coordinates yet.
    let mut fresh = FakeAdvisory::new(
        "python/cpython",
        "GHSA-5f3w-n0c0-0rd1",
        "triage",
        now - Duration::days(5),
    );
    fresh.summary = "embargoed: never printed".into();
    github.advisory(fresh);
    // A report its coordinator accepts with the title tag the devguide
    // gives, once psrt has seen it (the demo adds the tag between two
    // hourly runs): psrt moves it to draft, makes its private fork and
    // reserves its CVE id.
    let mut accepted = FakeAdvisory::new(
        "python/cpython",
        "GHSA-acc3-pt00-0001",
        "triage",
        now - Duration::days(2),
    )
    .coordinator("alan");
    accepted.summary = "embargoed: never printed".into();
    accepted.collaborating_teams = vec!["psrt".into()];
    github.advisory(accepted);
    // A report on pip (`pypa/pip`, outside python), coordinated by Grace:
    // a team of python cannot collaborate there. (Not Sofia: her only
    // activity this year stays the comment above.)
    let mut pip = FakeAdvisory::new(
        "pypa/pip",
        "GHSA-p1p0-0uts-1de0",
        "triage",
        now - Duration::days(3),
    )
    .coordinator("grace");
    pip.summary = "embargoed: never printed".into();
    github.advisory(pip);
    // A new report whose reporter wrote `[ACCEPT]` in the first title:
    // ignored (the reporter writes the first title, not a member).
    let mut eager = FakeAdvisory::new(
        "python/cpython",
        "GHSA-rep0-rt00-0001",
        "triage",
        now - Duration::hours(3),
    )
    .coordinator("alan");
    eager.summary = "[ACCEPT] embargoed: never printed".into();
    eager.author = Some("eager-reporter".into());
    eager.collaborating_teams = vec!["psrt".into()];
    github.advisory(eager);
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

    // Published yesterday: the advisory `psrt announce` drafts the announcement for.
    crate::github::example_cpython_advisory(&github, now - Duration::days(1));
    // The devguide's lists, as they were before Barbara joined and Dennis left.
    github.commit(
        DEVGUIDE,
        "main",
        &[
            (
                DEVGUIDE_MEMBERS_PATH,
                "Ada Admin,ada,Admin\nGrace Admin,grace,Admin\nAlan Triager,alan,\nKen Release,ken,Release Manager\nMargaret Quiet,margaret,\nSofia Outside,sofia,\nDennis Former,dennis,\n",
            ),
            (DEVGUIDE_EMERITUS_PATH, ""),
        ],
        "the devguide",
    );

    let mailman = MailmanFake::new(MAILMAN_USER, MAILMAN_PASSWORD);
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

    let discord = DiscordFake::new(DISCORD_TOKEN);
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

    // What `psrt audit` reads: psrt's workflows (the hourly one disabled by
    // GitHub after 60 quiet days), the ruleset, CODEOWNERS, private
    // reporting on cpython; and a repository of the organisation that
    // accepts private reports nobody watches.
    let workflows =
        crate::scenario::audit::healthy(&github, POLICY_REPO, &["python/cpython"], None, now);
    let _ = workflows;
    github.audit_state(POLICY_REPO, |a| {
        for w in &mut a.workflows {
            if w.path.ends_with("/hourly.yml") {
                w.state = "disabled_inactivity".into();
            }
        }
    });
    github.repo("python/pythondotorg");
    github.audit_state("python/pythondotorg", |a| a.private_reporting = true);
    github.repo("python/typeshed");

    let cve = CveFake::new("PSF", "psrt-bot@example.org", "demo-cve-key");
    let cve_server = cve.start().await?;
    let sink = SmtpSink::default();
    let servers = (
        github.start().await?,
        mailman.start().await?,
        discord.start().await?,
        sink.start().await?,
    );
    Ok(World {
        github,
        cve,
        cve_server,
        mailman,
        discord,
        sink,
        servers,
    })
}
