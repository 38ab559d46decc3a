//! Repository security advisories (GHSA), as psrt sees them.
//!
//! Embargo by construction: [`Advisory`] has no summary, description,
//! reporter or severity field, so psrt never holds them and cannot print
//! them. Its `Debug` shows only the id, repository and state, because
//! credits and collaborators pair people with an embargoed report.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use super::{GitHub, GitHubError, enc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AdvisoryState {
    Triage,
    Draft,
    Published,
    Closed,
    Withdrawn,
}

impl AdvisoryState {
    /// Triage and draft: the report is being handled.
    pub fn is_open(self) -> bool {
        matches!(self, AdvisoryState::Triage | AdvisoryState::Draft)
    }
    /// Everything but published: the report is still private.
    pub fn is_unpublished(self) -> bool {
        !matches!(self, AdvisoryState::Published)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            AdvisoryState::Triage => "triage",
            AdvisoryState::Draft => "draft",
            AdvisoryState::Published => "published",
            AdvisoryState::Closed => "closed",
            AdvisoryState::Withdrawn => "withdrawn",
        }
    }
}

impl fmt::Display for AdvisoryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Credit {
    pub login: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Clone, Deserialize)]
struct Login {
    login: String,
}

#[derive(Clone, Deserialize)]
struct Slug {
    slug: String,
}

#[derive(Clone, Deserialize)]
struct FullName {
    full_name: String,
}

fn null_as_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// The wire shape: only what psrt needs.
#[derive(Deserialize)]
struct Wire {
    ghsa_id: String,
    html_url: String,
    state: AdvisoryState,
    created_at: DateTime<Utc>,
    #[serde(default)]
    updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    closed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    published_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "null_as_empty")]
    credits: Vec<Credit>,
    #[serde(default, deserialize_with = "null_as_empty")]
    collaborating_users: Vec<Login>,
    #[serde(default, deserialize_with = "null_as_empty")]
    collaborating_teams: Vec<Slug>,
    #[serde(default)]
    private_fork: Option<FullName>,
}

/// A report. See the module's note on the embargo.
#[derive(Clone)]
pub struct Advisory {
    /// `owner/name` of the repository it belongs to.
    pub repo: String,
    pub ghsa_id: String,
    pub html_url: String,
    pub state: AdvisoryState,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub credits: Vec<Credit>,
    pub collaborating_users: Vec<String>,
    pub collaborating_teams: Vec<String>,
    /// The temporary private fork (`owner/name`), if one was made.
    pub private_fork: Option<String>,
}

impl fmt::Debug for Advisory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Advisory")
            .field("ghsa_id", &self.ghsa_id)
            .field("repo", &self.repo)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Advisory {
    fn from_wire(repo: &str, w: Wire) -> Self {
        Self {
            repo: repo.to_owned(),
            ghsa_id: w.ghsa_id,
            html_url: w.html_url,
            state: w.state,
            created_at: w.created_at,
            updated_at: w.updated_at,
            closed_at: w.closed_at,
            published_at: w.published_at,
            credits: w.credits,
            collaborating_users: w.collaborating_users.into_iter().map(|u| u.login).collect(),
            collaborating_teams: w.collaborating_teams.into_iter().map(|t| t.slug).collect(),
            private_fork: w.private_fork.map(|f| f.full_name),
        }
    }

    /// Logins credited as coordinator.
    pub fn coordinators(&self) -> Vec<&str> {
        self.credits
            .iter()
            .filter(|c| c.kind == "coordinator")
            .map(|c| c.login.as_str())
            .collect()
    }
}

/// The advisories of `repo` in `state` (all states when `None`), every page.
pub async fn list(
    gh: &GitHub,
    repo: &str,
    state: Option<AdvisoryState>,
) -> Result<Vec<Advisory>, GitHubError> {
    let (owner, name) = repo.split_once('/').unwrap_or((repo, ""));
    let mut path = format!("/repos/{}/{}/security-advisories", enc(owner), enc(name));
    if let Some(s) = state {
        path.push_str(&format!("?state={s}"));
    }
    let wire: Vec<Wire> = gh.list(&path).await?;
    Ok(wire
        .into_iter()
        .map(|w| Advisory::from_wire(repo, w))
        .collect())
}

/// Open (triage and draft) advisories of every repository, in a stable order.
/// A repository that cannot be read is an error for that repository; the
/// others are still returned.
pub async fn open(gh: &GitHub, repos: &[String]) -> (Vec<Advisory>, Vec<(String, GitHubError)>) {
    in_states(gh, repos, &[AdvisoryState::Triage, AdvisoryState::Draft]).await
}

/// Advisories of every repository, in every state (withdrawn included: the
/// API's state filter cannot ask for it, so this lists without a filter).
pub async fn all(gh: &GitHub, repos: &[String]) -> (Vec<Advisory>, Vec<(String, GitHubError)>) {
    collect(
        futures::future::join_all(
            repos
                .iter()
                .map(|r| async move { (r.clone(), list(gh, r, None).await) }),
        )
        .await,
    )
}

/// Advisories of every repository in the given states (`triage`, `draft`,
/// `published` or `closed`: the states the API can filter on).
pub async fn in_states(
    gh: &GitHub,
    repos: &[String],
    states: &[AdvisoryState],
) -> (Vec<Advisory>, Vec<(String, GitHubError)>) {
    let jobs = repos.iter().flat_map(|r| {
        states
            .iter()
            .filter(|s| **s != AdvisoryState::Withdrawn)
            .map(move |s| (r, *s))
    });
    collect(
        futures::future::join_all(
            jobs.map(|(r, s)| async move { (r.clone(), list(gh, r, Some(s)).await) }),
        )
        .await,
    )
}

fn collect(
    results: Vec<(String, Result<Vec<Advisory>, GitHubError>)>,
) -> (Vec<Advisory>, Vec<(String, GitHubError)>) {
    let mut all = Vec::new();
    let mut errors: Vec<(String, GitHubError)> = Vec::new();
    for (repo, result) in results {
        match result {
            Ok(list) => all.extend(list),
            Err(e) if errors.iter().any(|(r, _)| *r == repo) => drop(e),
            Err(e) => errors.push((repo, e)),
        }
    }
    // A repository with an error contributes nothing: no decision on part of it.
    all.retain(|a: &Advisory| !errors.iter().any(|(r, _)| *r == a.repo));
    all.sort_by(|a, b| (a.created_at, &a.ghsa_id).cmp(&(b.created_at, &b.ghsa_id)));
    (all, errors)
}
