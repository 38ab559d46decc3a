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

use base64::Engine as _;
use http::Method;
use serde::{Deserialize, Serialize};

use super::{GitHub, GitHubError, enc};

/// A repository the pull request goes to, read once.
#[derive(Debug, Clone)]
pub struct Repo {
    pub owner: String,
    pub name: String,
    pub default_branch: String,
    /// `/repos/{owner}/{name}`, encoded.
    base: String,
}

/// A file as GitHub has it: the text and the blob sha a later write must name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub text: String,
    pub sha: String,
}

/// One file the pull request sets.
#[derive(Debug, Clone)]
pub struct Change {
    pub path: String,
    /// The text the file should have.
    pub text: String,
    /// The file on the default branch (`None`: the pull request creates it).
    pub current: Option<File>,
    /// The commit message for this file.
    pub message: String,
}

impl Change {
    /// Whether the default branch already has this text.
    pub fn is_noop(&self) -> bool {
        self.current.as_ref().is_some_and(|f| f.text == self.text)
    }
}

/// Who is asked to review.
#[derive(Debug, Clone)]
pub enum Reviewers {
    /// Team slugs of the repository's org.
    Teams(Vec<String>),
    /// Logins.
    Users(Vec<String>),
}

/// What to propose.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub branch: String,
    pub changes: Vec<Change>,
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

#[derive(Deserialize)]
struct RepoWire {
    default_branch: String,
}

#[derive(Deserialize)]
struct Ref {
    object: Obj,
}

#[derive(Deserialize)]
struct Obj {
    sha: String,
}

#[derive(Deserialize)]
struct Content {
    content: String,
    sha: String,
}

#[derive(Deserialize)]
struct Pull {
    number: u64,
    html_url: String,
}

impl Repo {
    /// Reads the repository (`owner/name`): its default branch.
    pub async fn read(gh: &GitHub, full_name: &str) -> anyhow::Result<Self> {
        let (owner, name) = full_name
            .split_once('/')
            .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
            .ok_or_else(|| anyhow::anyhow!("`{full_name}` is not a repository (owner/name)"))?;
        let base = format!("/repos/{}/{}", enc(owner), enc(name));
        let info: RepoWire = gh.get(&base).await?;
        Ok(Self {
            owner: owner.to_owned(),
            name: name.to_owned(),
            default_branch: info.default_branch,
            base,
        })
    }

    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// A file at a branch (the default branch when `None`); `None` when absent.
    pub async fn file(
        &self,
        gh: &GitHub,
        path: &str,
        branch: Option<&str>,
    ) -> anyhow::Result<Option<File>> {
        let at = branch.unwrap_or(&self.default_branch);
        let path_enc: Vec<String> = path.split('/').map(enc).collect();
        let found: Option<Content> = gh
            .get_opt(&format!(
                "{}/contents/{}?ref={}",
                self.base,
                path_enc.join("/"),
                enc(at)
            ))
            .await?;
        let Some(c) = found else {
            return Ok(None);
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(c.content.replace(['\n', '\r'], ""))
            .map_err(|e| anyhow::anyhow!("{path} on {at}: not Base64 ({e})"))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| anyhow::anyhow!("{path} on {at} is not UTF-8 text"))?;
        Ok(Some(File { text, sha: c.sha }))
    }

    async fn head(&self, gh: &GitHub, branch: &str) -> Result<Option<String>, GitHubError> {
        let r: Option<Ref> = gh
            .get_opt(&format!("{}/git/ref/heads/{}", self.base, enc(branch)))
            .await?;
        Ok(r.map(|r| r.object.sha))
    }
}

/// Opens the pull request, or brings the open one up to date. Changes that
/// the default branch already has are left out of the commits.
pub async fn propose(gh: &GitHub, repo: &Repo, p: &Proposal) -> anyhow::Result<Proposed> {
    let base = &repo.base;
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
            Some(_) => {
                // One set of commits on top of the default branch: reset, then commit.
                let body = serde_json::json!({ "sha": head, "force": true });
                gh.write(
                    Method::PATCH,
                    &format!("{base}/git/refs/heads/{}", enc(&p.branch)),
                    Some(&body),
                )
                .await?;
            }
            None => {
                let body =
                    serde_json::json!({ "ref": format!("refs/heads/{}", p.branch), "sha": head });
                gh.write(Method::POST, &format!("{base}/git/refs"), Some(&body))
                    .await?;
            }
        }
        for c in p.changes.iter().filter(|c| !c.is_noop()) {
            let mut body = serde_json::json!({
                "message": c.message,
                "content": base64::engine::general_purpose::STANDARD.encode(c.text.as_bytes()),
                "branch": p.branch,
            });
            if let Some(f) = &c.current {
                body["sha"] = serde_json::json!(f.sha);
            }
            let path_enc: Vec<String> = c.path.split('/').map(enc).collect();
            gh.write(
                Method::PUT,
                &format!("{base}/contents/{}", path_enc.join("/")),
                Some(&body),
            )
            .await?;
        }
        committed = true;
    }

    let open: Vec<Pull> = gh
        .list(&format!(
            "{base}/pulls?state=open&head={}:{}",
            enc(&repo.owner),
            enc(&p.branch)
        ))
        .await?;
    let (pull, created) = match open.into_iter().next() {
        Some(pull) => {
            let patch = serde_json::json!({ "title": p.title, "body": p.body });
            gh.write(
                Method::PATCH,
                &format!("{base}/pulls/{}", pull.number),
                Some(&patch),
            )
            .await?;
            (pull, false)
        }
        None => {
            let post = serde_json::json!({
                "title": p.title,
                "body": p.body,
                "head": p.branch,
                "base": repo.default_branch,
            });
            let path = format!("{base}/pulls");
            let pull: Pull = super::client::decode(
                &gh.write(Method::POST, &path, Some(&post)).await?,
                &Method::POST,
                &path,
            )?;
            (pull, true)
        }
    };
    if let Some(r) = &p.reviewers {
        let body = match r {
            Reviewers::Teams(t) => serde_json::json!({ "team_reviewers": t }),
            Reviewers::Users(u) => serde_json::json!({ "reviewers": u }),
        };
        gh.write(
            Method::POST,
            &format!("{base}/pulls/{}/requested_reviewers", pull.number),
            Some(&body),
        )
        .await?;
    }
    Ok(Proposed {
        number: pull.number,
        url: pull.html_url,
        branch: p.branch.clone(),
        created,
        committed,
    })
}
