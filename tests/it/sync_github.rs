//! `psrt sync` with the GitHub team, against the stateful fake.

use http::Method;
use psrt::sync::{ChangeResult, Service, Status};
use psrt_fakes::Fault;
use psrt_fakes::scenario::ROSTER_HISTORY;

use crate::common::*;

const GH: &[Service] = &[Service::Github];

#[tokio::test]
async fn drift_converges_and_the_second_run_writes_nothing() {
    let (fake, server) = github().await;
    fake.add_to_team("psrt", "alice", "maintainer");
    fake.add_to_team("psrt", "bob", "member");
    fake.add_to_team("psrt", "carol", "member");
    for l in ["m1", "m2", "m3"] {
        fake.add_to_team("psrt", l, "member");
    }
    fake.org_member("dave");
    fake.user("erin"); // outside the org: invited
    let roster = pinned_roster(
        &fake,
        &[
            ("alice", true),
            ("Bob", true),
            ("dave", false),
            ("erin", false),
            ("m1", false),
            ("m2", false),
            ("m3", false),
        ],
    );
    let env = github_env(&server.url());

    let plan = sync(&roster, &env, GH, false, false).await;
    let gh = one(&plan, Service::Github);
    assert!(matches!(gh.outcome, Status::Planned), "{gh:?}");
    assert_eq!(
        lines(gh),
        ["+ add dave", "+ add erin", "~ role bob", "- remove carol"]
    );
    assert!(fake.knobs.writes().is_empty(), "a dry run writes nothing");

    fake.knobs.clear_log();
    let applied = sync(&roster, &env, GH, true, false).await;
    let gh = one(&applied, Service::Github);
    assert!(!gh.failed(), "{gh:?}");
    // changes applied equal writes made
    assert_eq!(
        fake.knobs.writes().len(),
        gh.changes.len(),
        "{:#?}",
        fake.knobs.writes()
    );
    let erin = gh.changes.iter().find(|c| c.subject == "erin").unwrap();
    assert_eq!(
        erin.result,
        Some(ChangeResult::Applied {
            note: Some("invited to the org; pending acceptance".into())
        })
    );
    assert_eq!(
        fake.team_members("psrt"),
        [
            ("alice".into(), "maintainer".into()),
            ("bob".into(), "maintainer".into()),
            ("dave".into(), "member".into()),
            ("m1".into(), "member".into()),
            ("m2".into(), "member".into()),
            ("m3".into(), "member".into())
        ]
    );
    assert_eq!(fake.pending("psrt"), ["erin"]);

    fake.knobs.clear_log();
    let again = sync(&roster, &env, GH, true, false).await;
    let gh = one(&again, Service::Github);
    assert!(gh.changes.is_empty(), "{:?}", lines(gh));
    assert!(
        gh.notes
            .iter()
            .any(|n| n.contains("1 invitation(s) pending")),
        "{:?}",
        gh.notes
    );
    assert!(fake.knobs.writes().is_empty());
    // no-op: exactly the four lists (one page each), and the account of the
    // one member outside the team (pending), by id: who holds `erin` today
    // is not taken on trust.
    let paths: Vec<String> = fake.knobs.log().iter().map(|l| l.path.clone()).collect();
    assert_eq!(paths.len(), 5, "{paths:#?}");
    assert_eq!(paths.iter().filter(|p| p.starts_with("/user/")).count(), 1);
}

#[tokio::test]
async fn every_page_is_read() {
    let (fake, server) = github().await;
    let mut members = Vec::new();
    for i in 0..250 {
        let login = format!("m{i:03}");
        fake.add_to_team("psrt", &login, if i < 2 { "maintainer" } else { "member" });
        members.push(login);
    }
    let list: Vec<(&str, bool)> = members
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i < 2))
        .collect();
    let reports = sync(&roster(&list), &github_env(&server.url()), GH, false, false).await;
    let gh = one(&reports, Service::Github);
    assert!(gh.changes.is_empty(), "{:?}", lines(gh));
    assert_eq!(gh.current, Some(250));
    let member_pages = fake
        .knobs
        .log()
        .iter()
        .filter(|l| l.path.contains("role=member&"))
        .count();
    assert_eq!(member_pages, 3, "248 members at 100 per page");
}

