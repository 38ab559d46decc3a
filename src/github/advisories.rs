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
use http::Method;
use serde::{Deserialize, Deserializer, Serialize};

use super::model::{Account, null_as_empty};
use super::pulls::{ReviewState, latest_decisive};
use super::repos::repo_path;
use super::transport::{Fresh, Sensitivity::Embargoed, enc, json_body};
use super::{GitHub, GitHubError};
use crate::ids::{GhsaId, RepoName};

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
    /// Published or withdrawn: psrt manages it no more (a `/psrt` command
    /// there is refused).
    pub fn has_ended(self) -> bool {
        matches!(self, AdvisoryState::Published | AdvisoryState::Withdrawn)
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
    /// A fork whose name is not `owner/name` fails the read: psrt never
    /// takes it for a report without a fork (it would ask for another).
    full_name: RepoName,
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
    ghsa_id: GhsaId,
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
    /// Non-confidential comments (the comments API's preview); absent where
    /// the preview is not enabled.
    #[serde(default)]
    comments: Option<u64>,
    /// Whether a CVSS v4 vector is set: only that is decoded, never the
    /// vector or the severity.
    #[serde(default, rename = "cvss_severities", deserialize_with = "has_cvss_v4")]
    has_cvss_v4: bool,
}

/// Whether `cvss_severities.cvss_v4.vector_string` is set; nothing else of
/// the severities is kept.
fn has_cvss_v4<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    struct V4 {
        #[serde(default)]
        vector_string: Option<String>,
    }
    #[derive(Deserialize)]
    struct Severities {
        #[serde(default)]
        cvss_v4: Option<V4>,
    }
    Ok(Option::<Severities>::deserialize(d)?
        .and_then(|s| s.cvss_v4)
        .and_then(|v| v.vector_string)
        .is_some_and(|v| !v.trim().is_empty()))
}

/// A report. See the module's note on the embargo.
#[derive(Clone)]
pub struct Advisory {
    /// The repository it belongs to.
    pub repo: RepoName,
    pub ghsa_id: GhsaId,
    pub html_url: String,
    pub state: AdvisoryState,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub credits: Vec<Credit>,
    pub collaborating_users: Vec<String>,
    pub collaborating_teams: Vec<String>,
    /// The temporary private fork, if one was made.
    pub private_fork: Option<RepoName>,
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
    /// The count of non-confidential comments; `None` where the comments
    /// API's preview is not enabled.
    pub comments: Option<u64>,
    /// A CVSS v4 vector is set (the devguide asks for v4).
    pub has_cvss_v4: bool,
}

impl fmt::Debug for Lifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.advisory.fmt(f)
    }
}

impl Lifecycle {
    fn from_wire(repo: &RepoName, mut w: Wire) -> Self {
        let collaborators = w
            .collaborating_users
            .iter()
            .map(|u| Collaborator {
                login: u.login.clone(),
                id: u.id,
            })
            .collect();
        let (title_tag, cve_id, reporter_id, comments, has_cvss_v4) = (
            w.title_tag,
            w.cve_id.take().filter(|c| !c.is_empty()),
            w.author.as_ref().map(|a| a.id),
            w.comments,
            w.has_cvss_v4,
        );
        Self {
            advisory: Advisory::from_wire(repo, w),
            title_tag,
            cve_id,
            collaborators,
            reporter_id,
            comments,
            has_cvss_v4,
        }
    }
}

