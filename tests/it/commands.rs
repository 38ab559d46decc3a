//! `/psrt` commands in the advisory discussion (issue 26), against the
//! GitHub stand-in: who is obeyed (members by account id, comments never
//! edited when first read), bad input, the verbs' effects through the one
//! command path, and exactly once: a run killed between the effect and the
//! reply, a lost POST answer, two runs at once, a reply deleted in the UI.

use chrono::{DateTime, Duration, TimeZone, Utc};
use psrt_fakes::Fault;
use psrt_fakes::github::{FakeAdvisory, FakeAdvisoryComment, GitHubFake};
use psrt_fakes::smtp::SmtpSink;

use crate::advisories::{Hourly, hygiene_roster};
use crate::common::*;

const SECRET: &str = "EMBARGO-MARKER-commands";
const ID: &str = "GHSA-cmds-0000-0001";
const OTHER: &str = "GHSA-cmds-0000-0002";
const REPO: &str = "python/cpython";

fn at(day: i64, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, hour, 0, 0).unwrap() + Duration::days(day)
}

/// The hygiene roster, each member with the stand-in's account id.
fn roster_with_ids(gh: &GitHubFake) -> String {
    let mut r = hygiene_roster();
    for l in [
        "alice", "bob", "carol", "erin", "frank", "gus", "sam", "gone",
    ] {
        let id = gh.user(l);
        r = r.replace(
            &format!("    github: {l}\n"),
            &format!("    github: {l}\n    github_id: {id}\n"),
        );
    }
    r
}

