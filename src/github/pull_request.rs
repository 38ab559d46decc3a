//! One pull request that proposes files, kept idempotent: a branch of its
//! own, one commit per changed file on top of the default branch, the pull
//! request opened once and updated in place after that.
//!
//! `psrt inactivity --open-pr` (the roster, in the policy repository) and
//! `psrt publish --open-pr` (the member lists, in the devguide) both go
//! through here, so both behave the same way: the same branch for the same
//! purpose, never a second open pull request from it, no new commit when the
//! branch already carries the files, and a branch that carries something
//! else is reset to the default branch before the new commits.

use serde::Serialize;

pub use super::pulls::Reviewers;
use super::{GitHub, GitHubError};
use crate::ids::RepoName;

/// A repository the pull request goes to, read once.
#[derive(Debug, Clone)]
pub struct Repo {
    pub name: RepoName,
    pub default_branch: String,
}

/// A file as GitHub has it: the text and the blob sha a later write must name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub text: String,
    pub sha: String,
}

/// One file the pull request sets.
#[derive(Debug, Clone)]
pub struct FileChange {
    pub path: String,
    /// The text the file should have.
    pub text: String,
    /// The file on the default branch (`None`: the pull request creates it).
    pub current: Option<File>,
    /// The commit message for this file.
    pub message: String,
}

impl FileChange {
    /// Whether the default branch already has this text.
    pub fn is_noop(&self) -> bool {
        self.current.as_ref().is_some_and(|f| f.text == self.text)
    }
}

/// What to propose.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub branch: String,
    pub changes: Vec<FileChange>,
    pub title: String,
    pub body: String,
    pub reviewers: Option<Reviewers>,
}

/// What [`propose`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proposed {
    pub number: u64,
    pub url: String,
    pub branch: String,
    /// A new pull request (false: the open one was updated).
    pub created: bool,
    /// New commits were pushed (false: the branch already had the files).
    pub committed: bool,
}

impl Repo {
    /// Reads the repository (`owner/name`): its default branch.
    pub async fn read(gh: &GitHub, full_name: &str) -> anyhow::Result<Self> {
        let name = RepoName::parse(full_name)?;
        let info = gh.repository(&name).await?;
        Ok(Self {
            name,
            default_branch: info.default_branch,
        })
    }

    pub fn full_name(&self) -> String {
        self.name.to_string()
    }

    /// A file at a branch (the default branch when `None`); `None` when absent.
    pub async fn file(
        &self,
        gh: &GitHub,
        path: &str,
        branch: Option<&str>,
    ) -> anyhow::Result<Option<File>> {
        let at = branch.unwrap_or(&self.default_branch);
        let Some(blob) = gh
            .file(&self.name, path, super::repos::Rev::Branch(at))
            .await?
        else {
            return Ok(None);
        };
        let bytes = blob
            .bytes()
            .map_err(|e| anyhow::anyhow!("{path} on {at}: not Base64 ({e})"))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| anyhow::anyhow!("{path} on {at} is not UTF-8 text"))?;
        Ok(Some(File {
            text,
            sha: blob.sha,
        }))
    }

    async fn head(&self, gh: &GitHub, branch: &str) -> Result<Option<String>, GitHubError> {
        gh.branch_head(&self.name, branch).await
    }
}

/// Opens the pull request, or brings the open one up to date. Changes that
/// the default branch already has are left out of the commits.
pub async fn propose(gh: &GitHub, repo: &Repo, p: &Proposal) -> anyhow::Result<Proposed> {
    let name = &repo.name;
    let head = repo.head(gh, &repo.default_branch).await?.ok_or_else(|| {
        anyhow::anyhow!(
            "{}: the default branch {} has no head",
            repo.full_name(),
            repo.default_branch
        )
    })?;
    let existing = repo.head(gh, &p.branch).await?;
    let mut up_to_date = existing.is_some();
    if up_to_date {
        for c in &p.changes {
            let on_branch = repo.file(gh, &c.path, Some(&p.branch)).await?;
            if on_branch.as_ref().map(|f| f.text.as_str()) != Some(c.text.as_str()) {
                up_to_date = false;
                break;
            }
        }
    }
    let mut committed = false;
    if !up_to_date {
        match existing {
            // One set of commits on top of the default branch: reset, then commit.
            Some(_) => gh.reset_branch(name, &p.branch, &head).await?,
            None => gh.create_branch(name, &p.branch, &head).await?,
        }
        for c in p.changes.iter().filter(|c| !c.is_noop()) {
            gh.commit_file(
                name,
                &p.branch,
                &c.path,
                &c.text,
                &c.message,
                c.current.as_ref().map(|f| f.sha.as_str()),
            )
            .await?;
        }
        committed = true;
    }

    let open = gh.open_pulls_from(name, &p.branch).await?;
    let (pull, created) = match open.into_iter().next() {
        Some(pull) => {
            gh.update_pull(name, pull.number, &p.title, &p.body).await?;
            (pull, false)
        }
        None => (
            gh.create_pull(name, &p.branch, &repo.default_branch, &p.title, &p.body)
                .await?,
            true,
        ),
    };
    if let Some(r) = &p.reviewers {
        gh.request_reviewers(name, pull.number, r).await?;
    }
    Ok(Proposed {
        number: pull.number,
        url: pull.html_url,
        branch: p.branch.clone(),
        created,
        committed,
    })
}
