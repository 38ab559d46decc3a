//! What the verdict reads from GitHub: the pull request, `roster.yaml` at the
//! base branch and at the head commit, reviews, the pull request's commits
//! (who authored and committed them), psrt's own identity and the
//! `psrt/approvals` statuses it set before. Nothing here writes.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::rule::{Review, Window};
use crate::github::GitHub;
pub use crate::github::pulls::Commit;
pub use crate::github::repos::Rev;
use crate::ids::RepoName;
use crate::roster::{Login, Roster};

/// The policy repository, `owner/name`.
pub type Repo = RepoName;

/// The pull request.
pub use crate::github::pulls::Pull;

/// The pull request, once its head is a commit sha.
pub async fn pull(gh: &GitHub, repo: &Repo, number: u64) -> anyhow::Result<Pull> {
    checked(gh.pull(repo, number).await?)
}

/// A pull request as listed, once its head is a commit sha.
pub fn checked(p: Pull) -> anyhow::Result<Pull> {
    if !(p.head_sha.len() == 40 && p.head_sha.bytes().all(|b| b.is_ascii_hexdigit())) {
        anyhow::bail!(
            "GitHub gave pull request #{} a head that is not a commit sha",
            p.number
        );
    }
    Ok(p)
}

/// `roster.yaml` at a branch or commit; `None` when it does not exist there.
pub async fn roster_at(gh: &GitHub, repo: &Repo, at: Rev<'_>) -> anyhow::Result<Option<Vec<u8>>> {
    let Some(blob) = gh.file(repo, crate::roster::FILE, at).await? else {
        return Ok(None);
    };
    let bytes = blob.bytes().map_err(|_| {
        anyhow::anyhow!("GitHub sent roster.yaml at {at} in a form psrt cannot read")
    })?;
    Ok(Some(bytes))
}

