//! The yearly inactivity report for the Steering Council (PEP 811), and the
//! pull request that carries it.
//!
//! Activity inside the window (from `last_inactivity_report`, or a year
//! before `now`, to `now`): a credit on any advisory of `advisory_repos`, in
//! any state (coordinator, remediation developer, reviewer or verifier,
//! analyst), dated by the advisory's latest change; a pull request opened in
//! an advisory's temporary private fork; a comment on any advisory, in any
//! state (PEP 811: "coordinated or commented on"), matched to the member by
//! account id (a renamed account keeps its comments) and dated by when it
//! was written; the roster's `last_active` (activity GitHub cannot see).
//! Release
//! Managers, Steering Council members and members who joined inside the
//! window are exempt. The report is public: evidence on unpublished
//! advisories is counted, never named, and never dated (see [`build`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::github::advisories::{Advisory, AdvisoryState};
use crate::github::{GitHub, pull_request};
use crate::roster::Roster;

/// Reading the advisories (credits) of every advisory repository.
pub const ADVISORY_PERMISSIONS: &[crate::github::Permission] =
    &[("repository_advisories", crate::github::Level::Read)];
/// Reading the pull requests in the advisories' temporary private forks.
pub const FORK_PERMISSIONS: &[crate::github::Permission] =
    &[("pull_requests", crate::github::Level::Read)];
/// `--open-pr`: a branch, a commit and the pull request on the policy
/// repository, through the pull-request App (the main App has no Contents
/// write anywhere).
pub const POLICY_REPO_PERMISSIONS: &[crate::github::Permission] = &[
    ("contents", crate::github::Level::Write),
    ("pull_requests", crate::github::Level::Write),
];

/// The GitHub scope of `psrt inactivity`'s reads (the main App): the
/// advisories and their private forks.
pub fn github_scope(roster: &Roster) -> crate::github::Scope {
    crate::github::Scope::org(&roster.github.org, &[])
        .repos(&roster.github.advisory_repos, ADVISORY_PERMISSIONS)
        .forks(FORK_PERMISSIONS)
}

/// The scope of `--open-pr`'s writes (the pull-request App): the policy
/// repository alone.
pub fn pull_request_scope(org: &str, policy_repo: &str) -> crate::github::Scope {
    crate::github::Scope::org(org, &[]).repos(&[policy_repo], POLICY_REPO_PERMISSIONS)
}

/// Credit types that count as taking part in handling a report.
pub const ACTIVE_CREDITS: &[&str] = &[
    "coordinator",
    "remediation_developer",
    "remediation_reviewer",
    "remediation_verifier",
    "analyst",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Window {
    pub fn new(roster: &Roster, now: DateTime<Utc>) -> Self {
        let end = now.date_naive();
        let start = roster.last_inactivity_report.unwrap_or_else(|| {
            end.checked_sub_signed(Duration::days(365))
                .unwrap_or(NaiveDate::MIN)
        });
        Self { start, end }
    }
    pub fn contains(&self, d: NaiveDate) -> bool {
        d >= self.start && d <= self.end
    }
}

/// One piece of evidence of activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub date: NaiveDate,
    pub what: What,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// A credit; the GHSA id only when the advisory is published.
    Credit {
        kind: String,
        published: Option<String>,
    },
    /// A pull request in a private fork; the GHSA id only when published.
    ForkPull { published: Option<String> },
    /// A comment in the advisory's discussion; the GHSA id only when
    /// published. Never its text.
    Comment { published: Option<String> },
    /// The roster's `last_active`.
    LastActive,
}

