//! No crash on any input. Property tests over `--now` strings and over
//! arbitrary JSON served where psrt expects a GitHub, Mailman or Discord
//! answer (made-up values, and real answers with one part replaced): always
//! a clear error or a sane reading, never a panic, and never a write after a
//! read psrt could not use. (Header values: `src/net/mod.rs`; rosters:
//! `roster_props`.) And the safety valves' counts with two roster entries
//! naming one person.

use std::sync::Arc;

use clap::Parser as _;
use http::Method;
use proptest::prelude::*;
use psrt::sync::{Options, Status};
use psrt_fakes::Fault;
use serde_json::{Value, json};

use crate::common::*;
use crate::sync_discord::{GUILD, ROLE, discord_id};

fn cases(default: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases: n,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---- --now ----------------------------------------------------------------

/// Strings shaped like times, with numbers of any size, and anything else.
fn now_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,30}",
        (
            prop_oneof![Just(String::new()), Just("+".into()), Just("-".into())],
            0u64..1_000_000_000,
            0u32..100,
            0u32..100
        )
            .prop_map(|(sign, y, m, d)| format!("{sign}{y:04}-{m:02}-{d:02}")),
        (
            0u64..100_000,
            1u32..13,
            1u32..32,
            0u32..30,
            0u32..70,
            0u32..70,
            prop_oneof![
                Just("Z".to_owned()),
                Just("+23:59".to_owned()),
                Just("-99:99".to_owned()),
                "[+-][0-9]{2}:[0-9]{2}"
            ]
        )
            .prop_map(|(y, mo, d, h, mi, s, z)| format!(
                "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{z}"
            )),
        Just("9999-12-31T23:59:59Z".to_owned()),
        Just("9999-12-31T23:59:59-23:59".to_owned()),
        Just("1970-01-01T00:00:00+01:00".to_owned()),
        Just("262143-12-31".to_owned()),
        Just("-262144-01-01".to_owned()),
    ]
}

proptest! {
    #![proptest_config(cases(512))]
    #[test]
    fn any_now_is_a_time_psrt_can_use_or_a_usage_error(s in now_string()) {
        for cmd in ["deadlines", "inactivity", "advisories"] {
            let arg = format!("--now={s}");
            match psrt::cli::Cli::try_parse_from(["psrt", cmd, &arg]) {
                Ok(cli) => {
                    let now = match cli.command {
                        psrt::cli::Command::Deadlines(a) => a.now,
                        psrt::cli::Command::Inactivity(a) => a.now,
                        psrt::cli::Command::Advisories(a) => a.now,
                        _ => None,
                    };
                    let now = now.expect("--now given");
                    let min: chrono::DateTime<chrono::Utc> = "1970-01-01T00:00:00Z".parse().unwrap();
                    let max: chrono::DateTime<chrono::Utc> = "9999-12-31T23:59:59.999999999Z".parse().unwrap();
                    prop_assert!(now >= min && now <= max, "{s} gave {now}");
                    // Whatever psrt computes from it stays in the calendar.
                    let p = psrt::roster::Policy { deadline_days: 3650, ..Default::default() };
                    let _ = p.deadline_of(now);
                }
                Err(e) => {
                    prop_assert_eq!(e.kind(), clap::error::ErrorKind::ValueValidation, "{}: {}", s, e);
                    prop_assert_eq!(e.exit_code(), 2);
                    prop_assert!(e.to_string().contains("--now"), "{}", e);
                }
            }
        }
    }
}

#[test]
fn a_now_outside_the_calendar_is_a_usage_error_from_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "roster.yaml",
        roster_text(&[("a", true), ("b", true)], ""),
    );
    for now in [
        "262143-12-31",
        "+99999-01-01",
        "10000-01-01",
        "1969-12-31",
        "yesterday",
    ] {
        let r = run(psrt()
            .current_dir(dir.path())
            .args(["deadlines", &format!("--now={now}")]));
        assert_eq!(r.code, 2, "{now}: {}", r.all());
        assert!(r.stderr.contains("--now"), "{}", r.stderr);
        assert!(!r.all().contains("panicked"), "{}", r.all());
    }
}