/// A triage report (created on day 0, coordinated by Alice) from a
/// reporter, and a draft beside it; the team; the run that starts watching
/// them (go-live: no comment).
async fn world() -> (GitHubFake, psrt_fakes::Running, Hourly) {
    let (gh, server) = github().await;
    for l in ["alice", "bob", "carol", "gus", "sam", "erin", "frank"] {
        gh.add_to_team("psrt", l, "member");
    }
    gh.add_to_team("python-core", "vic", "member");
    gh.user("mallory");
    let mut a = FakeAdvisory::new(REPO, ID, "triage", at(0, 0)).coordinator("alice");
    a.summary = format!("{SECRET} summary");
    a.description = format!("{SECRET} description");
    a.author = Some("reporter".into());
    a.collaborating_teams = vec!["psrt".into()];
    gh.advisory(a);
    let mut b = FakeAdvisory::new(REPO, OTHER, "draft", at(0, 0)).coordinator("bob");
    b.collaborating_teams = vec!["psrt".into()];
    b.private_fork = Some("python/cpython-ghsa-cmds-0000-0002".into());
    gh.advisory(b);
    gh.repo("python/cpython-ghsa-cmds-0000-0002");
    let h = Hourly::new(&roster_with_ids(&gh), &server.url(), None).await;
    let r = h.run(at(1, 9), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert!(gh.advisory_comments(ID).is_empty());
    (gh, server, h)
}

fn replies(gh: &GitHubFake, ghsa: &str, comment: u64) -> Vec<FakeAdvisoryComment> {
    let marker = format!("<!-- psrt:command {comment} -->");
    gh.advisory_comments(ghsa)
        .into_iter()
        .filter(|c| c.user == "psrt-bot" && c.body.starts_with(&marker))
        .collect()
}

fn answered(c: &FakeAdvisoryComment) -> bool {
    c.body.lines().nth(1) == Some("<!-- psrt:answered -->")
}

fn state(gh: &GitHubFake, ghsa: &str) -> String {
    gh.get_advisory(ghsa).unwrap().state
}

fn forks_created(gh: &GitHubFake) -> usize {
    gh.knobs
        .log()
        .iter()
        .filter(|l| l.method == http::Method::POST && l.path.ends_with("/forks"))
        .count()
}

fn no_secret_in(h: &Hourly, r: &psrt::advisories::Report, also: &[&str]) {
    for out in [
        r.text(),
        r.json(),
        std::fs::read_to_string(&h.ledger_path).unwrap(),
    ] {
        assert!(!out.contains(SECRET), "{out}");
        for a in also {
            assert!(!out.contains(a), "{a} in {out}");
        }
    }
}

/// A member accepts: one claim, edited to the outcome; the report is a
/// draft with its fork, made like a title tag's accept; the next runs do
/// nothing more. The public output counts the command, never who, which
/// or where.
#[tokio::test]
async fn a_member_accepts_and_the_claim_becomes_the_outcome() {
    let (gh, _server, h) = world().await;
    let c = gh.advisory_comment(
        ID,
        "carol",
        &format!("/psrt accept\n{SECRET} reasons"),
        at(1, 10),
    );
    let r = h.run(at(1, 11), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(state(&gh, ID), "draft");
    assert_eq!(forks_created(&gh), 1);
    let rs = replies(&gh, ID, c);
    assert_eq!(rs.len(), 1, "{rs:#?}");
    assert!(
        answered(&rs[0]) && rs[0].body.contains("Accepted"),
        "{}",
        rs[0].body
    );
    assert!(!rs[0].body.contains(SECRET) && !rs[0].body.contains("reasons"));
    assert_eq!(r.discussion.commands_answered, 1, "{}", r.text());
    assert!(
        r.text().contains("1 /psrt command(s) answered"),
        "{}",
        r.text()
    );
    no_secret_in(&h, &r, &["carol", "/psrt accept"]);
    let ledger = h.ledger();
    assert!(ledger.discussion().is_answered(ID, c));
    for hour in [12, 13] {
        let r = h.run(at(1, hour), true, None).await;
        assert!(!r.failed(), "{}", r.text());
    }
    assert_eq!(replies(&gh, ID, c).len(), 1);
    assert_eq!(forks_created(&gh), 1);
}

/// The reporter (not a member), a member's comment edited before psrt read
/// it, a command further down a comment: one refusal each (or nothing for
/// the last), nothing changes, never twice.
#[tokio::test]
async fn others_are_refused_once_and_nothing_changes() {
    let (gh, _server, h) = world().await;
    let by_reporter = gh.advisory_comment(ID, "reporter", "/psrt accept", at(1, 10));
    let edited = gh.advisory_comment(ID, "carol", "/psrt close invalid", at(1, 10));
    gh.update_advisory_comment(edited, |c| c.updated_at = at(1, 10) + Duration::minutes(5));
    let quoted = gh.advisory_comment(ID, "bob", "> /psrt close invalid\nno!", at(1, 10));
    let r = h.run(at(1, 11), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(state(&gh, ID), "triage");
    let refusal = replies(&gh, ID, by_reporter);
    assert_eq!(refusal.len(), 1);
    assert!(
        refusal[0].body.contains("Only PSRT members"),
        "{}",
        refusal[0].body
    );
    let e = replies(&gh, ID, edited);
    assert_eq!(e.len(), 1);
    assert!(e[0].body.contains("never edited"), "{}", e[0].body);
    assert!(replies(&gh, ID, quoted).is_empty());
    assert_eq!(r.discussion.commands_refused, 2, "{}", r.text());
    no_secret_in(&h, &r, &["reporter", "carol"]);
    // A new comment moves the count: still one refusal each.
    gh.advisory_comment(ID, "carol", "thanks", at(1, 12));
    let r = h.run(at(1, 13), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(replies(&gh, ID, by_reporter).len(), 1);
    assert_eq!(replies(&gh, ID, edited).len(), 1);
    assert_eq!(state(&gh, ID), "triage");
}

/// Bad input: a reply that says what is wrong and what works, never the
/// comment's words; nothing changed.
#[tokio::test]
async fn bad_input_is_answered_and_changes_nothing() {
    let (gh, _server, h) = world().await;
    let ids = [
        gh.advisory_comment(ID, "carol", &format!("/psrt {SECRET}"), at(1, 10)),
        gh.advisory_comment(ID, "carol", "/psrt coordinator", at(1, 10)),
        gh.advisory_comment(ID, "carol", &format!("/psrt invite {SECRET}"), at(1, 10)),
        gh.advisory_comment(
            ID,
            "carol",
            "/psrt close duplicate GHSA-zzzz-zzzz-zzzz",
            at(1, 10),
        ),
        gh.advisory_comment(ID, "carol", "/psrt coordinator @mallory", at(1, 10)),
    ];
    let r = h.run(at(1, 11), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(state(&gh, ID), "triage");
    let wants = [
        "does not know this command",
        "needs an account",
        "written `@login`",
        "does not exist",
        "not one",
    ];
    for (id, want) in ids.iter().zip(wants) {
        let rs = replies(&gh, ID, *id);
        assert_eq!(rs.len(), 1, "{want}");
        assert!(rs[0].body.contains(want), "{want}: {}", rs[0].body);
        assert!(rs[0].body.contains("Nothing was changed"), "{}", rs[0].body);
        assert!(!rs[0].body.contains(SECRET) && !rs[0].body.contains("zzzz"));
    }
    assert_eq!(r.discussion.commands_refused, 5, "{}", r.text());
    let coordinators = gh.get_advisory(ID).unwrap().credits;
    assert_eq!(
        coordinators,
        vec![("alice".to_owned(), "coordinator".to_owned())]
    );
}

/// The other verbs through the same path: delegation (the new coordinator
/// and the admins emailed, no comment text), an invite (eligibility team
/// from a member; anyone else from an admin only), help and status
/// (replies only), close with the devguide's reply (the admins emailed).
#[tokio::test]
async fn delegate_invite_help_status_and_close() {
    let (gh, _server, h) = world().await;
    let smtp = SmtpSink::default();
    let smtp_server = smtp.start().await.unwrap();
    let mailer = crate::advisories::mailer(smtp_server.port);
    let help = gh.advisory_comment(OTHER, "carol", "/psrt help", at(1, 10));
    let delegate = gh.advisory_comment(
        OTHER,
        "bob",
        &format!("/psrt coordinator @carol\n{SECRET}"),
        at(1, 10),
    );
    let vic = gh.advisory_comment(OTHER, "carol", "/psrt invite @vic", at(1, 10));
    let mallory = gh.advisory_comment(OTHER, "carol", "/psrt invite @mallory", at(1, 10));
    let status = gh.advisory_comment(OTHER, "carol", "/psrt status", at(1, 10));
    let r = h.run(at(1, 11), true, Some(&mailer)).await;
    assert!(!r.failed(), "{}", r.text());
    let a = gh.get_advisory(OTHER).unwrap();
    assert_eq!(
        a.credits,
        vec![("carol".to_owned(), "coordinator".to_owned())]
    );
    assert_eq!(a.collaborating_users, vec!["vic".to_owned()]);
    let body = |id| replies(&gh, OTHER, id)[0].body.clone();
    assert!(
        body(help).contains("/psrt close completed|not-planned"),
        "{}",
        body(help)
    );
    assert!(
        body(delegate).contains("@carol is the coordinator"),
        "{}",
        body(delegate)
    );
    assert!(body(vic).contains("@vic collaborates"), "{}", body(vic));
    assert!(
        body(mallory).contains("only a PSRT admin"),
        "{}",
        body(mallory)
    );
    assert!(body(status).contains("Deadline"), "{}", body(status));
    for id in [help, delegate, vic, mallory, status] {
        assert_eq!(replies(&gh, OTHER, id).len(), 1);
        assert!(answered(&replies(&gh, OTHER, id)[0]));
    }
    // Bob (an admin) may invite anyone.
    let by_admin = gh.advisory_comment(OTHER, "bob", "/psrt invite @mallory", at(1, 12));
    let closing = gh.advisory_comment(
        OTHER,
        "alice",
        "/psrt close duplicate GHSA-cmds-0000-0001",
        at(1, 12),
    );
    let r = h.run(at(1, 13), true, Some(&mailer)).await;
    assert!(!r.failed(), "{}", r.text());
    assert!(
        body(by_admin).contains("@mallory collaborates"),
        "{}",
        body(by_admin)
    );
    // The close waits for the run after the invite's (the order written).
    assert_eq!(state(&gh, OTHER), "draft");
    assert!(replies(&gh, OTHER, closing).is_empty());
    let r = h.run(at(1, 14), true, Some(&mailer)).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(state(&gh, OTHER), "closed", "{}", r.text());
    assert!(
        gh.get_advisory(OTHER)
            .unwrap()
            .collaborating_users
            .contains(&"mallory".to_owned())
    );
    let closed = body(closing);
    assert!(
        closed.contains("**duplicate** of GHSA-cmds-0000-0001"),
        "{closed}"
    );
    let mails = smtp.messages();
    let to_admins: Vec<_> = mails
        .iter()
        .filter(|m| subject(m).contains("/psrt"))
        .collect();
    // Delegation, two invites, the close.
    assert_eq!(
        to_admins.len(),
        4,
        "{:#?}",
        mails.iter().map(subject).collect::<Vec<_>>()
    );
    for m in &mails {
        assert!(!m.data.contains(SECRET), "{}", m.data);
    }
    assert!(
        to_admins
            .iter()
            .any(|m| m.body().contains("@vic (account id"))
    );
    assert!(
        mails
            .iter()
            .any(|m| subject(m).contains("you are the coordinator")),
        "the new coordinator is emailed"
    );
}

/// Exactly once under a kill between the effect and the reply: the run's
/// effect landed, its claim was not edited, its ledger was not saved. The
/// next run settles the claim from GitHub's state: no second effect, one
/// reply, with the outcome.
#[tokio::test]
async fn exactly_once_when_killed_between_the_effect_and_the_reply() {
    let (gh, _server, h) = world().await;
    let before = std::fs::read(&h.ledger_path).unwrap();
    let c = gh.advisory_comment(ID, "carol", "/psrt accept", at(1, 10));
    // The claim's edit never happens (the run dies there) …
    gh.knobs
        .inject(Fault::new(http::Method::PATCH, "/comments/", 502).times(100));
    let r = h.run(at(1, 11), true, None).await;
    assert!(r.failed(), "{}", r.text());
    // … and the ledger is as before the run (killed before any save).
    std::fs::write(&h.ledger_path, &before).unwrap();
    gh.knobs.clear_faults();
    assert_eq!(state(&gh, ID), "draft", "the effect landed");
    let rs = replies(&gh, ID, c);
    assert_eq!(rs.len(), 1);
    assert!(!answered(&rs[0]), "a claim without outcome: {}", rs[0].body);
    let patches_before = state_patches(&gh);
    let r = h.run(at(1, 12), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let rs = replies(&gh, ID, c);
    assert_eq!(rs.len(), 1, "no second reply: {rs:#?}");
    assert!(
        answered(&rs[0]) && rs[0].body.contains("Accepted"),
        "{}",
        rs[0].body
    );
    assert_eq!(state_patches(&gh), patches_before, "no second effect");
    assert_eq!(forks_created(&gh), 1);
    let r = h.run(at(1, 13), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(replies(&gh, ID, c).len(), 1);
}

fn state_patches(gh: &GitHubFake) -> usize {
    gh.knobs
        .log()
        .iter()
        .filter(|l| {
            l.method == http::Method::PATCH && l.path.ends_with(ID) && !l.path.contains("/comments")
        })
        .count()
}

/// A lost POST answer: the claim landed, GitHub's answer did not. psrt
/// lists again (it never posts blindly a second time), finds its claim,
/// and goes on: one reply, one effect.
#[tokio::test]
async fn exactly_once_when_the_claims_answer_is_lost() {
    let (gh, _server, h) = world().await;
    let c = gh.advisory_comment(ID, "carol", "/psrt accept", at(1, 10));
    gh.knobs.inject(
        Fault::new(http::Method::POST, "/comments", 502)
            .times(1)
            .after_applying(),
    );
    let r = h.run(at(1, 11), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let rs = replies(&gh, ID, c);
    assert_eq!(rs.len(), 1, "{rs:#?}");
    assert!(answered(&rs[0]), "{}", rs[0].body);
    assert_eq!(state(&gh, ID), "draft");
    assert_eq!(r.discussion.answers_lost, 1, "{}", r.text());
    let posts = gh
        .knobs
        .log()
        .iter()
        .filter(|l| l.method == http::Method::POST && l.path.ends_with("/comments"))
        .count();
    // The claim (sent once) and the status comment.
    assert_eq!(posts, 2, "{:#?}", gh.knobs.log());
}

/// Two runs at once (two ledgers, as if the concurrency group failed): the
/// command takes effect once and is answered once; a second claim, if the
/// runs raced to post one, says another run answers and does nothing.
#[tokio::test]
async fn exactly_once_with_two_runs_at_once() {
    let (gh, server, h1) = world().await;
    let h2 = Hourly::new(&h1_roster(&gh), &server.url(), None).await;
    std::fs::copy(&h1.ledger_path, &h2.ledger_path).unwrap();
    let c = gh.advisory_comment(ID, "carol", "/psrt accept", at(1, 10));
    let (r1, r2) = tokio::join!(h1.run(at(1, 11), true, None), h2.run(at(1, 11), true, None));
    let rs = replies(&gh, ID, c);
    let outcomes: Vec<_> = rs.iter().filter(|r| r.body.contains("Accepted")).collect();
    assert_eq!(outcomes.len(), 1, "{rs:#?}\n{}\n{}", r1.text(), r2.text());
    assert!(rs.len() <= 2, "{rs:#?}");
    assert_eq!(state(&gh, ID), "draft");
    assert_eq!(forks_created(&gh), 1, "{}\n{}", r1.text(), r2.text());
    // Whatever either left, the next runs settle it and add nothing.
    for h in [&h1, &h2] {
        let r = h.run(at(1, 12), true, None).await;
        assert!(!r.failed(), "{}", r.text());
    }
    let after = replies(&gh, ID, c);
    assert_eq!(after.len(), rs.len());
    assert!(after.iter().all(answered), "{after:#?}");
    assert_eq!(
        after.iter().filter(|r| r.body.contains("Accepted")).count(),
        1
    );
}

fn h1_roster(gh: &GitHubFake) -> String {
    roster_with_ids(gh)
}

/// A reply an admin deleted in GitHub's UI (the stand-in's knob: the API
/// has no delete) never makes psrt run the command again: the ledger holds
/// its id as answered.
#[tokio::test]
async fn a_deleted_reply_never_runs_a_command_again() {
    let (gh, _server, h) = world().await;
    let c = gh.advisory_comment(OTHER, "bob", "/psrt invite @vic", at(1, 10));
    let r = h.run(at(1, 11), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let rs = replies(&gh, OTHER, c);
    assert_eq!(rs.len(), 1);
    gh.delete_advisory_comment_in_ui(rs[0].id);
    // Someone removes vic by hand meanwhile; the command must not run again.
    gh.update_advisory(OTHER, |a| a.collaborating_users.clear());
    gh.advisory_comment(OTHER, "carol", "a new comment", at(1, 12));
    let r = h.run(at(1, 13), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert!(replies(&gh, OTHER, c).is_empty(), "not answered again");
    assert!(
        gh.get_advisory(OTHER)
            .unwrap()
            .collaborating_users
            .is_empty()
    );
    assert_eq!(r.discussion.commands_answered, 0, "{}", r.text());
}

/// A report with no new comment costs no comments request, commands or not.
#[tokio::test]
async fn no_new_comment_no_comments_request() {
    let (gh, _server, h) = world().await;
    gh.advisory_comment(ID, "carol", "/psrt help", at(1, 10));
    let r = h.run(at(1, 11), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let r = h.run(at(1, 12), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    gh.knobs.clear_log();
    let r = h.run(at(1, 13), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let asked: Vec<_> = gh
        .knobs
        .log()
        .iter()
        .filter(|l| l.path.contains("/comments"))
        .map(|l| l.path.clone())
        .collect();
    assert_eq!(asked, Vec::<String>::new());
}

fn subject(m: &psrt_fakes::smtp::Captured) -> String {
    m.header("Subject").unwrap_or_default()
}

/// What psrt first saw is what counts: a command read unedited (its claim
/// refused by GitHub that run) and edited afterwards is still obeyed; the
/// ledger remembers.
#[tokio::test]
async fn a_command_first_seen_unedited_stays_obeyed_after_an_edit() {
    let (gh, _server, h) = world().await;
    let c = gh.advisory_comment(ID, "carol", "/psrt accept", at(1, 10));
    gh.knobs
        .inject(Fault::new(http::Method::POST, "/comments", 403).times(1));
    let r = h.run(at(1, 11), true, None).await;
    assert!(r.failed(), "a claim not posted fails the run: {}", r.text());
    assert_eq!(state(&gh, ID), "triage", "no effect without a claim");
    assert!(replies(&gh, ID, c).is_empty());
    gh.update_advisory_comment(c, |x| x.updated_at = at(1, 11) + Duration::minutes(5));
    let r = h.run(at(1, 12), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(state(&gh, ID), "draft");
    let rs = replies(&gh, ID, c);
    assert_eq!(rs.len(), 1);
    assert!(rs[0].body.contains("Accepted"), "{}", rs[0].body);
}

/// `cve` where psrt cannot reserve one, and `experts` (not built): a
/// reply that says why, nothing changed.
#[tokio::test]
async fn cve_and_experts_say_why_nothing_changed() {
    let (gh, _server, h) = world().await;
    let cve = gh.advisory_comment(ID, "carol", "/psrt cve", at(1, 10));
    let experts = gh.advisory_comment(ID, "carol", "/psrt experts", at(1, 10));
    let r = h.run(at(1, 11), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let body = |id| replies(&gh, ID, id)[0].body.clone();
    assert!(body(cve).contains("`cve.repos`"), "{}", body(cve));
    // A report in triage has no private fork: nothing to read yet.
    assert!(
        body(experts).contains("no temporary private fork yet"),
        "{}",
        body(experts)
    );
    assert_eq!(state(&gh, ID), "triage");
    assert_eq!(gh.get_advisory(ID).unwrap().cve_id, None);
}

/// `/psrt experts` on a draft whose private fork has a fix touching
/// `Lib/email/` and `Modules/_ssl.c`: the owners a CPython-like CODEOWNERS
/// gives them (the last matching rule wins), teams first, each once, in
/// code spans (no mention); nobody is added.
#[tokio::test]
async fn experts_come_from_codeowners_for_the_files_the_fix_touches() {
    let (gh, _server, h) = world().await;
    gh.commit(
        REPO,
        "main",
        &[(
            ".github/CODEOWNERS",
            "# a later match overrides earlier ones\n**/*import*  @brettcannon\n**/*ssl*  @gpshead @picnixz\n**/*mail*  @python/email-team\nLib/email/_policybase.py\n",
        )],
        "CODEOWNERS",
    );
    let fork = "python/cpython-ghsa-cmds-0000-0002";
    let number = gh.pull_with_reviews(fork, "bob", &[]);
    gh.commit(
        fork,
        &format!("fix-{number}"),
        &[
            ("Lib/email/_header_value_parser.py", "fixed"),
            ("Lib/email/_policybase.py", "fixed"),
            ("Modules/_ssl.c", "fixed"),
        ],
        "the fix",
    );
    let before = gh.get_advisory(OTHER).unwrap();
    let asked = gh.advisory_comment(OTHER, "carol", "/psrt experts", at(1, 10));
    let r = h.run(at(1, 11), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let reply = replies(&gh, OTHER, asked)[0].body.clone();
    assert!(
        reply.contains("`@python/email-team`, `@gpshead`, `@picnixz`. psrt adds no one"),
        "{reply}"
    );
    assert!(!reply.contains("brettcannon"), "{reply}");
    let after = gh.get_advisory(OTHER).unwrap();
    assert_eq!(after.collaborating_users, before.collaborating_users);
    assert_eq!(after.collaborating_teams, before.collaborating_teams);
}

/// `coordinator @login` follows the account the roster pins: after Carol's
/// rename a stranger holds her old login, and the credit still goes to her
/// account under its login of today; a member without `github_id` is not
/// delegated to.
#[tokio::test]
async fn a_delegation_follows_the_pinned_account_never_a_login() {
    let (gh, server) = github().await;
    for l in ["alice", "bob", "carol", "gus", "sam", "erin", "frank"] {
        gh.add_to_team("psrt", l, "member");
    }
    let mut b = FakeAdvisory::new(REPO, OTHER, "draft", at(0, 0)).coordinator("bob");
    b.collaborating_teams = vec!["psrt".into()];
    b.private_fork = Some("python/cpython-ghsa-cmds-0000-0002".into());
    gh.advisory(b);
    gh.repo("python/cpython-ghsa-cmds-0000-0002");
    let gus_id = gh.user("gus");
    let roster = roster_with_ids(&gh).replace(&format!("    github_id: {gus_id}\n"), "");
    assert!(!roster.contains(&format!("github_id: {gus_id}\n")));
    let h = Hourly::new(&roster, &server.url(), None).await;
    assert!(!h.run(at(1, 9), true, None).await.failed());
    gh.rename("carol", "carol-renamed");
    let stranger = gh.user("carol");
    let to_gus = gh.advisory_comment(OTHER, "bob", "/psrt coordinator @gus", at(1, 10));
    let r = h.run(at(1, 11), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let reply = replies(&gh, OTHER, to_gus)[0].body.clone();
    assert!(reply.contains("has no `github_id`"), "{reply}");
    let coordinators = |gh: &GitHubFake| -> Vec<String> {
        gh.get_advisory(OTHER)
            .unwrap()
            .credits
            .into_iter()
            .filter(|(_, kind)| kind == "coordinator")
            .map(|(login, _)| login)
            .collect()
    };
    assert_eq!(coordinators(&gh), ["bob"]);
    let to_carol = gh.advisory_comment(OTHER, "bob", "/psrt coordinator @carol", at(1, 12));
    let r = h.run(at(1, 13), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let reply = replies(&gh, OTHER, to_carol)[0].body.clone();
    assert!(
        reply.contains("@carol-renamed is the coordinator"),
        "{reply}"
    );
    assert_eq!(
        coordinators(&gh),
        ["carol-renamed"],
        "not the stranger (id {stranger})"
    );
}

// ─────────────────────────────────── reports that are not open (ended)

const PUBLISHED: &str = "GHSA-cmds-0000-0003";
const WITHDRAWN: &str = "GHSA-cmds-0000-0004";
const CLOSED: &str = "GHSA-cmds-0000-0005";

/// Beside the triage report and the draft: a published, a withdrawn and a
/// closed report (coordinated by Alice, with a collaborator), before the
/// go-live run: psrt records them, reads nothing.
async fn ended_world(
    before_go_live: impl FnOnce(&GitHubFake),
) -> (GitHubFake, psrt_fakes::Running, Hourly) {
    let (gh, server) = github().await;
    for l in ["alice", "bob", "carol", "gus", "sam", "erin", "frank"] {
        gh.add_to_team("psrt", l, "member");
    }
    gh.add_to_team("python-core", "vic", "member");
    gh.user("reporter");
    gh.user("helper");
    let mut a = FakeAdvisory::new(REPO, ID, "triage", at(0, 0)).coordinator("alice");
    a.author = Some("reporter".into());
    a.collaborating_teams = vec!["psrt".into()];
    gh.advisory(a);
    for (ghsa, st) in [
        (PUBLISHED, "published"),
        (WITHDRAWN, "withdrawn"),
        (CLOSED, "closed"),
    ] {
        let mut e = FakeAdvisory::new(REPO, ghsa, st, at(-200, 0)).coordinator("alice");
        e.summary = format!("{SECRET} summary");
        e.author = Some("reporter".into());
        e.collaborating_teams = vec!["psrt".into()];
        e.collaborating_users = vec!["helper".into()];
        match st {
            "published" => e.published_at = Some(at(-100, 0)),
            "closed" => e.closed_at = Some(at(-100, 0)),
            _ => {}
        }
        gh.advisory(e);
    }
    before_go_live(&gh);
    let h = Hourly::new(&roster_with_ids(&gh), &server.url(), None).await;
    let r = h.run(at(1, 9), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    (gh, server, h)
}

/// What must not change on a report psrt refuses to act on.
fn standing(gh: &GitHubFake, ghsa: &str) -> String {
    let a = gh.get_advisory(ghsa).unwrap();
    format!(
        "{} {:?} {:?} {:?} {:?}",
        a.state, a.credits, a.collaborating_users, a.collaborating_teams, a.cve_id
    )
}

fn comment_posts(gh: &GitHubFake) -> usize {
    gh.knobs
        .log()
        .iter()
        .filter(|l| l.method == http::Method::POST && l.path.ends_with("/comments"))
        .count()
}

/// A member's `/psrt accept` on a published report, the reporter's command
/// on a withdrawn one, a member's command on a closed one: one refusal
/// each, nothing changes on any of them, and later runs post nothing more
/// (a new comment there included). The public output counts them, never
/// which report.
#[tokio::test]
async fn a_command_on_a_report_that_is_not_open_is_refused_once() {
    let (gh, _server, h) = ended_world(|_| {}).await;
    let before: Vec<String> = [PUBLISHED, WITHDRAWN, CLOSED]
        .iter()
        .map(|g| standing(&gh, g))
        .collect();
    let on_published = gh.advisory_comment(PUBLISHED, "carol", "/psrt accept", at(1, 10));
    let on_withdrawn = gh.advisory_comment(WITHDRAWN, "reporter", "/psrt close invalid", at(1, 10));
    let on_closed = gh.advisory_comment(CLOSED, "carol", "/psrt invite @vic", at(1, 10));
    let r = h.run(at(1, 11), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    for (ghsa, c, want) in [
        (
            PUBLISHED,
            on_published,
            "This report is published: psrt runs no command on it.",
        ),
        (
            WITHDRAWN,
            on_withdrawn,
            "Only PSRT members can run psrt commands",
        ),
        (
            CLOSED,
            on_closed,
            "This report is closed: psrt runs no command on it.",
        ),
    ] {
        let rs = replies(&gh, ghsa, c);
        assert_eq!(rs.len(), 1, "{ghsa}: {rs:#?}\n{}", r.text());
        assert!(answered(&rs[0]), "{}", rs[0].body);
        assert!(rs[0].body.contains(want), "{ghsa}: {}", rs[0].body);
        assert!(rs[0].body.contains("Nothing was changed"), "{}", rs[0].body);
        assert!(h.ledger().discussion().is_answered(ghsa, c));
        // The refusal is all psrt writes there: no status, no deadline.
        let by_psrt = gh
            .advisory_comments(ghsa)
            .into_iter()
            .filter(|x| x.user == "psrt-bot")
            .count();
        assert_eq!(by_psrt, 1, "{ghsa}");
    }
    assert_eq!(r.discussion.commands_answered, 3, "{}", r.text());
    assert_eq!(r.discussion.commands_refused, 3, "{}", r.text());
    // The public counts are of the reports psrt manages (triage, draft,
    // closed): the ended ones are not among them.
    assert!(
        r.text()
            .contains("python/cpython: 2 unpublished report(s) read"),
        "{}",
        r.text()
    );
    no_secret_in(&h, &r, &["carol", "reporter"]);
    // The output counts them; the ledger (sealed in production) keys its
    // discussion section by report, as for open reports.
    for out in [r.text(), r.json()] {
        for ghsa in [PUBLISHED, WITHDRAWN, CLOSED] {
            assert!(!out.contains(ghsa), "{ghsa} in {out}");
        }
    }
    let after: Vec<String> = [PUBLISHED, WITHDRAWN, CLOSED]
        .iter()
        .map(|g| standing(&gh, g))
        .collect();
    assert_eq!(after, before);
    assert_eq!(forks_created(&gh), 0);
    // Later runs, a plain comment on the published report among them.
    gh.knobs.clear_log();
    let r = h.run(at(1, 12), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    gh.advisory_comment(PUBLISHED, "bob", "thanks", at(1, 12));
    let r = h.run(at(1, 13), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(comment_posts(&gh), 0, "{:#?}", gh.knobs.log());
    assert_eq!(r.discussion.commands_answered, 0, "{}", r.text());
    for (ghsa, c) in [
        (PUBLISHED, on_published),
        (WITHDRAWN, on_withdrawn),
        (CLOSED, on_closed),
    ] {
        assert_eq!(replies(&gh, ghsa, c).len(), 1);
    }
    let after: Vec<String> = [PUBLISHED, WITHDRAWN, CLOSED]
        .iter()
        .map(|g| standing(&gh, g))
        .collect();
    assert_eq!(after, before);
}

/// A plain comment on a published report costs one read of its thread and
/// no reply; the run after it reads no comment at all.
#[tokio::test]
async fn a_plain_comment_on_a_published_report_costs_one_read() {
    let (gh, _server, h) = ended_world(|_| {}).await;
    assert!(!h.run(at(1, 10), true, None).await.failed());
    gh.advisory_comment(PUBLISHED, "bob", "the fix is in 3.14.2", at(1, 10));
    gh.knobs.clear_log();
    let r = h.run(at(1, 11), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let comments: Vec<String> = gh
        .knobs
        .log()
        .iter()
        .filter(|l| l.path.contains("/comments"))
        .map(|l| format!("{} {}", l.method, l.path))
        .collect();
    assert_eq!(
        comments,
        [format!(
            "GET /repos/{REPO}/security-advisories/{PUBLISHED}/comments?per_page=100"
        )],
    );
    assert_eq!(r.discussion.commands_answered, 0);
    assert_eq!(gh.advisory_comments(PUBLISHED).len(), 1, "no reply");
    gh.knobs.clear_log();
    let r = h.run(at(1, 12), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert!(
        !gh.knobs.log().iter().any(|l| l.path.contains("/comments")),
        "{:#?}",
        gh.knobs.log()
    );
}

/// Go-live (no ledger at all): an old published report that carries a
/// member's command gets no reply because psrt started; psrt records it.
#[tokio::test]
async fn at_go_live_an_old_command_on_a_published_report_gets_no_reply() {
    let (gh, server) = github().await;
    for l in ["alice", "bob", "carol", "gus", "sam", "erin", "frank"] {
        gh.add_to_team("psrt", l, "member");
    }
    let mut p = FakeAdvisory::new(REPO, PUBLISHED, "published", at(-400, 0)).coordinator("alice");
    p.published_at = Some(at(-300, 0));
    p.collaborating_teams = vec!["psrt".into()];
    gh.advisory(p);
    let old = gh.advisory_comment(PUBLISHED, "carol", "/psrt close completed", at(-300, 1));
    let h = Hourly::new(&roster_with_ids(&gh), &server.url(), None).await;
    std::fs::remove_file(&h.ledger_path).unwrap();
    for hour in [9, 10] {
        let r = h.run(at(1, hour), true, None).await;
        assert!(!r.failed(), "{}", r.text());
        assert!(replies(&gh, PUBLISHED, old).is_empty(), "{}", r.text());
        assert_eq!(r.discussion.commands_answered, 0);
    }
    assert_eq!(comment_posts(&gh), 0);
    let held = h.ledger();
    let d = held.discussion().get(PUBLISHED).expect("recorded");
    assert_eq!(d.count, 1);
    assert_eq!(state(&gh, PUBLISHED), "published");
    // Later, someone comments there: psrt reads the thread, and the old
    // command (written before psrt watched the report) is still not
    // answered; a new one is refused.
    gh.advisory_comment(PUBLISHED, "bob", "a note", at(1, 10));
    let new = gh.advisory_comment(PUBLISHED, "carol", "/psrt status", at(1, 10));
    let r = h.run(at(1, 11), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert!(replies(&gh, PUBLISHED, old).is_empty(), "{}", r.text());
    assert_eq!(replies(&gh, PUBLISHED, new).len(), 1, "{}", r.text());
    assert_eq!(r.discussion.commands_answered, 1);
    assert_eq!(state(&gh, PUBLISHED), "published");
}

/// Through Prism (GitHub's description with the comments fragment): a
/// member's accept, an outsider's refused command, `/psrt experts` on a
/// draft whose fork's pull request touches `Lib/email/` and
/// `Modules/_ssl.c` (CODEOWNERS and the pull request's files read), and a
/// command on a published report: no request or answer breaks the
/// description.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Prism: run scripts/test"]
async fn commands_through_prism_match_the_description() {
    let (gh, server) = github().await;
    let prism = crate::prism::Prism::start("PSRT_GITHUB_SPEC", &server.url());
    gh.with(|s| s.public_url = Some(prism.url.clone()));
    for l in ["alice", "bob", "carol", "gus", "sam", "erin", "frank"] {
        gh.add_to_team("psrt", l, "member");
    }
    gh.user("reporter");
    let mut a = FakeAdvisory::new(REPO, ID, "triage", at(0, 0)).coordinator("alice");
    a.author = Some("reporter".into());
    a.collaborating_teams = vec!["psrt".into()];
    gh.advisory(a);
    let fork = "python/cpython-ghsa-cmds-0000-0002";
    let mut b = FakeAdvisory::new(REPO, OTHER, "draft", at(0, 0)).coordinator("bob");
    b.collaborating_teams = vec!["psrt".into()];
    b.private_fork = Some(fork.into());
    gh.advisory(b);
    gh.repo(fork);
    let mut p = FakeAdvisory::new(REPO, PUBLISHED, "published", at(-200, 0)).coordinator("alice");
    p.published_at = Some(at(-100, 0));
    p.collaborating_teams = vec!["psrt".into()];
    gh.advisory(p);
    // A withdrawn one too: the list without a filter carries it.
    gh.advisory(FakeAdvisory::new(REPO, WITHDRAWN, "withdrawn", at(-150, 0)));
    gh.commit(
        REPO,
        "main",
        &[(
            ".github/CODEOWNERS",
            "**/*ssl*  @gpshead @picnixz\n**/*mail*  @python/email-team\n",
        )],
        "CODEOWNERS",
    );
    let number = gh.pull_with_reviews(fork, "bob", &[]);
    gh.commit(
        fork,
        &format!("fix-{number}"),
        &[
            ("Lib/email/_header_value_parser.py", "fixed"),
            ("Modules/_ssl.c", "fixed"),
        ],
        "the fix",
    );
    let h = Hourly::new(&roster_with_ids(&gh), &prism.url, None).await;
    let r = h.run(at(1, 9), true, None).await;
    assert!(!r.failed(), "{}\n{}", r.text(), prism.log_text());
    let accept = gh.advisory_comment(ID, "carol", "/psrt accept", at(1, 10));
    let outsider = gh.advisory_comment(ID, "reporter", "/psrt close invalid", at(1, 10));
    let experts = gh.advisory_comment(OTHER, "carol", "/psrt experts", at(1, 10));
    let ended = gh.advisory_comment(PUBLISHED, "carol", "/psrt accept", at(1, 10));
    let withdrawn = gh.advisory_comment(WITHDRAWN, "bob", "/psrt status", at(1, 10));
    let r = h.run(at(1, 11), true, None).await;
    assert!(!r.failed(), "{}\n{}", r.text(), prism.log_text());
    assert_eq!(state(&gh, ID), "draft");
    assert_eq!(state(&gh, PUBLISHED), "published");
    for (ghsa, c, want) in [
        (ID, accept, "Accepted"),
        (ID, outsider, "Only PSRT members"),
        (
            OTHER,
            experts,
            "`@python/email-team`, `@gpshead`, `@picnixz`",
        ),
        (PUBLISHED, ended, "This report is published"),
        (WITHDRAWN, withdrawn, "This report is withdrawn"),
    ] {
        let rs = replies(&gh, ghsa, c);
        assert_eq!(rs.len(), 1, "{want}: {rs:#?}");
        assert!(rs[0].body.contains(want), "{want}: {}", rs[0].body);
    }
    let r = h.run(at(1, 12), true, None).await;
    assert!(!r.failed(), "{}\n{}", r.text(), prism.log_text());
    let ops: Vec<String> = gh
        .knobs
        .log()
        .iter()
        .map(|l| format!("{} {}", l.method, l.path))
        .collect();
    for want in [
        format!("GET /repos/{REPO}/contents/.github/CODEOWNERS"),
        format!("GET /repos/{fork}/pulls/{number}/files"),
        format!("GET /repos/{REPO}/security-advisories?per_page=100"),
        format!("PATCH /repos/{REPO}/security-advisories/{ID}/comments/"),
    ] {
        assert!(
            ops.iter().any(|o| o.starts_with(&want)),
            "{want} not exercised: {ops:#?}"
        );
    }
    assert_eq!(prism.violations(), Vec::<String>::new());
}

/// An hour where something else changed (the team) but no ended report
/// did: the list without a filter answers `304` and is not read again, and
/// no ended report's discussion is forgotten: a command there later still
/// gets its refusal.
#[tokio::test]
async fn an_unchanged_ended_list_is_not_read_again_and_nothing_is_forgotten() {
    let (gh, _server, h) = ended_world(|_| {}).await;
    assert!(!h.run(at(1, 10), true, None).await.failed());
    gh.add_to_team("psrt", "newcomer", "member");
    gh.knobs.clear_log();
    let r = h.run(at(1, 11), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let every_state: Vec<u16> = gh
        .knobs
        .log()
        .iter()
        .filter(|l| l.path == format!("/repos/{REPO}/security-advisories?per_page=100"))
        .map(|l| l.status)
        .collect();
    assert_eq!(every_state, [304], "{:#?}", gh.knobs.log());
    for ghsa in [PUBLISHED, WITHDRAWN, CLOSED] {
        assert!(h.ledger().discussion().get(ghsa).is_some(), "{ghsa}");
    }
    let c = gh.advisory_comment(PUBLISHED, "carol", "/psrt status", at(1, 11));
    let r = h.run(at(1, 12), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let rs = replies(&gh, PUBLISHED, c);
    assert_eq!(rs.len(), 1, "{}", r.text());
    assert!(
        rs[0].body.contains("This report is published"),
        "{}",
        rs[0].body
    );
}

/// A claim an earlier run left (killed between the effect and the reply)
/// on a report that was published before the next run: that run settles
/// it from the report as read (the plan never sees an ended report): an
/// accept has nothing to say but that psrt runs no command there and this
/// run changed nothing; nothing is made again, and the command is answered.
#[tokio::test]
async fn a_claim_left_on_a_report_published_since_is_edited_to_the_refusal() {
    let (gh, _server, h) = world().await;
    let before = std::fs::read(&h.ledger_path).unwrap();
    let c = gh.advisory_comment(ID, "carol", "/psrt accept", at(1, 10));
    gh.knobs
        .inject(Fault::new(http::Method::PATCH, "/comments/", 502).times(100));
    let r = h.run(at(1, 11), true, None).await;
    assert!(r.failed(), "{}", r.text());
    std::fs::write(&h.ledger_path, &before).unwrap();
    gh.knobs.clear_faults();
    assert_eq!(state(&gh, ID), "draft", "the effect landed");
    gh.update_advisory(ID, |a| {
        a.state = "published".into();
        a.published_at = Some(at(1, 12));
    });
    let patches_before = state_patches(&gh);
    let r = h.run(at(1, 13), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let rs = replies(&gh, ID, c);
    assert_eq!(rs.len(), 1, "{rs:#?}");
    assert!(answered(&rs[0]), "{}", rs[0].body);
    assert!(
        rs[0].body.contains(
            "This report is published: psrt runs no command on it. This run changed nothing."
        ),
        "{}",
        rs[0].body
    );
    assert!(h.ledger().discussion().is_answered(ID, c));
    assert_eq!(state_patches(&gh), patches_before, "nothing made again");
    assert_eq!(state(&gh, ID), "published");
    let r = h.run(at(1, 14), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(replies(&gh, ID, c).len(), 1);
}

/// A claim an earlier run left on a report published since, whose effect
/// landed (an invite and a delegation made, the outcome edits failed, the
/// run's ledger not saved): the next run settles each claim from the
/// report as read, says it was done, and emails the admins once for each;
/// nothing is written on the report, and later runs add nothing.
#[tokio::test]
async fn a_claim_whose_effect_landed_on_a_report_published_since_says_it_was_done() {
    let (gh, _server, h) = world().await;
    let smtp = SmtpSink::default();
    let smtp_server = smtp.start().await.unwrap();
    let mailer = crate::advisories::mailer(smtp_server.port);
    let before = std::fs::read(&h.ledger_path).unwrap();
    let delegate = gh.advisory_comment(OTHER, "bob", "/psrt coordinator @carol", at(1, 10));
    let invite = gh.advisory_comment(OTHER, "bob", "/psrt invite @vic", at(1, 10));
    gh.knobs
        .inject(Fault::new(http::Method::PATCH, "/comments/", 502).times(100));
    let r = h.run(at(1, 11), true, Some(&mailer)).await;
    assert!(r.failed(), "{}", r.text());
    std::fs::write(&h.ledger_path, &before).unwrap();
    gh.knobs.clear_faults();
    let a = gh.get_advisory(OTHER).unwrap();
    assert_eq!(a.collaborating_users, ["vic"], "the invite landed");
    assert_eq!(
        a.credits,
        vec![("carol".to_owned(), "coordinator".to_owned())],
        "the delegation landed"
    );
    let to_admins = || {
        smtp.messages()
            .into_iter()
            .filter(|m| subject(m).contains("/psrt"))
            .collect::<Vec<_>>()
    };
    assert!(to_admins().is_empty(), "no outcome, no admins' email yet");
    gh.update_advisory(OTHER, |a| {
        a.state = "published".into();
        a.published_at = Some(at(1, 12));
    });
    let standing_before = standing(&gh, OTHER);
    gh.knobs.clear_log();
    let r = h.run(at(1, 13), true, Some(&mailer)).await;
    assert!(!r.failed(), "{}", r.text());
    for (c, want) in [
        (delegate, "@carol is the coordinator of this report now"),
        (invite, "@vic collaborates on this report now"),
    ] {
        let rs = replies(&gh, OTHER, c);
        assert_eq!(rs.len(), 1, "{rs:#?}");
        assert!(answered(&rs[0]), "{}", rs[0].body);
        assert!(rs[0].body.contains(want), "{}", rs[0].body);
        assert!(
            !rs[0].body.contains("Nothing was changed"),
            "{}",
            rs[0].body
        );
        assert!(h.ledger().discussion().is_answered(OTHER, c));
    }
    assert_eq!(advisory_patches(&gh, OTHER), 0, "nothing written on it");
    assert_eq!(comment_posts(&gh), 0, "the claims edited, nothing posted");
    assert_eq!(standing(&gh, OTHER), standing_before);
    let mails = to_admins();
    assert_eq!(
        mails.len(),
        2,
        "{:#?}",
        smtp.messages().iter().map(subject).collect::<Vec<_>>()
    );
    // The accounts by login and id, as when the outcome is written at once.
    for (login, id) in [("vic", gh.user("vic")), ("carol", gh.user("carol"))] {
        let named = format!("@{login} (account id {id})");
        assert!(
            mails.iter().any(|m| m.body().contains(&named)),
            "{named}: {:#?}",
            mails.iter().map(|m| m.body()).collect::<Vec<_>>()
        );
    }
    assert_eq!(r.discussion.commands_refused, 0, "{}", r.text());
    no_secret_in(&h, &r, &["carol", "vic", "/psrt invite"]);
    let r = h.run(at(1, 14), true, Some(&mailer)).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(to_admins().len(), 2, "emailed once");
    assert_eq!(replies(&gh, OTHER, invite).len(), 1);
    assert_eq!(replies(&gh, OTHER, delegate).len(), 1);
}

/// The same with an invite whose effect did not land (the advisory's
/// PATCH failed; the claim waits), and the report published before the
/// next run: the claim says truthfully that the account was not added and
/// that psrt runs no command there now (not "write it again"); no admins'
/// email, nothing written on the report.
#[tokio::test]
async fn a_claim_whose_effect_did_not_land_on_a_report_published_since_says_so() {
    let (gh, _server, h) = world().await;
    let smtp = SmtpSink::default();
    let smtp_server = smtp.start().await.unwrap();
    let mailer = crate::advisories::mailer(smtp_server.port);
    let invite = gh.advisory_comment(OTHER, "bob", "/psrt invite @vic", at(1, 10));
    gh.knobs.inject(
        Fault::new(
            http::Method::PATCH,
            &format!("/security-advisories/{OTHER}"),
            502,
        )
        .times(100),
    );
    let r = h.run(at(1, 11), true, Some(&mailer)).await;
    assert!(r.failed(), "{}", r.text());
    gh.knobs.clear_faults();
    assert!(
        gh.get_advisory(OTHER)
            .unwrap()
            .collaborating_users
            .is_empty()
    );
    let rs = replies(&gh, OTHER, invite);
    assert!(
        rs.len() == 1 && !answered(&rs[0]),
        "the claim waits: {rs:#?}"
    );
    gh.update_advisory(OTHER, |a| {
        a.state = "published".into();
        a.published_at = Some(at(1, 12));
    });
    gh.knobs.clear_log();
    let r = h.run(at(1, 13), true, Some(&mailer)).await;
    assert!(!r.failed(), "{}", r.text());
    let rs = replies(&gh, OTHER, invite);
    assert_eq!(rs.len(), 1, "{rs:#?}");
    assert!(answered(&rs[0]), "{}", rs[0].body);
    assert!(
        rs[0].body.contains(
            "The account was not added (the report changed meanwhile), and this report is published now: psrt runs no command on it."
        ),
        "{}",
        rs[0].body
    );
    assert!(h.ledger().discussion().is_answered(OTHER, invite));
    assert_eq!(advisory_patches(&gh, OTHER), 0, "nothing written on it");
    assert!(
        gh.get_advisory(OTHER)
            .unwrap()
            .collaborating_users
            .is_empty()
    );
    assert!(
        !smtp.messages().iter().any(|m| subject(m).contains("/psrt")),
        "no admins' email for an invite not made"
    );
}

/// At an upgrade, a ledger kept by a psrt from before commands (its
/// memory reaches back to its first sighting, long ago) and a closed
/// report holding a member's old `/psrt accept` that psrt never read:
/// first seen closed, the report gets no reply. Weeks later an admin
/// reopens it: psrt never saw that command, so it is not run; it gets the
/// one "write it again" reply.
#[tokio::test]
async fn a_reopened_report_never_runs_a_command_psrt_did_not_see() {
    let (gh, server) = github().await;
    for l in ["alice", "bob", "carol", "gus", "sam", "erin", "frank"] {
        gh.add_to_team("psrt", l, "member");
    }
    let mut c = FakeAdvisory::new(REPO, CLOSED, "closed", at(-200, 0)).coordinator("alice");
    c.collaborating_teams = vec!["psrt".into()];
    c.closed_at = Some(at(-100, 0));
    gh.advisory(c);
    let old = gh.advisory_comment(CLOSED, "carol", "/psrt accept", at(-150, 0));
    let h = Hourly::new(&roster_with_ids(&gh), &server.url(), None).await;
    // The ledger of a psrt from before commands: it first read the report
    // on day -190, so its memory of commands reaches back to then.
    std::fs::write(
        &h.ledger_path,
        format!(
            r#"{{"version":3,"reports":{{"{CLOSED}":{{"seen":{{"first":"{}"}}}}}}}}"#,
            at(-190, 0).to_rfc3339()
        ),
    )
    .unwrap();
    let r = h.run(at(1, 9), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let held = h.ledger();
    assert_eq!(held.commands_since(), Some(at(-190, 0)));
    assert_eq!(
        held.discussion().get(CLOSED).and_then(|d| d.watched_since),
        Some(at(1, 9)),
        "first seen closed"
    );
    assert!(replies(&gh, CLOSED, old).is_empty());
    gh.update_advisory(CLOSED, |a| {
        a.state = "triage".into();
        a.closed_at = None;
    });
    // The hourly runs and the daily full reads after the reopening.
    for t in [at(20, 10), at(20, 11), at(21, 10), at(22, 10)] {
        let r = h.run(t, true, None).await;
        assert!(!r.failed(), "{}", r.text());
    }
    assert_eq!(state(&gh, CLOSED), "triage", "the old command was not run");
    assert_eq!(forks_created(&gh), 0);
    let rs = replies(&gh, CLOSED, old);
    assert_eq!(rs.len(), 1, "{rs:#?}");
    assert!(answered(&rs[0]), "{}", rs[0].body);
    assert!(
        rs[0].body.contains("write it again in a new comment")
            && rs[0].body.contains("Nothing was changed."),
        "{}",
        rs[0].body
    );
    assert!(h.ledger().discussion().is_answered(CLOSED, old));
}

/// A run killed between a close and its outcome, then its ledger lost:
/// the new ledger first sees the report closed, after the command was
/// written. psrt's claim without an outcome is its own trace of a command
/// it judged then: once the thread is read again (a new comment), the
/// claim is settled from GitHub's state (the devguide's reply, the admins
/// emailed), never skipped for ever; nothing is made again.
#[tokio::test]
async fn a_claim_without_outcome_on_a_closed_report_is_settled_after_the_ledger_is_lost() {
    let (gh, _server, h) = world().await;
    let smtp = SmtpSink::default();
    let smtp_server = smtp.start().await.unwrap();
    let mailer = crate::advisories::mailer(smtp_server.port);
    let c = gh.advisory_comment(ID, "carol", "/psrt close invalid", at(1, 10));
    gh.knobs
        .inject(Fault::new(http::Method::PATCH, "/comments/", 502).times(100));
    let r = h.run(at(1, 11), true, Some(&mailer)).await;
    assert!(r.failed(), "{}", r.text());
    gh.knobs.clear_faults();
    assert_eq!(state(&gh, ID), "closed", "the effect landed");
    assert!(!answered(&replies(&gh, ID, c)[0]));
    let to_admins = || {
        smtp.messages()
            .into_iter()
            .filter(|m| subject(m).contains("/psrt"))
            .collect::<Vec<_>>()
    };
    assert!(to_admins().is_empty());
    std::fs::remove_file(&h.ledger_path).unwrap();
    // The new ledger first sees the report closed: recorded, not read.
    let r = h.run(at(1, 12), true, Some(&mailer)).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(
        h.ledger()
            .discussion()
            .get(ID)
            .and_then(|d| d.watched_since),
        Some(at(1, 12))
    );
    gh.advisory_comment(ID, "alice", "a note", at(1, 12));
    gh.knobs.clear_log();
    let r = h.run(at(1, 13), true, Some(&mailer)).await;
    assert!(!r.failed(), "{}", r.text());
    let rs = replies(&gh, ID, c);
    assert_eq!(rs.len(), 1, "{rs:#?}\n{}", r.text());
    assert!(
        answered(&rs[0]) && rs[0].body.contains("closed as **invalid**"),
        "{}",
        rs[0].body
    );
    assert!(h.ledger().discussion().is_answered(ID, c));
    assert_eq!(advisory_patches(&gh, ID), 0, "nothing made again");
    assert_eq!(comment_posts(&gh), 0, "the claim edited");
    assert_eq!(to_admins().len(), 1, "the close emailed to the admins");
    assert_eq!(state(&gh, ID), "closed");
}

/// A report a `/psrt close` closed: its count is recorded with psrt's own
/// reply, so the next run reads nothing there (and later comments are
/// still watched: a command there is refused).
#[tokio::test]
async fn a_report_closed_by_a_command_is_not_read_again() {
    let (gh, _server, h) = world().await;
    let c = gh.advisory_comment(ID, "carol", "/psrt close invalid", at(1, 10));
    let r = h.run(at(1, 11), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(state(&gh, ID), "closed");
    assert_eq!(replies(&gh, ID, c).len(), 1);
    gh.knobs.clear_log();
    let r = h.run(at(1, 12), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert!(
        !gh.knobs.log().iter().any(|l| l.path.contains("/comments")),
        "{:#?}",
        gh.knobs.log()
    );
    let late = gh.advisory_comment(ID, "carol", "/psrt accept", at(1, 12));
    let r = h.run(at(1, 13), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let rs = replies(&gh, ID, late);
    assert_eq!(rs.len(), 1);
    assert!(
        rs[0].body.contains("This report is closed"),
        "{}",
        rs[0].body
    );
    assert_eq!(state(&gh, ID), "closed");
}

/// A report psrt first saw closed (its ledger entry a count only) and that
/// is reopened long after its deadline is a first sighting: its passed
/// thresholds are marked, no deadline comment pings its coordinator at
/// once, and its status comes when it next changes.
#[tokio::test]
async fn a_report_first_seen_closed_and_reopened_is_a_first_sighting() {
    let (gh, _server, h) = ended_world(|_| {}).await;
    gh.update_advisory(CLOSED, |a| {
        a.state = "triage".into();
        a.closed_at = None;
    });
    let r = h.run(at(1, 10), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let by_psrt = |gh: &GitHubFake| {
        gh.advisory_comments(CLOSED)
            .into_iter()
            .filter(|x| x.user == "psrt-bot")
            .count()
    };
    assert_eq!(by_psrt(&gh), 0, "{:#?}", gh.advisory_comments(CLOSED));
    let r = h.run(at(1, 11), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(by_psrt(&gh), 0, "{:#?}", gh.advisory_comments(CLOSED));
    // When it next changes, its status comes (and still no deadline one).
    gh.advisory_comment(CLOSED, "bob", "looking at it again", at(1, 12));
    let r = h.run(at(1, 13), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let bodies: Vec<String> = gh
        .advisory_comments(CLOSED)
        .into_iter()
        .filter(|x| x.user == "psrt-bot")
        .map(|x| x.body)
        .collect();
    assert_eq!(bodies.len(), 1, "{bodies:#?}");
    assert!(bodies[0].contains("PSRT status"), "{bodies:#?}");
}

/// A dry run reads no discussion, so it does not list the ended reports
/// either (no page of the list without a state filter).
#[tokio::test]
async fn a_dry_run_does_not_list_the_ended_reports() {
    let (gh, _server, h) = ended_world(|_| {}).await;
    gh.knobs.clear_log();
    let r = h.run(at(1, 10), false, None).await;
    assert!(!r.failed(), "{}", r.text());
    let lists: Vec<String> = gh
        .knobs
        .log()
        .iter()
        .filter(|l| {
            l.path
                .starts_with(&format!("/repos/{REPO}/security-advisories?"))
        })
        .map(|l| l.path.clone())
        .collect();
    assert_eq!(lists.len(), 3, "{lists:#?}");
    assert!(lists.iter().all(|p| p.contains("state=")), "{lists:#?}");
}

fn advisory_patches(gh: &GitHubFake, ghsa: &str) -> usize {
    gh.knobs
        .log()
        .iter()
        .filter(|l| {
            l.method == http::Method::PATCH
                && l.path.ends_with(ghsa)
                && !l.path.contains("/comments")
        })
        .count()
}

/// The hourly ledger lost (an evicted Actions cache: no file) after a
/// member's command was answered, and then the reply deleted in GitHub's
/// UI: nothing remembers the answer, but the command was written before the
/// new ledger's memory of commands began, so it is not run again: the one
/// reply says to write it again, nothing changes, later runs post nothing.
/// A command written after that runs as any other.
#[tokio::test]
async fn a_lost_ledger_and_a_deleted_reply_never_run_a_command_again() {
    let (gh, _server, h) = world().await;
    let c = gh.advisory_comment(OTHER, "bob", "/psrt invite @vic", at(1, 10));
    let r = h.run(at(1, 11), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let rs = replies(&gh, OTHER, c);
    assert_eq!(rs.len(), 1);
    assert!(answered(&rs[0]), "{}", rs[0].body);
    assert_eq!(gh.get_advisory(OTHER).unwrap().collaborating_users, ["vic"]);

    std::fs::remove_file(&h.ledger_path).unwrap();
    gh.delete_advisory_comment_in_ui(rs[0].id);
    // Someone removes vic by hand meanwhile; the command must not run again.
    gh.update_advisory(OTHER, |a| a.collaborating_users.clear());
    // The first run on the new ledger only starts watching the discussions
    // (as at go-live); a new comment makes the next one read this one.
    let r = h.run(at(1, 12), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(replies(&gh, OTHER, c).len(), 0);
    gh.advisory_comment(OTHER, "carol", "a new comment", at(1, 12));
    gh.knobs.clear_log();
    let r = h.run(at(1, 13), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert!(
        gh.get_advisory(OTHER)
            .unwrap()
            .collaborating_users
            .is_empty(),
        "not run again"
    );
    assert_eq!(advisory_patches(&gh, OTHER), 0, "no second effect");
    let rs = replies(&gh, OTHER, c);
    assert_eq!(rs.len(), 1, "{rs:#?}");
    assert!(answered(&rs[0]), "{}", rs[0].body);
    assert!(
        rs[0]
            .body
            .contains("before psrt's memory of commands began")
            && rs[0].body.contains("write it again in a new comment")
            && rs[0].body.contains("Nothing was changed."),
        "{}",
        rs[0].body
    );
    assert!(!rs[0].body.contains("vic"), "{}", rs[0].body);
    assert_eq!(r.discussion.commands_answered, 1, "{}", r.text());
    assert_eq!(r.discussion.commands_refused, 1, "{}", r.text());
    assert!(h.ledger().discussion().is_answered(OTHER, c));
    no_secret_in(&h, &r, &["bob", "vic", "/psrt invite"]);

    // Later runs, the next day's full read among them, post nothing.
    gh.knobs.clear_log();
    for t in [at(1, 14), at(1, 15), at(2, 15)] {
        let r = h.run(t, true, None).await;
        assert!(!r.failed(), "{}", r.text());
    }
    assert_eq!(comment_posts(&gh), 0, "{:#?}", gh.knobs.log());
    assert_eq!(replies(&gh, OTHER, c).len(), 1);
    assert!(gh.knobs.log().iter().any(|l| l.path.contains("/comments")));

    // Written again, after the new ledger began: run as any command.
    let again = gh.advisory_comment(OTHER, "bob", "/psrt invite @vic", at(2, 16));
    let r = h.run(at(2, 17), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(gh.get_advisory(OTHER).unwrap().collaborating_users, ["vic"]);
    let rs = replies(&gh, OTHER, again);
    assert_eq!(rs.len(), 1);
    assert!(
        answered(&rs[0]) && !rs[0].body.contains("memory of commands"),
        "{}",
        rs[0].body
    );
    assert_eq!(r.discussion.commands_refused, 0, "{}", r.text());
}

/// A run killed between the effect and the outcome, and then its ledger
/// lost: the claim without an outcome is psrt's own trace of a command it
/// judged then, so the next run settles it from GitHub's state (the
/// outcome, no second effect), not "write it again".
#[tokio::test]
async fn a_claim_without_outcome_is_settled_after_the_ledger_is_lost() {
    let (gh, _server, h) = world().await;
    let c = gh.advisory_comment(ID, "carol", "/psrt accept", at(1, 10));
    gh.knobs
        .inject(Fault::new(http::Method::PATCH, "/comments/", 502).times(100));
    let r = h.run(at(1, 11), true, None).await;
    assert!(r.failed(), "{}", r.text());
    gh.knobs.clear_faults();
    assert_eq!(state(&gh, ID), "draft", "the effect landed");
    assert!(!answered(&replies(&gh, ID, c)[0]));
    std::fs::remove_file(&h.ledger_path).unwrap();
    gh.knobs.clear_log();
    // The first run on the new ledger starts watching; the next day's
    // full read finds the claim.
    let r = h.run(at(1, 12), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let r = h.run(at(2, 13), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let rs = replies(&gh, ID, c);
    assert_eq!(rs.len(), 1, "{rs:#?}");
    assert!(
        answered(&rs[0]) && rs[0].body.contains("Accepted"),
        "{}",
        rs[0].body
    );
    assert_eq!(state_patches(&gh), 0, "no second effect");
    assert_eq!(forks_created(&gh), 0, "no second fork");
    assert_eq!(r.discussion.commands_refused, 0, "{}", r.text());
}

/// A dry run on a lost ledger writes nothing, so it starts no memory of
/// commands; the first applying run does, at its `now`.
#[tokio::test]
async fn a_dry_run_starts_no_memory_of_commands() {
    let (gh, _server, h) = world().await;
    std::fs::remove_file(&h.ledger_path).unwrap();
    gh.advisory_comment(ID, "carol", "/psrt accept", at(1, 10));
    let r = h.run(at(1, 11), false, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert!(!h.ledger_path.exists());
    let r = h.run(at(1, 12), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(h.ledger().commands_since(), Some(at(1, 12)));
    assert_eq!(state(&gh, ID), "triage");
}

/// When psrt cannot tell which account it writes as, it answers no command
/// (it could not tell its own replies from a pasted copy), and that run
/// fails: it never goes quiet. Nothing read is taken as seen, so the next
/// run answers every command, the one on a published report too (whose
/// discussion has no daily read to find it again).
#[tokio::test]
async fn without_its_own_account_psrt_answers_nothing_fails_and_answers_next_run() {
    let (gh, _server, h) = ended_world(|_| {}).await;
    let accept = gh.advisory_comment(ID, "carol", "/psrt accept", at(1, 10));
    let on_published = gh.advisory_comment(PUBLISHED, "carol", "/psrt accept", at(1, 10));
    // `GET /user`: the token's account (as an App: `GET /app`).
    gh.knobs.inject(Fault::new(http::Method::GET, "/user", 403));
    let r = h.run(at(1, 11), true, None).await;
    assert!(
        r.failed(),
        "a run that answers no command fails: {}",
        r.text()
    );
    assert!(r.text().contains("commands not run"), "{}", r.text());
    assert!(replies(&gh, ID, accept).is_empty());
    assert!(replies(&gh, PUBLISHED, on_published).is_empty());
    assert_eq!(state(&gh, ID), "triage");
    gh.knobs.clear_faults();
    let r = h.run(at(1, 12), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    assert_eq!(state(&gh, ID), "draft");
    let rs = replies(&gh, ID, accept);
    assert!(rs.len() == 1 && rs[0].body.contains("Accepted"), "{rs:#?}");
    let rs = replies(&gh, PUBLISHED, on_published);
    assert!(
        rs.len() == 1 && rs[0].body.contains("This report is published"),
        "{rs:#?}\n{}",
        r.text()
    );
}

// ─────────────── the list without a filter: errors, 404s, a report moving

/// GitHub's list of every state of the test repository (the ended
/// reports' list): the one without `state=`.
fn every_state_list() -> Fault {
    Fault::new(
        http::Method::GET,
        &format!("/repos/{REPO}/security-advisories"),
        502,
    )
    .whole_path()
    .query_without("state=")
}

/// The list without a filter fails (a 5xx on every try): the
/// repository's open reports are still planned and applied (a member's
/// accept runs), the run fails and says so (the repository, no report),
/// and no ended report's discussion is forgotten: when the list answers
/// again, the command on the published report gets its refusal.
#[tokio::test]
async fn an_error_on_the_list_without_a_filter_stops_only_the_ended_reports() {
    let (gh, _server, h) = ended_world(|_| {}).await;
    let accept = gh.advisory_comment(ID, "carol", "/psrt accept", at(1, 10));
    let on_published = gh.advisory_comment(PUBLISHED, "carol", "/psrt accept", at(1, 10));
    gh.knobs.inject(every_state_list());
    let r = h.run(at(1, 11), true, None).await;
    assert!(r.failed(), "psrt never goes quiet: {}", r.text());
    let text = r.text();
    assert!(
        text.contains("the published and withdrawn reports of python/cpython could not be listed"),
        "{text}"
    );
    assert!(
        !text.contains("NOT checked"),
        "the repository was read: {text}"
    );
    // The note (public) names the repository, no report.
    let notes = format!("{:?} {:?}", r.not_done, r.notes);
    for ghsa in [ID, OTHER, PUBLISHED, WITHDRAWN, CLOSED] {
        assert!(!notes.contains(ghsa), "{ghsa} in {notes}");
    }
    no_secret_in(&h, &r, &["carol", "reporter"]);
    // The open report's lifecycle ran.
    assert_eq!(state(&gh, ID), "draft", "{text}");
    let rs = replies(&gh, ID, accept);
    assert!(rs.len() == 1 && answered(&rs[0]), "{rs:#?}");
    // The ended ones wait, and are not forgotten.
    assert!(replies(&gh, PUBLISHED, on_published).is_empty());
    for ghsa in [PUBLISHED, WITHDRAWN, CLOSED] {
        assert!(h.ledger().discussion().get(ghsa).is_some(), "{ghsa}");
    }
    gh.knobs.clear_faults();
    let r = h.run(at(1, 12), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let rs = replies(&gh, PUBLISHED, on_published);
    assert!(
        rs.len() == 1 && rs[0].body.contains("This report is published"),
        "{rs:#?}\n{}",
        r.text()
    );
    assert_eq!(state(&gh, PUBLISHED), "published");
}

/// One old published report the list cannot decode (an answer psrt cannot
/// read, its text never printed: it may quote a report): the same, and
/// the note gives no decoder's text.
#[tokio::test]
async fn an_undecodable_list_without_a_filter_keeps_the_open_reports_planned() {
    let (gh, _server, h) = ended_world(|_| {}).await;
    let accept = gh.advisory_comment(ID, "carol", "/psrt accept", at(1, 10));
    let mut bad = every_state_list();
    bad.status = 200;
    bad.body = format!(r#"[{{"ghsa_id": 7, "summary": "{SECRET}"}}]"#);
    gh.knobs.inject(bad);
    let r = h.run(at(1, 11), true, None).await;
    assert!(r.failed(), "{}", r.text());
    assert!(
        r.text().contains("an answer psrt could not read"),
        "{}",
        r.text()
    );
    no_secret_in(&h, &r, &["carol"]);
    assert_eq!(state(&gh, ID), "draft", "{}", r.text());
    assert_eq!(replies(&gh, ID, accept).len(), 1);
}

/// A 404 on one published report's comments: that discussion's failure
/// (the run fails, no "preview not enabled"), never the repository's: the
/// open report's status comment is still written. Its count is not
/// recorded, so the next run asks again and answers the command there.
#[tokio::test]
async fn a_404_on_a_published_reports_comments_fails_that_discussion_only() {
    let (gh, _server, h) = ended_world(|_| {}).await;
    assert!(!h.run(at(1, 10), true, None).await.failed());
    gh.advisory_comment(ID, "bob", "I can reproduce it", at(1, 10));
    let on_published = gh.advisory_comment(PUBLISHED, "carol", "/psrt status", at(1, 10));
    gh.knobs.inject(Fault::new(
        http::Method::GET,
        &format!("/security-advisories/{PUBLISHED}/comments"),
        404,
    ));
    let r = h.run(at(1, 11), true, None).await;
    let text = r.text();
    assert!(r.failed(), "{text}");
    assert!(!text.contains("preview"), "{text}");
    assert!(
        text.contains("404 Not Found on a report that is not open"),
        "{text}"
    );
    assert!(!text.contains(PUBLISHED), "{text}");
    assert_eq!(r.discussion.status_created, 1, "{text}");
    let by_psrt = gh
        .advisory_comments(ID)
        .into_iter()
        .filter(|c| c.user == "psrt-bot")
        .count();
    assert_eq!(by_psrt, 1, "the open report's status comment: {text}");
    assert_eq!(h.ledger().discussion().get(PUBLISHED).unwrap().count, 0);
    gh.knobs.clear_faults();
    let r = h.run(at(1, 12), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let rs = replies(&gh, PUBLISHED, on_published);
    assert!(
        rs.len() == 1 && rs[0].body.contains("This report is published"),
        "{rs:#?}\n{}",
        r.text()
    );
}

/// The triage report is published (just after a member's command on it)
/// while a run reads: the list without a filter answered first (it holds
/// the report as triage, so not among the ended ones), the triage list
/// after (it no longer holds it). The report is in no list read this run;
/// its discussion is not forgotten, so the next run answers the command
/// with the refusal rather than first-seeing the report.
#[tokio::test]
async fn a_report_published_between_two_reads_is_not_forgotten() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let (gh, _server, h) = ended_world(|_| {}).await;
    assert!(!h.run(at(1, 10), true, None).await.failed());
    // Something else changed in the list without a filter (so it answers
    // 200 while the triage list answers 304 or comes after).
    gh.advisory_comment(PUBLISHED, "bob", "the fix is in 3.14.2", at(1, 10));
    let command = std::sync::Arc::new(AtomicU64::new(0));
    let (world, written) = (gh.clone(), command.clone());
    gh.knobs.after(every_state_list(), move || {
        let c = world.advisory_comment(ID, "carol", "/psrt accept", at(1, 10));
        written.store(c, Ordering::SeqCst);
        world.update_advisory(ID, |a| {
            a.state = "published".into();
            a.published_at = Some(at(1, 11));
        });
    });
    let r = h.run(at(1, 11), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let c = command.load(Ordering::SeqCst);
    assert_ne!(c, 0, "the report was published during the run");
    assert!(
        h.ledger().discussion().get(ID).is_some(),
        "a report in no list read is not forgotten"
    );
    let r = h.run(at(1, 12), true, None).await;
    assert!(!r.failed(), "{}", r.text());
    let rs = replies(&gh, ID, c);
    assert!(
        rs.len() == 1 && rs[0].body.contains("This report is published"),
        "{rs:#?}\n{}",
        r.text()
    );
    assert_eq!(state(&gh, ID), "published");
}