impl Evidence {
    /// Public words for it: never an unpublished report's id.
    pub fn describe(&self) -> String {
        match &self.what {
            What::Credit {
                kind,
                published: Some(id),
            } => format!("{} credit on {id}", kind.replace('_', " ")),
            What::Credit {
                kind,
                published: None,
            } => format!(
                "a {} credit on an unpublished report in the window",
                kind.replace('_', " ")
            ),
            What::ForkPull {
                published: Some(id),
            } => format!("pull request in the private fork of {id}"),
            What::ForkPull { published: None } => {
                "a pull request in an unpublished report's private fork in the window".to_owned()
            }
            What::Comment {
                published: Some(id),
            } => format!("comment on {id}"),
            What::Comment { published: None } => {
                "a comment on an unpublished report in the window".to_owned()
            }
            What::LastActive => "last_active in the roster".to_owned(),
        }
    }
    fn unpublished(&self) -> bool {
        matches!(
            self.what,
            What::Credit {
                published: None,
                ..
            } | What::ForkPull { published: None }
                | What::Comment { published: None }
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    Active,
    Inactive,
    Exempt { reason: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub login: String,
    pub name: String,
    #[serde(flatten)]
    pub status: Status,
    /// Latest dated activity in the window: never the date of evidence on
    /// an unpublished report.
    pub last_activity: Option<NaiveDate>,
    pub kind: Option<String>,
    /// Evidence in the window: on published reports, on unpublished ones (counted only), roster dates.
    pub published_evidence: usize,
    pub unpublished_evidence: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub report_date: NaiveDate,
    pub window: Window,
    pub rows: Vec<Row>,
    /// Evidence GitHub could not give (a repository without the advisory
    /// comments API): a member shown inactive may have been active there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_checked: Vec<String>,
}

impl Report {
    pub fn inactive(&self) -> Vec<&Row> {
        self.rows
            .iter()
            .filter(|r| r.status == Status::Inactive)
            .collect()
    }
}

/// Evidence from GitHub, per login (lower case), and what could not be
/// looked at.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub evidence: BTreeMap<String, Vec<Evidence>>,
    pub not_checked: Vec<String>,
}

impl Found {
    fn push(&mut self, login: &str, e: Evidence) {
        self.evidence
            .entry(login.to_ascii_lowercase())
            .or_default()
            .push(e);
    }
}

/// Reads every advisory (all states) and the pull requests of their private
/// forks. Any read that fails fails the report: an inactivity report from
/// part of the evidence could name active members.
///
/// The comments of every advisory whose `comments` count is not zero are
/// read (updated since the window could start: `since` is by update time,
/// and a comment is updated no earlier than written). A repository without
/// the comments API is said in the report ([`Report::not_checked`]); any
/// other failure fails it.
pub async fn gather(gh: &GitHub, roster: &Roster) -> anyhow::Result<Found> {
    let mut found = Found::default();
    let repos = roster.github.advisory_repo_names();
    let (all, errors) = crate::github::advisories::merge_lists(
        futures::future::join_all(
            repos
                .iter()
                .map(|r| async move { (r.clone(), gh.advisories(r, None).await) }),
        )
        .await,
    );
    if let Some((repo, e)) = errors.into_iter().next() {
        anyhow::bail!("cannot read the advisories of {repo}: {}", e.reason());
    }
    gather_comments(gh, roster, &all, &mut found).await?;
    for a in all.iter().map(|l| &l.advisory) {
        let published = (a.state == AdvisoryState::Published).then(|| a.ghsa_id.to_string());
        let date = last_change(a);
        for c in a
            .credits
            .iter()
            .filter(|c| ACTIVE_CREDITS.contains(&c.kind.as_str()))
        {
            found.push(
                &c.login,
                Evidence {
                    date,
                    what: What::Credit {
                        kind: c.kind.clone(),
                        published: published.clone(),
                    },
                },
            );
        }
        if let Some(fork) = &a.private_fork {
            let pulls = gh.pulls(fork).await.map_err(|e| {
                anyhow::anyhow!(
                    "cannot read the pull requests of a private fork: {}",
                    e.reason()
                )
            })?;
            for (login, created) in pulls
                .into_iter()
                .filter_map(|p| Some((p.author?.login, p.created_at.date_naive())))
            {
                found.push(
                    &login,
                    Evidence {
                        date: created,
                        what: What::ForkPull {
                            published: published.clone(),
                        },
                    },
                );
            }
        }
    }
    Ok(found)
}

/// The comments on every advisory, each given to the member whose account
/// id wrote it (else to the author's login).
async fn gather_comments(
    gh: &GitHub,
    roster: &Roster,
    all: &[crate::github::advisories::Lifecycle],
    found: &mut Found,
) -> anyhow::Result<()> {
    use crate::github::comments::CommentsError;
    // The earliest the window can start: the last report, or a year (and a
    // day, for leap years) before now.
    let since = roster
        .last_inactivity_report
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .unwrap_or_else(|| Utc::now() - Duration::days(366));
    let mut unavailable: std::collections::BTreeSet<crate::ids::RepoName> = all
        .iter()
        .filter(|l| l.comments.is_none())
        .map(|l| l.advisory.repo.clone())
        .collect();
    let due: Vec<&Advisory> = all
        .iter()
        .filter(|l| l.comments.is_some_and(|n| n > 0))
        .map(|l| &l.advisory)
        .filter(|a| !unavailable.contains(&a.repo))
        .collect();
    let read = futures::future::join_all(due.iter().map(|a| async move {
        let comments = gh
            .advisory_comments::<serde::de::IgnoredAny>(&a.repo, &a.ghsa_id, Some(since))
            .await;
        (*a, comments)
    }))
    .await;
    for (a, comments) in read {
        let comments = match comments {
            Ok(c) => c,
            Err(CommentsError::Unavailable { repo }) => {
                unavailable.insert(repo);
                continue;
            }
            Err(e) => anyhow::bail!(
                "cannot read the comments of an advisory of {}: {}",
                a.repo,
                e.reason()
            ),
        };
        let published = (a.state == AdvisoryState::Published).then(|| a.ghsa_id.to_string());
        for c in comments {
            let Some(author) = &c.user else { continue };
            let login = roster
                .members
                .iter()
                .find(|m| m.github_id == Some(author.id))
                .map_or_else(|| author.login.clone(), |m| m.github.to_string());
            found.push(
                &login,
                Evidence {
                    date: c.created_at.date_naive(),
                    what: What::Comment {
                        published: published.clone(),
                    },
                },
            );
        }
    }
    found.not_checked = unavailable
        .into_iter()
        .map(|r| {
            format!("comments on the advisories of {r} (the advisory comments API is not available there)")
        })
        .collect();
    Ok(())
}

fn last_change(a: &Advisory) -> NaiveDate {
    [
        Some(a.created_at),
        a.updated_at,
        a.closed_at,
        a.published_at,
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(a.created_at)
    .date_naive()
}

/// The report: pure, from the roster, the evidence and the time.
pub fn build(roster: &Roster, found: &Found, now: DateTime<Utc>) -> Report {
    let window = Window::new(roster, now);
    let rows = roster
        .members
        .iter()
        .map(|m| {
            let mut evidence: Vec<Evidence> = found
                .evidence
                .get(&m.github.key())
                .cloned()
                .unwrap_or_default();
            if let Some(d) = m.last_active {
                evidence.push(Evidence {
                    date: d,
                    what: What::LastActive,
                });
            }
            evidence.retain(|e| window.contains(e.date));
            // The embargo rule for this public report: evidence on an
            // unpublished report is shown undated ("a coordinator credit on
            // an unpublished report in the window"), never with its date: a
            // date would be the advisory's latest change (or its fork's pull
            // request), and matching it to one report pairs this person with
            // that report. So the row names the latest *dated* evidence
            // (published reports, the roster's `last_active`), and only when
            // there is none, an undated one. On a tie, a coordinator credit
            // first.
            let rank = |e: &&Evidence| {
                (
                    e.date,
                    matches!(&e.what, What::Credit { kind, .. } if kind == "coordinator"),
                )
            };
            let dated = evidence
                .iter()
                .filter(|e| !e.unpublished())
                .max_by_key(rank);
            let undated = evidence.iter().filter(|e| e.unpublished()).max_by_key(
                |e| matches!(&e.what, What::Credit { kind, .. } if kind == "coordinator"),
            );
            let last: Option<(Option<NaiveDate>, String)> = match (dated, undated) {
                (Some(e), _) => Some((Some(e.date), e.describe())),
                (None, Some(e)) => Some((None, e.describe())),
                (None, None) => None,
            };
            let exempt = if m.has(crate::roster::Role::ReleaseManager) {
                Some("Release Manager".to_owned())
            } else if roster.on_council(&m.github) {
                Some("Steering Council".to_owned())
            } else {
                m.since
                    .filter(|s| *s > window.start)
                    .map(|s| format!("joined {s}, inside the window"))
            };
            let status = match (exempt, &last) {
                (Some(reason), _) => Status::Exempt { reason },
                (None, Some(_)) => Status::Active,
                (None, None) => Status::Inactive,
            };
            Row {
                login: m.github.to_string(),
                name: m.name.clone(),
                status,
                last_activity: last.as_ref().and_then(|(d, _)| *d),
                kind: last.map(|(_, k)| k),
                published_evidence: evidence.iter().filter(|e| !e.unpublished()).count(),
                unpublished_evidence: evidence.iter().filter(|e| e.unpublished()).count(),
            }
        })
        .collect();
    Report {
        report_date: now.date_naive(),
        window,
        rows,
        not_checked: found.not_checked.clone(),
    }
}

pub fn text(r: &Report) -> String {
    use std::fmt::Write as _;
    let mut s = format!(
        "inactivity report {} (window {} to {}):\n",
        r.report_date, r.window.start, r.window.end
    );
    let w = r
        .rows
        .iter()
        .map(|x| x.login.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let k = r
        .rows
        .iter()
        .map(|x| x.kind.as_deref().unwrap_or("none found").len())
        .max()
        .unwrap_or(8)
        .max(8);
    let _ = writeln!(
        s,
        "  {:<w$}  {:<10}  {:<k$}  status",
        "member", "last", "activity"
    );
    for row in &r.rows {
        let status = match &row.status {
            Status::Active => "active".to_owned(),
            Status::Inactive => "INACTIVE".to_owned(),
            Status::Exempt { reason } => format!("exempt ({reason})"),
        };
        let last = row.last_activity.map_or("-".to_owned(), |d| d.to_string());
        let _ = writeln!(
            s,
            "  {:<w$}  {:<10}  {:<k$}  {status}",
            row.login,
            last,
            row.kind.clone().unwrap_or_else(|| "none found".into())
        );
    }
    for n in &r.not_checked {
        let _ = writeln!(s, "  not checked: {n}");
    }
    let inactive: Vec<&str> = r.inactive().iter().map(|x| x.login.as_str()).collect();
    let _ = writeln!(
        s,
        "\nsummary: {} member(s), {} inactive{}",
        r.rows.len(),
        inactive.len(),
        if inactive.is_empty() {
            String::new()
        } else {
            format!(": {}", inactive.join(", "))
        }
    );
    s
}

/// The template variables for the pull request.
pub fn pr_context(r: &Report, roster: &Roster, not_moved: &[String]) -> minijinja::Value {
    let rows: Vec<minijinja::Value> = r
        .rows
        .iter()
        .map(|row| {
            let status = match &row.status {
                Status::Active => "active".to_owned(),
                Status::Inactive if not_moved.iter().any(|l| l.eq_ignore_ascii_case(&row.login)) => "**inactive** (not moved: see below)".to_owned(),
                Status::Inactive => "**inactive**: moves to emeritus".to_owned(),
                Status::Exempt { reason } => format!("exempt: {reason}"),
            };
            minijinja::context! { login => row.login.clone(), name => row.name.clone(), last_activity => row.last_activity.map(|d| d.to_string()), kind => row.kind.clone(), status => status }
        })
        .collect();
    let inactive: Vec<String> = r.inactive().iter().map(|x| x.login.clone()).collect();
    minijinja::context! {
        report_date => r.report_date.to_string(),
        window_start => r.window.start.to_string(),
        window_end => r.window.end.to_string(),
        rows => rows,
        inactive => inactive,
        not_moved => not_moved.to_vec(),
        repos => roster.github.advisory_repos.clone(),
        not_checked => r.not_checked.clone(),
    }
}

/// What `--open-pr` did.
#[derive(Debug, Clone, Serialize)]
pub struct PullRequest {
    pub number: u64,
    pub url: String,
    pub branch: String,
    pub created: bool,
    /// A new commit was pushed (false when the branch already had this edit).
    pub committed: bool,
    /// Inactive members left in place (moving them would break a rule).
    pub not_moved: Vec<String>,
}

pub const ROSTER_PATH: &str = crate::roster::FILE;

/// The GitHub ids of the members (by index in `members`) about to move to
/// emeritus whose entry has none (`GET /users/{login}`); a login GitHub does
/// not know is left without one (`psrt check --online` reports it).
async fn ids_to_record(gh: &GitHub, roster: &Roster, logins: &[String]) -> BTreeMap<usize, u64> {
    let wanted: Vec<(usize, &crate::roster::Member)> = roster
        .members
        .iter()
        .enumerate()
        .filter(|(_, m)| m.github_id.is_none())
        .filter(|(_, m)| {
            logins
                .iter()
                .any(|l| l.eq_ignore_ascii_case(m.github.as_str()))
        })
        .collect();
    let found = futures::future::join_all(
        wanted
            .iter()
            .map(|(i, m)| async move { (*i, gh.user(m.github.as_str()).await) }),
    )
    .await;
    found
        .into_iter()
        .filter_map(|(i, r)| match r {
            Ok(Some(u)) => Some((i, u.id)),
            _ => None,
        })
        .collect()
}

/// Opens, or updates, the cycle's pull request in `repo` (`owner/name`).
/// The report is built from the roster on the default branch, the file the
/// pull request edits.
pub async fn open_pr(
    gh: &GitHub,
    repo: &str,
    found: &Found,
    now: DateTime<Utc>,
    templates: &crate::notify::Templates,
) -> anyhow::Result<(Report, PullRequest)> {
    let target = pull_request::Repo::read(gh, repo)
        .await
        .map_err(|e| anyhow::anyhow!("the policy repository: {e:#}"))?;
    let current = target.file(gh, ROSTER_PATH, None).await?.ok_or_else(|| {
        anyhow::anyhow!("{repo} has no {ROSTER_PATH} on {}", target.default_branch)
    })?;
    let loaded = crate::roster::parse(current.text.as_bytes())
        .map_err(|e| anyhow::anyhow!("{ROSTER_PATH} on {}: {e}", target.default_branch))?;
    let report = build(&loaded.roster, found, now);

    // Move the inactive members; if that breaks a rule (the last admins),
    // leave those who cannot go, and say so in the pull request.
    let inactive: Vec<String> = report.inactive().iter().map(|r| r.login.clone()).collect();
    let index_of = |login: &str| {
        loaded
            .roster
            .members
            .iter()
            .position(|m| m.github.as_str().eq_ignore_ascii_case(login))
    };
    let today = report.report_date;
    // Emeritus entries record the GitHub id (looked up when the roster has
    // none), so that revocation follows a former member who renames.
    let ids = ids_to_record(gh, &loaded.roster, &inactive).await;
    let mut not_moved = Vec::new();
    let mut moving: Vec<String> = inactive.clone();
    let new_text = loop {
        let indices: Vec<usize> = moving.iter().filter_map(|l| index_of(l)).collect();
        match crate::roster::edit::retire_with_ids(
            &loaded,
            &indices,
            &ids,
            report.report_date,
            today,
        ) {
            Ok(t) => break t,
            Err(crate::roster::edit::EditError::Invalid(_))
            | Err(crate::roster::edit::EditError::WouldEmpty) => {
                // Keep admins first, then anyone, until the edit holds.
                let keep = moving
                    .iter()
                    .position(|l| index_of(l).is_some_and(|i| loaded.roster.members[i].is_admin()))
                    .or(if moving.is_empty() {
                        None
                    } else {
                        Some(moving.len() - 1)
                    });
                match keep {
                    Some(i) => not_moved.push(moving.remove(i)),
                    None => anyhow::bail!("the edited roster does not pass psrt check"),
                }
            }
            Err(e) => return Err(e.into()),
        }
    };

    let moved = inactive.len() - not_moved.len();
    let (title, body) = templates.render(
        "inactivity-pr.md",
        pr_context(&report, &loaded.roster, &not_moved),
    )?;
    // Review from the Steering Council: its team, or its members in the roster.
    let g = &loaded.roster.github;
    let reviewers = match &g.steering_council_team {
        Some(team) => pull_request::Reviewers::Teams(vec![team.clone()]),
        None => pull_request::Reviewers::Users(
            loaded
                .roster
                .steering_council
                .iter()
                .map(ToString::to_string)
                .collect(),
        ),
    };
    let proposal = pull_request::Proposal {
        branch: format!("psrt-inactivity-{}", report.report_date.format("%Y")),
        changes: vec![pull_request::FileChange {
            path: ROSTER_PATH.to_owned(),
            text: new_text,
            current: Some(current),
            message: format!(
                "Inactivity report {}: {} member(s) to emeritus",
                report.report_date, moved
            ),
        }],
        title,
        body,
        reviewers: Some(reviewers),
    };
    let done = pull_request::propose(gh, &target, &proposal).await?;
    Ok((
        report,
        PullRequest {
            number: done.number,
            url: done.url,
            branch: done.branch,
            created: done.created,
            committed: done.committed,
            not_moved,
        },
    ))
}
