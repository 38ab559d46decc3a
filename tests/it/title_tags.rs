//! Issue 21, item 3: a title tag counts only when a member put it there.
//! The reporter writes the first title, so a tag present when psrt first
//! sees a report is ignored (the plan says why, naming no one); a tag added
//! later counts. Whatever titles say, one run reserves at most
//! `policy.max_cve_reservations_per_run` CVE ids.
//!
//! And item 6 (the `advisories` part): started without a ledger, psrt says
//! so and rebuilds what it can from GitHub and CVE Services; an id reserved
//! but not yet on its report is looked up there, never reserved twice.

use chrono::{Duration, Utc};
use psrt_fakes::Fault;
use psrt_fakes::github::{FakeAdvisory, GitHubFake};

use crate::advisories::{CVE_KEY, CVE_USER, Hourly, cve_client, cve_roster, cve_services};
use crate::common::*;

async fn team(gh: &GitHubFake) {
    for l in ["alice", "bob", "carol", "gus", "sam", "erin", "frank"] {
        gh.add_to_team("psrt", l, "member");
    }
}

fn triage(id: &str, title: &str, age_days: i64) -> FakeAdvisory {
    let mut a = FakeAdvisory::new(
        "python/cpython",
        id,
        "triage",
        Utc::now() - Duration::days(age_days),
    )
    .coordinator("alice");
    a.summary = title.to_owned();
    a.author = Some("rita".into());
    a.collaborating_teams = vec!["psrt".into()];
    a
}

