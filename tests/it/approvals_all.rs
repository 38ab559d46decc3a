//! `psrt approvals --all`: the hourly sweep over every open pull request to
//! the default branch that changes `roster.yaml`, against the GitHub
//! stand-in (and through Prism, GitHub's own description).

use chrono::{DateTime, Duration, Utc};
use psrt::approvals::sweep::{self, Outcome, Sweep};
use psrt::approvals::{self, Options, Repo};
use psrt_fakes::github::{FakePull, FakeReview, GitHubFake};

use crate::approvals::{SC_ONE, adding, base_roster};
use crate::common::*;

const REPO: &str = "python/psrt-roster";
const PSRT: &str = "psrt-bot";

/// The policy repository with twelve pull requests: #1-#8 change only the
/// docs, #9 adds a member, #10 changes an address, #11 changes the roster
/// but targets another branch, #12 changes it and is closed.
struct World {
    gh: GitHubFake,
    _server: psrt_fakes::Running,
    url: String,
    /// Head commits by pull request number.
    heads: std::collections::BTreeMap<u64, String>,
}

async fn world() -> World {
    let (gh, server) = github().await;
    gh.token_user(TOKEN, PSRT);
    for l in ["ada", "bo", "proposer", "sc1", "sc2", "sc3", "newbie"] {
        gh.org_member(l);
    }
    for l in ["sc1", "sc2", "sc3"] {
        gh.add_to_team("steering-council", l, "member");
    }
    for l in ["ada", "bo", "proposer", "newbie"] {
        gh.add_to_team("python-core", l, "member");
    }
    let sc = base_roster(SC_ONE);
    gh.commit(
        REPO,
        "main",
        &[("roster.yaml", &sc), ("README.md", "# the roster\n")],
        "base",
    );
    gh.commit(REPO, "release", &[], "a release branch");
    let mut w = World {
        url: server.url(),
        gh,
        _server: server,
        heads: Default::default(),
    };
    for n in 1..=8 {
        let page = format!("docs/page-{n}.md");
        w.open(n, "main", &[(&page, "words\n")], "open");
    }
    w.open(
        9,
        "main",
        &[("roster.yaml", &adding(&sc, "newbie"))],
        "open",
    );
    let moved = sc.replace("ada@example.org", "ada@elsewhere.example");
    w.open(10, "main", &[("roster.yaml", &moved)], "open");
    w.open(11, "release", &[("roster.yaml", &moved)], "open");
    w.open(12, "main", &[("roster.yaml", &moved)], "closed");
    w
}

impl World {
    fn open(&mut self, number: u64, base: &str, files: &[(&str, &str)], state: &str) {
        let branch = format!("pr-{number}");
        self.gh.update_repo(REPO, |r| {
            let from = r.branches[base].clone();
            r.branches.insert(branch.clone(), from);
        });
        let opened = Utc::now() - Duration::days(2);
        let sha = self
            .gh
            .commit_by(REPO, &branch, files, "change", "proposer", None, opened);
        self.gh.update_repo(REPO, |r| {
            r.pulls.push(FakePull {
                number,
                title: format!("change {number}"),
                body: String::new(),
                head: branch,
                base: base.into(),
                state: state.into(),
                user: "proposer".into(),
                created_at: opened,
                requested_users: vec![],
                requested_teams: vec![],
            })
        });
        self.heads.insert(number, sha);
    }

    fn review(&self, number: u64, who: &str, state: &str) {
        let commit = self.heads[&number].clone();
        let (who, state) = (who.to_owned(), state.to_owned());
        self.gh.update_repo(REPO, move |r| {
            let id = 500 + r.reviews.len() as u64;
            r.reviews.push(FakeReview {
                id,
                pull: number,
                user: who,
                state,
                commit_id: commit,
                submitted_at: Utc::now(),
            });
        });
    }

    /// The states of psrt's statuses on pull request `number`'s head.
    fn statuses(&self, number: u64) -> Vec<String> {
        self.gh
            .statuses(REPO, &self.heads[&number])
            .into_iter()
            .map(|s| s.state)
            .collect()
    }

    async fn sweep_at(&self, url: &str, publish: bool, now: DateTime<Utc>) -> Sweep {
        let gh = psrt::github::GitHub::connect(
            github_env(url).github.as_ref().unwrap(),
            approvals::github_scope("python", REPO, publish),
            psrt::github::Tuning::local(),
        )
        .await
        .unwrap();
        sweep::all(
            &gh,
            &Repo::parse(REPO).unwrap(),
            Options {
                now,
                in_actions: false,
                publish,
            },
        )
        .await
        .unwrap()
    }

    async fn sweep(&self, publish: bool) -> Sweep {
        self.sweep_at(&self.url, publish, Utc::now()).await
    }

