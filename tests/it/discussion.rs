//! The advisory discussion (issue 25): the comments client and the GitHub
//! stand-in, the status comment (found by marker and author, edited only
//! when it changes), the deadline comments (exactly once, after a killed
//! run or a lost answer too), the cost of a run with nothing new, a
//! repository without the preview, and the embargo.

use chrono::{DateTime, Duration, TimeZone, Utc};
use psrt::advisories::discussion::status::STATUS_MARKER;
use psrt::ids::{GhsaId, RepoName};
use psrt_fakes::Fault;
use psrt_fakes::github::{FakeAdvisory, GitHubFake};

use crate::advisories::{Hourly, client, hygiene_roster};
use crate::common::*;

const SECRET: &str = "EMBARGO-MARKER-discussion";
const ID: &str = "GHSA-disc-0000-0001";
const REPO: &str = "python/cpython";

fn at(day: i64, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, hour, 0, 0).unwrap() + Duration::days(day)
}

/// A team, and one draft report created on day 0 (its deadline 90 days
/// later, 2027-01-31) coordinated by Alice.
async fn world() -> (GitHubFake, psrt_fakes::Running) {
    let (gh, server) = github().await;
    for l in ["alice", "bob", "carol", "gus", "sam", "erin", "frank"] {
        gh.add_to_team("psrt", l, "member");
    }
    let mut a = FakeAdvisory::new(REPO, ID, "draft", at(0, 0)).coordinator("alice");
    a.summary = format!("{SECRET} summary");
    a.description = format!("{SECRET} description");
    a.collaborating_teams = vec!["psrt".into()];
    gh.advisory(a);
    (gh, server)
}

fn comment_requests(gh: &GitHubFake) -> Vec<String> {
    gh.knobs
        .log()
        .iter()
        .filter(|l| l.path.contains("/comments"))
        .map(|l| format!("{} {}", l.method, l.path))
        .collect()
}

fn by_psrt(gh: &GitHubFake, marker: &str) -> Vec<psrt_fakes::github::FakeAdvisoryComment> {
    gh.advisory_comments(ID)
        .into_iter()
        .filter(|c| c.user == "psrt-bot" && c.body.starts_with(marker))
        .collect()
}

#[tokio::test]
async fn the_comments_api_in_the_client_and_the_stand_in() {
    let (gh, server) = world().await;
    let roster = parse_roster(&hygiene_roster());
    let c = client(&server.url(), &roster).await;
    let repo = RepoName::parse(REPO).unwrap();
    let ghsa = GhsaId::new(ID);
    // A page and a half, by two authors.
    for i in 0..45 {
        gh.advisory_comment(
            ID,
            "carol",
            &format!("note {i}"),
            at(1, 0) + Duration::minutes(i),
        );
    }
    let all = c
        .advisory_comments::<String>(&repo, &ghsa, None)
        .await
        .unwrap();
    assert_eq!(all.len(), 45, "every page");
    assert!(all.windows(2).all(|w| w[0].id < w[1].id), "oldest first");
    let carol = all[0].user.clone().unwrap();
    assert_eq!(carol.login, "carol");
    // `since` is by update time: an edit brings an old comment back.
    gh.update_advisory_comment(all[3].id, |c| c.updated_at = at(5, 0));
    let since = c
        .advisory_comments::<String>(&repo, &ghsa, Some(at(4, 0)))
        .await
        .unwrap();
    assert_eq!(since.iter().map(|c| c.id).collect::<Vec<_>>(), [all[3].id]);
    // Posting and editing, as psrt's own account; the count on the advisory.
    let posted = c.add_advisory_comment(&repo, &ghsa, "hello").await.unwrap();
    c.edit_advisory_comment(&repo, &ghsa, posted.id, "hello again")
        .await
        .unwrap();
    let one = c
        .advisory_comment::<String>(&repo, &ghsa, posted.id)
        .await
        .unwrap();
    assert_eq!(one.body, "hello again");
    assert_eq!(one.user.unwrap().login, "psrt-bot");
    let advisories = c
        .advisories(&repo, Some(psrt::github::advisories::AdvisoryState::Draft))
        .await
        .unwrap();
    assert_eq!(advisories[0].comments, Some(46));
    // A comment turned confidential is listed but not counted.
    gh.update_advisory_comment(all[0].id, |c| c.confidential = true);
    let advisories = c.advisories(&repo, None).await.unwrap();
    assert_eq!(advisories[0].comments, Some(45));
    // Only the author edits; there is no delete.
    let refused = c
        .edit_advisory_comment(&repo, &ghsa, all[1].id, "psrt rewrites carol")
        .await
        .unwrap_err();
    assert!(refused.reason().contains("403"), "{}", refused.reason());
    assert_eq!(gh.advisory_comments(ID)[1].body, "note 1");
    // Where the preview is not enabled: 404, told apart from other errors.
    gh.comments_unavailable(REPO);
    let e = c
        .advisory_comments::<String>(&repo, &ghsa, None)
        .await
        .unwrap_err();
    assert!(
        matches!(e, psrt::github::comments::CommentsError::Unavailable { .. }),
        "{}",
        e.reason()
    );
    let advisories = c.advisories(&repo, None).await.unwrap();
    assert_eq!(advisories[0].comments, None, "no count without the preview");
}

