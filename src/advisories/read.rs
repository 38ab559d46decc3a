//! Reading what the plan needs: the triage, draft and closed advisories of
//! every advisory repository (each repository whole, or not at all), the
//! commands given on them (title tags; never the title or any comment
//! text), the team's members (login and id), the accounts of members with
//! a `github_id` outside the team (their login today), and the pull
//! requests in the drafts' private forks.

use std::collections::BTreeMap;

use super::model::{Given, State};
use crate::github::GitHub;
use crate::github::advisories::{AdvisoryState, TitleTag};
use crate::ids::{GhsaId, RepoName};
use crate::roster::Roster;

/// Reads everything; a repository that cannot be read is recorded as such
/// (the others are planned), but without the team there is no plan at all:
/// who is outside it decides who is added.
pub async fn read(gh: &GitHub, roster: &Roster) -> anyhow::Result<State> {
    let g = &roster.github;
    let states = [
        AdvisoryState::Triage,
        AdvisoryState::Draft,
        AdvisoryState::Closed,
    ];
    let repo_names = g.advisory_repo_names();
    let ((list, errors), team) = tokio::join!(
        gh.advisories_in_states(&repo_names, &states),
        gh.team_members(&g.org, &g.team),
    );
    let team: BTreeMap<u64, String> = team
        .map_err(|e| anyhow::anyhow!("cannot read team {}/{}: {}", g.org, g.team, e.reason()))?
        .into_iter()
        .map(|u| (u.id, u.login))
        .collect();
    // Members outside the team are granted access under the login their
    // account has today: never the roster's login, which may be a stranger's.
    let outside: Vec<u64> = roster
        .members
        .iter()
        .filter_map(|m| m.github_id)
        .filter(|id| !team.contains_key(id))
        .collect();
    let found = futures::future::join_all(outside.iter().map(|id| gh.user_by_id(*id))).await;
    let mut accounts = BTreeMap::new();
    for (id, r) in outside.iter().zip(found) {
        match r {
            Ok(user) => {
                accounts.insert(*id, user.map(|u| u.login));
            }
            // Counted in the plan's note; that member is not added this run.
            Err(e) => tracing::warn!(error = %e.reason(), "an account could not be read"),
        }
    }
    let mut repos: BTreeMap<String, Result<usize, String>> = g
        .advisory_repos
        .iter()
        .map(|r| {
            let n = list
                .iter()
                .filter(|a| a.advisory.repo.as_str().eq_ignore_ascii_case(r))
                .count();
            (r.clone(), Ok(n))
        })
        .collect();
    for (repo, e) in errors {
        repos.insert(repo.to_string(), Err(e.reason()));
    }
    // The drafts' private forks: one token for them all, then their pull requests.
    let forks: Vec<(GhsaId, RepoName)> = list
        .iter()
        .filter(|a| {
            a.advisory.state == AdvisoryState::Draft && a.title_tag != Some(TitleTag::Close)
        })
        .filter_map(|a| {
            a.advisory
                .private_fork
                .clone()
                .map(|f| (a.advisory.ghsa_id.clone(), f))
        })
        .collect();
    let names: Vec<RepoName> = forks.iter().map(|(_, f)| f.clone()).collect();
    gh.reach(&names).await;
    let pulls = futures::future::join_all(forks.iter().map(|(ghsa, fork)| async move {
        (
            ghsa.clone(),
            gh.fork_pulls(fork).await.map_err(|e| e.reason()),
        )
    }))
    .await;
    Ok(State {
        commands: Given::from_titles(&list),
        advisories: list,
        repos,
        team,
        accounts,
        forks: pulls.into_iter().collect(),
    })
}

/// The CVE id of every advisory of `cve.repos`, in every state (published
/// and withdrawn included), upper case: when a lost ledger is rebuilt, no
/// id an advisory carries is taken for another report. Any repository that
/// cannot be read is an error (a partial list could hand out a used id).
pub async fn every_cve_id(
    gh: &GitHub,
    roster: &Roster,
) -> Result<std::collections::BTreeSet<String>, String> {
    let repos: Vec<RepoName> = roster
        .cve
        .as_ref()
        .map(|c| {
            c.repos
                .iter()
                .filter_map(|r| RepoName::parse(r).ok())
                .collect()
        })
        .unwrap_or_default();
    let mut ids = std::collections::BTreeSet::new();
    for repo in &repos {
        let all = gh
            .advisories(repo, None)
            .await
            .map_err(|e| format!("the advisories of {repo} cannot be read: {}", e.reason()))?;
        ids.extend(
            all.into_iter()
                .filter_map(|a| a.cve_id)
                .map(|id| id.to_ascii_uppercase()),
        );
    }
    Ok(ids)
}