impl Advisory {
    fn from_wire(repo: &RepoName, w: Wire) -> Self {
        Self {
            repo: repo.clone(),
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

pub(super) fn advisory_path(repo: &RepoName, ghsa_id: &GhsaId) -> String {
    format!(
        "{}/security-advisories/{}",
        repo_path(repo),
        enc(ghsa_id.as_str())
    )
}

/// The changes of one advisory update (`PATCH …/security-advisories/{id}`):
/// only the fields set are sent. The lists replace GitHub's whole list.
/// `Debug` names the fields set, never their values (people, a CVE id).
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
pub struct AdvisoryUpdate {
    // Fields in alphabetical order: the body is what `serde_json`'s sorted
    // maps produced before this type existed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collaborating_teams: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collaborating_users: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credits: Option<Vec<Credit>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cve_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<AdvisoryState>,
}

impl fmt::Debug for AdvisoryUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set: Vec<&str> = [
            ("collaborating_teams", self.collaborating_teams.is_some()),
            ("collaborating_users", self.collaborating_users.is_some()),
            ("credits", self.credits.is_some()),
            ("cve_id", self.cve_id.is_some()),
            ("state", self.state.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect();
        write!(f, "AdvisoryUpdate({})", set.join(", "))
    }
}

impl AdvisoryUpdate {
    /// Nothing to send.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Why a repository's advisories could not be read.
pub type RepoErrors = Vec<(RepoName, GitHubError)>;

/// A pull request in a temporary private fork: who wrote it, and who
/// approved it (each reviewer's latest decisive review is an approval).
#[derive(Clone, PartialEq, Eq)]
pub struct ForkPull {
    pub number: u64,
    pub author: Option<Account>,
    pub approvers: Vec<Account>,
}

impl fmt::Debug for ForkPull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ForkPull({} approval(s))", self.approvers.len())
    }
}

impl GitHub {
    /// The advisories of `repo` in `state` (all states when `None`), every
    /// page, with what the lifecycle needs.
    pub async fn advisories(
        &self,
        repo: &RepoName,
        state: Option<AdvisoryState>,
    ) -> Result<Vec<Lifecycle>, GitHubError> {
        let mut path = format!("{}/security-advisories", repo_path(repo));
        if let Some(s) = state {
            path.push_str(&format!("?state={s}"));
        }
        let wire: Vec<Wire> = self.list(&path, Embargoed).await?;
        Ok(wire
            .into_iter()
            .map(|w| Lifecycle::from_wire(repo, w))
            .collect())
    }

    /// One advisory, read again (the lifecycle re-reads before each write).
    pub async fn advisory(
        &self,
        repo: &RepoName,
        ghsa_id: &GhsaId,
    ) -> Result<Lifecycle, GitHubError> {
        let w: Wire = self.get(&advisory_path(repo, ghsa_id), Embargoed).await?;
        Ok(Lifecycle::from_wire(repo, w))
    }

    /// The advisories of `repo` in `state` (all states when `None`: the
    /// filter cannot ask for `withdrawn`), only if the list changed since
    /// psrt last acted upon it (conditional requests, per page).
    pub async fn advisories_if_changed(
        &self,
        repo: &RepoName,
        state: Option<AdvisoryState>,
    ) -> Result<Fresh<Vec<Lifecycle>>, GitHubError> {
        let mut path = format!("{}/security-advisories", repo_path(repo));
        if let Some(s) = state {
            path.push_str(&format!("?state={s}"));
        }
        let wire: Fresh<Vec<Wire>> = self.list_if_changed(&path, Embargoed).await?;
        Ok(wire.map(|wire| {
            wire.into_iter()
                .map(|w| Lifecycle::from_wire(repo, w))
                .collect()
        }))
    }

    /// Writes one update; the advisory's new `updated_at`, when GitHub's
    /// answer says it. GitHub's error text is withheld: it may quote the
    /// report.
    pub async fn update_advisory(
        &self,
        repo: &RepoName,
        ghsa_id: &GhsaId,
        update: &AdvisoryUpdate,
    ) -> Result<Option<DateTime<Utc>>, GitHubError> {
        let path = advisory_path(repo, ghsa_id);
        let body = json_body(&Method::PATCH, &path, update)?;
        let resp = self
            .write(Method::PATCH, &path, Some(&body), Embargoed)
            .await?;
        #[derive(Deserialize)]
        struct Updated {
            #[serde(default)]
            updated_at: Option<DateTime<Utc>>,
        }
        // It landed: an answer without the time is still a success.
        Ok(resp.json::<Updated>().ok().and_then(|u| u.updated_at))
    }

    /// Asks GitHub for the advisory's temporary private fork.
    pub async fn create_private_fork(
        &self,
        repo: &RepoName,
        ghsa_id: &GhsaId,
    ) -> Result<(), GitHubError> {
        self.write(
            Method::POST,
            &format!("{}/forks", advisory_path(repo, ghsa_id)),
            None,
            Embargoed,
        )
        .await?;
        Ok(())
    }

    /// Lifecycle views of every repository in the given states (`triage`,
    /// `draft`, `published` or `closed`: the states the API can filter on),
    /// oldest first. A repository that cannot be read is an error for that
    /// repository only, and contributes nothing: no decision on part of it.
    pub async fn advisories_in_states(
        &self,
        repos: &[RepoName],
        states: &[AdvisoryState],
    ) -> (Vec<Lifecycle>, RepoErrors) {
        let jobs = repos.iter().flat_map(|r| {
            states
                .iter()
                .filter(|s| **s != AdvisoryState::Withdrawn)
                .map(move |s| (r, Some(*s)))
        });
        merge_lists(
            futures::future::join_all(
                jobs.map(|(r, s)| async move { (r.clone(), self.advisories(r, s).await) }),
            )
            .await,
        )
    }

    /// Open (triage and draft) advisories of every repository, in a stable
    /// order; see [`Self::advisories_in_states`].
    pub async fn open_advisories(&self, repos: &[RepoName]) -> (Vec<Advisory>, RepoErrors) {
        let (all, errors) = self
            .advisories_in_states(repos, &[AdvisoryState::Triage, AdvisoryState::Draft])
            .await;
        (all.into_iter().map(|l| l.advisory).collect(), errors)
    }

    /// Advisories of every repository, in every state (withdrawn included:
    /// the API's state filter cannot ask for it, so this lists without one).
    pub async fn all_advisories(&self, repos: &[RepoName]) -> (Vec<Advisory>, RepoErrors) {
        let (all, errors) = merge_lists(
            futures::future::join_all(
                repos
                    .iter()
                    .map(|r| async move { (r.clone(), self.advisories(r, None).await) }),
            )
            .await,
        );
        (all.into_iter().map(|l| l.advisory).collect(), errors)
    }

    /// The pull requests of a private fork, each with its approvers (one
    /// list of pull requests, one list of reviews per pull request).
    pub async fn fork_pulls(&self, fork: &RepoName) -> Result<Vec<ForkPull>, GitHubError> {
        let pulls = self.pulls(fork).await?;
        let reviews =
            futures::future::try_join_all(pulls.iter().map(|p| self.reviews(fork, p.number)))
                .await?;
        Ok(pulls
            .into_iter()
            .zip(reviews)
            .map(|(p, reviews)| ForkPull {
                number: p.number,
                author: p.author,
                approvers: latest_decisive(&reviews)
                    .into_iter()
                    .filter(|r| r.state == ReviewState::Approved)
                    .map(|r| r.reviewer.clone())
                    .collect(),
            })
            .collect())
    }

    /// The same, only if anything changed since psrt last acted upon it:
    /// the list of pull requests and, when that is unchanged, the reviews of
    /// each pull request psrt knew (`numbers`), all by conditional requests.
    /// Without `numbers` (psrt never read this fork to the end), or when
    /// anything changed, the fork is read whole.
    pub async fn fork_pulls_if_changed(
        &self,
        fork: &RepoName,
        numbers: Option<&[u64]>,
    ) -> Result<Fresh<Vec<ForkPull>>, GitHubError> {
        let Some(numbers) = numbers else {
            return self.fork_pulls(fork).await.map(Fresh::Changed);
        };
        if self.pulls_if_changed(fork).await?.changed().is_some() {
            return self.fork_pulls(fork).await.map(Fresh::Changed);
        }
        let reviews = futures::future::try_join_all(
            numbers.iter().map(|n| self.reviews_if_changed(fork, *n)),
        )
        .await?;
        if reviews.iter().all(Fresh::is_unchanged) {
            return Ok(Fresh::Unchanged);
        }
        self.fork_pulls(fork).await.map(Fresh::Changed)
    }
}

/// The lists of several repositories as one, oldest first; a repository
/// with an error contributes nothing (no decision on part of it).
pub fn merge_lists(
    results: Vec<(RepoName, Result<Vec<Lifecycle>, GitHubError>)>,
) -> (Vec<Lifecycle>, RepoErrors) {
    let mut all = Vec::new();
    let mut errors: RepoErrors = Vec::new();
    for (repo, result) in results {
        match result {
            Ok(list) => all.extend(list),
            Err(e) if errors.iter().any(|(r, _)| *r == repo) => drop(e),
            Err(e) => errors.push((repo, e)),
        }
    }
    // A repository with an error contributes nothing: no decision on part of it.
    all.retain(|a: &Lifecycle| !errors.iter().any(|(r, _)| *r == a.advisory.repo));
    all.sort_by(|a, b| {
        (a.advisory.created_at, &a.advisory.ghsa_id)
            .cmp(&(b.advisory.created_at, &b.advisory.ghsa_id))
    });
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
        let l = Lifecycle::from_wire(&RepoName::parse("python/cpython").unwrap(), w);
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
