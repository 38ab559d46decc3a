//! `psrt check --online`: what only GitHub can tell. Each login exists and,
//! where a `github_id` is recorded, still belongs to that id (renames are
//! reported with the new login); members are eligible through
//! `github.eligibility_teams`; the team, the Steering Council team and the
//! advisory repositories exist.

use futures::future::join_all;

use crate::diag::Diagnostic;
use crate::github::GitHub;
use crate::ids::{Login, RepoName};
use crate::path;
use crate::roster::Loaded;
use crate::roster::source::Seg;

/// Reading logins, the eligibility and Steering Council teams.
pub const ONLINE_ORG_PERMISSIONS: &[crate::github::Permission] =
    &[("members", crate::github::Level::Read)];
/// That each advisory repository exists (its metadata).
pub const ONLINE_REPO_PERMISSIONS: &[crate::github::Permission] =
    &[("metadata", crate::github::Level::Read)];

/// The GitHub scope of `psrt check --online`: read only.
pub fn github_scope(roster: &crate::roster::Roster) -> crate::github::Scope {
    crate::github::Scope::org(&roster.github.org, ONLINE_ORG_PERMISSIONS)
        .repos(&roster.github.advisory_repos, ONLINE_REPO_PERMISSIONS)
}

pub const RULES: &[(&str, &str)] = &[
    ("unknown-login", "every login is a GitHub user (online)"),
    (
        "renamed-login",
        "a github_id still has the recorded login (online)",
    ),
    (
        "missing-github-id",
        "members and emeritus entries record their github_id, so renames are followed and a renamed former member still loses access (online, warning)",
    ),
    (
        "not-eligible",
        "members are in an eligibility team, or legacy, RM or SC (online)",
    ),
    (
        "missing-team",
        "the team and the Steering Council team exist (online)",
    ),
    ("missing-repo", "each advisory repository exists (online)"),
];

