//! The Discord role, against the stateful Discord fake.

use std::time::{Duration, Instant};

use http::Method;
use psrt::sync::{Service, Status};
use psrt_fakes::Fault;
use psrt_fakes::discord::{Bucket, DiscordFake};

use crate::common::*;

pub const GUILD: u64 = 1_234_567_890_123_456_789;
pub const ROLE: u64 = 2_345_678_901_234_567_890;
const BOT: &str = "bot-token-not-for-printing";
const DC: &[Service] = &[Service::Discord];

pub fn discord_id(i: u64) -> u64 {
    300_000_000_000_000_000 + i
}

pub async fn discord() -> (DiscordFake, psrt_fakes::Running) {
    let fake = DiscordFake::new(BOT);
    fake.guild(GUILD, ROLE);
    let server = fake.start().await.unwrap();
    (fake, server)
}

pub fn discord_env(url: &str) -> psrt::config::Env {
    env_for(&[
        ("PSRT_DISCORD_TOKEN", BOT.to_owned()),
        ("PSRT_DISCORD_API_URL", url.to_owned()),
    ])
}

/// A roster whose members (login, admin?, discord index?) manage the role.
pub fn discord_roster(members: &[(&str, bool, Option<u64>)]) -> psrt::roster::Roster {
    let mut s = format!(
        "version: 1\ngithub:\n  org: python\n  team: psrt\n  eligibility_teams: [python-core]\ndiscord:\n  guild: \"{GUILD}\"\n  role: \"{ROLE}\"\nmembers:\n"
    );
    for (login, admin, d) in members {
        s.push_str(&format!("  - name: {login}\n    github: {login}\n"));
        if let Some(i) = d {
            s.push_str(&format!("    discord: \"{}\"\n", discord_id(*i)));
        }
        if *admin {
            s.push_str("    roles: [admin]\n");
        }
    }
    parse_roster(&s)
}

#[tokio::test]
async fn drift_converges_and_the_second_run_writes_nothing() {
    let (fake, server) = discord().await;
    for (i, name, holds) in [
        (1, "alice", true),
        (2, "bob", false),
        (3, "carol", true),
        (4, "dave", false),
        (5, "p1", true),
        (6, "p2", true),
        (7, "p3", true),
    ] {
        fake.member(
            GUILD,
            discord_id(i),
            name,
            if holds { &[ROLE] } else { &[] },
        );
    }
    // erin (8) left the guild; frank has no discord id.
    let roster = discord_roster(&[
        ("alice", true, Some(1)),
        ("bob", true, Some(2)),
        ("dave", false, Some(4)),
        ("erin", false, Some(8)),
        ("frank", false, None),
        ("p1", false, Some(5)),
        ("p2", false, Some(6)),
        ("p3", false, Some(7)),
    ]);
    let env = discord_env(&server.url());
    let plan = sync(&roster, &env, DC, false, false).await;
    let dc = one(&plan, Service::Discord);
    assert_eq!(lines(dc), ["+ grant bob", "+ grant dave", "- revoke carol"]);
    assert!(
        dc.notes
            .iter()
            .any(|n| n.contains("not in the guild") && n.contains("erin")),
        "{:?}",
        dc.notes
    );
    assert!(
        dc.notes
            .iter()
            .any(|n| n.contains("1 member(s) without a `discord` id")),
        "{:?}",
        dc.notes
    );

    fake.knobs.clear_log();
    let applied = sync(&roster, &env, DC, true, false).await;
    assert!(!one(&applied, Service::Discord).failed(), "{applied:#?}");
    assert_eq!(fake.knobs.writes().len(), 3, "one write per change");
    let mut holders = fake.holders(GUILD, ROLE);
    holders.sort();
    assert_eq!(holders, [1, 2, 4, 5, 6, 7].map(discord_id));
    assert!(fake.with(|s| {
        s.audit_reasons
            .iter()
            .all(|r| r == "psrt: roster.yaml sync")
    }));

    fake.knobs.clear_log();
    let again = sync(&roster, &env, DC, true, false).await;
    assert!(one(&again, Service::Discord).changes.is_empty());
    assert!(fake.knobs.writes().is_empty());
    assert_eq!(
        fake.knobs.requests(),
        2,
        "a no-op: the role, one page of members"
    );
}