#[tokio::test]
async fn a_500_on_page_two_gives_no_plan_and_no_writes() {
    let (fake, server) = github().await;
    for i in 0..150 {
        fake.add_to_team(
            "psrt",
            &format!("m{i:03}"),
            if i < 2 { "maintainer" } else { "member" },
        );
    }
    fake.knobs
        .inject(Fault::new(Method::GET, "/teams/psrt/members", 500).query("page=2"));
    // The roster lacks most of them: a plan from page 1 alone would remove people.
    let reports = sync(
        &pinned_roster(&fake, &[("m000", true), ("m001", true)]),
        &github_env(&server.url()),
        GH,
        true,
        true,
    )
    .await;
    let gh = one(&reports, Service::Github);
    assert!(
        matches!(&gh.outcome, Status::ReadFailed { error } if error.contains("500")),
        "{gh:?}"
    );
    assert!(gh.changes.is_empty());
    assert!(gh.failed());
    assert!(fake.knobs.writes().is_empty());
    // retried with backoff before giving up
    let tries = fake
        .knobs
        .log()
        .iter()
        .filter(|l| l.path.contains("page=2") && l.status == 500)
        .count();
    assert_eq!(tries, 4);
}

#[tokio::test]
async fn transient_errors_and_rate_limits_are_waited_out() {
    let (fake, server) = github().await;
    fake.add_to_team("psrt", "alice", "maintainer");
    fake.add_to_team("psrt", "bob", "maintainer");
    fake.knobs
        .inject(Fault::new(Method::GET, "/members", 502).times(1));
    fake.knobs.inject(
        Fault::new(Method::GET, "/invitations", 429)
            .header("retry-after", "1")
            .times(1),
    );
    let reset = (chrono::Utc::now().timestamp() + 1).to_string();
    fake.knobs.inject(
        Fault::new(Method::GET, "/failed_invitations", 403)
            .header("x-ratelimit-remaining", "0")
            .header("x-ratelimit-reset", reset)
            .body(r#"{"message":"API rate limit exceeded"}"#)
            .times(1),
    );
    let started = std::time::Instant::now();
    let reports = sync(
        &pinned_roster(&fake, &[("alice", true), ("bob", true)]),
        &github_env(&server.url()),
        GH,
        false,
        false,
    )
    .await;
    let gh = one(&reports, Service::Github);
    assert!(matches!(gh.outcome, Status::Planned), "{gh:?}");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "waited for Retry-After and the reset"
    );
    let statuses: Vec<u16> = fake.knobs.log().iter().map(|l| l.status).collect();
    assert!(statuses.contains(&502) && statuses.contains(&429) && statuses.contains(&403));
}

#[tokio::test]
async fn a_rate_limit_longer_than_psrt_waits_is_an_error_not_a_hang() {
    let (fake, server) = github().await;
    fake.knobs
        .inject(Fault::new(Method::GET, "/members", 429).header("retry-after", "3600"));
    let reports = sync(
        &pinned_roster(&fake, &[("alice", true), ("bob", true)]),
        &github_env(&server.url()),
        GH,
        false,
        false,
    )
    .await;
    let gh = one(&reports, Service::Github);
    assert!(
        matches!(&gh.outcome, Status::ReadFailed { error } if error.contains("rate limited for 3600s")),
        "{gh:?}"
    );
}