/// A roster read for judging: valid, or the rules it breaks (rule, line),
/// never its text.
pub enum Parsed {
    Valid(Box<Roster>),
    Invalid(Vec<(&'static str, u32)>),
}

pub fn parse_checked(bytes: &[u8], today: chrono::NaiveDate) -> Parsed {
    match crate::roster::parse(bytes) {
        Ok(loaded) => {
            let errors: Vec<(&'static str, u32)> =
                crate::roster::validate::validate(&loaded, today)
                    .into_iter()
                    .filter(crate::diag::Diagnostic::is_error)
                    .map(|d| (d.rule, d.loc.line))
                    .collect();
            if errors.is_empty() {
                Parsed::Valid(Box::new(loaded.roster))
            } else {
                Parsed::Invalid(errors)
            }
        }
        Err(crate::roster::LoadError::Invalid { diagnostics, .. }) => Parsed::Invalid(
            diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| (d.rule, d.loc.line))
                .collect(),
        ),
        Err(crate::roster::LoadError::Io(_)) => Parsed::Invalid(vec![("encoding", 1)]),
    }
}

pub async fn reviews(gh: &GitHub, repo: &Repo, number: u64) -> anyhow::Result<Vec<Review>> {
    Ok(gh.reviews(repo, number).await?)
}

/// GitHub lists at most this many commits of a pull request.
pub const MAX_PULL_COMMITS: usize = 250;

pub async fn commits(gh: &GitHub, repo: &Repo, number: u64) -> anyhow::Result<Vec<Commit>> {
    Ok(gh.pull_commits(repo, number).await?)
}

/// Everyone GitHub links to a commit of the pull request, as author or committer.
pub fn pushers(commits: &[Commit]) -> BTreeSet<Login> {
    commits
        .iter()
        .flat_map(|c| [&c.author, &c.committer])
        .flatten()
        .map(|l| Login::new(l.clone()))
        .collect()
}

/// The account psrt's writes appear under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `{app-slug}[bot]`, or the token's user.
    pub login: String,
    /// The App's id, when psrt runs as its GitHub App: comments it writes
    /// carry it as `performed_via_github_app`.
    pub app_id: Option<u64>,
}

/// Who psrt is: the App (`GET /app`, with its JWT), or the token's user
/// (`GET /user`). A workflow's own token cannot ask; under GitHub Actions its
/// writes appear as `github-actions[bot]`.
pub async fn identity(gh: &GitHub, in_actions: bool) -> anyhow::Result<Option<Identity>> {
    if let Some(a) = gh.app().await? {
        let slug = a
            .slug
            .filter(|s| Login::from(s.as_str()).is_valid())
            .ok_or_else(|| anyhow::anyhow!("GitHub did not say the App's slug"))?;
        return Ok(Some(Identity {
            login: format!("{slug}[bot]"),
            app_id: Some(a.id),
        }));
    }
    match gh.authenticated_user().await {
        Ok(u) => Ok(Some(Identity {
            login: u.login,
            app_id: None,
        })),
        Err(e) if matches!(e.status(), Some(401 | 403)) => Ok(in_actions.then(|| Identity {
            login: "github-actions[bot]".to_owned(),
            app_id: None,
        })),
        Err(e) => Err(e.into()),
    }
}

/// The commit status psrt sets.
pub const CONTEXT: &str = "psrt/approvals";

/// Whether a status is one psrt (this identity) set on this pull request:
/// its context, its creator, and its link to the pull request (psrt links
/// its comment, or the pull request itself). A commit can be the head of
/// two pull requests; a verdict on the other one says nothing about this.
pub fn is_verdict_on(s: &crate::github::pulls::Status, pull: &Pull, me: &Identity) -> bool {
    s.context == CONTEXT
        && s.creator
            .as_ref()
            .is_some_and(|c| c.login.eq_ignore_ascii_case(&me.login))
        && s.target_url.as_deref().is_some_and(|u| {
            u == pull.html_url
                || u.strip_prefix(pull.html_url.as_str())
                    .is_some_and(|rest| rest.starts_with('#'))
        })
}

/// When psrt (this identity) first set its status on `sha` for this pull
/// request, at or after `since` (the latest force push: a status from
/// before it belongs to an earlier time the commit was the head).
pub async fn first_verdict_at(
    gh: &GitHub,
    repo: &Repo,
    pull: &Pull,
    sha: &str,
    me: &Identity,
    since: Option<DateTime<Utc>>,
) -> anyhow::Result<Option<DateTime<Utc>>> {
    let all = gh.statuses(repo, sha).await?;
    Ok(all
        .into_iter()
        .filter(|s| is_verdict_on(s, pull, me) && since.is_none_or(|t| s.created_at >= t))
        .map(|s| s.created_at)
        .min())
}

fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

/// When the vote opened: the latest commit that changes the roster's meaning
/// (walking first parents from the head), pushed no earlier than psrt first
/// judged it or a later commit (a status is timestamped by GitHub; a commit
/// date is whatever the pusher wrote), and never before the pull request was
/// opened. A commit psrt never judged opens the vote now.
///
/// Only psrt's statuses on this pull request set after its latest force
/// push count: a commit can only come back as the head (a revert, then the
/// same commit pushed again) after a push that was not a fast-forward, and
/// its statuses from before are from the time it was the head before.
pub async fn window(
    gh: &GitHub,
    repo: &Repo,
    pull: &Pull,
    head: &Roster,
    commits: &[Commit],
    me: Option<&Identity>,
    now: DateTime<Utc>,
) -> anyhow::Result<Window> {
    let by_sha: std::collections::HashMap<&str, &Commit> =
        commits.iter().map(|c| (c.sha.as_str(), c)).collect();
    // head → … → the latest commit that changes the roster.
    let mut chain: Vec<&Commit> = Vec::new();
    let mut cur_roster: Option<Roster> = None;
    let mut cur = pull.head_sha.as_str();
    while let Some(c) = by_sha.get(cur).copied() {
        chain.push(c);
        if chain.len() > commits.len() {
            break;
        }
        let Some(parent) = c
            .parents
            .first()
            .filter(|p| by_sha.contains_key(p.as_str()))
        else {
            break; // the first commit of the pull request
        };
        let parent_roster = match roster_at(gh, repo, Rev::Commit(parent)).await? {
            Some(bytes) => crate::roster::parse(&bytes).ok().map(|l| l.roster),
            None => None,
        };
        let this = cur_roster.as_ref().unwrap_or(head);
        let changed = match &parent_roster {
            Some(p) => super::changes::between(p, this)
                .changes
                .iter()
                .any(|ch| ch.rule != super::changes::Rule::Free),
            None => true,
        };
        if changed {
            break;
        }
        cur_roster = parent_roster;
        cur = parent.as_str();
    }
    let Some(changing) = chain.last() else {
        // The head is not among the listed commits: count from now.
        return Ok(Window {
            opened_at: now,
            since: "this run (psrt could not place the head among the pull request's commits)"
                .into(),
        });
    };
    // psrt's first verdict on the changing commit or any later one, since
    // the latest force push.
    let mut seen = None;
    if let Some(me) = me {
        let since = gh.force_pushes(repo, pull.number).await?.last().copied();
        for c in chain.iter().rev() {
            if let Some(at) = first_verdict_at(gh, repo, pull, &c.sha, me, since).await? {
                seen = Some(at);
                break;
            }
        }
    }
    let sha = short(&changing.sha);
    let mut opened_at = pull.created_at;
    let mut since = format!(
        "the opening of the pull request ({})",
        fmt_time(pull.created_at)
    );
    if let Some(t) = changing.committed_at.filter(|t| *t > opened_at) {
        opened_at = t;
        since = format!(
            "`{sha}`, the latest commit that changes the roster ({})",
            fmt_time(t)
        );
    }
    match seen {
        Some(t) if t > opened_at => {
            opened_at = t;
            since = format!(
                "`{sha}`, the latest commit that changes the roster, first judged by psrt at {}",
                fmt_time(t)
            );
        }
        Some(_) => {}
        None => {
            opened_at = now;
            since = format!(
                "`{sha}`, the latest commit that changes the roster, which psrt has not judged before: the vote opens with this run"
            );
        }
    }
    Ok(Window { opened_at, since })
}

fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}
