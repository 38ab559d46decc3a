//! Repository security advisories (GHSA), as psrt sees them.
//!
//! Embargo by construction: [`Advisory`] has no summary, description,
//! reporter or severity field, so psrt never holds them and cannot print
//! them. Its `Debug` shows only the id, repository and state, because
//! credits and collaborators pair people with an embargoed report.
//!
//! The advisory lifecycle needs three things more ([`Lifecycle`]): the title
//! tags (`[ACCEPT]`, `[CLOSE]`...), which psrt finds while it decodes the
//! title and keeps as a [`TitleTag`], never the text; the CVE id; and
//! numeric ids (collaborators', to follow renamed former members; the
//! reporter's, never printed, so that the reporter's own credit is never
//! replaced by a remediation credit).

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

/// A coordinator's instruction in an advisory's title (the `summary`):
/// case-insensitive, anywhere in it, in square brackets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TitleTag {
    /// `[ACCEPT]`, `[ACCEPTED]`: a triage report moves to draft.
    Accept,
    /// `[CLOSE]`, `[CLOSED]`, `[COMPLETE]`, `[COMPLETED]`, `[NOTPLANNED]`,
    /// `[INVALID]`, `[DUPLICATE]`: the report is closed.
    Close,
}

pub const ACCEPT_TAGS: &[&str] = &["ACCEPT", "ACCEPTED"];
pub const CLOSE_TAGS: &[&str] = &[
    "CLOSE",
    "CLOSED",
    "COMPLETE",
    "COMPLETED",
    "NOTPLANNED",
    "INVALID",
    "DUPLICATE",
];

impl TitleTag {
    /// The tag a title carries; a closing tag wins over an accepting one.
    pub fn find(title: &str) -> Option<TitleTag> {
        let mut found = None;
        let mut rest = title;
        while let Some(open) = rest.find('[') {
            let after = &rest[open + 1..];
            let Some(close) = after.find(']') else { break };
            let word = after[..close].to_ascii_uppercase();
            if CLOSE_TAGS.contains(&word.as_str()) {
                return Some(TitleTag::Close);
            }
            if ACCEPT_TAGS.contains(&word.as_str()) {
                found = Some(TitleTag::Accept);
            }
            rest = &after[close + 1..];
        }
        found
    }
}

/// Decodes the title only to find its tag: the text is dropped here.
fn title_tag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<TitleTag>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.and_then(|t| TitleTag::find(&t)))
}

#[derive(Clone, Deserialize)]
struct IdOnly {
    id: u64,
}

#[derive(Clone, Deserialize)]
struct UserWire {
    login: String,
    id: u64,
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
    collaborating_users: Vec<UserWire>,
    #[serde(default, deserialize_with = "null_as_empty")]
    collaborating_teams: Vec<Slug>,
    #[serde(default)]
    private_fork: Option<FullName>,
    #[serde(default, rename = "summary", deserialize_with = "title_tag")]
    title_tag: Option<TitleTag>,
    #[serde(default)]
    cve_id: Option<String>,
    /// The reporter: only the numeric id is decoded.
    #[serde(default)]
    author: Option<IdOnly>,
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

/// A collaborating user, with the id that survives a rename.
#[derive(Clone, PartialEq, Eq)]
pub struct Collaborator {
    pub login: String,
    pub id: u64,
}

/// An advisory as the lifecycle (`psrt advisories`) sees it: the
/// [`Advisory`], its title tag, its CVE id and the people's ids. `Debug`
/// shows the id, repository and state only.
#[derive(Clone)]
pub struct Lifecycle {
    pub advisory: Advisory,
    pub title_tag: Option<TitleTag>,
    pub cve_id: Option<String>,
    /// `advisory.collaborating_users`, with their ids.
    pub collaborators: Vec<Collaborator>,
    /// The reporter's numeric id (never printed; see the module's note).
    pub reporter_id: Option<u64>,
}

impl fmt::Debug for Lifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.advisory.fmt(f)
    }
}

