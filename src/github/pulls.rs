//! Pull requests: one pull request, its reviews (and each reviewer's latest
//! decisive review, GitHub's own semantics), its commits, the commit
//! statuses and the comments psrt keeps on it; the pull requests of a
//! repository (an advisory's private fork); and opening or updating one.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use http::Method;
use serde::Deserialize;

use super::model::{Account, AccountWire, User};
use super::repos::repo_path;
use super::transport::{Fresh, Sensitivity::Public, decode, enc};
use super::{GitHub, GitHubError};
use crate::ids::{Login, RepoName};

/// An unconditional read never answers `304`; if one did, it is an error,
/// never an empty list.
fn unexpected_304(repo: &RepoName) -> GitHubError {
    GitHubError::Decode {
        method: Method::GET,
        path: repo_path(repo),
        message: "304 Not Modified to a read that asked for no validator".into(),
    }
}

/// A pull request, as psrt reads it.
#[derive(Debug, Clone)]
pub struct Pull {
    pub number: u64,
    pub author: Option<User>,
    pub created_at: DateTime<Utc>,
    pub html_url: String,
    /// `open` or `closed`.
    pub state: String,
    /// The branch it targets.
    pub base_ref: String,
    /// The default branch of the repository it targets.
    pub default_branch: Option<String>,
    pub head_sha: String,
    pub merged: bool,
    pub merge_commit_sha: Option<String>,
}

#[derive(Deserialize)]
struct PullWire {
    number: u64,
    user: Option<User>,
    created_at: DateTime<Utc>,
    html_url: String,
    state: String,
    base: BaseWire,
    head: HeadWire,
    #[serde(default)]
    merged: Option<bool>,
    #[serde(default)]
    merge_commit_sha: Option<String>,
}

#[derive(Deserialize)]
struct BaseWire {
    #[serde(rename = "ref")]
    branch: String,
    repo: Option<BaseRepo>,
}

#[derive(Deserialize)]
struct BaseRepo {
    default_branch: Option<String>,
}

#[derive(Deserialize)]
struct HeadWire {
    sha: String,
}

impl From<PullWire> for Pull {
    fn from(w: PullWire) -> Self {
        Self {
            number: w.number,
            author: w.user,
            created_at: w.created_at,
            html_url: w.html_url,
            state: w.state,
            base_ref: w.base.branch,
            default_branch: w.base.repo.and_then(|r| r.default_branch),
            head_sha: w.head.sha,
            merged: w.merged.unwrap_or(false),
            merge_commit_sha: w.merge_commit_sha,
        }
    }
}

impl Pull {
    /// Who opened it (empty when GitHub names nobody: a deleted account).
    pub fn author_login(&self) -> Login {
        Login::new(
            self.author
                .as_ref()
                .map(|u| u.login.clone())
                .unwrap_or_default(),
        )
    }
}

/// A pull request in a list: who opened it, and when.
#[derive(Debug, Clone)]
pub struct PullSummary {
    pub number: u64,
    pub author: Option<Account>,
    pub created_at: DateTime<Utc>,
}

/// An open pull request: its number and page.
#[derive(Debug, Clone, Deserialize)]
pub struct PullLink {
    pub number: u64,
    pub html_url: String,
}

/// A review's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewState {
    Approved,
    ChangesRequested,
    Dismissed,
    /// `COMMENTED`, `PENDING`, or a state GitHub adds later: never decisive.
    Other,
}

impl ReviewState {
    fn of(s: &str) -> Self {
        match s {
            "APPROVED" => Self::Approved,
            "CHANGES_REQUESTED" => Self::ChangesRequested,
            "DISMISSED" => Self::Dismissed,
            _ => Self::Other,
        }
    }
    /// Approved, changes requested, dismissed: a reviewer's state.
    pub fn is_decisive(self) -> bool {
        self != Self::Other
    }
}

