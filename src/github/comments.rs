//! Comments on repository security advisories (GitHub's public preview of
//! 2026-10-02): list (every page; `since` keeps the comments updated at or
//! after a time), get, add, edit. There is no delete. The token scope is
//! the advisories' own: `repository_advisories` read to list and get, write
//! to add and edit.
//!
//! Every method is [`Embargoed`]: a comment is part of an unpublished
//! report's discussion. The body is decoded into a type the caller names
//! (`advisories::discussion::CommentText`, which cannot be printed), so this
//! layer never holds comment text in a printable form; an
//! [`AdvisoryComment`]'s `Debug` shows its id only.
//!
//! Where the preview is not enabled, GitHub answers 404 on these endpoints
//! for an advisory that exists: [`CommentsError::Unavailable`].

use std::fmt;

use chrono::{DateTime, Utc};
use http::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::advisories::advisory_path;
use super::transport::{Fresh, Sensitivity::Embargoed, json_body};
use super::{GitHub, GitHubError};
use crate::ids::{GhsaId, RepoName};

/// The comment's author, as GitHub names it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Author {
    pub id: u64,
    pub login: String,
}

/// A comment on an advisory, its body decoded as `B`.
#[derive(Clone, Deserialize)]
pub struct AdvisoryComment<B> {
    pub id: u64,
    /// `None`: GitHub names no author (a deleted account, "ghost").
    #[serde(default)]
    pub user: Option<Author>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub body: B,
}

impl<B> fmt::Debug for AdvisoryComment<B> {
    /// The id only: the author and the body belong to the report.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AdvisoryComment({})", self.id)
    }
}

impl<B> AdvisoryComment<B> {
    /// The author's account id, if GitHub names one.
    pub fn author_id(&self) -> Option<u64> {
        self.user.as_ref().map(|u| u.id)
    }
    /// Never edited since it was written (GitHub names the author, not the
    /// editor: an edited comment may say what its author did not).
    pub fn is_unedited(&self) -> bool {
        self.updated_at == self.created_at
    }
}

/// What a comment psrt posted became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub id: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum CommentsError {
    /// 404 on a report psrt can read: the preview is not enabled there.
    #[error(
        "the advisory comments API is not available on {repo} (GitHub answered 404: public preview not enabled)"
    )]
    Unavailable { repo: RepoName },
    #[error(transparent)]
    GitHub(#[from] GitHubError),
}