// ---- safety valves ----------------------------------------------------------

/// Two roster entries name the same maintainer (same `github_id`): the plan
/// demotes them twice before it is deduplicated. The count of maintainers
/// after the plan must not wrap (release) or panic (debug).
#[tokio::test]
async fn two_entries_with_one_github_id_do_not_wrap_the_maintainer_count() {
    let (fake, server) = github().await;
    let id = fake.org_member("solo");
    fake.add_to_team("psrt", "solo", "maintainer");
    fake.add_to_team("psrt", "other", "maintainer");
    let text = format!(
        "version: 1\ngithub:\n  org: python\n  team: psrt\n  eligibility_teams: [python-core]\nmembers:\n  - name: One\n    github: one-name\n    github_id: {id}\n  - name: Two\n    github: two-name\n    github_id: {id}\n  - name: Other\n    github: other\n    roles: [admin]\n"
    );
    // `psrt check` refuses this roster (duplicate-github-id); the library
    // must still not misbehave when handed one.
    let roster = psrt::roster::parse(text.as_bytes()).unwrap().roster;
    let gh = psrt::github::GitHub::connect(
        github_env(&server.url()).github.as_ref().unwrap(),
        psrt::sync::github_team::scope(&roster, true),
        psrt::github::Tuning::local(),
    )
    .await
    .unwrap();
    let team = psrt::sync::github_team::GitHubTeam::new(Arc::new(gh), &roster);
    let report = psrt::sync::run_service(
        &team,
        &roster,
        Options {
            apply: false,
            allow_mass_removal: false,
        },
    )
    .await;
    // One demotion, planned once; two maintainers now, one after: the
    // min_admins valve (2) stops it.
    assert_eq!(lines(&report), ["~ role solo"], "{report:?}");
    match &report.outcome {
        Status::Blocked { valves } => {
            assert_eq!(valves, &[psrt::sync::Valve::MinAdmins { after: 1, min: 2 }])
        }
        other => panic!("{other:?}"),
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "roster.yaml", &text);
    let r = run(psrt().args(["--roster", path.to_str().unwrap(), "check"]));
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("error[duplicate-github-id]"),
        "{}",
        r.stdout
    );
}

// ---- arbitrary answers -----------------------------------------------------

/// Keys that occur in the answers psrt reads, so that made-up objects look
/// like answers often enough to get past the first field.
const KEYS: &[&str] = &[
    "login",
    "id",
    "role",
    "type",
    "email",
    "member_id",
    "entries",
    "total_size",
    "start",
    "user",
    "roles",
    "username",
    "ghsa_id",
    "state",
    "created_at",
    "updated_at",
    "closed_at",
    "published_at",
    "credits",
    "collaborating_users",
    "collaborating_teams",
    "html_url",
    "slug",
    "private_fork",
    "full_name",
    "invitee",
    "failed_reason",
    "address",
    "self_link",
    "list_id",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("JSON numbers", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "\\PC{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "2026-01-01T00:00:00Z",
            "+262143-12-31T23:59:59Z",
            "-262144-01-01T00:00:00Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
            "triage",
            "draft",
            "published",
            "maintainer",
            "member",
            "owner",
            "coordinator",
            "123456789012345678",
            "-1",
            "",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        prop::sample::select(KEYS.to_vec()).prop_map(str::to_owned),
                        "[a-z_]{1,8}"
                    ],
                    inner
                ),
                0..8
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Replaces the part of `v` that `path` leads to with `with`.
fn mutate(v: &mut Value, path: &[usize], with: Value) {
    let child = match (v, path.split_first()) {
        (Value::Array(a), Some((i, _))) if !a.is_empty() => {
            let n = a.len();
            &mut a[i % n]
        }
        (Value::Object(o), Some((i, _))) if !o.is_empty() => {
            let n = o.len();
            let key = o.keys().nth(i % n).cloned().unwrap_or_default();
            &mut o[&key]
        }
        (v, _) => {
            *v = with;
            return;
        }
    };
    mutate(child, &path[1..], with)
}