pub async fn check(gh: &GitHub, loaded: &Loaded) -> Vec<Diagnostic> {
    let roster = &loaded.roster;
    let source = &loaded.source;
    let mut out = Vec::new();
    let at = |p: Vec<Seg>| source.value_loc(&p);

    // Each person's login, and their id.
    let people: Vec<(Vec<Seg>, Login, Option<u64>)> =
        roster
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| (path!["members", i], m.github.clone(), m.github_id))
            .chain(
                roster.emeritus.iter().enumerate().filter_map(|(i, e)| {
                    Some((path!["emeritus", i], e.github.clone()?, e.github_id))
                }),
            )
            .collect();
    let lookups = join_all(people.iter().map(|(_, login, _)| gh.user(login.as_str()))).await;
    for ((p, login, id), found) in people.iter().zip(lookups) {
        let login_at = at([p.clone(), path!["github"]].concat());
        match (found, id) {
            (Err(e), _) => out.push(Diagnostic::warning("unknown-login", login_at, format!("could not look up `{login}`: {}", e.reason()))),
            (Ok(Some(user)), Some(id)) if user.id == *id => {}
            (Ok(found), Some(id)) => {
                // The login is gone or belongs to someone else: follow the id.
                match gh.user_by_id(*id).await {
                    Ok(Some(now)) => out.push(
                        Diagnostic::error("renamed-login", login_at, format!("github_id {id} is `{}` on GitHub now, not `{login}`", now.login))
                            .help(format!("update the login: `github: {}`", now.login)),
                    ),
                    Ok(None) => out.push(Diagnostic::error("unknown-login", at([p.clone(), path!["github_id"]].concat()), format!("no GitHub user has id {id}"))),
                    Err(e) => out.push(Diagnostic::warning("unknown-login", login_at, format!("could not look up id {id}: {}", e.reason()))),
                }
                if let Some(other) = found {
                    out.push(Diagnostic::warning("renamed-login", login_at, format!("the login `{login}` now belongs to another account (id {})", other.id)));
                }
            }
            (Ok(None), None) => out.push(
                Diagnostic::error("unknown-login", login_at, format!("`{login}` is not a GitHub user"))
                    .help("they may have been renamed: find the new login, and record github_id so psrt follows renames"),
            ),
            (Ok(Some(user)), None) => {
                let help = if p[0] == Seg::Key("members".into()) {
                    format!("add `github_id: {}` so that psrt follows a rename", user.id)
                } else {
                    // Revocation matches former members by id too: without
                    // it, a former member who renames keeps access to
                    // embargoed reports.
                    format!(
                        "add `github_id: {}`: psrt removes former members from unpublished reports by id too, so a renamed account still loses access",
                        user.id
                    )
                };
                out.push(
                    Diagnostic::warning("missing-github-id", login_at, format!("`{login}` has no github_id"))
                        .help(help),
                );
            }
        }
    }

    // The teams and repositories the roster names.
    let g = &roster.github;
    let mut teams = vec![(path!["github", "team"], g.team.clone())];
    if let Some(t) = &g.steering_council_team {
        teams.push((path!["github", "steering_council_team"], t.clone()));
    }
    for (i, t) in g.eligibility_teams.iter().enumerate() {
        teams.push((path!["github", "eligibility_teams", i], t.clone()));
    }
    for (p, team) in teams {
        match gh.team_exists(&g.org, &team).await {
            Ok(true) => {}
            Ok(false) => out.push(Diagnostic::error(
                "missing-team",
                at(p),
                format!(
                    "team {}/{team} does not exist (or the token cannot see it)",
                    g.org
                ),
            )),
            Err(e) => out.push(Diagnostic::warning(
                "missing-team",
                at(p),
                format!("could not look up team {}/{team}: {}", g.org, e.reason()),
            )),
        }
    }
    for (i, repo) in g.advisory_repos.iter().enumerate() {
        // `psrt check` reports a repository that is not `owner/name`.
        let Ok(name) = RepoName::parse(repo) else {
            continue;
        };
        match gh.repository_exists(&name).await {
            Ok(true) => {}
            Ok(false) => out.push(Diagnostic::error(
                "missing-repo",
                at(path!["github", "advisory_repos", i]),
                format!("repository {repo} does not exist (or the token cannot see it)"),
            )),
            Err(e) => out.push(Diagnostic::warning(
                "missing-repo",
                at(path!["github", "advisory_repos", i]),
                format!("could not look up {repo}: {}", e.reason()),
            )),
        }
    }

    // Eligibility.
    if !g.eligibility_teams.is_empty() {
        match gh.logins_in_teams(&g.org, &g.eligibility_teams).await {
            Ok(eligible) => {
                for (i, m) in roster.members.iter().enumerate() {
                    if !(m.legacy || roster.is_exempt(m) || eligible.contains(&m.github)) {
                        out.push(
                            Diagnostic::error(
                                "not-eligible",
                                at(path!["members", i, "github"]),
                                format!("`{}` is in none of {} and is not legacy, a Release Manager or on the Steering Council", m.github, g.eligibility_teams.join(", ")),
                            )
                            .help("PEP 811: members are core team members or triagers; mark members admitted before the rule `legacy: true`"),
                        );
                    }
                }
            }
            Err(why) => out.push(Diagnostic::warning(
                "not-eligible",
                at(path!["github", "eligibility_teams"]),
                format!("eligibility not checked: {why}"),
            )),
        }
    }

    // The roster's Council against the org's team: who approves must be who
    // the org says sits on the Council.
    if let Some(team) = &g.steering_council_team {
        match gh.team_logins(&g.org, team).await {
            Ok(on_team) => {
                let on_team: std::collections::BTreeSet<Login> = on_team.into_iter().collect();
                let listed: std::collections::BTreeSet<Login> =
                    roster.steering_council.iter().cloned().collect();
                for (i, l) in roster.steering_council.iter().enumerate() {
                    if !on_team.contains(l) {
                        out.push(
                            Diagnostic::warning(
                                "council-team",
                                at(path!["steering_council", i]),
                                format!(
                                    "`{l}` is in `steering_council` but not in team {}/{team}",
                                    g.org
                                ),
                            )
                            .help("after an election, update both; a login typo also shows here"),
                        );
                    }
                }
                for l in on_team.difference(&listed) {
                    out.push(
                        Diagnostic::warning(
                            "council-team",
                            at(path!["steering_council"]),
                            format!(
                                "`{l}` is in team {}/{team} but not in `steering_council`",
                                g.org
                            ),
                        )
                        .help(format!(
                            "add `{l}` to `steering_council` if they sit on the Council"
                        )),
                    );
                }
            }
            Err(e) => out.push(Diagnostic::warning(
                "council-team",
                at(path!["github", "steering_council_team"]),
                format!(
                    "could not compare `steering_council` with team {}/{team}: {}",
                    g.org,
                    e.reason()
                ),
            )),
        }
    }
    out
}