    fn cli(&self, args: &[&str]) -> Run {
        let mut cmd = psrt();
        cmd.args(["approvals", "--repo", REPO])
            .args(args)
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_API_URL", &self.url);
        tokio::task::block_in_place(|| run(&mut cmd))
    }
}

fn verdicts(s: &Sweep) -> Vec<(u64, String)> {
    s.judged
        .iter()
        .map(|j| match &j.outcome {
            Outcome::Verdict { verdict, .. } => (j.number, verdict.summary.clone()),
            Outcome::Error(e) => (j.number, format!("error: {e}")),
        })
        .collect()
}

/// The sweep judges #9 and #10 (open, to the default branch, changing the
/// roster), and nothing else: the docs pull requests cost their file list
/// and nothing more, #11 (another branch) and #12 (closed) nothing at all.
/// A second sweep with nothing new writes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn the_sweep_judges_the_open_roster_pull_requests_to_the_default_branch_only() {
    let w = world().await;
    w.review(9, "sc1", "APPROVED");
    w.gh.knobs.clear_log();
    let s = w.sweep(true).await;
    assert_eq!(
        verdicts(&s),
        [
            (9, "approved: 1 of 1 from steering-council".to_owned()),
            (10, "not approved: 0 of 1 from steering-council".to_owned()),
        ]
    );
    assert_eq!(s.unchanged, (1..=8).collect::<Vec<u64>>());
    assert_eq!(s.other_base, [11]);
    assert_eq!((s.open, s.default_branch.as_str()), (11, "main"));
    assert!(!s.failed());
    assert_eq!(w.statuses(9), ["success"]);
    assert_eq!(w.statuses(10), ["failure"]);
    for n in [1, 8, 11, 12] {
        assert_eq!(w.statuses(n), Vec::<String>::new(), "#{n}");
    }
    let log: Vec<String> = w.gh.knobs.log().iter().map(|l| l.path.clone()).collect();
    for n in 1..=8 {
        let about: Vec<&String> = log
            .iter()
            .filter(|p| {
                p.contains(&format!("/pulls/{n}/"))
                    || p.contains(&format!("/pulls/{n}?"))
                    || p.contains(&format!("/issues/{n}/"))
            })
            .collect();
        assert_eq!(
            about,
            [&format!("/repos/{REPO}/pulls/{n}/files?per_page=100")],
            "#{n}"
        );
    }
    for n in [11, 12] {
        assert!(
            !log.iter().any(|p| p.contains(&format!("/{n}/"))),
            "#{n} was read: {log:#?}"
        );
    }
    // The cost: one list, ten file lists, and per roster pull request what
    // `--pr` reads (the base roster once), its writes, and the re-check.
    assert_eq!(s.requests.1, 4, "a comment and a status each");
    assert_eq!(s.requests.0 + s.requests.1, log.len() as u64);

    // Nothing new: nothing is written (GitHub keeps 1000 statuses a commit).
    w.gh.knobs.clear_log();
    let again = w.sweep(true).await;
    assert_eq!(verdicts(&again), verdicts(&s));
    assert_eq!(w.gh.knobs.writes(), vec![]);
    assert_eq!(again.requests.1, 0);
}

/// The review workflow runs the pull request's own definition, which the
/// pull request can break: a change request it never reported, or its
/// dismissal, is judged by the next sweep all the same.
#[tokio::test(flavor = "multi_thread")]
async fn a_review_no_workflow_reported_is_judged_by_the_next_sweep() {
    let w = world().await;
    w.review(9, "sc1", "APPROVED");
    w.sweep(true).await;
    assert_eq!(w.statuses(9), ["success"]);
    w.review(9, "sc2", "CHANGES_REQUESTED");
    w.sweep(true).await;
    assert_eq!(w.statuses(9), ["success", "failure"]);
    w.gh.update_repo(REPO, |r| {
        if let Some(cr) = r.reviews.iter_mut().find(|x| x.user == "sc2") {
            cr.state = "DISMISSED".into();
        }
    });
    w.sweep(true).await;
    assert_eq!(w.statuses(9), ["success", "failure", "success"]);
    let comments = w.gh.comments(REPO, 9);
    assert_eq!(comments.len(), 1, "one comment, edited in place");
    assert!(comments[0].body.contains("the approval rule holds"));
}

