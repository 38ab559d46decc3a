//! Repositories and their contents: metadata (the default branch), files
//! at a branch or commit, branches, and the writes a proposed pull request
//! makes (a branch, one commit per file). [`super::pull_request`] composes
//! them into one idempotent pull request.

use base64::Engine as _;
use http::Method;
use serde::Deserialize;

use super::transport::{Sensitivity::Public, enc};
use super::{GitHub, GitHubError};
use crate::ids::RepoName;

/// `/repos/{owner}/{name}`, encoded.
pub(super) fn repo_path(repo: &RepoName) -> String {
    format!("/repos/{}/{}", enc(repo.owner()), enc(repo.name()))
}

/// A repository's metadata psrt uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Repository {
    pub default_branch: String,
    /// The last push to any branch (GitHub's "repository activity").
    #[serde(default)]
    pub pushed_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A repository as an organisation's list names it.
#[derive(Debug, Clone, Deserialize)]
pub struct OrgRepository {
    /// `owner/name`
    pub full_name: String,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub private: bool,
    #[serde(default)]
    pub fork: bool,
}

/// A file as GitHub sends it: Base64 content, and the blob sha a later
/// write must name.
#[derive(Debug, Clone, Deserialize)]
pub struct Blob {
    content: String,
    pub sha: String,
}

impl Blob {
    /// The file's bytes.
    pub fn bytes(&self) -> Result<Vec<u8>, base64::DecodeError> {
        base64::engine::general_purpose::STANDARD.decode(self.content.replace(['\n', '\r'], ""))
    }
}

/// Where a file is read: a branch or a commit.
///
/// A bare name is what `git rev-parse` makes of it: a tag of the same name
/// wins over the branch, and anyone who can push a tag could then choose the
/// roster a verdict is judged by. A branch is therefore named `heads/<branch>`
/// (git reads it as `refs/heads/<branch>` before anything else), which no tag
/// or commit can shadow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rev<'a> {
    Branch(&'a str),
    /// A full commit sha.
    Commit(&'a str),
}

impl Rev<'_> {
    /// The `ref` GitHub is given.
    pub fn as_ref_name(&self) -> String {
        match self {
            Rev::Branch(b) => format!("heads/{b}"),
            Rev::Commit(sha) => (*sha).to_owned(),
        }
    }
}

impl std::fmt::Display for Rev<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rev::Branch(b) => write!(f, "branch {b}"),
            Rev::Commit(sha) => write!(f, "{}", sha.get(..7).unwrap_or(sha)),
        }
    }
}

impl GitHub {
    /// The repository; one that does not exist is an error.
    pub async fn repository(&self, repo: &RepoName) -> Result<Repository, GitHubError> {
        self.get(&repo_path(repo), Public).await
    }

    /// Whether the repository exists (or the token can see it).
    pub async fn repository_exists(&self, repo: &RepoName) -> Result<bool, GitHubError> {
        Ok(self
            .get_opt::<serde::de::IgnoredAny>(&repo_path(repo), Public)
            .await?
            .is_some())
    }

    /// Whether the repository accepts private vulnerability reports.
    pub async fn private_reporting(&self, repo: &RepoName) -> Result<bool, GitHubError> {
        #[derive(Deserialize)]
        struct Reporting {
            enabled: bool,
        }
        let r: Reporting = self
            .get(
                &format!("{}/private-vulnerability-reporting", repo_path(repo)),
                Public,
            )
            .await?;
        Ok(r.enabled)
    }

    /// The organisation's public repositories, every page.
    pub async fn org_public_repositories(
        &self,
        org: &str,
    ) -> Result<Vec<OrgRepository>, GitHubError> {
        self.list(&format!("/orgs/{}/repos?type=public", enc(org)), Public)
            .await
    }

    /// A file at a branch or commit; `None` when it is not there.
    pub async fn file(
        &self,
        repo: &RepoName,
        path: &str,
        at: Rev<'_>,
    ) -> Result<Option<Blob>, GitHubError> {
        let path_enc: Vec<String> = path.split('/').map(enc).collect();
        self.get_opt(
            &format!(
                "{}/contents/{}?ref={}",
                repo_path(repo),
                path_enc.join("/"),
                enc(&at.as_ref_name())
            ),
            Public,
        )
        .await
    }

    /// The commit a branch points at; `None` when there is no such branch.
    pub async fn branch_head(
        &self,
        repo: &RepoName,
        branch: &str,
    ) -> Result<Option<String>, GitHubError> {
        #[derive(Deserialize)]
        struct Ref {
            object: Obj,
        }
        #[derive(Deserialize)]
        struct Obj {
            sha: String,
        }
        let r: Option<Ref> = self
            .get_opt(
                &format!("{}/git/ref/heads/{}", repo_path(repo), enc(branch)),
                Public,
            )
            .await?;
        Ok(r.map(|r| r.object.sha))
    }

    /// A new branch at `sha`.
    pub async fn create_branch(
        &self,
        repo: &RepoName,
        branch: &str,
        sha: &str,
    ) -> Result<(), GitHubError> {
        let body = serde_json::json!({ "ref": format!("refs/heads/{branch}"), "sha": sha });
        self.write(
            Method::POST,
            &format!("{}/git/refs", repo_path(repo)),
            Some(&body),
            Public,
        )
        .await?;
        Ok(())
    }

    /// Moves a branch to `sha`, whatever it held (a force push).
    pub async fn reset_branch(
        &self,
        repo: &RepoName,
        branch: &str,
        sha: &str,
    ) -> Result<(), GitHubError> {
        let body = serde_json::json!({ "sha": sha, "force": true });
        self.write(
            Method::PATCH,
            &format!("{}/git/refs/heads/{}", repo_path(repo), enc(branch)),
            Some(&body),
            Public,
        )
        .await?;
        Ok(())
    }

    /// Commits one file on a branch: `text` replaces the blob `replaces`
    /// (`None`: the file is new).
    pub async fn commit_file(
        &self,
        repo: &RepoName,
        branch: &str,
        path: &str,
        text: &str,
        message: &str,
        replaces: Option<&str>,
    ) -> Result<(), GitHubError> {
        let mut body = serde_json::json!({
            "message": message,
            "content": base64::engine::general_purpose::STANDARD.encode(text.as_bytes()),
            "branch": branch,
        });
        if let Some(sha) = replaces {
            body["sha"] = serde_json::json!(sha);
        }
        let path_enc: Vec<String> = path.split('/').map(enc).collect();
        self.write(
            Method::PUT,
            &format!("{}/contents/{}", repo_path(repo), path_enc.join("/")),
            Some(&body),
            Public,
        )
        .await?;
        Ok(())
    }
}
