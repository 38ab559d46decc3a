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
//! That list is not part of reading a repository whole: an error on it
//! (a 5xx on a later page, a report psrt cannot decode) leaves the
//! repository's open reports planned; only its ended reports are unknown
//! that run ([`State::ended_unread`]: the run fails and says which
//! repository, `ended_whole` is false, so no discussion is forgotten).
//! Every id it holds, in any state, is kept in [`State::listed`]: a report
//! published between this read and its filtered list's is in neither
//! `advisories` nor `ended`, and must not be forgotten for that. A report
//! in two lists is taken once ([`one_state_each`]).
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

use std::collections::{BTreeMap, BTreeSet};

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
    /// Everything the plan needs (boxed: it is much the larger).
    State(Box<State>),
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
        Read::State(s) => Ok(*s),
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
    let ended_unchanged = lists
        .iter()
        .any(|(_, s, l)| s.is_none() && l.as_ref().is_ok_and(Fresh::is_unchanged));
    let lists = futures::future::join_all(lists.into_iter().map(|(r, s, l)| async move {
        let l = match l {
            Ok(Fresh::Unchanged) if s.is_none() => Ok(vec![]),
            Ok(Fresh::Unchanged) => gh.advisories(r, s).await,
            Ok(Fresh::Changed(l)) => Ok(l),
            Err(e) => Err(e),
        };
        (r.clone(), s, l)
    }))
    .await;
    // The lists psrt plans from make a repository read whole or not at
    // all; the list without a filter only adds its ended reports: an
    // error there costs the refusals on them this run, never the
    // repository's lifecycle.
    let mut filtered = Vec::new();
    let mut every_state = Vec::new();
    for (r, s, l) in lists {
        match s {
            Some(_) => filtered.push((r, l)),
            None => every_state.push((r, l)),
        }
    }
    let (list, errors) = merge_lists(filtered);
    let mut ended = Vec::new();
    let mut listed = BTreeSet::new();
    let mut ended_unread = BTreeMap::new();
    for (repo, l) in every_state {
        if errors.iter().any(|(r, _)| *r == repo) {
            continue;
        }
        match l {
            Ok(all) => {
                for a in all {
                    listed.insert(a.advisory.ghsa_id.clone());
                    if a.advisory.state.has_ended() {
                        ended.push(a);
                    }
                }
            }
            Err(e) => {
                ended_unread.insert(repo, list_reason(&e));
            }
        }
    }
    ended.sort_by(|a, b| {
        (a.advisory.created_at, &a.advisory.ghsa_id)
            .cmp(&(b.advisory.created_at, &b.advisory.ghsa_id))
    });
    let (list, ended) = one_state_each(list, ended);
    let ended_whole = how.ended && !ended_unchanged && ended_unread.is_empty();
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
    Ok(Read::State(Box::new(State {
        commands: Given::from_titles(&list),
        advisories: list,
        ended,
        ended_whole,
        ended_unread,
        listed,
        repos,
        team,
        accounts,
        forks: pulls.into_iter().collect(),
        discussion_unavailable: Default::default(),
        discussion_changed: Default::default(),
    })))
}

/// Why a list could not be read, for a note that may be public: never
/// GitHub's text about an answer psrt could not decode (it may quote a
/// report).
fn list_reason(e: &GitHubError) -> String {
    match e {
        GitHubError::Decode { .. } => "an answer psrt could not read".to_owned(),
        e => e.reason(),
    }
}

/// Each report once. Lists read at different moments may hold one report
/// twice (moved from one state to another between the reads). Published
/// and withdrawn are one-way (GitHub never makes such a report triage or
/// draft again), so the read that saw it ended saw the later state, and
/// it is refused, never planned: no update, status or deadline comment
/// for a report already published. Among the lists psrt plans from, the
/// read with the later `updated_at` (a state change moves it) wins; on a
/// tie, the first.
pub fn one_state_each(
    list: Vec<Lifecycle>,
    ended: Vec<Lifecycle>,
) -> (Vec<Lifecycle>, Vec<Lifecycle>) {
    let mut ended_ids = BTreeSet::new();
    let mut ended_once = Vec::with_capacity(ended.len());
    for a in ended {
        if ended_ids.insert(a.advisory.ghsa_id.clone()) {
            ended_once.push(a);
        }
    }
    let mut best: BTreeMap<GhsaId, usize> = BTreeMap::new();
    let mut kept: Vec<Option<Lifecycle>> = Vec::with_capacity(list.len());
    for a in list {
        if ended_ids.contains(&a.advisory.ghsa_id) {
            continue;
        }
        match best.get(&a.advisory.ghsa_id) {
            Some(&i) => {
                let newer = kept[i]
                    .as_ref()
                    .is_some_and(|k| a.advisory.updated_at > k.advisory.updated_at);
                if newer {
                    kept[i] = Some(a);
                }
            }
            None => {
                best.insert(a.advisory.ghsa_id.clone(), kept.len());
                kept.push(Some(a));
            }
        }
    }
    (kept.into_iter().flatten().collect(), ended_once)
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

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::github::advisories::Advisory;

    fn report(id: &str, state: AdvisoryState, updated_hour: u32) -> Lifecycle {
        let at = |h| Utc.with_ymd_and_hms(2026, 11, 2, h, 0, 0).unwrap();
        Lifecycle {
            advisory: Advisory {
                repo: RepoName::parse("python/cpython").unwrap(),
                ghsa_id: id.into(),
                html_url: String::new(),
                state,
                created_at: at(0),
                updated_at: Some(at(updated_hour)),
                closed_at: None,
                published_at: None,
                credits: vec![],
                collaborating_users: vec![],
                collaborating_teams: vec![],
                private_fork: None,
            },
            title_tag: None,
            cve_id: None,
            collaborators: vec![],
            reporter_id: None,
            comments: Some(0),
            has_cvss_v4: false,
        }
    }

    fn ids(l: &[Lifecycle]) -> Vec<String> {
        l.iter()
            .map(|a| format!("{} {}", a.advisory.ghsa_id, a.advisory.state))
            .collect()
    }

    /// A report published between its filtered list and the list without
    /// a filter is refused as ended, never planned as open (whichever
    /// read came last: published is one-way); one that moved between two
    /// filtered lists is planned once, in its later state; each report
    /// once, in the lists' order.
    #[test]
    fn each_report_once_ended_wins_then_the_later_read() {
        let list = vec![
            report("GHSA-a", AdvisoryState::Triage, 1),
            report("GHSA-b", AdvisoryState::Triage, 1),
            report("GHSA-c", AdvisoryState::Draft, 1),
            report("GHSA-b", AdvisoryState::Draft, 2),
            report("GHSA-c", AdvisoryState::Closed, 1),
        ];
        let ended = vec![
            report("GHSA-a", AdvisoryState::Published, 0),
            report("GHSA-d", AdvisoryState::Withdrawn, 1),
            report("GHSA-d", AdvisoryState::Withdrawn, 1),
        ];
        let (list, ended) = one_state_each(list, ended);
        assert_eq!(ids(&list), ["GHSA-b draft", "GHSA-c draft"]);
        assert_eq!(ids(&ended), ["GHSA-a published", "GHSA-d withdrawn"]);
    }
}