/// A review as GitHub lists it.
#[derive(Debug, Clone)]
pub struct Review {
    pub id: u64,
    pub reviewer: Account,
    pub state: ReviewState,
    /// The commit it was given on.
    pub commit_id: String,
    pub submitted_at: Option<DateTime<Utc>>,
}

/// Each reviewer's latest decisive review (approved, changes requested or
/// dismissed), GitHub's own semantics: a later decisive review replaces an
/// earlier one, a comment changes nothing. One per reviewer (by account
/// id), ordered by account id.
pub fn latest_decisive(reviews: &[Review]) -> Vec<&Review> {
    let mut sorted: Vec<&Review> = reviews.iter().collect();
    sorted.sort_by_key(|r| (r.submitted_at, r.id));
    let mut latest: BTreeMap<u64, &Review> = BTreeMap::new();
    for r in sorted.into_iter().filter(|r| r.state.is_decisive()) {
        latest.insert(r.reviewer.id, r);
    }
    latest.into_values().collect()
}

/// A commit of a pull request.
#[derive(Debug, Clone)]
pub struct Commit {
    pub sha: String,
    pub parents: Vec<String>,
    /// GitHub accounts linked to the commit's author and committer.
    pub author: Option<String>,
    pub committer: Option<String>,
    pub committed_at: Option<DateTime<Utc>>,
}

/// GitHub lists at most this many files of a pull request.
pub const MAX_PULL_FILES: usize = 3000;

/// A file a pull request changes.
#[derive(Debug, Clone, Deserialize)]
pub struct PullFile {
    pub filename: String,
    /// Its name before, when the pull request renames it.
    #[serde(default)]
    pub previous_filename: Option<String>,
    /// `added`, `removed`, `modified`, `renamed`…
    pub status: String,
}

/// A commit status as GitHub lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct Status {
    pub context: String,
    /// `error`, `failure`, `pending` or `success`.
    pub state: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The link it carries (psrt's: its comment on the pull request).
    #[serde(default)]
    pub target_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub creator: Option<User>,
}

/// A commit status to set.
#[derive(Debug, Clone)]
pub struct NewStatus<'a> {
    pub state: &'a str,
    pub context: &'a str,
    pub description: &'a str,
    pub target_url: &'a str,
}

/// A comment on a pull request (an issue comment).
#[derive(Debug, Clone, Deserialize)]
pub struct IssueComment {
    pub id: u64,
    pub html_url: String,
    #[serde(default)]
    pub body: Option<String>,
    pub user: Option<User>,
    #[serde(default)]
    pub performed_via_github_app: Option<AppRef>,
}

/// The App a comment was written through.
#[derive(Debug, Clone, Deserialize)]
pub struct AppRef {
    pub id: u64,
}

/// Who is asked to review.
#[derive(Debug, Clone)]
pub enum Reviewers {
    /// Team slugs of the repository's org.
    Teams(Vec<String>),
    /// Logins.
    Users(Vec<String>),
}

impl GitHub {
    /// Pull request `number`; one that does not exist is an error.
    pub async fn pull(&self, repo: &RepoName, number: u64) -> Result<Pull, GitHubError> {
        let w: PullWire = self
            .get(&format!("{}/pulls/{number}", repo_path(repo)), Public)
            .await?;
        Ok(w.into())
    }

    /// Pull request `number`; `None` when it does not exist.
    pub async fn find_pull(
        &self,
        repo: &RepoName,
        number: u64,
    ) -> Result<Option<Pull>, GitHubError> {
        let w: Option<PullWire> = self
            .get_opt(&format!("{}/pulls/{number}", repo_path(repo)), Public)
            .await?;
        Ok(w.map(Pull::from))
    }

    /// Every pull request of `repo`, open and closed (an advisory's private
    /// fork holds a handful).
    pub async fn pulls(&self, repo: &RepoName) -> Result<Vec<PullSummary>, GitHubError> {
        self.pulls_read(repo, false)
            .await?
            .changed()
            .ok_or_else(|| unexpected_304(repo))
    }