#[tokio::test]
async fn mass_removal_is_blocked_unless_allowed() {
    let (fake, server) = github().await;
    for l in ["a", "b", "c", "d", "e", "f", "g", "h"] {
        fake.add_to_team("psrt", l, if l < "c" { "maintainer" } else { "member" });
    }
    let env = github_env(&server.url());
    let roster = pinned_roster(
        &fake,
        &[
            ("a", true),
            ("b", true),
            ("c", false),
            ("d", false),
            ("e", false),
        ],
    );
    let blocked = sync(&roster, &env, GH, true, false).await;
    let gh = one(&blocked, Service::Github);
    match &gh.outcome {
        Status::Blocked { valves } => {
            let msg = valves[0].to_string();
            assert!(
                msg.contains("max_removal_fraction")
                    && msg.contains("removes 3 of 8")
                    && msg.contains("--allow-mass-removal"),
                "{msg}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(gh.failed());
    assert!(fake.knobs.writes().is_empty(), "stopped before any write");

    let allowed = sync(&roster, &env, GH, true, true).await;
    assert!(!one(&allowed, Service::Github).failed());
    assert_eq!(fake.knobs.writes().len(), 3);
}

#[tokio::test]
async fn a_plan_leaving_too_few_maintainers_stops() {
    let (fake, server) = github().await;
    fake.add_to_team("psrt", "old1", "maintainer");
    fake.add_to_team("psrt", "old2", "maintainer");
    for l in ["m1", "m2", "m3", "m4", "m5", "m6"] {
        fake.add_to_team("psrt", l, "member");
    }
    // The roster replaces both maintainers with new admins outside the org,
    // who would only be invited: the team would be left without maintainers.
    fake.user("new1");
    fake.user("new2");
    let r = pinned_roster(
        &fake,
        &[
            ("new1", true),
            ("new2", true),
            ("m1", false),
            ("m2", false),
            ("m3", false),
            ("m4", false),
            ("m5", false),
            ("m6", false),
        ],
    );
    let reports = sync(&r, &github_env(&server.url()), GH, true, true).await;
    let gh = one(&reports, Service::Github);
    match &gh.outcome {
        Status::Blocked { valves } => {
            assert!(valves[0].to_string().contains("min_admins"), "{valves:?}")
        }
        other => panic!("{other:?}"),
    }
    assert!(fake.knobs.writes().is_empty());
}

#[tokio::test]
async fn a_new_empty_team_gets_its_first_admins() {
    let (fake, server) = github().await;
    fake.org_member("alice");
    fake.org_member("bob");
    let reports = sync(
        &pinned_roster(&fake, &[("alice", true), ("bob", true)]),
        &github_env(&server.url()),
        GH,
        true,
        false,
    )
    .await;
    assert!(!one(&reports, Service::Github).failed());
    assert_eq!(fake.team_members("psrt").len(), 2);
}

#[tokio::test]
async fn pending_invitations_count_as_present_and_strangers_are_cancelled() {
    let (fake, server) = github().await;
    fake.add_to_team("psrt", "alice", "maintainer");
    fake.add_to_team("psrt", "bob", "maintainer");
    fake.invite("psrt", "carol"); // in the roster: present
    fake.invite("psrt", "mallory"); // not in the roster, this team only: cancelled
    let other = fake.invite("psrt", "trent"); // also invited to another team: left alone
    let tid = fake.team("other-team");
    fake.with(|s| {
        s.invitations
            .iter_mut()
            .find(|i| i.id == other)
            .unwrap()
            .team_ids
            .push(tid)
    });
    let r = pinned_roster(&fake, &[("alice", true), ("bob", true), ("carol", false)]);
    let env = github_env(&server.url());
    let reports = sync(&r, &env, GH, true, false).await;
    let gh = one(&reports, Service::Github);
    assert_eq!(lines(gh), ["- cancel-invitation mallory"]);
    assert!(
        gh.notes
            .iter()
            .any(|n| n.contains("`trent`") && n.contains("other teams")),
        "{:?}",
        gh.notes
    );
    assert_eq!(fake.pending("psrt"), ["carol", "trent"]);
}

/// Issue 22: an invitation that failed twice is not sent again forever: it
/// is flagged to the admins, in the plan every run (a warning) and, while
/// the second failure is fresh, as an alert the writing run emails.
#[tokio::test]
async fn a_failed_invitation_is_sent_again_once_then_flagged_to_the_admins() {
    let (fake, server) = github().await;
    fake.add_to_team("psrt", "alice", "maintainer");
    fake.add_to_team("psrt", "bob", "maintainer");
    fake.failed_invitation(
        "psrt",
        "dana",
        "Invitation expired. User did not accept this invite for 7 days.",
    );
    // The next invitation fails too (e.g. the org requires 2FA).
    fake.with(|s| {
        let u = s.users.values_mut().find(|u| u.login == "dana").unwrap();
        u.invitation_fails = Some("User has not enabled two-factor authentication".into());
    });
    let r = pinned_roster(&fake, &[("alice", true), ("bob", true), ("dana", false)]);
    let env = github_env(&server.url());

    let first = sync(&r, &env, GH, true, false).await;
    let gh = one(&first, Service::Github);
    assert_eq!(lines(gh), ["+ reinvite dana"]);
    assert!(
        gh.changes[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("Invitation expired")
    );

    fake.knobs.clear_log();
    let second = sync(&r, &env, GH, true, false).await;
    let gh = one(&second, Service::Github);
    assert!(
        gh.changes.is_empty(),
        "not retried forever: {:?}",
        lines(gh)
    );
    assert!(
        gh.warnings
            .iter()
            .any(|n| n.contains("`dana`'s invitation failed 2 times") && n.contains("two-factor")),
        "{:?}",
        gh.warnings
    );
    assert_eq!(gh.alerts.len(), 1, "the second failure is news: emailed");
    assert_eq!(gh.alerts[0].subject, "dana");
    assert!(
        psrt::sync::report::text(&second, true)
            .contains("  warning: `dana`'s invitation failed 2 times")
    );
    assert!(fake.knobs.writes().is_empty());
    assert!(!gh.failed());
    // A day later it is old news: still in the plan, no second email.
    fake.with(|s| {
        for i in &mut s.invitations {
            i.created_at = (chrono::Utc::now() - chrono::Duration::hours(30)).to_rfc3339();
        }
    });
    let third = sync(&r, &env, GH, true, false).await;
    let gh = one(&third, Service::Github);
    assert!(gh.changes.is_empty() && gh.alerts.is_empty(), "{gh:?}");
    assert_eq!(gh.warnings.len(), 1);
}

#[tokio::test]
async fn someone_github_will_not_invite_is_reported_not_failed() {
    let (fake, server) = github().await;
    fake.add_to_team("psrt", "alice", "maintainer");
    fake.add_to_team("psrt", "bob", "maintainer");
    fake.user("outsider");
    fake.with(|s| {
        s.users
            .values_mut()
            .find(|u| u.login == "outsider")
            .unwrap()
            .invitable = Err("This user is blocked by the organization".into())
    });
    let reports = sync(
        &pinned_roster(
            &fake,
            &[("alice", true), ("bob", true), ("outsider", false)],
        ),
        &github_env(&server.url()),
        GH,
        true,
        false,
    )
    .await;
    let gh = one(&reports, Service::Github);
    match &gh.changes[0].result {
        Some(ChangeResult::Refused { reason }) => assert!(
            reason.contains("blocked by the organization") && reason.contains("psrt advisories"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(!gh.failed());
}

#[tokio::test]
async fn renamed_people_are_followed_by_github_id() {
    let (fake, server) = github().await;
    let alice = fake.org_member("alice");
    fake.add_to_team("psrt", "alice", "maintainer");
    fake.add_to_team("psrt", "bob", "maintainer");
    let dave = fake.org_member("dave");
    fake.rename("alice", "alice-new");
    fake.rename("dave", "dave-new");
    let text = roster_text(&[("bob", true)], "").replace(
        "members:\n",
        &format!("members:\n  - name: Alice\n    github: alice\n    github_id: {alice}\n    roles: [admin]\n  - name: Dave\n    github: dave\n    github_id: {dave}\n"),
    );
    let r = parse_roster(&text);
    let env = github_env(&server.url());
    let reports = sync(&r, &env, GH, true, false).await;
    let gh = one(&reports, Service::Github);
    assert_eq!(
        lines(gh),
        ["+ add dave-new"],
        "alice-new is alice: not removed"
    );
    assert!(
        gh.changes[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("the roster says `dave`")
    );
    assert!(
        gh.notes
            .iter()
            .any(|n| n.contains("`alice` is `alice-new` on GitHub")),
        "{:?}",
        gh.notes
    );
    assert!(
        fake.team_members("psrt")
            .iter()
            .any(|(l, _)| l == "dave-new")
    );
}

/// Issue 21: access follows the account, not the name. Alice renamed and a
/// stranger took `alice` (and a seat in the team, by hand): by id, Alice
/// keeps her seat and the stranger loses theirs. Carol, who has no
/// `github_id`, is not invited by login (the plan says so), nor is Bob made
/// a maintainer by login; Bob keeps the seat his login holds.
#[tokio::test]
async fn access_follows_the_account_not_the_login() {
    let (fake, server) = github().await;
    let alice = fake.org_member("alice");
    fake.add_to_team("psrt", "alice", "maintainer");
    fake.add_to_team("psrt", "bob", "member");
    let zed = fake.org_member("zed");
    fake.add_to_team("psrt", "zed", "maintainer");
    fake.rename("alice", "alice-new");
    let stranger = fake.org_member("alice");
    assert_ne!(stranger, alice);
    fake.add_to_team("psrt", "alice", "maintainer");
    fake.org_member("carol");
    let text = roster_text(&[("bob", true), ("carol", false)], "").replace(
        "members:\n",
        &format!("members:\n  - name: Alice\n    github: alice\n    github_id: {alice}\n    roles: [admin]\n  - name: Zed\n    github: zed\n    github_id: {zed}\n    roles: [admin]\n"),
    );
    let env = github_env(&server.url());
    let reports = sync(&parse_roster(&text), &env, GH, true, false).await;
    let gh = one(&reports, Service::Github);
    assert!(!gh.failed(), "{gh:?}");
    assert_eq!(lines(gh), ["- remove alice"], "{:?}", gh.notes);
    let mut team = fake.team_members("psrt");
    team.sort();
    assert_eq!(
        team,
        [
            ("alice-new".into(), "maintainer".into()),
            ("bob".into(), "member".into()),
            ("zed".into(), "maintainer".into())
        ],
        "the stranger is out, Alice (renamed) is in, Bob is not promoted by login"
    );
    assert!(
        fake.pending("psrt").is_empty(),
        "carol is not invited by login"
    );
    assert!(
        gh.notes.iter().any(|n| n.contains(
            "2 member(s) without `github_id` get nothing new by login (a login is a name anyone may take once its owner renames): bob (maintainer), carol; record their ids with `psrt pin-ids`"
        )),
        "{:?}",
        gh.notes
    );
}

#[tokio::test]
async fn a_missing_team_is_a_clear_error() {
    let (_fake, server) = github().await;
    let text = roster_text(&[("alice", true), ("bob", true)], "")
        .replace("team: psrt", "team: no-such-team");
    let reports = sync(
        &parse_roster(&text),
        &github_env(&server.url()),
        GH,
        false,
        false,
    )
    .await;
    let gh = one(&reports, Service::Github);
    assert!(
        matches!(&gh.outcome, Status::ReadFailed { error } if error.contains("team python/no-such-team does not exist")),
        "{gh:?}"
    );
}

#[tokio::test]
async fn each_roster_version_in_turn_is_what_the_team_becomes() {
    let (fake, server) = github().await;
    for l in ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"] {
        fake.org_member(l);
    }
    let env = github_env(&server.url());
    for v in ROSTER_HISTORY {
        let reports = sync(&pinned_roster(&fake, v), &env, GH, true, false).await;
        assert!(
            !one(&reports, Service::Github).failed(),
            "{:?}",
            one(&reports, Service::Github)
        );
        let mut want: Vec<(String, String)> = v
            .iter()
            .map(|(l, admin)| {
                (
                    l.to_ascii_lowercase(),
                    if *admin { "maintainer" } else { "member" }.to_owned(),
                )
            })
            .collect();
        want.sort();
        assert_eq!(fake.team_members("psrt"), want);
    }
}

#[tokio::test]
async fn wrong_credentials_are_a_clear_error() {
    let (fake, server) = github().await;
    fake.add_to_team("psrt", "alice", "maintainer");
    let env = env_for(&[
        ("GITHUB_TOKEN", "ghp_wrong".into()),
        ("GITHUB_API_URL", server.url()),
    ]);
    let reports = sync(
        &pinned_roster(&fake, &[("alice", true), ("bob", true)]),
        &env,
        GH,
        true,
        false,
    )
    .await;
    let gh = one(&reports, Service::Github);
    assert!(
        matches!(&gh.outcome, Status::ReadFailed { error } if error.contains("401") && error.contains("Bad credentials")),
        "{gh:?}"
    );
}

#[tokio::test]
async fn a_github_app_authenticates_as_its_installation() {
    let (fake, server) = github().await;
    fake.add_to_team("psrt", "alice", "maintainer");
    fake.add_to_team("psrt", "bob", "maintainer");
    fake.with(|s| {
        s.tokens.clear();
        s.app = Some(
            psrt_fakes::github::FakeApp::new(
                4242,
                &std::fs::read_to_string(fixture("test-app-key.pub.pem")).unwrap(),
            )
            .install(77, "python"),
        );
    });
    let env = env_for(&[
        ("PSRT_GITHUB_APP_ID", "4242".into()),
        (
            "PSRT_GITHUB_APP_KEY",
            std::fs::read_to_string(fixture("test-app-key.pem")).unwrap(),
        ),
        ("GITHUB_API_URL", server.url()),
    ]);
    let reports = sync(
        &pinned_roster(&fake, &[("alice", true), ("bob", true)]),
        &env,
        GH,
        false,
        false,
    )
    .await;
    let gh = one(&reports, Service::Github);
    assert!(matches!(gh.outcome, Status::Planned), "{gh:?}");
    let paths: Vec<String> = fake.knobs.log().iter().map(|l| l.path.clone()).collect();
    assert!(
        paths.contains(&"/orgs/python/installation".to_owned()),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"/app/installations/77/access_tokens".to_owned()),
        "{paths:?}"
    );
}
