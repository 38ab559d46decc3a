//! Private vulnerability reporting: on for every advisory repository (PEP
//! 811: "GHSA will be enabled for relevant repositories"), and off, or
//! watched, everywhere else in the organisation: a public repository that
//! accepts reports but is not in `github.advisory_repos` gets reports that
//! no team, coordinator or deadline ever reaches. Reading only.

use futures::StreamExt as _;

use super::model::{Area, Finding, Kind};
use crate::github::GitHub;
use crate::ids::RepoName;

/// How often the organisation is swept (a read per public repository): a
/// repository that starts accepting reports is rare, and a day's delay
/// costs little, so the hourly audit does not read 300 repositories every
/// hour.
pub const SWEEP_EVERY_HOURS: i64 = 20;

pub const ORG_SCOPE: &str = "organisation sweep";

/// The advisory repositories.
pub async fn advisory_repos(gh: &GitHub, repos: &[RepoName]) -> Vec<Finding> {
    let mut out = Vec::new();
    for r in repos {
        let name = r.to_string();
        let scope = format!("reporting {name}");
        out.push(match gh.private_reporting(r).await {
            Ok(true) => Finding::ok(Area::Reporting, &scope, &name, "accepts private reports"),
            Ok(false) => Finding::problem(
                Area::Reporting,
                &scope,
                Kind::ReportingOff,
                &name,
                "does NOT accept private vulnerability reports",
            ),
            Err(e) => Finding::not_checked(
                Area::Reporting,
                &scope,
                format!("{name}: could not be read: {}", e.reason()),
            ),
        });
    }
    out
}

/// Every public, unarchived repository of the organisation outside
/// `advisory_repos` that accepts private reports.
pub async fn sweep(gh: &GitHub, org: &str, watched: &[RepoName]) -> Vec<Finding> {
    let repos = match gh.org_public_repositories(org).await {
        Ok(r) => r,
        Err(e) => {
            return vec![Finding::not_checked(
                Area::Reporting,
                ORG_SCOPE,
                format!(
                    "the repositories of {org} could not be listed: {}",
                    e.reason()
                ),
            )];
        }
    };
    let others: Vec<RepoName> = repos
        .iter()
        .filter(|r| !r.archived && !r.private)
        .filter_map(|r| RepoName::parse(&r.full_name).ok())
        .filter(|r| !watched.iter().any(|w| w.key() == r.key()))
        .collect();
    let n = others.len();
    // The transport bounds the reads in flight.
    let answers: Vec<(RepoName, Result<bool, String>)> = futures::stream::iter(others)
        .map(|r| async move {
            let a = gh.private_reporting(&r).await.map_err(|e| e.reason());
            (r, a)
        })
        .buffered(8)
        .collect()
        .await;
    let mut out = Vec::new();
    let mut failed = Vec::new();
    for (r, a) in answers {
        match a {
            Ok(true) => out.push(Finding::problem(
                Area::Reporting,
                ORG_SCOPE,
                Kind::ReportingUnwatched,
                &r.to_string(),
                "accepts private reports but is not in github.advisory_repos: its reports get no team, coordinator or deadline",
            )),
            Ok(false) => {}
            Err(e) => failed.push(format!("{r} ({e})")),
        }
    }
    if failed.is_empty() {
        out.push(Finding::ok(
            Area::Reporting,
            ORG_SCOPE,
            &format!("{org}'s other repositories"),
            format!(
                "{n} public repositories read; {} accept reports unwatched",
                out.len()
            ),
        ));
    } else {
        out.push(Finding::not_checked(
            Area::Reporting,
            ORG_SCOPE,
            format!(
                "{} of {n} repositories of {org} could not be read: {}",
                failed.len(),
                failed.into_iter().take(3).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    out
}