/// An answer: made up, or a real one with one part replaced (or dropped).
fn answer(real: Value) -> impl Strategy<Value = String> {
    prop_oneof![
        any_json().prop_map(|v| v.to_string()),
        (prop::collection::vec(any::<usize>(), 0..6), any_json()).prop_map(move |(path, with)| {
            let mut v = real.clone();
            mutate(&mut v, &path, with);
            v.to_string()
        }),
        "\\PC{0,40}",
    ]
}

/// Serves `body` (status 200) once for the request matching `path` and
/// `query`, runs `read`, and checks: a read that fails says so with a
/// message and writes nothing.
fn check_answer(
    knobs: &psrt_fakes::Knobs,
    path: &str,
    query: Option<&str>,
    body: &str,
    seen: &Tally,
    service: &str,
    report: impl FnOnce() -> psrt::sync::ServiceReport,
) -> Result<(), TestCaseError> {
    knobs.clear_faults();
    knobs.clear_log();
    let mut f = Fault::new(Method::GET, path, 200).body(body).times(1);
    if let Some(q) = query {
        f = f.query(q);
    }
    knobs.inject(f);
    let r = report();
    knobs.clear_faults();
    if let Status::ReadFailed { error } = &r.outcome {
        prop_assert!(
            error.contains(service),
            "an error that does not say who: {}",
            error
        );
        prop_assert!(
            knobs.writes().is_empty(),
            "writes after a failed read: {:?}",
            knobs.writes()
        );
        seen.refused(error);
    } else {
        seen.read();
    }
    Ok(())
}

/// How the answers fared: each property must see both outcomes, or the
/// answers never reached psrt.
#[derive(Default)]
struct Tally(std::sync::Mutex<(usize, usize, std::collections::BTreeSet<String>)>);

impl Tally {
    fn refused(&self, error: &str) {
        let mut t = self.0.lock().unwrap();
        t.0 += 1;
        // The message without the serde position (line/column) details.
        t.2.insert(error.split(" at line ").next().unwrap_or(error).to_owned());
    }
    fn read(&self) {
        self.0.lock().unwrap().1 += 1;
    }
    fn report(&self, what: &str) {
        let t = self.0.lock().unwrap();
        println!("{what}: {} refused with an error, {} read", t.0, t.1);
        for e in t.2.iter().take(12) {
            println!("  {e}");
        }
        assert!(t.0 > 0 && t.1 > 0, "{what}: {} refused, {} read", t.0, t.1);
    }
}

/// A runtime for the property tests' async parts.
fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn get_json(url: &str, auth: (&str, &str)) -> Value {
    let c = reqwest::Client::new();
    let req = c.get(url);
    let req = match auth {
        ("token", t) => req.bearer_auth(t),
        ("bot", t) => req.header("authorization", format!("Bot {t}")),
        (user, password) => req.basic_auth(user, Some(password)),
    };
    req.send().await.unwrap().json().await.unwrap()
}