    /// The pull requests, only if the list changed since psrt last acted
    /// upon it (conditional requests).
    pub async fn pulls_if_changed(
        &self,
        repo: &RepoName,
    ) -> Result<Fresh<Vec<PullSummary>>, GitHubError> {
        self.pulls_read(repo, true).await
    }

    async fn pulls_read(
        &self,
        repo: &RepoName,
        conditional: bool,
    ) -> Result<Fresh<Vec<PullSummary>>, GitHubError> {
        #[derive(Deserialize)]
        struct Wire {
            number: u64,
            user: Option<AccountWire>,
            created_at: DateTime<Utc>,
        }
        let path = format!("{}/pulls?state=all", repo_path(repo));
        let wire: Fresh<Vec<Wire>> = if conditional {
            self.list_if_changed(&path, Public).await?
        } else {
            Fresh::Changed(self.list(&path, Public).await?)
        };
        Ok(wire.map(|wire| {
            wire.into_iter()
                .map(|w| PullSummary {
                    number: w.number,
                    author: w.user.map(Account::from),
                    created_at: w.created_at,
                })
                .collect()
        }))
    }

    /// The open pull requests from `owner:branch`.
    pub async fn open_pulls_from(
        &self,
        repo: &RepoName,
        branch: &str,
    ) -> Result<Vec<PullLink>, GitHubError> {
        self.list(
            &format!(
                "{}/pulls?state=open&head={}:{}",
                repo_path(repo),
                enc(repo.owner()),
                enc(branch)
            ),
            Public,
        )
        .await
    }

    /// The reviews of pull request `number`, in GitHub's order. Reviews by
    /// deleted accounts (no user) are left out.
    pub async fn reviews(&self, repo: &RepoName, number: u64) -> Result<Vec<Review>, GitHubError> {
        self.reviews_read(repo, number, false)
            .await?
            .changed()
            .ok_or_else(|| unexpected_304(repo))
    }

    /// A pull request's reviews, only if they changed since psrt last acted
    /// upon them (conditional requests).
    pub async fn reviews_if_changed(
        &self,
        repo: &RepoName,
        number: u64,
    ) -> Result<Fresh<Vec<Review>>, GitHubError> {
        self.reviews_read(repo, number, true).await
    }

    async fn reviews_read(
        &self,
        repo: &RepoName,
        number: u64,
        conditional: bool,
    ) -> Result<Fresh<Vec<Review>>, GitHubError> {
        #[derive(Deserialize)]
        struct Wire {
            id: u64,
            user: Option<AccountWire>,
            state: String,
            #[serde(default)]
            commit_id: Option<String>,
            #[serde(default)]
            submitted_at: Option<DateTime<Utc>>,
        }
        let path = format!("{}/pulls/{number}/reviews", repo_path(repo));
        let wire: Fresh<Vec<Wire>> = if conditional {
            self.list_if_changed(&path, Public).await?
        } else {
            Fresh::Changed(self.list(&path, Public).await?)
        };
        Ok(wire.map(|wire| {
            wire.into_iter()
                .filter_map(|r| {
                    Some(Review {
                        id: r.id,
                        reviewer: r.user?.into(),
                        state: ReviewState::of(&r.state),
                        commit_id: r.commit_id.unwrap_or_default(),
                        submitted_at: r.submitted_at,
                    })
                })
                .collect()
        }))
    }

    /// The commits of pull request `number` (GitHub lists at most 250).
    pub async fn pull_commits(
        &self,
        repo: &RepoName,
        number: u64,
    ) -> Result<Vec<Commit>, GitHubError> {
        #[derive(Deserialize)]
        struct Sha {
            sha: String,
        }
        #[derive(Deserialize)]
        struct GitUser {
            #[serde(default)]
            date: Option<DateTime<Utc>>,
        }
        #[derive(Deserialize)]
        struct GitCommit {
            committer: Option<GitUser>,
        }
        #[derive(Deserialize)]
        struct Wire {
            sha: String,
            commit: GitCommit,
            author: Option<User>,
            committer: Option<User>,
            #[serde(default)]
            parents: Vec<Sha>,
        }
        let wire: Vec<Wire> = self
            .list(
                &format!("{}/pulls/{number}/commits", repo_path(repo)),
                Public,
            )
            .await?;
        Ok(wire
            .into_iter()
            .map(|w| Commit {
                sha: w.sha,
                parents: w.parents.into_iter().map(|p| p.sha).collect(),
                author: w.author.map(|u| u.login),
                committer: w.committer.map(|u| u.login),
                committed_at: w.commit.committer.and_then(|c| c.date),
            })
            .collect())
    }