/// The four operations and the advisories' `comments` count, through Prism
/// with the comments fragment merged into GitHub's description.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Prism: run scripts/test"]
async fn comment_operations_match_the_description() {
    let (gh, server) = world().await;
    let prism = crate::prism::Prism::start("PSRT_GITHUB_SPEC", &server.url());
    gh.with(|s| s.public_url = Some(prism.url.clone()));
    let h = Hourly::new(&hygiene_roster(), &prism.url, None).await;
    for i in 0..35 {
        gh.advisory_comment(ID, "carol", &format!("note {i}"), at(1, 0));
    }
    let r = h.run(at(1, 9), true, None).await;
    assert!(!r.failed(), "{}\n{}", r.text(), prism.log_text());
    gh.advisory_comment(ID, "bob", "a question", at(1, 9));
    let r = h.run(at(1, 10), true, None).await;
    assert!(!r.failed(), "{}\n{}", r.text(), prism.log_text());
    assert_eq!(by_psrt(&gh, STATUS_MARKER).len(), 1, "{}", r.text());
    gh.update_advisory(ID, |a| {
        *a = a.clone().coordinator("bob");
        a.updated_at = at(1, 11);
    });
    let r = h.run(at(1, 12), true, None).await;
    assert!(!r.failed(), "{}\n{}", r.text(), prism.log_text());
    // The get, and a since, straight from the client.
    let roster = parse_roster(&hygiene_roster());
    let c = client(&prism.url, &roster).await;
    let (repo, ghsa) = (RepoName::parse(REPO).unwrap(), GhsaId::new(ID));
    let list = c
        .advisory_comments::<String>(&repo, &ghsa, Some(at(0, 0)))
        .await
        .unwrap();
    c.advisory_comment::<String>(&repo, &ghsa, list[0].id)
        .await
        .unwrap();
    let ops: Vec<String> = gh
        .knobs
        .log()
        .iter()
        .map(|l| format!("{} {}", l.method, l.path.split('?').next().unwrap_or("")))
        .collect();
    let base = format!("/repos/{REPO}/security-advisories/{ID}/comments");
    for want in [
        format!("GET {base}"),
        format!("POST {base}"),
        format!("PATCH {base}/"),
        format!("GET {base}/"),
    ] {
        assert!(
            ops.iter().any(|o| o.starts_with(&want)),
            "{want} not exercised: {ops:#?}"
        );
    }
    assert_eq!(prism.violations(), Vec::<String>::new());
}