#[test]
fn any_github_answer_is_a_clear_error_or_a_reading_never_a_panic() {
    let rt = rt();
    let (fake, server, team, real) = rt.block_on(async {
        let (fake, server) = github().await;
        for (l, r) in [("a", "maintainer"), ("b", "maintainer"), ("c", "member")] {
            fake.add_to_team("psrt", l, r);
        }
        fake.invite("psrt", "d");
        fake.failed_invitation("psrt", "e", "2FA");
        let roster = roster(&[("a", true), ("b", true), ("c", false), ("d", false)]);
        let gh = psrt::github::GitHub::connect(
            github_env(&server.url()).github.as_ref().unwrap(),
            psrt::sync::github_team::scope(&roster, true),
            psrt::github::Tuning::local(),
        )
        .await
        .unwrap();
        let team = psrt::sync::github_team::GitHubTeam::new(Arc::new(gh), &roster);
        let base = format!("{}/orgs/python/teams/psrt", server.url());
        let mut real = Vec::new();
        for (path, query) in [
            ("/teams/psrt/members", "role=member"),
            ("/teams/psrt/members", "role=maintainer"),
            ("/teams/psrt/invitations", ""),
            ("/failed_invitations", ""),
        ] {
            let url = if path == "/failed_invitations" {
                format!("{}/orgs/python/failed_invitations", server.url())
            } else {
                format!("{base}{}?{query}", path.trim_start_matches("/teams/psrt"))
            };
            real.push((path, query, get_json(&url, ("token", TOKEN)).await));
        }
        (fake, server, team, real)
    });
    let roster = roster(&[("a", true), ("b", true), ("c", false), ("d", false)]);
    let strategy = (0..real.len()).prop_flat_map(move |i| {
        let (p, q, v) = real[i].clone();
        answer(v).prop_map(move |body| (p, q, body))
    });
    let tally = Tally::default();
    let mut runner = proptest::test_runner::TestRunner::new(cases(96));
    runner
        .run(&strategy, |(path, query, body)| {
            let q = (!query.is_empty()).then_some(query);
            check_answer(&fake.knobs, path, q, &body, &tally, "GitHub", || {
                rt.block_on(psrt::sync::run_service(
                    &team,
                    &roster,
                    Options {
                        apply: true,
                        allow_mass_removal: false,
                    },
                ))
            })
        })
        .unwrap();
    tally.report("GitHub team answers");
    drop(server);
}

#[test]
fn any_advisory_list_is_a_clear_error_or_a_reading_and_sends_nothing_when_unread() {
    let rt = rt();
    let (fake, server, sink, sink_server, gh, real) = rt.block_on(async {
        let (fake, server) = github().await;
        for l in ["a", "b", "c"] {
            fake.org_member(l);
        }
        let created = chrono::Utc::now() - chrono::Duration::days(85);
        fake.advisory(
            psrt_fakes::github::FakeAdvisory::new(
                "python/cpython",
                "GHSA-aaaa-bbbb-cccc",
                "triage",
                created,
            )
            .coordinator("c"),
        );
        let sink = psrt_fakes::smtp::SmtpSink::default();
        let sink_server = sink.start().await.unwrap();
        let gh = psrt::github::GitHub::connect(
            github_env(&server.url()).github.as_ref().unwrap(),
            psrt::github::Scope::org("python", &[])
                .repos(&["python/cpython"], psrt::deadlines::ADVISORY_PERMISSIONS),
            psrt::github::Tuning::local(),
        )
        .await
        .unwrap();
        let real = get_json(
            &format!(
                "{}/repos/python/cpython/security-advisories?state=triage",
                server.url()
            ),
            ("token", TOKEN),
        )
        .await;
        (fake, server, sink, sink_server, gh, real)
    });
    let roster = parse_roster(&format!(
        "{}email:\n  from: \"PSRT <psrt@example.org>\"\n",
        roster_text(&[("a", true), ("b", true), ("c", false)], "")
            .replace(
                "    github: c\n",
                "    github: c\n    email: c@example.org\n"
            )
            .replace(
                "    github: a\n",
                "    github: a\n    email: a@example.org\n"
            )
    ));
    let mailer = psrt::notify::Mailer::new(
        &psrt::config::SmtpEnv {
            url: psrt::secret::Secret::new(format!(
                "smtp://127.0.0.1:{}?tls=none",
                sink_server.port
            )),
            ca_file: None,
        },
        "PSRT <psrt@example.org>",
    )
    .unwrap();
    let templates = psrt::notify::Templates::built_in();
    let tally = Tally::default();
    let mut runner = proptest::test_runner::TestRunner::new(cases(96));
    runner
        .run(&answer(real), |body| {
            fake.knobs.clear_faults();
            fake.knobs.inject(
                Fault::new(Method::GET, "/security-advisories", 200)
                    .query("state=triage")
                    .body(&body)
                    .times(1),
            );
            sink.clear();
            let mut ledger = psrt::ledger::Ledger::default();
            let out = rt.block_on(psrt::deadlines::run(
                &gh,
                &roster,
                &psrt::ledger::Ledger::default(),
                chrono::Utc::now(),
                Some(psrt::deadlines::Sending {
                    mailer: &mailer,
                    templates: &templates,
                    ledger: &mut ledger,
                }),
            ));
            // Inactivity reads every state: the same answer must not break it.
            fake.knobs.inject(
                Fault::new(Method::GET, "/security-advisories", 200)
                    .query("state=triage")
                    .body(&body)
                    .times(1),
            );
            let found = rt.block_on(psrt::inactivity::gather(&gh, &roster));
            if let Ok(found) = &found {
                let report = psrt::inactivity::build(&roster, found, chrono::Utc::now());
                let _ = psrt::inactivity::text(&report);
            }
            fake.knobs.clear_faults();
            let unread = out
                .errors
                .iter()
                .any(|e| e.contains("cannot read the advisories"));
            match out.errors.first() {
                Some(e) if unread => tally.refused(e),
                _ => tally.read(),
            }
            if unread {
                prop_assert!(sink.messages().is_empty(), "sent after a failed read");
                prop_assert!(
                    out.errors.iter().all(|e| e.contains("python/cpython")),
                    "{:?}",
                    out.errors
                );
            }
            Ok(())
        })
        .unwrap();
    tally.report("advisory lists");
    drop((server, sink_server));
}