    /// The statuses set on commit `sha`.
    pub async fn statuses(&self, repo: &RepoName, sha: &str) -> Result<Vec<Status>, GitHubError> {
        self.list(
            &format!("{}/commits/{}/statuses", repo_path(repo), enc(sha)),
            Public,
        )
        .await
    }

    /// When the head branch of pull request `number` was force-pushed
    /// (reset, rebased, or moved back to an older commit), oldest first:
    /// its timeline's `head_ref_force_pushed` events, timed by GitHub.
    pub async fn force_pushes(
        &self,
        repo: &RepoName,
        number: u64,
    ) -> Result<Vec<DateTime<Utc>>, GitHubError> {
        // Timeline items differ by kind (a `committed` item has no
        // `created_at`): only the kind is read from each.
        #[derive(Deserialize)]
        struct Item {
            #[serde(default)]
            event: Option<String>,
            #[serde(default)]
            created_at: Option<String>,
        }
        let path = format!("{}/issues/{number}/timeline", repo_path(repo));
        let items: Vec<Item> = self.list(&path, Public).await?;
        let mut at = Vec::new();
        for i in items {
            if i.event.as_deref() != Some("head_ref_force_pushed") {
                continue;
            }
            // A force push psrt cannot date could hide a re-push: an error.
            let t = i
                .created_at
                .as_deref()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .ok_or_else(|| GitHubError::Decode {
                    method: Method::GET,
                    path: path.clone(),
                    message: "a force push without a time".into(),
                })?;
            at.push(t.with_timezone(&Utc));
        }
        at.sort();
        Ok(at)
    }

    /// The latest statuses set on commit `sha`, newest first (one page of
    /// 100: enough to find the latest of a context that is set only when it
    /// changes).
    pub async fn latest_statuses(
        &self,
        repo: &RepoName,
        sha: &str,
    ) -> Result<Vec<Status>, GitHubError> {
        self.get(
            &format!(
                "{}/commits/{}/statuses?per_page=100",
                repo_path(repo),
                enc(sha)
            ),
            Public,
        )
        .await
    }

    /// The open pull requests of `repo`, to any branch.
    pub async fn open_pulls(&self, repo: &RepoName) -> Result<Vec<Pull>, GitHubError> {
        let wire: Vec<PullWire> = self
            .list(&format!("{}/pulls?state=open", repo_path(repo)), Public)
            .await?;
        Ok(wire.into_iter().map(Pull::from).collect())
    }

    /// The files pull request `number` changes, as GitHub lists them (at
    /// most [`MAX_PULL_FILES`]).
    pub async fn pull_files(
        &self,
        repo: &RepoName,
        number: u64,
    ) -> Result<Vec<PullFile>, GitHubError> {
        self.list(&format!("{}/pulls/{number}/files", repo_path(repo)), Public)
            .await
    }

    /// Sets a commit status on `sha`.
    pub async fn set_status(
        &self,
        repo: &RepoName,
        sha: &str,
        status: &NewStatus<'_>,
    ) -> Result<(), GitHubError> {
        let body = serde_json::json!({
            "state": status.state,
            "context": status.context,
            "description": status.description,
            "target_url": status.target_url,
        });
        self.write(
            Method::POST,
            &format!("{}/statuses/{}", repo_path(repo), enc(sha)),
            Some(&body),
            Public,
        )
        .await?;
        Ok(())
    }