/// Issue 21: one rule with the list's. Whoever holds the role and is not in
/// the roster loses it, whatever other members lack (frank has no id);
/// only `discord.keep_unknown`, a migration setting, keeps them, and every
/// run says so.
#[tokio::test]
async fn unknown_holders_lose_the_role_unless_the_migration_setting_keeps_them() {
    let (fake, server) = discord().await;
    for (i, name) in [(1, "alice"), (2, "bob"), (3, "carol"), (4, "p1"), (5, "p2")] {
        fake.member(GUILD, discord_id(i), name, &[ROLE]);
    }
    let members = [
        ("alice", true, Some(1)),
        ("bob", true, Some(2)),
        ("frank", false, None),
        ("p1", false, Some(4)),
        ("p2", false, Some(5)),
    ];
    let env = discord_env(&server.url());
    let plan = sync(&discord_roster(&members), &env, DC, false, false).await;
    let dc = one(&plan, Service::Discord);
    assert_eq!(lines(dc), ["- revoke carol"]);
    assert!(dc.warnings.is_empty());

    let keeping = {
        let mut r = discord_roster(&members);
        r.discord.as_mut().unwrap().keep_unknown = true;
        r
    };
    for _ in 0..2 {
        let kept = sync(&keeping, &env, DC, true, false).await;
        let dc = one(&kept, Service::Discord);
        assert!(dc.changes.is_empty() && !dc.failed(), "{dc:?}");
        assert_eq!(
            dc.warnings,
            [
                "`discord.keep_unknown` is set (a migration setting): 1 holder(s) of the role psrt does not know keep it; give every member their `discord` id, then remove the setting"
            ]
        );
        assert!(
            psrt::sync::report::text(&kept, true)
                .contains("  warning: `discord.keep_unknown` is set")
        );
    }
    assert_eq!(fake.holders(GUILD, ROLE).len(), 5);
}

#[tokio::test]
async fn every_page_of_members_is_read() {
    let (fake, server) = discord().await;
    for i in 0..2500 {
        fake.member(
            GUILD,
            discord_id(i),
            &format!("u{i}"),
            if i < 2 { &[ROLE] } else { &[] },
        );
    }
    let roster = discord_roster(&[
        ("a", true, Some(0)),
        ("b", true, Some(1)),
        ("c", false, Some(2499)),
    ]);
    let reports = sync(&roster, &discord_env(&server.url()), DC, false, false).await;
    let dc = one(&reports, Service::Discord);
    assert_eq!(
        lines(dc),
        ["+ grant c"],
        "the member on the last page was found"
    );
    let pages: Vec<String> = fake
        .knobs
        .log()
        .iter()
        .filter(|l| l.path.contains("/members?"))
        .map(|l| l.path.clone())
        .collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages.iter().all(|p| p.contains("limit=1000")));
    assert!(
        pages[1].contains(&format!("after={}", discord_id(999))),
        "{pages:?}"
    );
}