impl CommentsError {
    /// Whether the request may have landed without an answer saying so.
    pub fn maybe_applied(&self) -> bool {
        matches!(self, CommentsError::GitHub(e) if e.maybe_applied())
    }
    /// Why, without the request's path: the path names the report, and a
    /// public log says only how many discussions failed, never which.
    pub fn reason(&self) -> String {
        match self {
            CommentsError::Unavailable { .. } => self.to_string(),
            CommentsError::GitHub(e) => match e {
                GitHubError::Status {
                    status, message, ..
                } => format!("{status} {message}"),
                GitHubError::Transport { message, .. } => message.clone(),
                GitHubError::RateLimited { wait, .. } => format!(
                    "rate limited for {}s, longer than psrt waits",
                    wait.as_secs()
                ),
                GitHubError::Decode { .. } => "an answer psrt could not read".to_owned(),
                GitHubError::Origin { .. } => e.to_string(),
                GitHubError::Scope { .. } => {
                    "no token for it (outside the command's scope, or the App is not installed there)"
                        .to_owned()
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_never_names_the_report() {
        let path = "/repos/o/r/security-advisories/GHSA-x1x1-x1x1-x1x1/comments".to_owned();
        for e in [
            GitHubError::Status {
                method: Method::POST,
                path: path.clone(),
                status: 502,
                message: "Bad Gateway".into(),
            },
            GitHubError::Transport {
                method: Method::POST,
                path: path.clone(),
                message: "timed out".into(),
            },
            GitHubError::RateLimited {
                method: Method::GET,
                path: path.clone(),
                wait: std::time::Duration::from_secs(900),
            },
            GitHubError::Decode {
                method: Method::GET,
                path: path.clone(),
                message: "expected a list".into(),
            },
            GitHubError::Scope {
                path: path.clone(),
                message: format!("{path} is outside the scope"),
            },
        ] {
            let r = CommentsError::GitHub(e).reason();
            assert!(!r.contains("GHSA") && !r.contains("/repos/"), "{r}");
        }
    }
}

fn comments_path(repo: &RepoName, ghsa_id: &GhsaId) -> String {
    format!("{}/comments", advisory_path(repo, ghsa_id))
}

fn unavailable(repo: &RepoName, e: GitHubError) -> CommentsError {
    if e.status() == Some(404) {
        CommentsError::Unavailable { repo: repo.clone() }
    } else {
        CommentsError::GitHub(e)
    }
}

#[derive(serde::Serialize)]
struct Body<'a> {
    body: &'a str,
}

impl GitHub {
    /// Every comment on an advisory (all pages, oldest first), or those
    /// updated at or after `since`. A listing filtered by `since` shows
    /// what changed, never what is missing.
    pub async fn advisory_comments<B: DeserializeOwned>(
        &self,
        repo: &RepoName,
        ghsa_id: &GhsaId,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<AdvisoryComment<B>>, CommentsError> {
        let mut path = comments_path(repo, ghsa_id);
        if let Some(t) = since {
            path.push_str(&format!("?since={}", t.format("%Y-%m-%dT%H:%M:%SZ")));
        }
        self.list(&path, Embargoed)
            .await
            .map_err(|e| unavailable(repo, e))
    }

    /// The comments, only if any page changed since psrt last acted upon
    /// them (conditional requests, per page): [`Fresh::Unchanged`] costs no
    /// rate-limit point.
    pub async fn advisory_comments_if_changed<B: DeserializeOwned>(
        &self,
        repo: &RepoName,
        ghsa_id: &GhsaId,
    ) -> Result<Fresh<Vec<AdvisoryComment<B>>>, CommentsError> {
        self.list_if_changed(&comments_path(repo, ghsa_id), Embargoed)
            .await
            .map_err(|e| unavailable(repo, e))
    }

    /// One comment.
    pub async fn advisory_comment<B: DeserializeOwned>(
        &self,
        repo: &RepoName,
        ghsa_id: &GhsaId,
        id: u64,
    ) -> Result<AdvisoryComment<B>, CommentsError> {
        self.get(&format!("{}/{id}", comments_path(repo, ghsa_id)), Embargoed)
            .await
            .map_err(|e| unavailable(repo, e))
    }

    /// Adds a comment, as psrt's own account. Sent once: after a timeout or
    /// a 5xx ([`CommentsError::maybe_applied`]) the caller lists the
    /// comments to see whether it landed, and never posts it again blindly.
    pub async fn add_advisory_comment(
        &self,
        repo: &RepoName,
        ghsa_id: &GhsaId,
        body: &str,
    ) -> Result<Posted, CommentsError> {
        let path = comments_path(repo, ghsa_id);
        let json = json_body(&Method::POST, &path, &Body { body })?;
        let resp = self
            .write_once(Method::POST, &path, Some(&json), Embargoed)
            .await
            .map_err(|e| unavailable(repo, e))?;
        #[derive(Deserialize)]
        struct Id {
            id: u64,
        }
        // It landed: an answer that does not say its id is still a post.
        let id = resp.json::<Id>().map(|c| c.id).unwrap_or(0);
        Ok(Posted { id })
    }

    /// Edits one of psrt's own comments (an edit notifies no one).
    pub async fn edit_advisory_comment(
        &self,
        repo: &RepoName,
        ghsa_id: &GhsaId,
        id: u64,
        body: &str,
    ) -> Result<(), CommentsError> {
        let path = format!("{}/{id}", comments_path(repo, ghsa_id));
        let json = json_body(&Method::PATCH, &path, &Body { body })?;
        self.write(Method::PATCH, &path, Some(&json), Embargoed)
            .await
            .map_err(|e| unavailable(repo, e))?;
        Ok(())
    }
}
