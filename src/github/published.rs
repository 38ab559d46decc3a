//! A published advisory, every field its announcement uses, read embargo
//! first; and what GitHub's advisory database keeps about it.
//!
//! psrt's everyday advisory type ([`super::advisories::Advisory`])
//! has no summary, description, reporter or severity, so nothing embargoed
//! can be printed. `psrt announce` needs those fields, so it reads in two
//! steps: first only the id and the state ([`StateOnly`]); anything but
//! `published`, and anything GitHub does not show, is refused with one
//! message that says nothing about the report. Only then is the advisory
//! read again into [`Published`], whose only constructor refuses any other
//! state (the advisory could change between the two reads).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::advisories::AdvisoryState;
use super::model::null_as_empty;
use super::repos::repo_path;
use super::transport::{
    Sensitivity::{Embargoed, Public},
    enc,
};
use super::{GitHub, GitHubError};
use crate::ids::{GhsaId, RepoName};

/// Why an advisory cannot be announced. `Refused` is deliberately one case
/// for "not published", "withdrawn", "no such advisory" and "not visible to
/// this token": telling them apart would say something about a report.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(
        "{ghsa_id} is not a published advisory of {repos}: psrt announce works on published advisories only (nothing was written)"
    )]
    Refused { ghsa_id: String, repos: String },
    #[error(transparent)]
    GitHub(#[from] GitHubError),
}

/// The first read: the state, nothing else.
#[derive(Deserialize)]
struct StateOnly {
    state: AdvisoryState,
}

#[derive(Deserialize)]
struct Wire {
    ghsa_id: String,
    html_url: String,
    state: AdvisoryState,
    #[serde(default)]
    cve_id: Option<String>,
    summary: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    cvss_severities: Option<CvssSeverities>,
    /// The older single-vector field (CVSS v3).
    #[serde(default)]
    cvss: Option<VectorWire>,
    #[serde(default, deserialize_with = "null_as_empty")]
    cwes: Vec<CweWire>,
    #[serde(default, deserialize_with = "null_as_empty")]
    cwe_ids: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    vulnerabilities: Vec<VulnerabilityWire>,
    #[serde(default, deserialize_with = "null_as_empty")]
    credits_detailed: Vec<CreditWire>,
    #[serde(default)]
    published_at: Option<DateTime<Utc>>,
    #[serde(default)]
    updated_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize, Default)]
struct CvssSeverities {
    #[serde(default)]
    cvss_v3: Option<VectorWire>,
    #[serde(default)]
    cvss_v4: Option<VectorWire>,
}

#[derive(Deserialize)]
struct VectorWire {
    #[serde(default)]
    vector_string: Option<String>,
}

#[derive(Deserialize)]
struct CweWire {
    cwe_id: String,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct VulnerabilityWire {
    #[serde(default)]
    package: Option<PackageWire>,
    #[serde(default)]
    vulnerable_version_range: Option<String>,
    #[serde(default)]
    patched_versions: Option<String>,
}

#[derive(Deserialize)]
struct PackageWire {
    ecosystem: String,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct CreditWire {
    user: UserWire,
    #[serde(rename = "type")]
    kind: String,
    state: String,
}

#[derive(Deserialize)]
struct UserWire {
    login: String,
    #[serde(default)]
    name: Option<String>,
}

/// A CWE the advisory names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cwe {
    /// `CWE-1333`.
    pub id: String,
    pub name: Option<String>,
}

/// One affected package and range, as the advisory states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vulnerability {
    /// GitHub's ecosystem: `pip`, `other`...
    pub ecosystem: String,
    pub package: String,
    pub vulnerable_version_range: Option<String>,
    pub patched_versions: Option<String>,
}

/// An accepted credit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    pub login: String,
    pub name: Option<String>,
    /// GitHub's credit type: `finder`, `remediation_developer`...
    pub kind: String,
}