#[test]
fn any_mailman_answer_is_a_clear_error_or_a_reading_never_a_panic() {
    let rt = rt();
    let (fake, server, list, real, list_id) = rt.block_on(async {
        let fake = psrt_fakes::mailman::MailmanFake::new("rest", "pw");
        let server = fake.start().await.unwrap();
        let list_id = "security.props.example.org".to_owned();
        fake.with(|s| {
            s.domains.push("props.example.org".into());
            s.lists
                .push((list_id.clone(), "security@props.example.org".into()));
            for (i, (email, role)) in [
                ("a@example.org", "member"),
                ("b@example.org", "member"),
                ("a@example.org", "owner"),
            ]
            .into_iter()
            .enumerate()
            {
                s.members.push(psrt_fakes::mailman::FakeListMember {
                    member_id: format!("m{i}"),
                    list_id: list_id.clone(),
                    email: email.into(),
                    display_name: String::new(),
                    role: role.into(),
                });
            }
        });
        let env = psrt::config::MailmanEnv {
            url: format!("{}/3.1", server.url()),
            user: "rest".into(),
            password: psrt::secret::Secret::new("pw".to_owned()),
        };
        let list =
            psrt::sync::mailman::MailmanList::new(&env, &list_id, psrt::net::RetryPolicy::fast())
                .unwrap();
        let mut real = Vec::new();
        for role in ["member", "owner"] {
            let url = format!(
                "{}/3.1/lists/{list_id}/roster/{role}?count=100&page=1",
                server.url()
            );
            real.push((role, get_json(&url, ("rest", "pw")).await));
        }
        (fake, server, list, real, list_id)
    });
    let roster = parse_roster(
        &roster_text(
            &[("a", true), ("b", true)],
            &format!("mailman:\n  list: {list_id}\n"),
        )
        .replace(
            "    github: a\n",
            "    github: a\n    email: a@example.org\n",
        )
        .replace(
            "    github: b\n",
            "    github: b\n    email: b@example.org\n",
        ),
    );
    let strategy = (0..real.len()).prop_flat_map(move |i| {
        let (role, v) = real[i].clone();
        answer(v).prop_map(move |body| (role, body))
    });
    let tally = Tally::default();
    let mut runner = proptest::test_runner::TestRunner::new(cases(64));
    runner
        .run(&strategy, |(role, body)| {
            check_answer(
                &fake.knobs,
                &format!("/roster/{role}"),
                None,
                &body,
                &tally,
                "Mailman",
                || {
                    rt.block_on(psrt::sync::run_service(
                        &list,
                        &roster,
                        Options {
                            apply: true,
                            allow_mass_removal: false,
                        },
                    ))
                },
            )
        })
        .unwrap();
    tally.report("Mailman answers");
    drop(server);
}

