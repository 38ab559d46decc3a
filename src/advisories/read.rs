//! Reading what the plan needs: the triage, draft and closed advisories of
//! every advisory repository (each repository whole, or not at all), the
//! commands given on them (title tags; never the title or any comment
//! text), the team's members (login and id), the accounts of members with
//! a `github_id` outside the team (their login today), and the pull
//! requests in the drafts' private forks.
//!
//! Besides, the **ended** reports (published and withdrawn), for their
//! discussion only: a `/psrt` command there gets its one refusal. GitHub's
//! `state` filter has no `withdrawn` (its description allows `triage`,
//! `draft`, `published` and `closed`), so they come from one list without
//! a filter per repository, of which only those two states are kept, in
//! [`State::ended`]: no rule, deadline, count or status comment sees them.
//! Only an applying run lists them (a dry run reads no discussion). It is
//! asked for like the other lists (conditional requests: a `304`
//! costs nothing, and a steady hour still costs no rate-limit point); when
//! it answers `304` and something else changed, it is not read again (the
//! other lists are: a `304` carries no body to plan from), since nothing
//! in it moved ([`State::ended_whole`] says so).
//!
//! An applying hourly run reads by conditional requests ([`Reading`]): each
//! list asks with the `ETag` of the answer the last complete run acted
//! upon, and GitHub answers `304 Not Modified` (no rate-limit point) when it
//! is the same. When every list, the team and every fork that run read are
//! unchanged, and nothing falls due by itself (the ledger's
//! [`Steady`] says until when), nothing changed: [`Read::Unchanged`], no
//! plan. Otherwise the lists are read whole (those that answered `304`
//! again, without validators), and a fork unchanged since its credits were
//! given is [`Fork::Unchanged`].

use std::collections::BTreeMap;

use super::model::{Fork, Given, State};
use crate::github::advisories::{AdvisoryState, Lifecycle, TitleTag, merge_lists};
use crate::github::{Fresh, GitHub, GitHubError};
use crate::ids::{GhsaId, RepoName};
use crate::ledger::Steady;
use crate::roster::Roster;

/// How a run reads.
#[derive(Clone, Copy, Default)]
pub struct Reading<'a> {
    /// Ask with the validators of earlier runs (given to the client with
    /// [`GitHub::use_validators`]): an applying hourly run.
    pub conditional: bool,
    /// What the last complete run left, while nothing falls due: with every
    /// list and fork unchanged, there is nothing to do.
    pub steady: Option<&'a Steady>,
    /// Also list the ended reports (published, withdrawn): only a run that
    /// reads discussions (`--apply`) has a use for them.
    pub ended: bool,
}

/// What a run read.
pub enum Read {
    /// Nothing changed since the last complete run: reports per repository
    /// (as that run read them).
    Unchanged(BTreeMap<String, usize>),
    /// Everything the plan needs.
    State(State),
}

/// The lists read per repository: the three states psrt manages, and
/// every state (`None`), for the ended reports.
const STATES: [Option<AdvisoryState>; 4] = [
    Some(AdvisoryState::Triage),
    Some(AdvisoryState::Draft),
    Some(AdvisoryState::Closed),
    None,
];

/// Reads everything, without validators (a dry run, `psrt demo`, tests).
pub async fn read(gh: &GitHub, roster: &Roster) -> anyhow::Result<State> {
    match read_with(gh, roster, Reading::default()).await? {
        Read::State(s) => Ok(s),
        // Without a steady state to compare with, never.
        Read::Unchanged(_) => anyhow::bail!("nothing read"),
    }
}

/// One list of advisories, as asked.
async fn advisories(
    gh: &GitHub,
    repo: &RepoName,
    state: Option<AdvisoryState>,
    conditional: bool,
) -> Result<Fresh<Vec<Lifecycle>>, GitHubError> {
    if conditional {
        gh.advisories_if_changed(repo, state).await
    } else {
        gh.advisories(repo, state).await.map(Fresh::Changed)
    }
}