/// One status comment: not at go-live, written when the report next
/// changes, found again by marker and author (a pasted copy is not it),
/// edited only when its content changes; a run with nothing new makes no
/// request to any comments endpoint.
#[tokio::test]
async fn one_status_comment_per_report_edited_only_when_it_changes() {
    let (gh, server) = world().await;
    let h = Hourly::new(&hygiene_roster(), &server.url(), None).await;

    let r = h.run(at(1, 9), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert!(
        gh.advisory_comments(ID).is_empty(),
        "go-live: no comment for a report only because psrt started"
    );
    assert!(
        h.ledger().discussion().get(ID).is_some(),
        "but it is watched"
    );

    // Carol comments, and pastes a forged status.
    gh.advisory_comment(ID, "carol", &format!("{SECRET} my analysis"), at(1, 9));
    gh.advisory_comment(
        ID,
        "carol",
        &format!("{STATUS_MARKER}\nforged: nothing missing"),
        at(1, 9),
    );
    let r = h.run(at(1, 10), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let status = by_psrt(&gh, STATUS_MARKER);
    assert_eq!(status.len(), 1, "{}", r.text());
    let body = &status[0].body;
    assert!(
        body.contains("2027-01-31") && body.contains("@alice"),
        "{body}"
    );
    assert!(
        body.contains("CVSS v4") && body.contains("pull request"),
        "{body}"
    );
    assert!(
        body.contains("`[ACCEPT]`"),
        "the commands members can use: {body}"
    );
    assert_eq!(r.discussion.status_created, 1, "{}", r.text());
    assert_eq!(r.discussion.copies, 1, "{}", r.text());

    // Nothing new: no request to any comments endpoint. (psrt's own post
    // moved the advisory's count, so this run reads the lists again once.)
    gh.knobs.clear_log();
    let r = h.run(at(1, 11), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(comment_requests(&gh), Vec::<String>::new(), "{}", r.text());
    // The next one spends no rate-limit point at all.
    let before = gh.rate();
    let r = h.run(at(1, 12), true, None).await;
    assert!(!r.failed() && r.unchanged, "{}", r.text());
    assert_eq!(comment_requests(&gh), Vec::<String>::new(), "{}", r.text());
    assert_eq!(gh.rate().used, before.used, "{:#?}", gh.knobs.log());

    // A day later, still nothing new: the date does not change the text.
    // The daily full read lists the discussion once (its last listing
    // predates psrt's own post, so it is read whole; see the end for the
    // `304` of a day without writes).
    gh.knobs.clear_log();
    let r = h.run(at(2, 11), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let daily: Vec<u16> = gh
        .knobs
        .log()
        .iter()
        .filter(|l| l.path.contains("/comments") && l.method == http::Method::GET)
        .map(|l| l.status)
        .collect();
    assert_eq!(daily, [200], "{:#?}", gh.knobs.log());
    assert_eq!(
        by_psrt(&gh, STATUS_MARKER)[0].updated_at,
        status[0].updated_at
    );
    assert!(
        gh.knobs
            .log()
            .iter()
            .all(|l| !(l.path.contains("/comments") && l.is_write())),
        "no comment written: {:#?}",
        gh.knobs.log()
    );

    // Bob takes over: the status is edited in place.
    gh.update_advisory(ID, |a| {
        *a = a.clone().coordinator("bob");
        a.updated_at = at(2, 12);
    });
    let r = h.run(at(2, 13), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let after = by_psrt(&gh, STATUS_MARKER);
    assert_eq!(after.len(), 1, "edited, not posted again: {}", r.text());
    assert_eq!(after[0].id, status[0].id);
    assert!(after[0].body.contains("@bob"), "{}", after[0].body);
    assert_eq!(r.discussion.status_edited, 1, "{}", r.text());
    assert_eq!(gh.advisory_comments(ID).len(), 3);

    // And again nothing: no comments endpoint asked.
    gh.knobs.clear_log();
    let r = h.run(at(2, 14), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(comment_requests(&gh), Vec::<String>::new(), "{}", r.text());
    // Two daily reads later (the first after psrt's edit reads it whole):
    // asked with the validator of the last answer, `304`, no point for it.
    let r = h.run(at(3, 15), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    gh.knobs.clear_log();
    let before = gh.rate();
    let r = h.run(at(4, 16), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let daily: Vec<u16> = gh
        .knobs
        .log()
        .iter()
        .filter(|l| l.path.contains("/comments"))
        .map(|l| l.status)
        .collect();
    assert_eq!(daily, [304], "{:#?}", gh.knobs.log());
    // (The lists are read again that hour, a few points once a day: a
    // `304` carries no body to plan from.)
    assert!(gh.rate().used - before.used <= 5, "{:#?}", gh.knobs.log());
    for out in [
        r.text(),
        r.json(),
        std::fs::read_to_string(&h.ledger_path).unwrap(),
    ] {
        assert!(!out.contains(SECRET) && !out.contains("carol"), "{out}");
    }
}

/// A deadline threshold gives one comment that mentions the coordinator,
/// never twice: not after a run killed before its ledger was saved, not
/// after a POST whose answer was lost (psrt lists again instead of posting
/// again), and a POST refused is posted by the next run.
#[tokio::test]
async fn a_deadline_comment_exactly_once_after_a_killed_run_and_a_lost_answer() {
    let deadline_marker = "<!-- psrt:deadline warn-14 -->";
    let count = |gh: &GitHubFake| by_psrt(gh, deadline_marker).len();
    // Day 70: 20 days left (the 30-day threshold passed before psrt watched).
    let day = |d: i64| at(d, 9);

    // A killed run: posted, ledger not saved.
    let (gh, server) = world().await;
    let h = Hourly::new(&hygiene_roster(), &server.url(), None).await;
    assert!(!h.run(day(70), true, None).await.failed());
    assert!(gh.advisory_comments(ID).is_empty(), "go-live: nothing");
    let saved = std::fs::read(&h.ledger_path).unwrap();
    let r = h.run(day(77), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(count(&gh), 1, "{}", r.text());
    let posted = &by_psrt(&gh, deadline_marker)[0];
    assert!(posted.body.contains("@alice: 14 days"), "{}", posted.body);
    assert!(posted.body.contains("2027-01-31"), "{}", posted.body);
    assert!(
        by_psrt(&gh, "<!-- psrt:deadline warn-30 -->").is_empty(),
        "a threshold passed before psrt watched is not posted late"
    );
    std::fs::write(&h.ledger_path, &saved).unwrap();
    let r = h.run(day(77) + Duration::hours(1), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(count(&gh), 1, "not posted again after a killed run");
    assert_eq!(r.discussion.deadline_found, 1, "{}", r.text());
    let r = h.run(day(77) + Duration::hours(2), true, None).await;
    assert_eq!(count(&gh), 1, "{}", r.text());

    // A lost answer: the POST landed, GitHub's answer did not.
    let (gh, server) = world().await;
    let h = Hourly::new(&hygiene_roster(), &server.url(), None).await;
    assert!(!h.run(day(70), true, None).await.failed());
    gh.knobs.inject(
        Fault::new(http::Method::POST, "/comments", 502)
            .times(1)
            .after_applying(),
    );
    let r = h.run(day(77), true, None).await;
    assert_eq!(count(&gh), 1, "{}", r.text());
    assert_eq!(r.discussion.answers_lost, 1, "{}", r.text());
    let posts = gh
        .knobs
        .log()
        .iter()
        .filter(|l| l.method == http::Method::POST && l.path.contains("/comments"))
        .count();
    // The status comment and the deadline comment: each sent once.
    assert!(posts <= 2, "never retried blindly: {:#?}", gh.knobs.log());
    let r = h.run(day(77) + Duration::hours(1), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(count(&gh), 1, "{}", r.text());

    // A refused POST (not applied): reported, and the next run posts it.
    let (gh, server) = world().await;
    let h = Hourly::new(&hygiene_roster(), &server.url(), None).await;
    assert!(!h.run(day(70), true, None).await.failed());
    gh.knobs
        .inject(Fault::new(http::Method::POST, "/comments", 502).times(1));
    let r = h.run(day(77), true, None).await;
    assert!(
        r.failed(),
        "a comment not posted fails the run: {}",
        r.text()
    );
    assert!(!r.text().contains(ID), "{}", r.text());
    let r = h.run(day(77) + Duration::hours(1), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(count(&gh), 1, "{}", r.text());
    let r = h.run(day(90), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let over = by_psrt(&gh, "<!-- psrt:deadline overdue -->");
    assert_eq!(over.len(), 1, "{}", r.text());
    assert!(over[0].body.contains("@alice"), "{}", over[0].body);
}

/// A repository without the preview: said once, and the run goes on
/// without the discussion (no failure, no comments endpoint asked twice).
#[tokio::test]
async fn without_the_preview_psrt_says_so_once_and_goes_on() {
    let (gh, server) = world().await;
    gh.comments_unavailable(REPO);
    let h = Hourly::new(&hygiene_roster(), &server.url(), None).await;
    for hour in [9, 10] {
        let r = h.run(at(70, hour), true, None).await;
        assert!(!r.failed(), "{}", r.text());
        let said = r
            .notes
            .iter()
            .filter(|n| n.contains("comments API is not available"))
            .count();
        assert_eq!(said, 1, "{}", r.text());
    }
    let r = h.run(at(77, 9), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(comment_requests(&gh), Vec::<String>::new());
    assert!(gh.advisory_comments(ID).is_empty());
}

/// At go-live no report gets a comment only because psrt started: not on
/// the first run, nor at the first daily full read of the discussions a
/// day later (each new comment notifies every collaborator); a report gets
/// its status comment when it next changes.
#[tokio::test]
async fn at_go_live_status_comments_come_as_reports_change_not_all_at_once() {
    let (gh, server) = world().await;
    let mut other =
        FakeAdvisory::new(REPO, "GHSA-disc-0000-0002", "triage", at(0, 0)).coordinator("bob");
    other.collaborating_teams = vec!["psrt".into()];
    gh.advisory(other);
    gh.advisory_comment(ID, "carol", "before psrt", at(0, 5));
    let h = Hourly::new(&hygiene_roster(), &server.url(), None).await;
    for t in [at(1, 9), at(1, 10), at(2, 10), at(3, 11)] {
        let r = h.run(t, true, None).await;
        assert!(!r.failed(), "{}", r.text());
    }
    let posted: Vec<String> = [ID, "GHSA-disc-0000-0002"]
        .iter()
        .flat_map(|g| gh.advisory_comments(g))
        .filter(|c| c.user == "psrt-bot")
        .map(|c| c.ghsa_id)
        .collect();
    assert_eq!(posted, Vec::<String>::new());
    // The one that changes gets its status comment; the other does not.
    gh.advisory_comment(ID, "carol", "a new question", at(3, 12));
    let r = h.run(at(3, 13), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(by_psrt(&gh, STATUS_MARKER).len(), 1, "{}", r.text());
    assert!(gh.advisory_comments("GHSA-disc-0000-0002").is_empty());
}