/// A change request that arrives after the sweep read the reviews but
/// before its status landed (while `approvals.yml` may already have
/// published the newer verdict): the sweep reads the reviews again after
/// publishing and judges once more, so its older verdict does not stand.
#[tokio::test(flavor = "multi_thread")]
async fn a_review_arriving_while_the_sweep_publishes_is_judged_again() {
    let w = world().await;
    w.review(9, "sc1", "APPROVED");
    w.gh.knobs.set_latency(std::time::Duration::from_millis(40));
    let gh = w.gh.clone();
    let comment_post = format!("/repos/{REPO}/issues/9/comments");
    let commit = w.heads[&9].clone();
    let meddler = tokio::spawn(async move {
        loop {
            let posted = gh
                .knobs
                .log()
                .iter()
                .any(|l| l.is_write() && l.path == comment_post);
            if posted {
                gh.update_repo(REPO, |r| {
                    r.reviews.push(FakeReview {
                        id: 900,
                        pull: 9,
                        user: "sc2".into(),
                        state: "CHANGES_REQUESTED".into(),
                        commit_id: commit,
                        submitted_at: Utc::now(),
                    })
                });
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    });
    let s = w.sweep(true).await;
    meddler.await.unwrap();
    let nine = s.judged.iter().find(|j| j.number == 9).unwrap();
    let Outcome::Verdict {
        verdict,
        judged_again,
        ..
    } = &nine.outcome
    else {
        panic!("{nine:?}");
    };
    assert!(*judged_again);
    assert_eq!(verdict.summary, "blocked: changes requested");
    assert_eq!(w.statuses(9), ["success", "failure"]);
    assert!(sweep_text_of(&s).contains("judged again"));
}

fn sweep_text_of(s: &Sweep) -> String {
    approvals::render::sweep_text(s)
}

/// A vote window that closes between events passes at the next sweep,
/// with no review or push to trigger a run.
#[tokio::test(flavor = "multi_thread")]
async fn a_vote_window_that_closes_is_judged_by_the_next_sweep() {
    let w = world().await;
    let week = base_roster("{ reviewers: steering-council, required: 1, min_open_days: 7 }");
    w.gh.commit(REPO, "main", &[("roster.yaml", &week)], "a 7-day vote");
    // #9 pushed again on the new base six and a half days ago, judged then.
    let pushed = Utc::now() - Duration::hours(6 * 24 + 12);
    let head = w.gh.commit_by(
        REPO,
        "pr-9",
        &[("roster.yaml", &adding(&week, "newbie"))],
        "on the new rule",
        "proposer",
        None,
        pushed,
    );
    w.gh.seed_verdict(REPO, 9, &head, approvals::CONTEXT, PSRT, pushed);
    let mut w = w;
    w.gh.update_repo(REPO, |r| {
        r.pulls[8].created_at = Utc::now() - Duration::days(10)
    });
    w.heads.insert(9, head);
    w.review(9, "sc1", "APPROVED");
    let s = w.sweep(true).await;
    assert_eq!(verdicts(&s)[0], (9, "vote open 6.5 of 7 days".to_owned()));
    // Thirteen hours later, nothing else happened: the next sweep.
    let s = w
        .sweep_at(&w.url, false, Utc::now() + Duration::hours(13))
        .await;
    assert_eq!(
        verdicts(&s)[0],
        (9, "approved: 1 of 1 from steering-council".to_owned())
    );
}

/// A verdict that does not hold is not a failed run (the hourly stays
/// green while a pull request simply lacks approvals); a pull request psrt
/// cannot judge, or whose verdict it cannot publish, is (exit 1), and the
/// others are still judged.
#[tokio::test(flavor = "multi_thread")]
async fn the_command_exits_0_on_failing_verdicts_and_1_when_one_cannot_be_judged() {
    let w = world().await;
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let mut cmd = psrt();
    cmd.args(["approvals", "--repo", REPO, "--all", "--publish"])
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", &w.url)
        .env("GITHUB_STEP_SUMMARY", &summary);
    let r = tokio::task::block_in_place(|| run(&mut cmd));
    assert_eq!(r.code, 0, "{}", r.all());
    for line in [
        "psrt approvals --all: 11 open pull request(s); 10 to main, 2 of them judged (roster.yaml changes)",
        "pull request #9: the approval rule does NOT hold (not approved: 0 of 1 from steering-council)",
        "pull request #10: the approval rule does NOT hold (not approved: 0 of 1 from steering-council)",
        "not judged, roster.yaml unchanged: #1, #2, #3, #4, #5, #6, #7, #8",
        "not judged, to another branch: #11",
        "summary: 2 judged (0 pass, 2 fail, 0 could not be judged); 0 write(s) failed;",
    ] {
        assert!(r.stdout.contains(line), "`{line}` not in:\n{}", r.stdout);
    }
    assert!(
        r.stderr
            .contains("published #9: set psrt/approvals = failure"),
        "{}",
        r.stderr
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.contains("| [#10](https://github.com/python/psrt-roster/pull/10) | ❌ not approved: 0 of 1 from steering-council |"),
        "{md}"
    );

    // #9 cannot be judged: exit 1, an `error` status on it, #10 judged.
    w.gh.knobs.inject(psrt_fakes::Fault::new(
        http::Method::GET,
        "/pulls/9/reviews",
        500,
    ));
    let r = w.cli(&["--all", "--publish"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stdout
            .contains("pull request #9: psrt could not judge it: "),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("pull request #10: the approval rule does NOT hold")
    );
    assert_eq!(w.statuses(9), ["failure", "error"]);
    w.gh.knobs.clear_faults();

    // A write that fails is a failed run too.
    w.review(10, "sc3", "APPROVED");
    w.gh.knobs.inject(psrt_fakes::Fault::new(
        http::Method::POST,
        "/statuses/",
        422,
    ));
    let r = w.cli(&["--all", "--publish", "--json"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["pull_requests"][1]["number"], 10);
    assert_eq!(json["pull_requests"][1]["verdict"]["passes"], true);
    assert_eq!(json["pull_requests"][1]["publish_failed"], true);
    assert_eq!(json["unchanged"].as_array().unwrap().len(), 8);
    w.gh.knobs.clear_faults();

    // Usage: one of --pr and --all.
    for args in [&[][..], &["--all", "--pr", "9"][..]] {
        let r = w.cli(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.all());
    }
}

/// The reads and writes of a sweep are GitHub's own, as its description
/// says (the file lists, the timeline, the first page of statuses).
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Prism: run scripts/test"]
async fn sweep_operations_match_githubs_description() {
    let w = world().await;
    let week = base_roster("{ reviewers: steering-council, required: 1, min_open_days: 7 }");
    w.gh.commit(REPO, "main", &[("roster.yaml", &week)], "a 7-day vote");
    w.review(9, "sc1", "APPROVED");
    // A force push on #10's branch, so the timeline has an event.
    let ten = w.heads[&10].clone();
    let reset = w.gh.commit(REPO, "pr-10", &[("docs/x.md", "x\n")], "more");
    w.gh.push(REPO, "pr-10", &ten, "proposer", Utc::now());
    assert_ne!(reset, ten);
    let prism = crate::prism::Prism::start("PSRT_GITHUB_SPEC", &w.url);
    w.gh.with(|s| s.public_url = Some(prism.url.clone()));
    for _ in 0..2 {
        let s = w.sweep_at(&prism.url, true, Utc::now()).await;
        assert_eq!(s.judged.len(), 2, "{}", prism.log_text());
        assert!(!s.failed(), "{:#?}\n{}", s.judged, prism.log_text());
    }
    let paths: Vec<String> =
        w.gh.knobs
            .log()
            .iter()
            .map(|l| format!("{} {}", l.method, l.path.split('?').next().unwrap_or("")))
            .collect();
    for want in [
        "GET /repos/python/psrt-roster/pulls",
        "/pulls/1/files",
        "/issues/10/timeline",
        "/statuses",
        "POST /repos/python/psrt-roster/statuses/",
    ] {
        assert!(
            paths.iter().any(|p| p.contains(want)),
            "{want} not exercised: {paths:#?}"
        );
    }
    assert_eq!(prism.violations(), Vec::<String>::new());
}

/// As the approvals App: the sweep's reads and writes are within the
/// scoped token `approvals --all --publish` asks for (the stand-in refuses
/// anything outside it, as GitHub does), and its writes are the App's.
#[tokio::test(flavor = "multi_thread")]
async fn the_sweep_runs_as_the_approvals_app_within_its_scope() {
    let w = world().await;
    let week = base_roster("{ reviewers: steering-council, required: 1, min_open_days: 7 }");
    w.gh.commit(REPO, "main", &[("roster.yaml", &week)], "a 7-day vote");
    w.review(9, "sc1", "APPROVED");
    w.gh.with(|s| {
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
        ("GITHUB_API_URL", w.url.clone()),
    ]);
    let gh = psrt::github::GitHub::connect(
        env.github.as_ref().unwrap(),
        approvals::github_scope("python", REPO, true),
        psrt::github::Tuning::local(),
    )
    .await
    .unwrap();
    let opts = Options {
        now: Utc::now(),
        in_actions: true,
        publish: true,
    };
    let s = sweep::all(&gh, &Repo::parse(REPO).unwrap(), opts)
        .await
        .unwrap();
    assert!(!s.failed(), "{}", approvals::render::sweep_text(&s));
    assert_eq!(s.judged.len(), 2);
    let refused: Vec<String> =
        w.gh.knobs
            .log()
            .iter()
            .filter(|l| l.status == 403 || l.status == 404)
            .map(ToString::to_string)
            .collect();
    assert_eq!(refused, Vec::<String>::new());
    for n in [9, 10] {
        let statuses = w.gh.statuses(REPO, &w.heads[&n]);
        assert_eq!(statuses.len(), 1, "#{n}");
        assert_eq!(statuses[0].creator, "psrt[bot]");
    }
}
