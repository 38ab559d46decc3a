//! GitHub Actions: a repository's workflows (and whether GitHub disabled
//! them), their runs, a run's jobs, and enabling a workflow again (what
//! `psrt audit --apply` writes). Nothing here is embargoed: the policy
//! repository's workflows and runs are public.

use chrono::{DateTime, Utc};
use http::Method;
use serde::Deserialize;

use super::repos::repo_path;
use super::transport::{Sensitivity::Public, enc};
use super::{GitHub, GitHubError};
use crate::ids::RepoName;

/// A workflow as GitHub lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct Workflow {
    pub id: u64,
    pub name: String,
    /// `.github/workflows/nightly.yml`
    pub path: String,
    /// `active`, `disabled_inactivity`, `disabled_manually`,
    /// `disabled_fork`, `deleted`.
    pub state: String,
    pub created_at: DateTime<Utc>,
}

impl Workflow {
    /// The file name (`nightly.yml`): how people and the ledger name it.
    pub fn file(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

/// A workflow run, as much of it as the audit judges.
#[derive(Debug, Clone, Deserialize)]
pub struct Run {
    pub id: u64,
    /// `schedule`, `workflow_dispatch`, `push`...
    pub event: String,
    #[serde(default)]
    pub head_branch: Option<String>,
    /// `queued`, `in_progress`, `completed`...
    #[serde(default)]
    pub status: Option<String>,
    /// `success`, `failure`, `cancelled`... (`None` until completed).
    #[serde(default)]
    pub conclusion: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub html_url: Option<String>,
}

/// One job of a run.
#[derive(Debug, Clone, Deserialize)]
pub struct Job {
    pub name: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub conclusion: Option<String>,
}

impl GitHub {
    /// Every workflow of the repository, whatever its state.
    pub async fn workflows(&self, repo: &RepoName) -> Result<Vec<Workflow>, GitHubError> {
        self.list_in(
            &format!("{}/actions/workflows", repo_path(repo)),
            "workflows",
            Public,
        )
        .await
    }

    /// The latest completed runs of a workflow (named by its file,
    /// `nightly.yml`: GitHub takes the file name or the id, and the id's
    /// digits match both halves of the description's `oneOf`) for one event
    /// on one branch, newest first, at most `count` (GitHub filters; psrt
    /// checks again).
    pub async fn completed_runs(
        &self,
        repo: &RepoName,
        workflow: &str,
        event: &str,
        branch: &str,
        count: u32,
    ) -> Result<Vec<Run>, GitHubError> {
        self.first_in(
            &format!(
                "{}/actions/workflows/{}/runs?event={}&branch={}&status=completed",
                repo_path(repo),
                enc(workflow),
                enc(event),
                enc(branch)
            ),
            "workflow_runs",
            count,
            Public,
        )
        .await
    }

    /// The jobs of a run's latest attempt.
    pub async fn run_jobs(&self, repo: &RepoName, run_id: u64) -> Result<Vec<Job>, GitHubError> {
        self.list_in(
            &format!(
                "{}/actions/runs/{run_id}/jobs?filter=latest",
                repo_path(repo)
            ),
            "jobs",
            Public,
        )
        .await
    }

    /// Enables a workflow (named by its file); `state` becomes `active`;
    /// on an active one, it counts as activity that keeps GitHub from
    /// disabling it.
    pub async fn enable_workflow(
        &self,
        repo: &RepoName,
        workflow: &str,
    ) -> Result<(), GitHubError> {
        self.write(
            Method::PUT,
            &format!(
                "{}/actions/workflows/{}/enable",
                repo_path(repo),
                enc(workflow)
            ),
            None,
            Public,
        )
        .await?;
        Ok(())
    }
}