#[test]
fn any_discord_answer_is_a_clear_error_or_a_reading_never_a_panic() {
    let rt = rt();
    let (fake, server, role, real) = rt.block_on(async {
        let (fake, server) = crate::sync_discord::discord().await;
        fake.member(GUILD, discord_id(1), "a", &[ROLE]);
        fake.member(GUILD, discord_id(2), "b", &[]);
        let env = crate::sync_discord::discord_env(&server.url());
        let role = psrt::sync::discord::DiscordRole::new(
            env.discord.as_ref().unwrap(),
            &GUILD.to_string(),
            &ROLE.to_string(),
            psrt::net::RetryPolicy::fast(),
        )
        .unwrap();
        let bot = "bot-token-not-for-printing";
        let members = get_json(
            &format!("{}/guilds/{GUILD}/members?limit=1000&after=0", server.url()),
            ("bot", bot),
        )
        .await;
        let the_role = get_json(
            &format!("{}/guilds/{GUILD}/roles/{ROLE}", server.url()),
            ("bot", bot),
        )
        .await;
        (
            fake,
            server,
            role,
            vec![("/members", "after=0", members), ("/roles/", "", the_role)],
        )
    });
    let roster = crate::sync_discord::discord_roster(&[("a", true, Some(1)), ("b", true, Some(2))]);
    let strategy = (0..real.len()).prop_flat_map(move |i| {
        let (p, q, v) = real[i].clone();
        answer(v).prop_map(move |body| (p, q, body))
    });
    let tally = Tally::default();
    let mut runner = proptest::test_runner::TestRunner::new(cases(64));
    runner
        .run(&strategy, |(path, query, body)| {
            let q = (!query.is_empty()).then_some(query);
            check_answer(&fake.knobs, path, q, &body, &tally, "Discord", || {
                rt.block_on(psrt::sync::run_service(
                    &role,
                    &roster,
                    Options {
                        apply: true,
                        allow_mass_removal: false,
                    },
                ))
            })
        })
        .unwrap();
    tally.report("Discord answers");
    drop(server);
}

// ---- extreme rate-limit headers, end to end ----------------------------------