#[tokio::test]
async fn a_429_is_waited_out_and_the_headers_keep_psrt_inside_the_bucket() {
    let (fake, server) = discord().await;
    for i in 0..12 {
        fake.member(GUILD, discord_id(i), &format!("u{i}"), &[]);
    }
    fake.knobs.inject(
        Fault::new(Method::GET, "/roles/", 429)
            .body(r#"{"message":"You are being rate limited.","retry_after":0.3,"global":false}"#)
            .times(1),
    );
    fake.with(|s| s.bucket = Some(Bucket::new(5, Duration::from_millis(400))));
    let members: Vec<(String, bool, Option<u64>)> =
        (0..12).map(|i| (format!("u{i}"), i < 2, Some(i))).collect();
    let list: Vec<(&str, bool, Option<u64>)> = members
        .iter()
        .map(|(l, a, d)| (l.as_str(), *a, *d))
        .collect();
    let started = Instant::now();
    let reports = sync(
        &discord_roster(&list),
        &discord_env(&server.url()),
        DC,
        true,
        true,
    )
    .await;
    assert!(!one(&reports, Service::Discord).failed(), "{reports:#?}");
    assert_eq!(fake.holders(GUILD, ROLE).len(), 12);
    assert!(
        started.elapsed() >= Duration::from_millis(300 + 2 * 400),
        "waited for retry_after and the bucket"
    );
    assert_eq!(
        fake.with(|s| s.rate_limited),
        0,
        "the X-RateLimit headers were honoured: no 429 from the bucket"
    );
}

#[tokio::test]
async fn unknown_role_guild_and_token_are_clear_errors_with_no_writes() {
    let (fake, server) = discord().await;
    fake.member(GUILD, discord_id(1), "alice", &[]);
    let roster = discord_roster(&[("alice", true, Some(1)), ("bob", true, None)]);
    let mut bad_role = roster.clone();
    bad_role.discord.as_mut().unwrap().role = "1111111111111111111".into();
    let mut bad_guild = roster.clone();
    bad_guild.discord.as_mut().unwrap().guild = "2222222222222222222".into();
    let cases = [
        (
            bad_role,
            discord_env(&server.url()),
            "role 1111111111111111111 does not exist",
        ),
        (
            bad_guild,
            discord_env(&server.url()),
            "guild 2222222222222222222 does not exist",
        ),
        (
            roster,
            env_for(&[
                ("PSRT_DISCORD_TOKEN", "nope".into()),
                ("PSRT_DISCORD_API_URL", server.url()),
            ]),
            "refused the bot token",
        ),
    ];
    for (r, env, want) in cases {
        let reports = sync(&r, &env, DC, true, true).await;
        let dc = one(&reports, Service::Discord);
        assert!(
            matches!(&dc.outcome, Status::ReadFailed { error } if error.contains(want)),
            "{want}: {dc:?}"
        );
    }
    assert!(fake.knobs.writes().is_empty());
}

#[tokio::test]
async fn a_5xx_mid_read_gives_no_plan() {
    let (fake, server) = discord().await;
    for i in 0..1500 {
        fake.member(GUILD, discord_id(i), &format!("u{i}"), &[ROLE]);
    }
    fake.knobs.inject(
        Fault::new(Method::GET, "/members", 502).query(&format!("after={}", discord_id(999))),
    );
    let reports = sync(
        &discord_roster(&[("a", true, Some(0)), ("b", true, Some(1))]),
        &discord_env(&server.url()),
        DC,
        true,
        true,
    )
    .await;
    let dc = one(&reports, Service::Discord);
    assert!(
        matches!(&dc.outcome, Status::ReadFailed { error } if error.contains("502")),
        "{dc:?}"
    );
    assert!(fake.knobs.writes().is_empty());
}

/// All three services at once; one failing does not stop the others.
#[tokio::test]
async fn three_services_run_concurrently_and_one_failure_stops_only_itself() {
    let (gh, gh_server) = github().await;
    for l in ["alice", "bob", "m1", "m2", "m3"] {
        gh.add_to_team(
            "psrt",
            l,
            if l == "alice" || l == "bob" {
                "maintainer"
            } else {
                "member"
            },
        );
    }
    gh.org_member("dave");
    let (dc, dc_server) = discord().await;
    dc.member(GUILD, discord_id(4), "dave", &[]);
    for (i, l) in [(1, "alice"), (2, "bob"), (5, "m1"), (6, "m2"), (7, "m3")] {
        dc.member(GUILD, discord_id(i), l, &[ROLE]);
    }
    let mm = psrt_fakes::mailman::MailmanFake::new("restadmin", "restpass");
    let mm_server = mm.start().await.unwrap();
    let mut text = String::from(
        "version: 1\ngithub:\n  org: python\n  team: psrt\n  eligibility_teams: [python-core]\nmailman:\n  list: security.example.org\n",
    );
    text.push_str(&format!(
        "discord:\n  guild: \"{GUILD}\"\n  role: \"{ROLE}\"\nmembers:\n"
    ));
    for (i, l) in [
        (1, "alice"),
        (2, "bob"),
        (4, "dave"),
        (5, "m1"),
        (6, "m2"),
        (7, "m3"),
    ] {
        text.push_str(&format!(
            "  - name: {l}\n    github: {l}\n    email: {l}@example.org\n    discord: \"{}\"\n",
            discord_id(i)
        ));
        if i < 3 {
            text.push_str("    roles: [admin]\n");
        }
    }
    let roster = parse_roster(&with_ids(&gh, &text));
    let env = env_for(&[
        ("GITHUB_TOKEN", TOKEN.to_owned()),
        ("GITHUB_API_URL", gh_server.url()),
        ("PSRT_DISCORD_TOKEN", BOT.to_owned()),
        ("PSRT_DISCORD_API_URL", dc_server.url()),
        ("PSRT_MAILMAN_URL", format!("{}/3.1", mm_server.url())),
        ("PSRT_MAILMAN_USER", "restadmin".into()),
        ("PSRT_MAILMAN_PASSWORD", "wrong".into()),
    ]);
    // Latency on two services: run one after the other, this would take 2 x 300 ms at least.
    gh.knobs.set_latency(Duration::from_millis(300));
    dc.knobs.set_latency(Duration::from_millis(300));
    let started = Instant::now();
    let reports = sync(&roster, &env, &[], true, false).await;
    let elapsed = started.elapsed();
    assert!(!one(&reports, Service::Github).failed(), "{reports:#?}");
    assert!(!one(&reports, Service::Discord).failed(), "{reports:#?}");
    assert!(matches!(
        one(&reports, Service::Mailman).outcome,
        Status::ReadFailed { .. }
    ));
    assert_eq!(lines(one(&reports, Service::Github)), ["+ add dave"]);
    assert_eq!(lines(one(&reports, Service::Discord)), ["+ grant dave"]);
    // GitHub: 4 lists at once, dave's account by id, then 1 write; Discord:
    // role, members, write: ~3 x 300 ms in parallel.
    assert!(
        elapsed < Duration::from_millis(1500),
        "reads were concurrent: {elapsed:?}"
    );
}