/// Reads what the plan needs, or finds that nothing changed. A repository
/// that cannot be read is recorded as such (the others are planned), but
/// without the team there is no plan at all: who is outside it decides who
/// is added.
pub async fn read_with(gh: &GitHub, roster: &Roster, how: Reading<'_>) -> anyhow::Result<Read> {
    let g = &roster.github;
    let repo_names = g.advisory_repo_names();
    let jobs: Vec<(&RepoName, Option<AdvisoryState>)> = repo_names
        .iter()
        .flat_map(|r| STATES.iter().map(move |s| (r, *s)))
        .filter(|(_, s)| how.ended || s.is_some())
        .collect();
    let (lists, team) =
        tokio::join!(
            futures::future::join_all(jobs.iter().map(|(r, s)| async move {
                (*r, *s, advisories(gh, r, *s, how.conditional).await)
            })),
            async {
                if how.conditional {
                    gh.team_logins_if_changed(&g.org, &g.team).await
                } else {
                    gh.team_logins(&g.org, &g.team).await.map(Fresh::Changed)
                }
            },
        );
    let team =
        team.map_err(|e| anyhow::anyhow!("cannot read team {}/{}: {}", g.org, g.team, e.reason()))?;
    let unchanged = team.is_unchanged()
        && lists
            .iter()
            .all(|(_, _, l)| l.as_ref().is_ok_and(Fresh::is_unchanged));
    // The forks the last complete run read, asked about first when nothing
    // else changed.
    let mut forks_read: BTreeMap<GhsaId, Result<Fresh<Vec<_>>, String>> = BTreeMap::new();
    if let (true, Some(steady)) = (unchanged, how.steady) {
        let checked = futures::future::join_all(steady.forks.iter().map(|f| async move {
            let read = match RepoName::parse(&f.repo) {
                Ok(repo) => gh
                    .fork_pulls_if_changed(&repo, Some(&f.pulls))
                    .await
                    .map_err(|e| e.reason()),
                Err(_) => Err("not a repository name".to_owned()),
            };
            (f.report.clone(), read)
        }))
        .await;
        if checked
            .iter()
            .all(|(_, r)| r.as_ref().is_ok_and(Fresh::is_unchanged))
        {
            return Ok(Read::Unchanged(steady.reports.clone()));
        }
        forks_read.extend(checked);
    }
    // Something changed: every list whole, the team (login and id).
    let team: BTreeMap<u64, String> = gh
        .team_members(&g.org, &g.team)
        .await
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
    // An ended list unchanged since the last complete run is not read
    // again: no count there moved, so no discussion of it is due (and
    // psrt then forgets no report's discussion this run).
    let ended_whole = how.ended
        && lists
            .iter()
            .all(|(_, s, l)| s.is_some() || !l.as_ref().is_ok_and(Fresh::is_unchanged));
    let lists = futures::future::join_all(lists.into_iter().map(|(r, s, l)| async move {
        let l = match l {
            Ok(Fresh::Unchanged) if s.is_none() => Ok(vec![]),
            Ok(Fresh::Unchanged) => gh.advisories(r, s).await,
            Ok(Fresh::Changed(l)) => Ok(l),
            Err(e) => Err(e),
        };
        // The list without a filter gives the ended reports only (the
        // others come from their own lists).
        let l = match s {
            Some(_) => l,
            None => l.map(|l| {
                l.into_iter()
                    .filter(|a| a.advisory.state.has_ended())
                    .collect()
            }),
        };
        (r.clone(), l)
    }))
    .await;
    // A repository is read whole or not at all, its ended reports included.
    let (list, errors) = merge_lists(lists);
    let (ended, list): (Vec<Lifecycle>, Vec<Lifecycle>) =
        list.into_iter().partition(|a| a.advisory.state.has_ended());
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
    let pulls = futures::future::join_all(forks.iter().map(|(ghsa, fork)| {
        let known = how
            .steady
            .and_then(|s| s.fork_pulls(ghsa, fork.as_str()))
            .map(<[u64]>::to_vec);
        let already = forks_read.remove(ghsa);
        async move {
            let read = match already {
                Some(r) => r,
                None if how.conditional => gh
                    .fork_pulls_if_changed(fork, known.as_deref())
                    .await
                    .map_err(|e| e.reason()),
                None => gh
                    .fork_pulls(fork)
                    .await
                    .map(Fresh::Changed)
                    .map_err(|e| e.reason()),
            };
            let fork = read.map(|f| match f {
                Fresh::Changed(p) => Fork::Read(p),
                Fresh::Unchanged => Fork::Unchanged {
                    pulls: known.unwrap_or_default(),
                },
            });
            (ghsa.clone(), fork)
        }
    }))
    .await;
    Ok(Read::State(State {
        commands: Given::from_titles(&list),
        advisories: list,
        ended,
        ended_whole,
        repos,
        team,
        accounts,
        forks: pulls.into_iter().collect(),
        discussion_unavailable: Default::default(),
        discussion_changed: Default::default(),
    }))
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
