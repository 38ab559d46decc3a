//! `psrt advisories`: the advisory lifecycle against the GitHub fake and the
//! CVE Services fake (and, with `scripts/test`, both through Prism).

use std::path::PathBuf;

use chrono::{DateTime, Duration, TimeZone, Utc};
use psrt::advisories::report::{LineResult, Report};
use psrt::ledger::Ledger;
use psrt::notify::{Mailer, Templates};
use psrt_fakes::Fault;
use psrt_fakes::cve::CveFake;
use psrt_fakes::github::{FakeAdvisory, GitHubFake};
use psrt_fakes::smtp::SmtpSink;

use crate::common::*;

pub fn hygiene_roster() -> String {
    r#"version: 1
github:
  org: python
  team: psrt
  advisory_repos: [python/cpython]
  eligibility_teams: [python-core]
  steering_council_team: steering-council
email:
  from: "PSRT <psrt-bot@example.org>"
steering_council: [sam]
members:
  - name: Alice
    github: alice
    email: alice@example.org
    roles: [admin]
  - name: Bob
    github: bob
    email: bob@example.org
    roles: [admin]
  - name: Carol
    github: carol
    email: carol@example.org
  - name: Erin Outside
    github: erin
  - name: Frank Pending
    github: frank
  - name: Gus
    github: gus
    roles: [release-manager]
  - name: Sam
    github: sam
emeritus:
  - name: Gone
    github: gone
"#
    .to_owned()
}

/// The same, with CVE ids reserved for `python/cpython`.
pub fn cve_roster() -> String {
    hygiene_roster().replace(
        "email:\n",
        "cve:\n  org: PSF\n  repos: [python/cpython]\nemail:\n",
    )
}

const SECRET: &str = "EMBARGO-MARKER-advisories";
pub const CVE_USER: &str = "psrt-bot@example.org";
pub const CVE_KEY: &str = "cve-api-key-do-not-print-4242";

async fn world() -> (GitHubFake, psrt_fakes::Running) {
    let (gh, server) = github().await;
    for l in ["alice", "bob", "carol", "gus", "sam"] {
        gh.add_to_team("psrt", l, "member");
    }
    for l in ["gone", "helper"] {
        gh.org_member(l);
    }
    gh.user("erin");
    gh.invite("psrt", "frank");
    let old = Utc::now() - Duration::days(10);
    let mk = |id: &str, state: &str, created| {
        let mut a = FakeAdvisory::new("python/cpython", id, state, created);
        a.summary = format!("{SECRET} summary");
        a.description = format!("{SECRET} description");
        a
    };
    let mut a = mk("GHSA-aaaa-0000-0001", "triage", old);
    a.collaborating_users = vec!["gone".into(), "helper".into()];
    a.credits = vec![("reporter-x".into(), "finder".into())];
    gh.org_member("reporter-x");
    gh.advisory(a);
    let mut b = mk("GHSA-bbbb-0000-0002", "draft", old).coordinator("alice");
    b.collaborating_teams = vec!["psrt".into()];
    gh.advisory(b);
    let mut c = mk("GHSA-cccc-0000-0003", "closed", old - Duration::days(30));
    c.collaborating_users = vec!["gone".into(), "helper".into()];
    gh.advisory(c);
    let mut d = mk("GHSA-dddd-0000-0004", "published", old);
    d.collaborating_users = vec!["gone".into()];
    gh.advisory(d);
    let mut e = mk("GHSA-eeee-0000-0005", "withdrawn", old);
    e.collaborating_users = vec!["gone".into()];
    gh.advisory(e);
    gh.advisory(mk(
        "GHSA-ffff-0000-0006",
        "triage",
        Utc::now() - Duration::days(1),
    ));
    (gh, server)
}

pub async fn client(url: &str, roster: &psrt::roster::Roster) -> psrt::github::GitHub {
    psrt::github::GitHub::connect(
        github_env(url).github.as_ref().unwrap(),
        psrt::advisories::github_scope(roster, true),
        psrt::github::Tuning::local(),
    )
    .await
    .unwrap()
}

pub fn mailer(port: u16) -> Mailer {
    let env = psrt::config::SmtpEnv {
        url: psrt::secret::Secret::new(format!("smtp://127.0.0.1:{port}?tls=none")),
        ca_file: None,
    };
    Mailer::new(&env, "PSRT <psrt-bot@example.org>").unwrap()
}

/// CVE Services (the fake) for the CNA `PSF`.
pub async fn cve_services() -> (CveFake, psrt_fakes::Running) {
    let fake = CveFake::new("PSF", CVE_USER, CVE_KEY);
    let running = fake.start().await.unwrap();
    (fake, running)
}

pub fn cve_client(url: &str, key: &str) -> psrt::cve::CveServices {
    let env = psrt::config::CveEnv {
        api_url: url.to_owned(),
        user: CVE_USER.to_owned(),
        key: psrt::secret::Secret::new(key),
    };
    psrt::cve::CveServices::new(&env, "PSF", &psrt::net::RetryPolicy::fast()).unwrap()
}

/// What an hourly run needs, kept across runs: the ledger on disk.
pub struct Hourly {
    pub roster: psrt::roster::Roster,
    pub github: psrt::github::GitHub,
    pub cve: Option<psrt::cve::CveServices>,
    pub ledger_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Hourly {
    pub async fn new(roster_text: &str, github_url: &str, cve_url: Option<&str>) -> Self {
        let roster = parse_roster(roster_text);
        let github = client(github_url, &roster).await;
        // An established deployment: the ledger exists (tests of a lost
        // one remove it).
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("ledger.json"),
            r#"{"version":2,"reports":{}}"#,
        )
        .unwrap();
        Self {
            ledger_path: dir.path().join("ledger.json"),
            roster,
            github,
            cve: cve_url.map(|u| cve_client(u, CVE_KEY)),
            _dir: dir,
        }
    }

    pub async fn run(&self, now: DateTime<Utc>, apply: bool, mailer: Option<&Mailer>) -> Report {
        let mut ledger = Ledger::load(&self.ledger_path).unwrap();
        let templates = Templates::built_in();
        psrt::advisories::run(
            &self.github,
            &self.roster,
            psrt::advisories::Options {
                apply,
                now,
                mailer,
                templates: &templates,
                cve: self.cve.as_ref().ok_or_else(|| "not configured".to_owned()),
                ledger: &mut ledger,
                public: false,
                run_url: None,
            },
        )
        .await
    }

    pub fn ledger(&self) -> Ledger {
        Ledger::load(&self.ledger_path).unwrap()
    }
}

fn lines(r: &Report) -> Vec<String> {
    r.reports
        .iter()
        .map(|l| {
            let d: Vec<String> = l.decisions.iter().map(ToString::to_string).collect();
            format!("{} {}: {}", l.ghsa_id, l.state, d.join("; "))
        })
        .collect()
}

