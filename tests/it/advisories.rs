//! `psrt advisories`: hygiene of the open reports, against the GitHub fake.

use chrono::{Duration, Utc};
use psrt::fakes::github::{FakeAdvisory, GitHubFake};
use psrt::fakes::smtp::SmtpSink;
use psrt::notify::{Mailer, Templates};
use psrt::sync::ChangeResult;

use crate::common::*;

fn hygiene_roster() -> String {
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

const SECRET: &str = "EMBARGO-MARKER-advisories";

async fn world() -> (GitHubFake, psrt::fakes::Running) {
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

async fn client(url: &str) -> psrt::github::GitHub {
    psrt::github::GitHub::connect(
        github_env(url).github.as_ref().unwrap(),
        "python",
        psrt::github::Tuning::local(),
    )
    .await
    .unwrap()
}

fn mailer(port: u16) -> Mailer {
    let env = psrt::config::SmtpEnv {
        url: psrt::secret::Secret::new(format!("smtp://127.0.0.1:{port}?tls=none")),
        ca_file: None,
    };
    Mailer::new(&env, "PSRT <psrt-bot@example.org>").unwrap()
}

#[tokio::test]
async fn each_rule_in_one_write_per_advisory_and_nothing_twice() {
    let (gh, server) = world().await;
    let sink = SmtpSink::default();
    let sink_server = sink.start().await.unwrap();
    let roster = parse_roster(&hygiene_roster());
    let github = client(&server.url()).await;
    let templates = Templates::built_in();
    let m = mailer(sink_server.port);

    let plan = psrt::advisories::run(&github, &roster, Utc::now(), false, None, &templates).await;
    let lines: Vec<String> = plan
        .changes
        .iter()
        .map(|c| {
            format!(
                "{} {} {}",
                c.action,
                c.subject,
                c.detail.clone().unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            "update GHSA-aaaa-0000-0001 (python/cpython) add team psrt; add 2 collaborating users; remove 1 former member; assign a coordinator",
            "update GHSA-bbbb-0000-0002 (python/cpython) add 2 collaborating users",
            "update GHSA-cccc-0000-0003 (python/cpython) remove 1 former member",
            "update GHSA-ffff-0000-0006 (python/cpython) add team psrt; add 2 collaborating users",
        ]
    );

    gh.knobs.clear_log();
    let applied =
        psrt::advisories::run(&github, &roster, Utc::now(), true, Some(&m), &templates).await;
    assert!(!applied.failed(), "{applied:#?}");
    let writes: Vec<String> = gh
        .knobs
        .writes()
        .iter()
        .map(|w| format!("{} {}", w.method, w.path))
        .collect();
    assert_eq!(writes.len(), 4, "one write per advisory: {writes:#?}");

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
        gh.get_advisory("GHSA-cccc-0000-0003")
            .unwrap()
            .collaborating_users,
        ["helper"]
    );
    assert_eq!(
        gh.get_advisory("GHSA-dddd-0000-0004")
            .unwrap()
            .collaborating_users,
        ["gone"],
        "published: untouched"
    );
    assert_eq!(
        gh.get_advisory("GHSA-eeee-0000-0005")
            .unwrap()
            .collaborating_users,
        ["gone"],
        "withdrawn: untouched"
    );
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
        .changes
        .iter()
        .find(|c| c.subject == "GHSA-aaaa-0000-0001")
        .unwrap();
    assert_eq!(
        first.result,
        Some(ChangeResult::Applied {
            note: Some("the coordinator was emailed".into())
        })
    );

    gh.knobs.clear_log();
    let again =
        psrt::advisories::run(&github, &roster, Utc::now(), true, Some(&m), &templates).await;
    assert!(again.changes.is_empty(), "{:?}", again.changes);
    assert!(gh.knobs.writes().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn output_names_reports_and_counts_never_people() {
    let (_gh, server) = world().await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roster.yaml", hygiene_roster());
    let mut outputs = Vec::new();
    for args in [
        &["-vv", "advisories"][..],
        &["advisories", "--json"],
        &["-vv", "advisories", "--apply"],
    ] {
        let mut cmd = psrt();
        cmd.current_dir(dir.path())
            .args(args)
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_API_URL", server.url())
            .env("PSRT_GITHUB_WRITE_PAUSE_MS", "0")
            .env("PSRT_LOG", "trace");
        let r = tokio::task::spawn_blocking(move || run(&mut cmd))
            .await
            .unwrap();
        assert_eq!(r.code, 0, "{}", r.all());
        outputs.push(r.all());
    }
    assert!(outputs[0].contains("GHSA-aaaa-0000-0001"), "{}", outputs[0]);
    assert!(
        outputs[2].contains("note: new coordinators will not be emailed: PSRT_SMTP_URL is not set"),
        "{}",
        outputs[2]
    );
    for out in &outputs {
        for person in [
            "erin",
            "frank",
            "gone",
            "helper",
            "carol",
            "reporter-x",
            SECRET,
        ] {
            assert!(!out.contains(person), "`{person}` in public output:\n{out}");
        }
    }
}

#[tokio::test]
async fn assignment_is_fair_over_a_sequence_of_new_reports() {
    let (gh, server) = github().await;
    for l in ["alice", "bob", "carol", "gus", "sam"] {
        gh.add_to_team("psrt", l, "member");
    }
    let roster = parse_roster(&hygiene_roster().replace(
        "  - name: Erin Outside\n    github: erin\n  - name: Frank Pending\n    github: frank\n",
        "",
    ));
    let github = client(&server.url()).await;
    let templates = Templates::built_in();
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
        let now = created + Duration::days(4);
        let r = psrt::advisories::run(&github, &roster, now, true, None, &templates).await;
        assert!(!r.failed(), "{r:#?}");
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
    let roster = parse_roster(&hygiene_roster().replace(
        "  - name: Erin Outside\n    github: erin\n  - name: Frank Pending\n    github: frank\n",
        "",
    ));
    let github = client(&server.url()).await;
    let templates = Templates::built_in();
    let mut log = String::new();
    for round in ["first run", "second run"] {
        gh.knobs.clear_log();
        let r = psrt::advisories::run(&github, &roster, Utc::now(), true, None, &templates).await;
        assert!(!r.failed());
        log.push_str(&format!("# {round}: {} change(s)\n", r.changes.len()));
        // Reads run concurrently (any order); writes one after another.
        let all = gh.knobs.log();
        let mut reads: Vec<String> = all
            .iter()
            .filter(|l| !l.is_write())
            .map(ToString::to_string)
            .collect();
        reads.sort();
        for l in reads
            .into_iter()
            .chain(all.iter().filter(|l| l.is_write()).map(ToString::to_string))
        {
            log.push_str(&format!("{l}\n"));
        }
    }
    insta::assert_snapshot!("advisories_request_log", log);
    assert_eq!(log.matches("PATCH ").count(), 5);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Prism: run scripts/test"]
async fn advisory_operations_match_githubs_description() {
    let (gh, server) = world().await;
    let prism = crate::prism::Prism::start("PSRT_GITHUB_SPEC", &server.url());
    gh.with(|s| s.public_url = Some(prism.url.clone()));
    let roster = parse_roster(&hygiene_roster());
    let github = client(&prism.url).await;
    let r = psrt::advisories::run(
        &github,
        &roster,
        Utc::now(),
        true,
        None,
        &Templates::built_in(),
    )
    .await;
    assert!(!r.failed(), "{r:#?}\n{}", prism.log_text());
    assert_eq!(r.changes.len(), 4);
    assert_eq!(prism.violations(), Vec::<String>::new());
}