impl Lifecycle {
    fn from_wire(repo: &str, mut w: Wire) -> Self {
        let collaborators = w
            .collaborating_users
            .iter()
            .map(|u| Collaborator {
                login: u.login.clone(),
                id: u.id,
            })
            .collect();
        let (title_tag, cve_id, reporter_id) = (
            w.title_tag,
            w.cve_id.take().filter(|c| !c.is_empty()),
            w.author.as_ref().map(|a| a.id),
        );
        Self {
            advisory: Advisory::from_wire(repo, w),
            title_tag,
            cve_id,
            collaborators,
            reporter_id,
        }
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
    Ok(list_lifecycle(gh, repo, state)
        .await?
        .into_iter()
        .map(|l| l.advisory)
        .collect())
}

/// Like [`list`], with what the lifecycle needs.
pub async fn list_lifecycle(
    gh: &GitHub,
    repo: &str,
    state: Option<AdvisoryState>,
) -> Result<Vec<Lifecycle>, GitHubError> {
    let (owner, name) = repo.split_once('/').unwrap_or((repo, ""));
    let mut path = format!("/repos/{}/{}/security-advisories", enc(owner), enc(name));
    if let Some(s) = state {
        path.push_str(&format!("?state={s}"));
    }
    let wire: Vec<Wire> = gh.list(&path).await?;
    Ok(wire
        .into_iter()
        .map(|w| Lifecycle::from_wire(repo, w))
        .collect())
}

/// One advisory, read again (the lifecycle re-reads before each write).
pub async fn get_lifecycle(
    gh: &GitHub,
    repo: &str,
    ghsa_id: &str,
) -> Result<Lifecycle, GitHubError> {
    let w: Wire = gh.get(&advisory_path(repo, ghsa_id)).await?;
    Ok(Lifecycle::from_wire(repo, w))
}

/// `/repos/{owner}/{repo}/security-advisories/{ghsa_id}`
pub fn advisory_path(repo: &str, ghsa_id: &str) -> String {
    let (owner, name) = repo.split_once('/').unwrap_or((repo, ""));
    format!(
        "/repos/{}/{}/security-advisories/{}",
        enc(owner),
        enc(name),
        enc(ghsa_id)
    )
}

/// A pull request in a temporary private fork: who wrote it, and who
/// approved it (each reviewer's latest decisive review is an approval).
#[derive(Clone, PartialEq, Eq)]
pub struct ForkPull {
    pub author: Option<ForkUser>,
    pub approvers: Vec<ForkUser>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct ForkUser {
    pub login: String,
    pub id: u64,
    pub is_bot: bool,
}

impl fmt::Debug for ForkPull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ForkPull({} approval(s))", self.approvers.len())
    }
}

