//! The rules of a repository's branches: its rulesets, the rules that
//! apply to a branch (active rulesets only, the organisation's included),
//! and the errors GitHub finds in CODEOWNERS. Read by `psrt audit`; psrt
//! never writes them.

use serde::Deserialize;

use super::model::null_as_empty;
use super::repos::repo_path;
use super::transport::{Sensitivity::Public, enc};
use super::{GitHub, GitHubError};
use crate::ids::RepoName;

/// A ruleset as GitHub shows it.
#[derive(Debug, Clone, Deserialize)]
pub struct Ruleset {
    pub id: u64,
    pub name: String,
    /// `active`, `evaluate` or `disabled`.
    pub enforcement: String,
    /// Who may bypass it. GitHub shows the list only to a token that may
    /// edit the ruleset: `None` when it was withheld.
    #[serde(default)]
    pub bypass_actors: Option<Vec<BypassActor>>,
}

/// One entry of a ruleset's bypass list (its kind; never printed with an id).
#[derive(Debug, Clone, Deserialize)]
pub struct BypassActor {
    #[serde(default)]
    pub actor_type: Option<String>,
}

/// A rule that applies to a branch, with the ruleset it comes from.
#[derive(Debug, Clone, Deserialize)]
pub struct BranchRule {
    /// `pull_request`, `required_status_checks`, `deletion`...
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub ruleset_id: Option<u64>,
    #[serde(default)]
    pub parameters: Option<serde_json::Value>,
}

/// A required status check of a `required_status_checks` rule.
#[derive(Debug, Clone, Deserialize)]
pub struct RequiredCheck {
    pub context: String,
    /// The App whose status alone counts; `None`: any source.
    #[serde(default)]
    pub integration_id: Option<u64>,
}

impl BranchRule {
    /// The required checks of a `required_status_checks` rule.
    pub fn required_checks(&self) -> Vec<RequiredCheck> {
        #[derive(Deserialize)]
        struct P {
            #[serde(default, deserialize_with = "null_as_empty")]
            required_status_checks: Vec<RequiredCheck>,
        }
        self.parameters
            .clone()
            .and_then(|p| serde_json::from_value::<P>(p).ok())
            .map(|p| p.required_status_checks)
            .unwrap_or_default()
    }

    /// A boolean parameter (`require_code_owner_review`...); absent: false.
    pub fn flag(&self, name: &str) -> bool {
        self.parameters
            .as_ref()
            .and_then(|p| p.get(name))
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    }
}

/// An error GitHub reports in a CODEOWNERS file (where, and what kind).
#[derive(Debug, Clone, Deserialize)]
pub struct CodeownersError {
    pub line: u64,
    pub kind: String,
    pub path: String,
}

impl GitHub {
    /// The repository's rulesets, the organisation's that reach it included.
    pub async fn rulesets(&self, repo: &RepoName) -> Result<Vec<Ruleset>, GitHubError> {
        self.list(
            &format!("{}/rulesets?includes_parents=true", repo_path(repo)),
            Public,
        )
        .await
    }

    /// One ruleset, with its bypass list when GitHub shows it.
    pub async fn ruleset(&self, repo: &RepoName, id: u64) -> Result<Ruleset, GitHubError> {
        self.get(&format!("{}/rulesets/{id}", repo_path(repo)), Public)
            .await
    }

    /// The rules of active rulesets that apply to `branch`.
    pub async fn branch_rules(
        &self,
        repo: &RepoName,
        branch: &str,
    ) -> Result<Vec<BranchRule>, GitHubError> {
        self.list(
            &format!("{}/rules/branches/{}", repo_path(repo), enc(branch)),
            Public,
        )
        .await
    }

    /// The errors GitHub finds in the CODEOWNERS file of `at` (a branch);
    /// `None` when there is no CODEOWNERS file (GitHub answers 404).
    pub async fn codeowners_errors(
        &self,
        repo: &RepoName,
        at: &str,
    ) -> Result<Option<Vec<CodeownersError>>, GitHubError> {
        #[derive(Deserialize)]
        struct Errors {
            #[serde(default, deserialize_with = "null_as_empty")]
            errors: Vec<CodeownersError>,
        }
        let e: Option<Errors> = self
            .get_opt(
                &format!("{}/codeowners/errors?ref={}", repo_path(repo), enc(at)),
                Public,
            )
            .await?;
        Ok(e.map(|e| e.errors))
    }
}