/// A published advisory, every field the announcement uses. Constructed
/// only by [`read`], for an advisory GitHub says is published.
#[derive(Debug, Clone)]
pub struct Published {
    /// `owner/name` of its repository.
    pub repo: String,
    pub ghsa_id: String,
    pub html_url: String,
    pub cve_id: Option<String>,
    pub summary: String,
    pub description: String,
    /// GitHub's own rating (psrt scores the vector itself).
    pub severity: Option<String>,
    pub cvss_v4: Option<String>,
    pub cvss_v3: Option<String>,
    pub cwes: Vec<Cwe>,
    pub vulnerabilities: Vec<Vulnerability>,
    /// Accepted credits only: a declined or pending credit is not published.
    pub credits: Vec<Credit>,
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Published {
    fn from_wire(repo: &RepoName, w: Wire) -> Option<Self> {
        if w.state != AdvisoryState::Published {
            return None;
        }
        let published_at = w.published_at?;
        let severities = w.cvss_severities.unwrap_or_default();
        let vector = |v: Option<VectorWire>| {
            v.and_then(|v| v.vector_string)
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let mut cwes: Vec<Cwe> = w
            .cwes
            .into_iter()
            .map(|c| Cwe {
                id: c.cwe_id,
                name: c.name,
            })
            .collect();
        for id in w.cwe_ids {
            if !cwes.iter().any(|c| c.id == id) {
                cwes.push(Cwe { id, name: None });
            }
        }
        Some(Self {
            repo: repo.to_string(),
            ghsa_id: w.ghsa_id,
            html_url: w.html_url,
            cve_id: w.cve_id.filter(|c| !c.trim().is_empty()),
            summary: w.summary,
            description: w.description.unwrap_or_default(),
            severity: w.severity,
            cvss_v4: vector(severities.cvss_v4),
            cvss_v3: vector(severities.cvss_v3).or_else(|| vector(w.cvss)),
            cwes,
            vulnerabilities: w
                .vulnerabilities
                .into_iter()
                .filter_map(|v| {
                    let p = v.package?;
                    Some(Vulnerability {
                        ecosystem: p.ecosystem,
                        package: p.name.filter(|n| !n.is_empty())?,
                        vulnerable_version_range: v.vulnerable_version_range,
                        patched_versions: v.patched_versions.filter(|p| !p.trim().is_empty()),
                    })
                })
                .collect(),
            credits: w
                .credits_detailed
                .into_iter()
                .filter(|c| c.state == "accepted")
                .map(|c| Credit {
                    login: c.user.login,
                    name: c.user.name.filter(|n| !n.trim().is_empty()),
                    kind: c.kind,
                })
                .collect(),
            published_at,
            updated_at: w.updated_at.unwrap_or(published_at).max(published_at),
        })
    }
}

fn advisory_path(repo: &RepoName, ghsa_id: &GhsaId) -> String {
    format!(
        "{}/security-advisories/{}",
        repo_path(repo),
        enc(ghsa_id.as_str())
    )
}

#[derive(Deserialize)]
struct GlobalAdvisory {
    #[serde(default)]
    references: Option<Vec<String>>,
}

impl GitHub {
    /// Finds the advisory in `repos` (in order) and reads it, if it is
    /// published; see the module's note.
    pub async fn published_advisory(
        &self,
        repos: &[RepoName],
        ghsa_id: &GhsaId,
    ) -> Result<Published, ReadError> {
        let refused = || ReadError::Refused {
            ghsa_id: ghsa_id.to_string(),
            repos: repos
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        };
        let mut found = None;
        for repo in repos {
            if let Some(s) = self
                .get_opt::<StateOnly>(&advisory_path(repo, ghsa_id), Embargoed)
                .await?
            {
                found = Some((repo, s.state));
                break;
            }
        }
        let Some((repo, AdvisoryState::Published)) = found else {
            return Err(refused());
        };
        let wire: Wire = self.get(&advisory_path(repo, ghsa_id), Embargoed).await?;
        Published::from_wire(repo, wire).ok_or_else(refused)
    }

    /// The references GitHub's advisory database keeps for a published
    /// advisory (none when the database has no entry for it).
    pub async fn database_references(&self, ghsa_id: &GhsaId) -> Result<Vec<String>, GitHubError> {
        let found: Option<GlobalAdvisory> = self
            .get_opt(&format!("/advisories/{}", enc(ghsa_id.as_str())), Public)
            .await?;
        Ok(found.and_then(|g| g.references).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(v: serde_json::Value) -> Wire {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn only_a_published_advisory_becomes_published() {
        for state in ["triage", "draft", "closed", "withdrawn"] {
            let w = wire(serde_json::json!({
                "ghsa_id": "GHSA-aaaa-bbbb-cccc", "html_url": "https://github.com/x/y/security/advisories/GHSA-aaaa-bbbb-cccc",
                "state": state, "summary": "s", "published_at": "2026-01-01T00:00:00Z"
            }));
            assert!(
                Published::from_wire(&RepoName::parse("x/y").unwrap(), w).is_none(),
                "{state}"
            );
        }
    }

    #[test]
    fn keeps_accepted_credits_and_every_cwe() {
        let w = wire(serde_json::json!({
            "ghsa_id": "GHSA-aaaa-bbbb-cccc", "html_url": "https://github.com/x/y/security/advisories/GHSA-aaaa-bbbb-cccc",
            "state": "published", "summary": "s", "description": null,
            "published_at": "2026-01-01T00:00:00Z", "updated_at": null,
            "cwes": [{"cwe_id": "CWE-1333", "name": "Inefficient Regular Expression Complexity"}],
            "cwe_ids": ["CWE-1333", "CWE-400"],
            "cvss": {"vector_string": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", "score": 5.3},
            "cvss_severities": {"cvss_v3": null, "cvss_v4": {"vector_string": null, "score": null}},
            "vulnerabilities": [
                {"package": {"ecosystem": "pip", "name": "pip"}, "vulnerable_version_range": "< 25.0", "patched_versions": "", "vulnerable_functions": []},
                {"package": null, "vulnerable_version_range": null, "patched_versions": null, "vulnerable_functions": null}
            ],
            "credits_detailed": [
                {"user": {"login": "finder1", "id": 1}, "type": "finder", "state": "accepted"},
                {"user": {"login": "shy", "id": 2}, "type": "reporter", "state": "declined"},
                {"user": {"login": "later", "id": 3}, "type": "analyst", "state": "pending"}
            ]
        }));
        let p = Published::from_wire(&RepoName::parse("x/y").unwrap(), w).unwrap();
        assert_eq!(
            p.credits
                .iter()
                .map(|c| c.login.as_str())
                .collect::<Vec<_>>(),
            ["finder1"]
        );
        assert_eq!(
            p.cwes.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["CWE-1333", "CWE-400"]
        );
        assert_eq!(p.cvss_v4, None);
        assert_eq!(
            p.cvss_v3.as_deref(),
            Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L")
        );
        assert_eq!(p.vulnerabilities.len(), 1);
        assert_eq!(p.vulnerabilities[0].patched_versions, None);
        assert_eq!(p.description, "");
    }
}