    /// The comments on pull request `number`.
    pub async fn issue_comments(
        &self,
        repo: &RepoName,
        number: u64,
    ) -> Result<Vec<IssueComment>, GitHubError> {
        self.list(
            &format!("{}/issues/{number}/comments", repo_path(repo)),
            Public,
        )
        .await
    }

    /// Adds a comment to pull request `number`; its page, when GitHub says.
    pub async fn create_issue_comment(
        &self,
        repo: &RepoName,
        number: u64,
        body: &str,
    ) -> Result<Option<String>, GitHubError> {
        #[derive(Deserialize)]
        struct Created {
            html_url: String,
        }
        let path = format!("{}/issues/{number}/comments", repo_path(repo));
        let resp = self
            .write(
                Method::POST,
                &path,
                Some(&serde_json::json!({ "body": body })),
                Public,
            )
            .await?;
        Ok(decode::<Created>(&resp, &Method::POST, &path)
            .ok()
            .map(|c| c.html_url))
    }

    /// Replaces the text of comment `id`.
    pub async fn edit_issue_comment(
        &self,
        repo: &RepoName,
        id: u64,
        body: &str,
    ) -> Result<(), GitHubError> {
        self.write(
            Method::PATCH,
            &format!("{}/issues/comments/{id}", repo_path(repo)),
            Some(&serde_json::json!({ "body": body })),
            Public,
        )
        .await?;
        Ok(())
    }

    /// Opens a pull request from `head` into `base`.
    pub async fn create_pull(
        &self,
        repo: &RepoName,
        head: &str,
        base: &str,
        title: &str,
        body: &str,
    ) -> Result<PullLink, GitHubError> {
        let path = format!("{}/pulls", repo_path(repo));
        let post = serde_json::json!({
            "title": title,
            "body": body,
            "head": head,
            "base": base,
        });
        let resp = self.write(Method::POST, &path, Some(&post), Public).await?;
        decode(&resp, &Method::POST, &path)
    }

    /// Replaces a pull request's title and description.
    pub async fn update_pull(
        &self,
        repo: &RepoName,
        number: u64,
        title: &str,
        body: &str,
    ) -> Result<(), GitHubError> {
        let patch = serde_json::json!({ "title": title, "body": body });
        self.write(
            Method::PATCH,
            &format!("{}/pulls/{number}", repo_path(repo)),
            Some(&patch),
            Public,
        )
        .await?;
        Ok(())
    }

    /// Asks teams or people to review pull request `number`.
    pub async fn request_reviewers(
        &self,
        repo: &RepoName,
        number: u64,
        reviewers: &Reviewers,
    ) -> Result<(), GitHubError> {
        let body = match reviewers {
            Reviewers::Teams(t) => serde_json::json!({ "team_reviewers": t }),
            Reviewers::Users(u) => serde_json::json!({ "reviewers": u }),
        };
        self.write(
            Method::POST,
            &format!("{}/pulls/{number}/requested_reviewers", repo_path(repo)),
            Some(&body),
            Public,
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(id: u64, who: u64, state: ReviewState, at: i64) -> Review {
        Review {
            id,
            reviewer: Account {
                login: format!("u{who}"),
                id: who,
                is_bot: false,
            },
            state,
            commit_id: String::new(),
            submitted_at: DateTime::from_timestamp(at, 0),
        }
    }

    #[test]
    fn each_reviewers_latest_decisive_review_counts() {
        use ReviewState::*;
        let reviews = [
            review(1, 7, Approved, 10),
            review(2, 7, Other, 20), // a comment changes nothing
            review(3, 8, Approved, 30),
            review(4, 8, ChangesRequested, 40),
            review(6, 9, Approved, 60),
            review(5, 9, Dismissed, 50), // listed out of order: time decides
        ];
        let latest: Vec<(u64, ReviewState)> = latest_decisive(&reviews)
            .into_iter()
            .map(|r| (r.reviewer.id, r.state))
            .collect();
        assert_eq!(
            latest,
            [(7, Approved), (8, ChangesRequested), (9, Approved)]
        );
    }
}