/// Before: a new report whose reporter wrote `[ACCEPT]` went to draft,
/// got a private fork and a PSF CVE id within the hour. Now the tag is
/// ignored while it stays (every hour, and the output says why without
/// naming anyone); a member's tag on a report psrt has seen counts.
#[tokio::test]
async fn a_reporters_accept_is_ignored_and_a_members_later_tag_obeyed() {
    let (gh, server) = github().await;
    team(&gh).await;
    gh.user("rita");
    let (cve, cve_server) = cve_services().await;
    gh.advisory(triage("GHSA-rept-0000-0001", "[ACCEPT] RCE in foo", 1));
    gh.advisory(triage("GHSA-memb-0000-0002", "Overflow in bar", 1));
    let h = Hourly::new(&cve_roster(), &server.url(), Some(&cve_server.url())).await;

    for hour in 0..2 {
        let r = h.run(Utc::now(), true, None).await;
        assert!(!r.failed(), "{}", r.text());
        let a = gh.get_advisory("GHSA-rept-0000-0001").unwrap();
        assert_eq!(
            a.state, "triage",
            "hour {hour}: the reporter's tag moved it"
        );
        assert!(a.private_fork.is_none() && a.cve_id.is_none());
        assert!(cve.reserved().is_empty(), "hour {hour}: a CVE id was burnt");
        assert_eq!(r.ignored.len(), 1, "{}", r.text());
        let text = r.text();
        assert!(
            text.contains(
                "- GHSA-rept-0000-0001  triage  [accept] ignored: the title carried it when psrt first saw the report (the reporter writes the first title)"
            ),
            "{text}"
        );
        assert!(!text.contains("rita"), "{text}");
    }
    let seen = h.ledger();
    assert_eq!(
        seen.seen()
            .get("GHSA-rept-0000-0001")
            .and_then(|s| s.ignored_tag),
        Some(psrt::ledger::TagKind::Accept)
    );

    // A member tags the report psrt has already seen: obeyed at once.
    gh.update_advisory("GHSA-memb-0000-0002", |a| {
        a.summary = "[ACCEPTED] Overflow in bar".into()
    });
    let r = h.run(Utc::now(), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let b = gh.get_advisory("GHSA-memb-0000-0002").unwrap();
    assert_eq!(b.state, "draft");
    assert!(b.private_fork.is_some() && b.cve_id.is_some());
    assert_eq!(cve.reserved().len(), 1);
    assert_eq!(
        gh.get_advisory("GHSA-rept-0000-0001").unwrap().state,
        "triage"
    );

    // The reporter's report: a member takes the tag out, and after a run
    // puts one back: now it counts.
    gh.update_advisory("GHSA-rept-0000-0001", |a| a.summary = "RCE in foo".into());
    let r = h.run(Utc::now(), true, None).await;
    assert!(r.ignored.is_empty(), "{}", r.text());
    gh.update_advisory("GHSA-rept-0000-0001", |a| {
        a.summary = "[ACCEPT] RCE in foo".into()
    });
    let r = h.run(Utc::now(), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(
        gh.get_advisory("GHSA-rept-0000-0001").unwrap().state,
        "draft"
    );
    assert_eq!(cve.reserved().len(), 2);
}

/// The same through the command line: the reason is printed, the run is
/// green (nothing is wrong: the tag is simply not a member's).
#[tokio::test(flavor = "multi_thread")]
async fn the_command_says_why_a_tag_is_ignored_and_names_no_one() {
    let (gh, server) = github().await;
    team(&gh).await;
    gh.advisory(triage("GHSA-rept-0000-0001", "[CLOSE] please close", 1));
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "roster.yaml",
        crate::advisories::hygiene_roster(),
    );
    let url = server.url();
    let r = tokio::task::spawn_blocking(move || {
        run(psrt()
            .current_dir(dir.path())
            .args(["advisories", "--apply"])
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_API_URL", url)
            .env("PSRT_SMTP_URL", "smtp://127.0.0.1:9?tls=none")
            .env("PSRT_GITHUB_WRITE_PAUSE_MS", "0"))
    })
    .await
    .unwrap();
    assert!(
        r.stdout
            .contains("- GHSA-rept-0000-0001  triage  [close] ignored:"),
        "{}",
        r.all()
    );
    assert_eq!(
        gh.get_advisory("GHSA-rept-0000-0001").unwrap().state,
        "triage"
    );
    assert!(!r.all().contains("rita"));
}

/// No input burns the CNA's quota: five drafts need an id, the policy
/// allows two per run; each run reserves two, says which valve stopped the
/// rest, fails (exit 1), and the next run goes on. One id per report.
#[tokio::test]
async fn cve_reservations_per_run_are_capped_by_policy() {
    let (gh, server) = github().await;
    team(&gh).await;
    let (cve, cve_server) = cve_services().await;
    for i in 1..=5 {
        let mut a = FakeAdvisory::new(
            "python/cpython",
            &format!("GHSA-capp-0000-000{i}"),
            "draft",
            Utc::now() - Duration::days(10 - i),
        )
        .coordinator("alice");
        a.collaborating_teams = vec!["psrt".into()];
        a.private_fork = Some(format!("python/cpython-ghsa-capp-0000-000{i}"));
        gh.repo(&format!("python/cpython-ghsa-capp-0000-000{i}"));
        gh.advisory(a);
    }
    let text = cve_roster().replace(
        "steering_council:",
        "policy:\n  max_cve_reservations_per_run: 2\nsteering_council:",
    );
    let h = Hourly::new(&text, &server.url(), Some(&cve_server.url())).await;
    for (run, total) in [(1, 2), (2, 4), (3, 5)] {
        let r = h.run(Utc::now(), true, None).await;
        assert_eq!(cve.reserved().len(), total, "run {run}: {}", r.text());
        if total < 5 {
            assert!(r.failed(), "run {run}: the valve fails the run");
            assert!(
                r.text().contains(
                    "safety valve policy.max_cve_reservations_per_run: this run reserved 2 already"
                ),
                "{}",
                r.text()
            );
        } else {
            assert!(!r.failed(), "{}", r.text());
        }
    }
    for i in 1..=5 {
        assert!(
            gh.get_advisory(&format!("GHSA-capp-0000-000{i}"))
                .unwrap()
                .cve_id
                .is_some()
        );
    }
    assert_eq!(cve.reserved().len(), 5, "one id per report");
}

/// The ledger lost while an id was reserved and not yet on its report (its
/// update failed): the next run says it starts without a ledger, finds that
/// id in CVE Services and writes it, and reserves none twice; an id a
/// published advisory carries is never taken; a tag present now is ignored
/// (fail closed). No flag is needed.
#[tokio::test]
async fn without_a_ledger_advisories_rebuilds_it_and_reserves_nothing_twice() {
    let (gh, server) = github().await;
    team(&gh).await;
    let (cve, cve_server) = cve_services().await;
    let mut a = FakeAdvisory::new(
        "python/cpython",
        "GHSA-lost-0000-0001",
        "draft",
        Utc::now() - Duration::days(3),
    )
    .coordinator("alice");
    a.collaborating_teams = vec!["psrt".into()];
    a.private_fork = Some("python/cpython-ghsa-lost-0000-0001".into());
    gh.repo("python/cpython-ghsa-lost-0000-0001");
    gh.advisory(a);
    let h = Hourly::new(&cve_roster(), &server.url(), Some(&cve_server.url())).await;
    gh.knobs.inject(Fault::new(
        http::Method::PATCH,
        "/security-advisories/",
        500,
    ));
    let first = h.run(Utc::now(), true, None).await;
    assert!(first.failed(), "{}", first.text());
    gh.knobs.clear_faults();
    let reserved = cve.reserved();
    assert_eq!(reserved.len(), 1);
    assert_eq!(
        h.ledger().cve().reserved("GHSA-lost-0000-0001"),
        Some(reserved[0].as_str())
    );

    // Meanwhile: an advisory published since carries an id psrt's account
    // reserved (its CVE record not yet published), and a new draft arrives
    // with a tag.
    let published_id = cve_client(&cve_server.url(), CVE_KEY)
        .reserve(2026)
        .await
        .unwrap();
    let mut p = FakeAdvisory::new(
        "python/cpython",
        "GHSA-publ-0000-0003",
        "published",
        Utc::now() - Duration::days(20),
    );
    p.cve_id = Some(published_id.clone());
    gh.advisory(p);
    gh.advisory(triage("GHSA-newt-0000-0002", "[ACCEPT] new", 0));

    // The cache restore missed: no ledger file.
    std::fs::remove_file(&h.ledger_path).unwrap();
    let r = h.run(Utc::now(), true, None).await;
    let text = r.text();
    assert!(!r.failed(), "{text}");
    assert!(
        text.contains("note: started without a ledger (none was found: a first run, or a cache restore that missed): rebuilt from GitHub and CVE Services"),
        "{text}"
    );
    assert_eq!(
        gh.get_advisory("GHSA-lost-0000-0001").unwrap().cve_id,
        Some(reserved[0].clone()),
        "the id reserved before the ledger was lost"
    );
    assert_eq!(
        cve.reserved(),
        [reserved[0].clone(), published_id],
        "none reserved twice, the published one's never taken"
    );
    assert_eq!(
        gh.get_advisory("GHSA-newt-0000-0002").unwrap().state,
        "triage",
        "a tag present when the ledger was lost is ignored"
    );
    let ledger = h.ledger();
    assert!(ledger.cve().is_empty());
    assert!(ledger.seen().get("GHSA-newt-0000-0002").is_some());
    // The next run has its ledger again: nothing more to say or do.
    let again = h.run(Utc::now(), true, None).await;
    assert!(!again.text().contains("started without a ledger"));
    assert_eq!(again.updates, 0, "{}", again.text());
    let _ = CVE_USER;
}