#[derive(Deserialize)]
struct WireUser {
    login: String,
    id: u64,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

impl From<WireUser> for ForkUser {
    fn from(u: WireUser) -> Self {
        Self {
            is_bot: u.kind.as_deref() == Some("Bot") || u.login.ends_with("[bot]"),
            login: u.login,
            id: u.id,
        }
    }
}

/// The pull requests of a private fork (`owner/name`), each with its
/// approvers: one list of pull requests, and one list of reviews per pull
/// request.
pub async fn fork_pulls(gh: &GitHub, fork: &str) -> Result<Vec<ForkPull>, GitHubError> {
    #[derive(Deserialize)]
    struct Pull {
        number: u64,
        user: Option<WireUser>,
    }
    #[derive(Deserialize)]
    struct Review {
        user: Option<WireUser>,
        state: String,
    }
    let (owner, name) = fork.split_once('/').unwrap_or((fork, ""));
    let base = format!("/repos/{}/{}", enc(owner), enc(name));
    let pulls: Vec<Pull> = gh.list(&format!("{base}/pulls?state=all")).await?;
    let reviews = futures::future::try_join_all(pulls.iter().map(|p| {
        let path = format!("{base}/pulls/{}/reviews", p.number);
        async move { gh.list::<Review>(&path).await }
    }))
    .await?;
    Ok(pulls
        .into_iter()
        .zip(reviews)
        .map(|(p, reviews)| {
            // Each reviewer's latest decisive review is their verdict.
            let mut latest: std::collections::BTreeMap<u64, (WireUser, bool)> =
                std::collections::BTreeMap::new();
            for r in reviews {
                let Some(u) = r.user else { continue };
                let approved = match r.state.as_str() {
                    "APPROVED" => true,
                    "CHANGES_REQUESTED" | "DISMISSED" => false,
                    _ => continue,
                };
                latest.insert(u.id, (u, approved));
            }
            ForkPull {
                author: p.user.map(ForkUser::from),
                approvers: latest
                    .into_values()
                    .filter(|(_, ok)| *ok)
                    .map(|(u, _)| ForkUser::from(u))
                    .collect(),
            }
        })
        .collect())
}

/// Lifecycle views of every repository in the given states; a repository
/// that cannot be read is an error for that repository only.
pub async fn lifecycle_in_states(
    gh: &GitHub,
    repos: &[String],
    states: &[AdvisoryState],
) -> (Vec<Lifecycle>, Vec<(String, GitHubError)>) {
    let jobs = repos.iter().flat_map(|r| {
        states
            .iter()
            .filter(|s| **s != AdvisoryState::Withdrawn)
            .map(move |s| (r, *s))
    });
    let results = futures::future::join_all(
        jobs.map(|(r, s)| async move { (r.clone(), list_lifecycle(gh, r, Some(s)).await) }),
    )
    .await;
    let mut all = Vec::new();
    let mut errors: Vec<(String, GitHubError)> = Vec::new();
    for (repo, result) in results {
        match result {
            Ok(list) => all.extend(list),
            Err(e) if errors.iter().any(|(r, _)| *r == repo) => drop(e),
            Err(e) => errors.push((repo, e)),
        }
    }
    all.retain(|a: &Lifecycle| !errors.iter().any(|(r, _)| *r == a.advisory.repo));
    all.sort_by(|a, b| {
        (a.advisory.created_at, &a.advisory.ghsa_id)
            .cmp(&(b.advisory.created_at, &b.advisory.ghsa_id))
    });
    (all, errors)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_tags_anywhere_any_case_closing_wins() {
        for (title, tag) in [
            (
                "[ACCEPT] heap overflow in zipimport",
                Some(TitleTag::Accept),
            ),
            ("heap overflow [accepted]", Some(TitleTag::Accept)),
            ("[Completed] heap overflow", Some(TitleTag::Close)),
            ("x [NotPlanned] y", Some(TitleTag::Close)),
            ("[accept] [duplicate] y", Some(TitleTag::Close)),
            ("[DUPLICATE] [accept] y", Some(TitleTag::Close)),
            ("[invalid]", Some(TitleTag::Close)),
            ("[close]", Some(TitleTag::Close)),
            ("[CLOSED]", Some(TitleTag::Close)),
            ("[COMPLETE]", Some(TitleTag::Close)),
            ("ACCEPT without brackets", None),
            ("[ ACCEPT ] spaced", None),
            ("[acceptable] risk", None),
            ("unbalanced [ACCEPT", None),
            ("]ACCEPT[", None),
            ("", None),
        ] {
            assert_eq!(TitleTag::find(title), tag, "{title}");
        }
    }

    #[test]
    fn the_title_is_dropped_once_its_tag_is_found() {
        let w: Wire = serde_json::from_value(serde_json::json!({
            "ghsa_id": "GHSA-a", "html_url": "h", "state": "triage",
            "created_at": "2026-01-01T00:00:00Z",
            "summary": "[ACCEPT] EMBARGOED-TITLE",
            "author": {"login": "reporter", "id": 7},
            "collaborating_users": [{"login": "x", "id": 9}],
            "cve_id": null
        }))
        .unwrap();
        let l = Lifecycle::from_wire("python/cpython", w);
        assert_eq!(l.title_tag, Some(TitleTag::Accept));
        assert_eq!(l.reporter_id, Some(7));
        assert_eq!(l.collaborators[0].id, 9);
        assert_eq!(l.advisory.collaborating_users, ["x"]);
        let debug = format!("{l:?}");
        assert!(
            !debug.contains("EMBARGOED") && !debug.contains("reporter") && !debug.contains("\"x\""),
            "{debug}"
        );
    }
}