#[tokio::test]
async fn each_rule_in_one_write_per_advisory_and_nothing_twice() {
    let (gh, server) = world().await;
    let sink = SmtpSink::default();
    let sink_server = sink.start().await.unwrap();
    let m = mailer(sink_server.port);
    let h = Hourly::new(&with_ids(&gh, &hygiene_roster()), &server.url(), None).await;

    let plan = h.run(Utc::now(), false, None).await;
    assert_eq!(
        lines(&plan),
        [
            "GHSA-aaaa-0000-0001 triage: add team psrt; assign a coordinator",
            "GHSA-bbbb-0000-0002 draft: create the private fork",
            "GHSA-ffff-0000-0006 triage: add team psrt",
        ]
    );
    // Members outside the team, added as collaborating users: a total
    // (issue 21: a report's line must not change when one person joins).
    assert_eq!(plan.members_added.reports, 3);
    // Former members' removals are a total, never on a report's line; the
    // closed report whose only change is a removal has no line at all.
    assert_eq!(plan.former_members.reports, 2);
    assert_eq!(plan.former_members.removals, 2);
    assert_eq!(plan.updates, 4);
    // `helper` (added by a coordinator) is on two unpublished reports:
    // counted once, never named.
    assert_eq!(plan.unaccounted_collaborators, 1);

    gh.knobs.clear_log();
    let applied = h.run(Utc::now(), true, Some(&m)).await;
    assert!(!applied.failed(), "{}", applied.text());
    let writes: Vec<String> = gh
        .knobs
        .writes()
        .iter()
        .map(|w| format!("{} {}", w.method, w.path))
        .collect();
    assert_eq!(
        writes,
        [
            "PATCH /repos/python/cpython/security-advisories/GHSA-aaaa-0000-0001",
            "PATCH /repos/python/cpython/security-advisories/GHSA-bbbb-0000-0002",
            "POST /repos/python/cpython/security-advisories/GHSA-bbbb-0000-0002/forks",
            "PATCH /repos/python/cpython/security-advisories/GHSA-cccc-0000-0003",
            "PATCH /repos/python/cpython/security-advisories/GHSA-ffff-0000-0006",
        ],
        "one PATCH per advisory, and the fork"
    );

    let a = gh.get_advisory("GHSA-aaaa-0000-0001").unwrap();
    assert_eq!(a.collaborating_teams, ["psrt"]);
    assert_eq!(
        a.collaborating_users,
        ["helper", "erin", "frank"],
        "helpers stay, former members go, outsiders come"
    );
    assert_eq!(
        a.credits[0],
        ("reporter-x".into(), "finder".into()),
        "existing credits are kept"
    );
    assert_eq!(a.credits[1].1, "coordinator");
    let assignee = a.credits[1].0.clone();
    assert!(
        !["gus", "sam", "alice"].contains(&assignee.as_str()),
        "not RM, not SC, not the busiest: {assignee}"
    );
    assert_eq!(
        gh.get_advisory("GHSA-bbbb-0000-0002")
            .unwrap()
            .private_fork
            .as_deref(),
        Some("python/cpython-ghsa-bbbb-0000-0002")
    );
    assert_eq!(
        gh.get_advisory("GHSA-cccc-0000-0003")
            .unwrap()
            .collaborating_users,
        ["helper"]
    );
    for (id, what) in [
        ("GHSA-dddd-0000-0004", "published"),
        ("GHSA-eeee-0000-0005", "withdrawn"),
    ] {
        assert_eq!(
            gh.get_advisory(id).unwrap().collaborating_users,
            ["gone"],
            "{what}: untouched"
        );
    }
    assert!(
        gh.get_advisory("GHSA-ffff-0000-0006")
            .unwrap()
            .credits
            .is_empty(),
        "inside the grace period"
    );

    // The assignee is emailed, with the id and link only.
    let mails = sink.messages();
    assert_eq!(mails.len(), 1);
    assert_eq!(
        mails[0].header("Subject").unwrap(),
        "[PSRT] GHSA-aaaa-0000-0001 (python/cpython): you are the coordinator"
    );
    assert_eq!(mails[0].to, [format!("{assignee}@example.org")]);
    assert!(!mails[0].data.contains(SECRET));
    let first = applied
        .reports
        .iter()
        .find(|c| c.ghsa_id == "GHSA-aaaa-0000-0001")
        .unwrap();
    assert_eq!(
        first.result,
        Some(LineResult::Applied {
            notes: vec!["the coordinator was emailed".into()]
        })
    );

    gh.knobs.clear_log();
    let again = h.run(Utc::now(), true, Some(&m)).await;
    assert!(again.reports.is_empty(), "{}", again.text());
    assert_eq!(again.updates, 0);
    assert!(gh.knobs.writes().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn output_names_reports_and_counts_never_people() {
    let (_gh, server) = world().await;
    let (_cve, cve_server) = cve_services().await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", cve_roster());
    let mut outputs = Vec::new();
    for args in [
        &["-vv", "advisories"][..],
        &["advisories", "--json"],
        &["-vv", "advisories", "--apply"],
        &["advisories", "--apply", "--json"],
    ] {
        let mut cmd = psrt();
        cmd.current_dir(dir.path())
            .args(args)
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_API_URL", server.url())
            .env("PSRT_CVE_API_URL", cve_server.url())
            .env("PSRT_CVE_API_USER", CVE_USER)
            .env("PSRT_CVE_API_KEY", CVE_KEY)
            .env("PSRT_GITHUB_WRITE_PAUSE_MS", "0")
            .env("PSRT_LOG", "trace");
        let applying = args.contains(&"--apply");
        let r = tokio::task::spawn_blocking(move || run(&mut cmd))
            .await
            .unwrap();
        // Issue 22: an applying run without SMTP (the roster has `email`)
        // does its work, says what it did not do, and fails.
        assert_eq!(r.code, i32::from(applying), "{}", r.all());
        outputs.push(r.all());
    }
    assert!(outputs[0].contains("GHSA-aaaa-0000-0001"), "{}", outputs[0]);
    assert!(
        outputs[2].contains("error: new coordinators are NOT emailed: PSRT_SMTP_URL is not set"),
        "{}",
        outputs[2]
    );
    assert!(
        outputs[2].contains("CVE id reserved"),
        "the draft got its id: {}",
        outputs[2]
    );
    let ledger = std::fs::read_to_string(dir.path().join(".psrt/ledger.json")).unwrap_or_default();
    for out in outputs.iter().chain([&ledger]) {
        for person in [
            "erin",
            "frank",
            "gone",
            "helper",
            "carol",
            "reporter-x",
            SECRET,
            CVE_KEY,
            TOKEN,
            "CVE-20",
        ] {
            assert!(!out.contains(person), "`{person}` in public output:\n{out}");
        }
    }
}

/// The embargo rule for numbers: whoever is added to or removed from the
/// roster or a report, no number printed on a line that names a report
/// changes (counts are totals across reports).
#[tokio::test]
async fn no_number_about_a_report_changes_with_one_persons_removal() {
    let (gh, server) = world().await;
    let numbers_by_report = |r: &Report| -> Vec<(String, Vec<String>)> {
        let text = r.text();
        let json = r.json();
        let mut out = Vec::new();
        for id in [
            "GHSA-aaaa-0000-0001",
            "GHSA-bbbb-0000-0002",
            "GHSA-cccc-0000-0003",
            "GHSA-ffff-0000-0006",
        ] {
            let mut nums: Vec<String> = text
                .lines()
                .filter(|l| l.contains(id))
                .flat_map(|l| {
                    l.replace(id, "")
                        .split(|c: char| !c.is_ascii_digit())
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
                .collect();
            let v: serde_json::Value = serde_json::from_str(&json).unwrap();
            for line in v["reports"].as_array().unwrap() {
                if line["ghsa_id"] == id {
                    let s = line.to_string().replace(id, "");
                    nums.extend(
                        s.split(|c: char| !c.is_ascii_digit())
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned),
                    );
                }
            }
            out.push((id.to_owned(), nums));
        }
        out
    };
    let base = Hourly::new(&hygiene_roster(), &server.url(), None).await;
    let before = numbers_by_report(&base.run(Utc::now(), false, None).await);
    // Each person, removed in turn: from the roster (to emeritus), or from a report.
    let variants = [
        hygiene_roster().replace("  - name: Erin Outside\n    github: erin\n", "")
            + "  - name: Erin Outside\n    github: erin\n",
        hygiene_roster().replace(
            "  - name: Carol\n    github: carol\n    email: carol@example.org\n",
            "",
        ) + "  - name: Carol\n    github: carol\n",
        hygiene_roster().replace("emeritus:\n  - name: Gone\n    github: gone\n", ""),
    ];
    for text in &variants {
        let h = Hourly::new(text, &server.url(), None).await;
        let after = numbers_by_report(&h.run(Utc::now(), false, None).await);
        assert_eq!(before, after, "a number about a report changed:\n{text}");
    }
    gh.update_advisory("GHSA-aaaa-0000-0001", |a| {
        a.collaborating_users.retain(|u| u != "helper")
    });
    let after = numbers_by_report(&base.run(Utc::now(), false, None).await);
    assert_eq!(before, after);
}

#[tokio::test]
async fn assignment_is_fair_over_a_sequence_of_new_reports() {
    let (gh, server) = github().await;
    for l in ["alice", "bob", "carol", "gus", "sam"] {
        gh.add_to_team("psrt", l, "member");
    }
    let text = hygiene_roster().replace(
        "  - name: Erin Outside\n    github: erin\n  - name: Frank Pending\n    github: frank\n",
        "",
    );
    let h = Hourly::new(&text, &server.url(), None).await;
    let mut assignees = Vec::new();
    // Nine reports arrive, one a day, and each night's run assigns.
    for day in 0..9 {
        let created = Utc::now() - Duration::days(30) + Duration::days(day);
        let mut a = FakeAdvisory::new(
            "python/cpython",
            &format!("GHSA-seq{day}-0000-0000"),
            "triage",
            created,
        );
        a.collaborating_teams = vec!["psrt".into()];
        gh.advisory(a);
        let r = h.run(created + Duration::days(4), true, None).await;
        assert!(!r.failed(), "{}", r.text());
        let a = gh
            .get_advisory(&format!("GHSA-seq{day}-0000-0000"))
            .unwrap();
        assignees.push(a.credits[0].0.clone());
    }
    assert_eq!(
        assignees,
        [
            "alice", "bob", "carol", "alice", "bob", "carol", "alice", "bob", "carol"
        ]
    );
}

fn log_of(gh: &GitHubFake) -> String {
    // Reads run concurrently (any order); writes one after another.
    let all = gh.knobs.log();
    let mut reads: Vec<String> = all
        .iter()
        .filter(|l| !l.is_write())
        .map(ToString::to_string)
        .collect();
    reads.sort();
    reads
        .into_iter()
        .chain(all.iter().filter(|l| l.is_write()).map(ToString::to_string))
        .map(|l| l + "\n")
        .collect()
}

/// The request log of a run that fixes five advisories, and of the second run.
#[tokio::test]
async fn request_log_of_fixing_five_advisories() {
    let (gh, server) = github().await;
    for l in ["alice", "bob", "carol", "gus", "sam"] {
        gh.add_to_team("psrt", l, "member");
    }
    gh.org_member("gone");
    for i in 1..=5 {
        let mut a = FakeAdvisory::new(
            "python/cpython",
            &format!("GHSA-fix{i}-0000-0000"),
            if i % 2 == 0 { "draft" } else { "triage" },
            Utc::now() - Duration::days(i),
        );
        a.collaborating_users = vec!["gone".into()];
        if i % 2 == 0 {
            a = a.coordinator("alice");
        }
        gh.advisory(a);
    }
    let text = hygiene_roster().replace(
        "  - name: Erin Outside\n    github: erin\n  - name: Frank Pending\n    github: frank\n",
        "",
    );
    let h = Hourly::new(&text, &server.url(), None).await;
    let mut log = String::new();
    for round in ["first run", "second run"] {
        gh.knobs.clear_log();
        let r = h.run(Utc::now(), true, None).await;
        assert!(!r.failed(), "{}", r.text());
        log.push_str(&format!("# {round}: {} update(s)\n", r.updates));
        log.push_str(&log_of(&gh));
    }
    insta::assert_snapshot!("advisories_request_log", log);
    assert_eq!(log.matches("PATCH ").count(), 5);
    // One extra read per changed advisory: the re-read before its write.
    assert_eq!(
        log.matches("GET /repos/python/cpython/security-advisories/GHSA-")
            .count(),
        5
    );
}

fn at(day: i64, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, hour, 0, 0).unwrap() + Duration::days(day)
}

/// A report's life, driven by title tags across hourly runs: triage →
/// `[ACCEPT]` → draft with its fork and CVE id → a fix in the fork → credits
/// → `[COMPLETED]` → closed. Each run's output is snapshotted.
#[tokio::test]
async fn a_reports_life_across_hourly_runs() {
    let (gh, server) = github().await;
    for l in ["alice", "bob", "carol", "gus", "sam"] {
        gh.add_to_team("psrt", l, "member");
    }
    gh.user("erin");
    gh.invite("psrt", "frank");
    gh.user("rita"); // the reporter
    let (cve, cve_server) = cve_services().await;
    const ID: &str = "GHSA-life-0000-0001";
    let mut a = FakeAdvisory::new("python/cpython", ID, "triage", at(0, 0));
    a.summary = format!("{SECRET}: heap overflow");
    a.author = Some("rita".into());
    a.credits = vec![
        ("rita".into(), "reporter".into()),
        ("alice".into(), "coordinator".into()),
    ];
    gh.advisory(a);
    let h = Hourly::new(
        &with_ids(&gh, &cve_roster()),
        &server.url(),
        Some(&cve_server.url()),
    )
    .await;
    let mut life = String::new();
    let hour = |life: &mut String, title: &str, r: &Report| {
        life.push_str(&format!("━━ {title}\n{}\n", r.text().trim_end()));
        assert!(!r.failed(), "{}", r.text());
        assert!(!r.text().contains(SECRET));
    };

    let r = h.run(at(1, 9), true, None).await;
    hour(&mut life, "hour 1: a new report in triage", &r);

    gh.update_advisory(ID, |a| {
        a.summary = format!("[ACCEPT] {SECRET}: heap overflow")
    });
    let r = h.run(at(1, 10), true, None).await;
    hour(&mut life, "hour 2: the coordinator tags it [ACCEPT]", &r);
    let a = gh.get_advisory(ID).unwrap();
    assert_eq!(a.state, "draft");
    assert_eq!(
        a.private_fork.as_deref(),
        Some("python/cpython-ghsa-life-0000-0001")
    );
    assert_eq!(a.cve_id, cve.reserved().first().cloned());
    assert!(
        h.ledger().cve().reserved(ID).is_none(),
        "cleared once carried"
    );

    let r = h.run(at(1, 11), true, None).await;
    hour(&mut life, "hour 3: nothing to do", &r);

    // The fix: Carol's pull request, approved by Bob; the reporter's own
    // pull request (her credit stays hers); a bot's.
    let fork = "python/cpython-ghsa-life-0000-0001";
    gh.pull_with_reviews(
        fork,
        "carol",
        &[
            ("bob", "CHANGES_REQUESTED"),
            ("bob", "APPROVED"),
            ("alice", "COMMENTED"),
        ],
    );
    gh.pull_with_reviews(fork, "rita", &[("carol", "APPROVED")]);
    let r = h.run(at(2, 9), true, None).await;
    hour(&mut life, "hour 4: a fix in the private fork", &r);
    let credits = gh.get_advisory(ID).unwrap().credits;
    assert_eq!(
        credits,
        [
            ("rita".to_owned(), "reporter".to_owned()),
            ("alice".to_owned(), "coordinator".to_owned()),
            ("carol".to_owned(), "remediation_developer".to_owned()),
            ("bob".to_owned(), "remediation_reviewer".to_owned()),
        ],
        "the reporter keeps hers; one credit per user; comments are not approvals"
    );

    gh.update_advisory(ID, |a| {
        a.summary = format!("[COMPLETED] {SECRET}: heap overflow")
    });
    let r = h.run(at(3, 9), true, None).await;
    hour(&mut life, "hour 5: the coordinator tags it [COMPLETED]", &r);
    assert_eq!(gh.get_advisory(ID).unwrap().state, "closed");

    let r = h.run(at(3, 10), true, None).await;
    hour(&mut life, "hour 6: closed; nothing more", &r);

    insta::assert_snapshot!("advisories_life_of_a_report", life);
    assert_eq!(cve.reserved().len(), 1, "exactly one CVE id for the report");
    assert!(h.ledger().cve().is_empty(), "no CVE id left in the ledger");
}

/// The bot lost an id when its PATCH failed. psrt records the id in the
/// ledger first and reuses it: one id per report in CVE Services.
#[tokio::test]
async fn a_failed_update_after_the_reservation_reuses_the_id_next_run() {
    let (gh, server) = github().await;
    for l in ["alice", "bob", "carol", "gus", "sam", "erin", "frank"] {
        gh.add_to_team("psrt", l, "member");
    }
    let (cve, cve_server) = cve_services().await;
    const ID: &str = "GHSA-fail-0000-0001";
    let mut a = FakeAdvisory::new(
        "python/cpython",
        ID,
        "draft",
        Utc::now() - Duration::days(2),
    )
    .coordinator("alice");
    a.collaborating_teams = vec!["psrt".into()];
    a.private_fork = Some("python/cpython-ghsa-fail-0000-0001".into());
    gh.repo("python/cpython-ghsa-fail-0000-0001");
    gh.advisory(a);
    let h = Hourly::new(
        &with_ids(&gh, &cve_roster()),
        &server.url(),
        Some(&cve_server.url()),
    )
    .await;

    gh.knobs.inject(Fault::new(
        http::Method::PATCH,
        "/security-advisories/",
        500,
    ));
    let first = h.run(Utc::now(), true, None).await;
    assert!(first.failed());
    let text = first.text();
    assert!(
        text.contains("CVE id reserved") && text.contains("update failed: 500"),
        "{text}"
    );
    assert!(
        text.contains("stays in the ledger for the next run"),
        "{text}"
    );
    assert_eq!(cve.reserved().len(), 1);
    let kept = h.ledger().cve().reserved(ID).map(str::to_owned);
    assert_eq!(kept, cve.reserved().first().cloned());

    // Again, still failing: no second id.
    let again = h.run(Utc::now(), true, None).await;
    assert!(again.failed());
    assert!(
        again.text().contains("set the CVE id reserved earlier"),
        "{}",
        again.text()
    );
    assert_eq!(cve.reserved().len(), 1);

    gh.knobs.clear_faults();
    let next = h.run(Utc::now(), true, None).await;
    assert!(!next.failed(), "{}", next.text());
    assert_eq!(gh.get_advisory(ID).unwrap().cve_id, kept);
    assert_eq!(cve.reserved().len(), 1, "exactly one id reserved in all");
    assert!(h.ledger().cve().is_empty(), "forgotten once carried");
    let quiet = h.run(Utc::now(), true, None).await;
    assert_eq!(quiet.updates, 0, "{}", quiet.text());
    assert_eq!(cve.reserved().len(), 1);
}

/// Found by the soak: an answer lost after CVE Services reserved (the
/// request stalled past the client's deadline, or its body was cut short)
/// left an id reserved that psrt never recorded, and the next run reserved a
/// second one for the same report. Now the reservation is marked pending in
/// the ledger before it is asked for, and the next run finds the id in CVE
/// Services (`GET /cve-id`) instead: one id per report. A request that was
/// never applied (a reset) leaves nothing to find: the next run reserves.
#[tokio::test]
async fn a_reservation_whose_answer_was_lost_is_found_again_never_reserved_twice() {
    use psrt_fakes::chaos::{Chaos, FaultKind};
    for kind in [FaultKind::Stall, FaultKind::Truncated, FaultKind::Reset] {
        let (gh, server) = github().await;
        for l in ["alice", "bob", "carol", "gus", "sam", "erin", "frank"] {
            gh.add_to_team("psrt", l, "member");
        }
        let (cve, cve_server) = cve_services().await;
        const ID: &str = "GHSA-lost-0000-0001";
        let mut a = FakeAdvisory::new(
            "python/cpython",
            ID,
            "draft",
            Utc::now() - Duration::days(2),
        )
        .coordinator("alice");
        a.collaborating_teams = vec!["psrt".into()];
        a.private_fork = Some("python/cpython-ghsa-lost-0000-0001".into());
        gh.repo("python/cpython-ghsa-lost-0000-0001");
        gh.advisory(a);
        // Someone else at the CNA reserves too: never taken for psrt's.
        cve.with(|s| s.user = "someone-else".into());
        let other = cve_client_as(&cve_server.url(), "someone-else");
        other.reserve(2026).await.unwrap();
        cve.with(|s| s.user = CVE_USER.into());

        let mut h = Hourly::new(&with_ids(&gh, &cve_roster()), &server.url(), None).await;
        let env = psrt::config::CveEnv {
            api_url: cve_server.url(),
            user: CVE_USER.to_owned(),
            key: psrt::secret::Secret::new(CVE_KEY),
        };
        let quick = psrt::net::RetryPolicy {
            timeout: std::time::Duration::from_millis(300),
            ..psrt::net::RetryPolicy::fast()
        };
        h.cve = Some(psrt::cve::CveServices::new(&env, "PSF", &quick).unwrap());
        let mut weather = Chaos::new(1, 1.0);
        weather.kinds = vec![kind];
        weather.stall = std::time::Duration::from_millis(600);
        cve.knobs.set_chaos(Some(weather));

        let first = h.run(Utc::now(), true, None).await;
        cve.knobs.settle(std::time::Duration::from_secs(5)).await;
        assert!(first.failed(), "{kind:?}");
        assert!(
            first.text().contains("the reservation got no answer"),
            "{kind:?}: {}",
            first.text()
        );
        let ours = |c: &CveFake| {
            c.with(|s| {
                s.ids
                    .iter()
                    .filter(|i| i.user == CVE_USER)
                    .map(|i| i.cve_id.clone())
                    .collect::<Vec<_>>()
            })
        };
        // A cut body: CVE Services reserved, the answer was lost. A reset:
        // nothing reserved. A stall: either, as the server goes on or not.
        match kind {
            FaultKind::Truncated => assert_eq!(ours(&cve).len(), 1),
            FaultKind::Reset => assert_eq!(ours(&cve).len(), 0),
            _ => assert!(ours(&cve).len() <= 1),
        }
        let ledger = h.ledger();
        assert!(
            ledger.cve().pending(ID).is_some(),
            "{kind:?}: marked pending"
        );
        assert_eq!(ledger.cve().reserved(ID), None);
        assert_eq!(gh.get_advisory(ID).unwrap().cve_id, None);

        cve.knobs.set_chaos(None);
        let next = h.run(Utc::now(), true, None).await;
        assert!(!next.failed(), "{kind:?}: {}", next.text());
        assert!(
            next.text().contains(
                "look up the CVE id reserved earlier (its answer or the ledger was lost)"
            ),
            "{kind:?}: {}",
            next.text()
        );
        let mine = ours(&cve);
        assert_eq!(mine.len(), 1, "{kind:?}: exactly one id for the report");
        assert_eq!(gh.get_advisory(ID).unwrap().cve_id.as_ref(), mine.first());
        assert!(h.ledger().cve().is_empty(), "{kind:?}");
        let quiet = h.run(Utc::now(), true, None).await;
        assert_eq!(quiet.updates, 0, "{kind:?}: {}", quiet.text());
        assert_eq!(
            cve.reserved().len(),
            2,
            "{kind:?}: the other user's and psrt's"
        );
    }
}

/// Two lost answers would be told apart by time alone: after one, psrt
/// reserves nothing more that run.
#[tokio::test]
async fn after_a_lost_answer_no_other_reservation_that_run() {
    use psrt_fakes::chaos::{Chaos, FaultKind};
    let (gh, server) = github().await;
    for l in ["alice", "bob", "carol", "gus", "sam", "erin", "frank"] {
        gh.add_to_team("psrt", l, "member");
    }
    let (cve, cve_server) = cve_services().await;
    for id in ["GHSA-twoa-0000-0001", "GHSA-twob-0000-0002"] {
        let mut a =
            FakeAdvisory::new("python/cpython", id, "draft", Utc::now()).coordinator("alice");
        a.collaborating_teams = vec!["psrt".into()];
        a.private_fork = Some(format!("python/cpython-{}", id.to_ascii_lowercase()));
        gh.advisory(a);
    }
    let mut h = Hourly::new(&with_ids(&gh, &cve_roster()), &server.url(), None).await;
    let env = psrt::config::CveEnv {
        api_url: cve_server.url(),
        user: CVE_USER.to_owned(),
        key: psrt::secret::Secret::new(CVE_KEY),
    };
    h.cve =
        Some(psrt::cve::CveServices::new(&env, "PSF", &psrt::net::RetryPolicy::fast()).unwrap());
    let mut weather = Chaos::new(1, 1.0);
    weather.kinds = vec![FaultKind::Truncated];
    cve.knobs.set_chaos(Some(weather));
    let first = h.run(Utc::now(), true, None).await;
    assert!(
        first
            .text()
            .contains("psrt reserves no other until it is found"),
        "{}",
        first.text()
    );
    assert_eq!(cve.knobs.requests(), 1, "one reservation asked for");
    cve.knobs.set_chaos(None);
    h.run(Utc::now(), true, None).await;
    let ids: Vec<Option<String>> = ["GHSA-twoa-0000-0001", "GHSA-twob-0000-0002"]
        .iter()
        .map(|g| gh.get_advisory(g).unwrap().cve_id)
        .collect();
    assert!(ids.iter().all(Option::is_some), "{ids:?}");
    assert_ne!(ids[0], ids[1]);
    assert_eq!(cve.reserved().len(), 2, "one each, none lost");
}

pub fn cve_client_as(url: &str, user: &str) -> psrt::cve::CveServices {
    let env = psrt::config::CveEnv {
        api_url: url.to_owned(),
        user: user.to_owned(),
        key: psrt::secret::Secret::new(CVE_KEY),
    };
    psrt::cve::CveServices::new(&env, "PSF", &psrt::net::RetryPolicy::fast()).unwrap()
}

#[tokio::test]
async fn cve_services_down_or_refusing_leaves_the_other_changes_applied() {
    for (case, key, fault) in [("down", CVE_KEY, Some(503)), ("401", "a wrong key", None)] {
        let (gh, server) = github().await;
        for l in ["alice", "bob", "carol", "gus", "sam", "erin", "frank"] {
            gh.add_to_team("psrt", l, "member");
        }
        let (cve, cve_server) = cve_services().await;
        if let Some(status) = fault {
            cve.knobs
                .inject(Fault::new(http::Method::POST, "/cve-id", status));
        }
        gh.advisory(
            FakeAdvisory::new("python/cpython", "GHSA-cvef-0000-0001", "draft", Utc::now())
                .coordinator("alice"),
        );
        let mut h = Hourly::new(&with_ids(&gh, &cve_roster()), &server.url(), None).await;
        h.cve = Some(cve_client(&cve_server.url(), key));
        let r = h.run(Utc::now(), true, None).await;
        let text = r.text();
        assert!(r.failed(), "{case}: {text}");
        let want = match case {
            "down" => "no CVE id reserved: CVE Services answered 503",
            _ => "no CVE id reserved: CVE Services refused the credentials (401",
        };
        assert!(text.contains(want), "{case}: {text}");
        assert!(
            !text.contains(CVE_KEY) && !text.contains("a wrong key"),
            "{text}"
        );
        let a = gh.get_advisory("GHSA-cvef-0000-0001").unwrap();
        assert_eq!(
            a.collaborating_teams,
            ["psrt"],
            "{case}: the team was still added"
        );
        assert!(
            a.private_fork.is_some(),
            "{case}: the fork was still created"
        );
        assert_eq!(a.cve_id, None);
        assert!(cve.reserved().is_empty());
        assert!(h.ledger().cve().is_empty());
        // Exactly one attempt: a reservation is never retried within a run.
        assert_eq!(cve.knobs.requests(), 1, "{case}");
    }
}

#[tokio::test]
async fn a_refused_fork_is_reported_and_the_update_still_applied() {
    let (gh, server) = github().await;
    for l in ["alice", "bob", "carol", "gus", "sam", "erin", "frank"] {
        gh.add_to_team("psrt", l, "member");
    }
    let (cve, cve_server) = cve_services().await;
    gh.advisory(FakeAdvisory::new(
        "python/cpython",
        "GHSA-fork-0000-0001",
        "draft",
        Utc::now(),
    ));
    gh.knobs
        .inject(Fault::new(http::Method::POST, "/forks", 422).times(1));
    let h = Hourly::new(
        &with_ids(&gh, &cve_roster()),
        &server.url(),
        Some(&cve_server.url()),
    )
    .await;
    let r = h.run(Utc::now(), true, None).await;
    assert!(r.failed());
    let text = r.text();
    assert!(text.contains("private fork not created: 422"), "{text}");
    let a = gh.get_advisory("GHSA-fork-0000-0001").unwrap();
    assert!(a.private_fork.is_none());
    assert_eq!(
        a.cve_id,
        cve.reserved().first().cloned(),
        "the CVE id is on it"
    );
    assert_eq!(a.collaborating_teams, ["psrt"]);
    // The next run creates it, and changes nothing else.
    gh.knobs.clear_log();
    let next = h.run(Utc::now(), true, None).await;
    assert!(!next.failed(), "{}", next.text());
    assert_eq!(
        gh.knobs
            .writes()
            .iter()
            .map(|w| format!("{} {}", w.method, w.path))
            .collect::<Vec<_>>(),
        ["POST /repos/python/cpython/security-advisories/GHSA-fork-0000-0001/forks"]
    );
    assert_eq!(cve.reserved().len(), 1);
}

/// Revocation used to follow logins only: a former member who renamed kept
/// access. Emeritus entries with a `github_id` match by id.
#[tokio::test]
async fn a_renamed_former_member_loses_access() {
    let (gh, server) = github().await;
    for l in ["alice", "bob", "carol", "gus", "sam", "erin", "frank"] {
        gh.add_to_team("psrt", l, "member");
    }
    let id = gh.org_member("gone");
    gh.rename("gone", "gone-renamed");
    let mut a = FakeAdvisory::new(
        "python/cpython",
        "GHSA-renm-0000-0001",
        "closed",
        Utc::now(),
    );
    a.collaborating_users = vec!["gone-renamed".into()];
    gh.advisory(a);
    // Without the id, the renamed account is not recognised (but counted).
    let without = Hourly::new(&hygiene_roster(), &server.url(), None).await;
    let r = without.run(Utc::now(), false, None).await;
    assert_eq!(r.former_members.removals, 0);
    assert_eq!(r.unaccounted_collaborators, 1);
    let with = hygiene_roster().replace(
        "  - name: Gone\n    github: gone\n",
        &format!("  - name: Gone\n    github: gone\n    github_id: {id}\n"),
    );
    let h = Hourly::new(&with, &server.url(), None).await;
    let r = h.run(Utc::now(), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(r.former_members.removals, 1);
    assert!(
        gh.get_advisory("GHSA-renm-0000-0001")
            .unwrap()
            .collaborating_users
            .is_empty()
    );
    assert!(!r.text().contains("gone"), "{}", r.text());
}

/// Access follows the account, not the name (issue 21): Erin, outside the
/// team, renamed to erin-new and a stranger took "erin". Psrt used to add
/// "erin" (the stranger) to every open report; now it adds erin-new, and a
/// member without `github_id` is added nowhere (counted, never named).
#[tokio::test]
async fn a_renamed_members_old_login_held_by_a_stranger_gets_nothing() {
    let (gh, server) = github().await;
    for l in ["alice", "bob", "carol", "gus", "sam"] {
        gh.add_to_team("psrt", l, "member");
    }
    gh.user("erin");
    gh.invite("psrt", "frank");
    let text = with_ids(&gh, &hygiene_roster());
    gh.rename("erin", "erin-new");
    let stranger = gh.user("erin");
    let mut text = text;
    // Frank's id was never recorded: he gets nothing by login.
    let frank_id = gh.with(|s| s.user_by_login("frank").unwrap().id);
    text = text.replace(&format!("    github_id: {frank_id}\n"), "");
    let a = FakeAdvisory::new(
        "python/cpython",
        "GHSA-renm-0000-0002",
        "triage",
        Utc::now(),
    )
    .coordinator("alice");
    gh.advisory(a);
    let h = Hourly::new(&text, &server.url(), None).await;
    let r = h.run(Utc::now(), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let a = gh.get_advisory("GHSA-renm-0000-0002").unwrap();
    assert_eq!(
        a.collaborating_users,
        ["erin-new"],
        "never the stranger {stranger}"
    );
    assert_eq!(a.collaborating_teams, ["psrt"]);
    let text = r.text();
    assert!(
        text.contains("1 without `github_id`") && !text.contains("frank"),
        "{text}"
    );
}

/// pip is `pypa/pip`, outside `python` (issue 22): a team of python cannot
/// collaborate there, and GitHub refuses the whole update (so the report
/// used to get nobody). The members collaborate as users, by account; or
/// the team of pypa the roster names.
#[tokio::test]
async fn pips_reports_get_the_members_or_pypas_team() {
    let (gh, server) = github().await;
    for l in ["alice", "bob", "carol", "gus", "sam"] {
        gh.add_to_team("psrt", l, "member");
    }
    gh.user("erin");
    gh.invite("psrt", "frank");
    let pip_roster = hygiene_roster().replace(
        "advisory_repos: [python/cpython]",
        "advisory_repos: [pypa/pip]",
    );
    let text = with_ids(&gh, &pip_roster);
    let mk =
        |id: &str| FakeAdvisory::new("pypa/pip", id, "triage", Utc::now()).coordinator("alice");
    gh.advisory(mk("GHSA-pip0-0000-0001"));
    // What psrt used to send: GitHub (and the stand-in) refuse it whole.
    gh.advisory(mk("GHSA-pip0-0000-0002"));
    let refused = h_patch_team(&server.url(), "pypa/pip", "GHSA-pip0-0000-0002").await;
    assert_eq!(refused, 422);

    let h = Hourly::new(&text, &server.url(), None).await;
    let plan = h.run(Utc::now(), false, None).await;
    let shown = plan.text();
    assert!(
        shown.contains("advisories pypa/pip: 2 unpublished report(s) read")
            && shown.contains("  access: every member as a collaborating user (a team of python cannot collaborate outside python;")
            && shown.contains("members outside the team: added as collaborating users on 2 report(s)"),
        "{shown}"
    );
    assert_eq!(plan.updates, 2, "{shown}");
    let done = h.run(Utc::now(), true, None).await;
    assert!(!done.failed(), "{}", done.text());
    let a = gh.get_advisory("GHSA-pip0-0000-0001").unwrap();
    assert!(a.collaborating_teams.is_empty());
    assert_eq!(
        a.collaborating_users,
        ["alice", "bob", "carol", "erin", "frank", "gus", "sam"]
    );
    // The next hour: nothing to do.
    assert!(h.run(Utc::now(), true, None).await.reports.is_empty());

    // A team of pypa named in the roster: that team collaborates instead.
    gh.team_of_org("pypa", "pip-security");
    gh.advisory(mk("GHSA-pip0-0000-0003"));
    let with_team = text.replace(
        "  advisory_repos: [pypa/pip]\n",
        "  advisory_repos: [pypa/pip]\n  advisory_teams: {pypa: pip-security}\n",
    );
    let h = Hourly::new(&with_team, &server.url(), None).await;
    let r = h.run(Utc::now(), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert!(
        r.text().contains("  access: team pypa/pip-security"),
        "{}",
        r.text()
    );
    let a = gh.get_advisory("GHSA-pip0-0000-0003").unwrap();
    assert_eq!(a.collaborating_teams, ["pip-security"]);
    assert!(a.collaborating_users.is_empty());
}

/// A PATCH adding team `psrt` to a report of `repo`: its status.
async fn h_patch_team(url: &str, repo: &str, ghsa: &str) -> u16 {
    reqwest::Client::new()
        .patch(format!("{url}/repos/{repo}/security-advisories/{ghsa}"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({ "collaborating_teams": ["psrt"] }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// A coordinator's edit between psrt's read and its write is not lost:
/// the re-read (one GET per changed advisory) sees it and nothing is written.
#[tokio::test]
async fn a_concurrent_edit_between_read_and_write_is_not_overwritten() {
    let (gh, server) = world().await;
    let h = Hourly::new(&with_ids(&gh, &hygiene_roster()), &server.url(), None).await;
    let state = psrt::advisories::read(&h.github, &h.roster).await.unwrap();
    let plan = psrt::advisories::plan(&h.roster, &state, &Ledger::default(), Utc::now());
    // Meanwhile, a coordinator adds a helper to the first report.
    gh.user("helper2");
    gh.update_advisory("GHSA-aaaa-0000-0001", |a| {
        a.collaborating_users.push("helper2".into())
    });
    gh.knobs.clear_log();
    let mut ledger = Ledger::default();
    let mut w = psrt::advisories::apply::Writer {
        gh: &h.github,
        cve: Err("not configured".into()),
        ledger: &mut ledger,
        notify: None,
        now: Utc::now(),
        carried: &plan.carried_cve_ids,
        this_run: Default::default(),
        cve_blocked: false,
        patched_at: Default::default(),
        max_reservations: 3,
        reserved: 0,
    };
    let mut outcomes = Vec::new();
    for u in &plan.updates {
        outcomes.push(w.apply(u).await);
    }
    let r = Report::of(&plan, Some(&outcomes), true);
    let line = r
        .reports
        .iter()
        .find(|l| l.ghsa_id == "GHSA-aaaa-0000-0001")
        .unwrap();
    assert_eq!(line.result, Some(LineResult::Changed));
    assert!(
        r.text()
            .contains("changed since the plan; nothing was written")
    );
    let a = gh.get_advisory("GHSA-aaaa-0000-0001").unwrap();
    assert_eq!(
        a.collaborating_users,
        ["gone", "helper", "helper2"],
        "nothing written"
    );
    // The others went ahead; each changed advisory cost one GET.
    let log = gh.knobs.log();
    let gets = log.iter().filter(|l| !l.is_write()).count();
    let patches = log
        .iter()
        .filter(|l| l.is_write() && l.method == http::Method::PATCH)
        .count();
    assert_eq!(gets, plan.updates.len(), "one re-read per changed advisory");
    assert_eq!(patches, plan.updates.len() - 1);
    // The next run plans again, and keeps the helper.
    let next = h.run(Utc::now(), true, None).await;
    assert!(!next.failed(), "{}", next.text());
    let a = gh.get_advisory("GHSA-aaaa-0000-0001").unwrap();
    assert!(a.collaborating_users.contains(&"helper2".to_owned()));
    assert!(!a.collaborating_users.contains(&"gone".to_owned()));
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Prism: run scripts/test"]
async fn advisory_operations_match_githubs_description() {
    let (gh, server) = world().await;
    let prism = crate::prism::Prism::start("PSRT_GITHUB_SPEC", &server.url());
    gh.with(|s| s.public_url = Some(prism.url.clone()));
    let (cve, cve_server) = cve_services().await;
    let h = Hourly::new(
        &with_ids(&gh, &cve_roster()),
        &prism.url,
        Some(&cve_server.url()),
    )
    .await;
    // psrt sees the reports first; a tag added after that counts.
    let r = h.run(Utc::now(), true, None).await;
    assert!(!r.failed(), "{}\n{}", r.text(), prism.log_text());
    gh.update_advisory("GHSA-ffff-0000-0006", |a| a.summary = "[accepted] x".into());
    let r = h.run(Utc::now(), true, None).await;
    assert!(!r.failed(), "{}\n{}", r.text(), prism.log_text());
    // The forks' pull requests and reviews, and the credits they bring.
    gh.pull_with_reviews(
        "python/cpython-ghsa-bbbb-0000-0002",
        "carol",
        &[("bob", "APPROVED")],
    );
    gh.update_advisory("GHSA-aaaa-0000-0001", |a| {
        a.summary = "[duplicate] x".into()
    });
    let r = h.run(Utc::now(), true, None).await;
    assert!(!r.failed(), "{}\n{}", r.text(), prism.log_text());
    let ops: Vec<String> = gh
        .knobs
        .log()
        .iter()
        .map(|l| format!("{} {}", l.method, l.path.split('?').next().unwrap_or("")))
        .collect();
    for want in [
        "POST /repos/python/cpython/security-advisories/GHSA-bbbb-0000-0002/forks",
        "PATCH /repos/python/cpython/security-advisories/GHSA-ffff-0000-0006",
        "GET /repos/python/cpython/security-advisories/GHSA-ffff-0000-0006",
        "GET /repos/python/cpython-ghsa-ffff-0000-0006/pulls",
        "GET /repos/python/cpython-ghsa-bbbb-0000-0002/pulls/1/reviews",
        "PATCH /repos/python/cpython/security-advisories/GHSA-aaaa-0000-0001",
    ] {
        assert!(
            ops.iter().any(|o| o == want),
            "{want} not exercised: {ops:#?}"
        );
    }
    assert_eq!(cve.reserved().len(), 2);
    assert_eq!(prism.violations(), Vec::<String>::new());
}

/// The CVE Services client and fake, through Prism with CVE Services' own
/// OpenAPI description: the request (query, headers) and the answers (200,
/// 401, 400, 403 quota) all fit it.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Prism: run scripts/test"]
async fn cve_reservation_matches_cve_services_description() {
    let (cve, server) = cve_services().await;
    let prism = crate::prism::Prism::start("PSRT_CVE_SPEC", &server.url());
    let client = cve_client(&prism.url, CVE_KEY);
    let id = client.reserve(2026).await.unwrap();
    assert!(
        psrt::cve::is_cve_id(&id) && id.starts_with("CVE-2026-"),
        "{id}"
    );
    assert_eq!(cve.reserved(), std::slice::from_ref(&id));
    // Listing the org's reserved ids (how a lost answer is found), paged.
    cve.with(|s| s.page_size = 1);
    let second = client.reserve(2026).await.unwrap();
    let listed = client
        .reserved_since(Utc::now() - Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(listed, [id.clone(), second.clone()]);
    assert!(
        client
            .reserved_since(Utc::now() + Duration::minutes(5))
            .await
            .unwrap()
            .is_empty()
    );
    cve.with(|s| s.ids.retain(|i| i.cve_id == id));
    let e = cve_client(&prism.url, "wrong")
        .reserve(2026)
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("refused the credentials (401"),
        "{e}"
    );
    cve.with(|s| s.quota = 0);
    let e = client.reserve(2026).await.unwrap_err();
    assert!(e.to_string().contains("403"), "{e}");
    assert_eq!(
        prism.violations(),
        Vec::<String>::new(),
        "{}",
        prism.log_text()
    );
    // Prism refuses a request without the headers the description requires.
    let resp = reqwest::Client::new()
        .post(format!(
            "{}/cve-id?amount=1&batch_type=nonsequential&cve_year=2026&short_name=PSF",
            prism.url
        ))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_client_error(), "{}", resp.status());
    assert_eq!(cve.reserved().len(), 1, "the fake never saw it");
}

/// The bot's cadence: an hourly workflow runs `psrt advisories --apply`
/// with its own ledger, in a concurrency group of its own (issue 22: a
/// group shared with the nightly let an hourly run cancel a pending nightly
/// one); the nightly no longer runs it; the build step has no secret, and
/// each secret is given to the one step that uses it.
#[test]
fn the_hourly_workflow_runs_the_lifecycle_with_a_ledger_and_a_group_of_its_own() {
    use psrt::roster::source::Node;
    let read = |name: &str| {
        let text =
            std::fs::read_to_string(repo_root().join(".github/workflows").join(name)).unwrap();
        let options = serde_saphyr::options! { strict_booleans: true };
        let tree =
            serde_saphyr::from_str_with_options::<serde_saphyr::Spanned<Node>>(&text, options)
                .unwrap()
                .value;
        (text, tree)
    };
    let (hourly_text, hourly) = read("hourly.yml");
    let (nightly_text, nightly) = read("nightly.yml");
    for (name, wf) in [("hourly", &hourly), ("nightly", &nightly)] {
        let conc = wf.get("concurrency").map(|(_, c)| c.value.clone()).unwrap();
        assert_eq!(
            conc.get("group")
                .and_then(|(_, v)| v.value.as_str().map(str::to_owned)),
            Some(format!("psrt-{name}")),
            "{name}"
        );
        assert_eq!(
            conc.get("cancel-in-progress").map(|(_, v)| v.value.clone()),
            Some(Node::Bool(false)),
            "{name}"
        );
    }
    assert!(hourly_text.contains("cron: \"41 * * * *\""), "hourly");
    assert!(hourly_text.contains("psrt advisories --apply --ledger .psrt/hourly-ledger.json"));
    assert!(
        !nightly_text.contains("psrt advisories"),
        "the nightly no longer runs it"
    );
    for (text, file) in [
        (&hourly_text, ".psrt/hourly-ledger.json"),
        (&nightly_text, ".psrt/nightly-ledger.json"),
    ] {
        assert!(text.contains("actions/cache/restore@") && text.contains(&format!("path: {file}")));
        assert!(text.contains("actions/cache/save@"));
    }
    let Some((_, jobs)) = hourly.get("jobs") else {
        panic!("no jobs")
    };
    let Node::Map(jobs) = &jobs.value else {
        panic!()
    };
    for (_, job) in jobs {
        assert!(
            job.value.get("env").is_none(),
            "no job-level env in hourly.yml"
        );
        for step in job
            .value
            .get("steps")
            .map(|(_, s)| s.value.items().to_vec())
            .unwrap_or_default()
        {
            let run = step
                .value
                .get("run")
                .and_then(|(_, r)| r.value.as_str().map(str::to_owned))
                .unwrap_or_default();
            let env: Vec<String> = match step.value.get("env").map(|(_, e)| e.value.clone()) {
                Some(Node::Map(m)) => m
                    .iter()
                    .filter_map(|(_, v)| v.value.as_str().map(str::to_owned))
                    .collect(),
                _ => vec![],
            };
            let has_secret = env.iter().any(|v| v.contains("secrets."));
            assert!(
                !(has_secret && run.contains("cargo")),
                "a secret in a cargo step: {run}"
            );
            if has_secret {
                assert!(
                    run.contains("/psrt advisories")
                        || run.contains("/psrt audit")
                        || run.contains("/psrt approvals --all"),
                    "secrets only for psrt: {run}"
                );
            }
        }
    }
}