#[tokio::test]
async fn extreme_rate_limit_headers_end_in_a_clear_error_or_a_short_wait() {
    let (fake, server) = github().await;
    fake.add_to_team("psrt", "a", "maintainer");
    fake.add_to_team("psrt", "b", "maintainer");
    let roster = roster(&[("a", true), ("b", true)]);
    let env = github_env(&server.url());
    let gh_sync = || sync(&roster, &env, &[psrt::sync::Service::Github], true, false);

    // Retry-After of 10^12 seconds: clamped, longer than psrt waits: an error at once.
    fake.knobs.inject(
        Fault::new(Method::GET, "/teams/psrt/members", 429)
            .header("retry-after", "1000000000000")
            .times(1),
    );
    let started = std::time::Instant::now();
    let r = gh_sync().await;
    let gh = one(&r, psrt::sync::Service::Github);
    assert!(
        matches!(&gh.outcome, Status::ReadFailed { error } if error.contains("rate limited for 1000000s, longer than psrt waits")),
        "{gh:?}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(fake.knobs.writes().is_empty());

    // x-ratelimit-reset of i64::MIN: a reset in the past, waited out (the
    // second of slack), then the read goes on.
    fake.knobs.clear_faults();
    fake.knobs.inject(
        Fault::new(Method::GET, "/teams/psrt/members", 403)
            .header("x-ratelimit-remaining", "0")
            .header("x-ratelimit-reset", i64::MIN.to_string())
            .times(1),
    );
    let r = gh_sync().await;
    let gh = one(&r, psrt::sync::Service::Github);
    assert!(matches!(gh.outcome, Status::Planned), "{gh:?}");

    // A success that says the budget is spent until the end of time: psrt
    // does not hang at its gate; the next request meets the limit or not.
    fake.knobs.inject(
        Fault::new(Method::GET, "/teams/psrt/members", 200)
            .query("role=maintainer")
            .body("[]")
            .header("x-ratelimit-remaining", "0")
            .header("x-ratelimit-reset", i64::MAX.to_string())
            .times(1),
    );
    let started = std::time::Instant::now();
    let _ = gh_sync().await;
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

// ---- policy numbers ------------------------------------------------------------

proptest! {
    #![proptest_config(cases(256))]
    /// Any policy numbers: `psrt check` either accepts them (then they are
    /// at most 3650) or says which line breaks a rule; and the deadline
    /// arithmetic never panics, whatever the numbers and the dates (even
    /// for a roster `check` refuses: the library must hold on its own).
    #[test]
    fn any_policy_numbers_are_checked_and_never_break_the_calendar(
        deadline in prop_oneof![0u32..4000, any::<u32>()],
        warns in prop::collection::vec(prop_oneof![0u32..4000, any::<u32>()], 0..5),
        grace in prop_oneof![0u32..4000, any::<u32>()],
        open_days in proptest::option::of(any::<u32>()),
        created in any::<i64>(),
        now in 0i64..253_402_300_799,
    ) {
        let warns: Vec<String> = warns.iter().map(u32::to_string).collect();
        let min_open = open_days.map(|d| format!(", min_open_days: {d}")).unwrap_or_default();
        let text = roster_text(
            &[("a", true), ("b", true)],
            &format!(
                "policy:\n  deadline_days: {deadline}\n  warn_days_left: [{}]\n  coordinator_grace_days: {grace}\n  approvals:\n    membership: {{ reviewers: members, required: 1{min_open} }}\n",
                warns.join(", ")
            ),
        );
        let loaded = psrt::roster::parse(text.as_bytes()).unwrap();
        let diags = psrt::roster::validate::validate(&loaded, chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap());
        let p = &loaded.roster.policy;
        let over = [Some(p.deadline_days), Some(p.coordinator_grace_days), open_days]
            .into_iter()
            .flatten()
            .chain(p.warn_days_left.iter().copied())
            .any(|d| d > 3650);
        if over {
            prop_assert!(diags.iter().any(|d| d.is_error() && d.message.contains("more than 3650")), "{diags:?}");
        }
        let created = chrono::DateTime::from_timestamp(created % 8_000_000_000_000, 0)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
        let now = chrono::DateTime::from_timestamp(now, 0).unwrap();
        let a = psrt::github::advisories::Advisory {
            repo: "python/cpython".parse().unwrap(),
            ghsa_id: "GHSA-aaaa-bbbb-cccc".into(),
            html_url: "https://github.com/python/cpython/security/advisories/GHSA-aaaa-bbbb-cccc".into(),
            state: psrt::github::advisories::AdvisoryState::Triage,
            created_at: created,
            updated_at: None,
            closed_at: None,
            published_at: None,
            credits: vec![],
            collaborating_users: vec![],
            collaborating_teams: vec![],
            private_fork: None,
        };
        let ev = psrt::deadlines::evaluate(&a, &loaded.roster, &psrt::ledger::Ledger::default(), now);
        prop_assert!(ev.due.len() <= 3);
        let _ = psrt::notify::report_context(&a, &loaded.roster, now);
        let _ = psrt::inactivity::build(&loaded.roster, &Default::default(), now);
    }
}
