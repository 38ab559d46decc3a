//! What a command may do on GitHub: the organisation permissions, and the
//! repositories and the permissions it needs in each.
//!
//! Every command builds one [`Scope`] (in `src/commands/<cmd>.rs`, from
//! permission lists named `*_PERMISSIONS` beside the code that needs them)
//! and hands it to [`super::GitHub::connect`]. Under a GitHub App, psrt then
//! mints installation tokens limited to exactly that: one for the
//! organisation's installation with the organisation permissions, one per
//! repository (found with `GET /repos/{owner}/{repo}/installation`) with
//! `repositories: [that one]` and its permissions, and one per owner for the
//! advisories' temporary private forks the command reads. A request outside
//! the scope is refused by psrt before it is sent. With `GITHUB_TOKEN` (a
//! personal access token) the scope cannot narrow the token: it is used as
//! it is, for everything.
//!
//! `docs/operations.md` has the table of commands and the scopes they ask
//! for; `tests/it/scopes.rs` checks it against these lists.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::ids::RepoName;

/// How much of a permission (GitHub's permission level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Read,
    Write,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Read => "read",
            Level::Write => "write",
        }
    }
}

/// A GitHub App permission by GitHub's name (`members`,
/// `repository_advisories`, `contents`, `pull_requests`...) and its level.
pub type Permission = (&'static str, Level);

/// Permissions, by name; the higher level wins when one is given twice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Permissions(BTreeMap<&'static str, Level>);

impl Permissions {
    pub fn of(list: &[Permission]) -> Self {
        let mut p = Self::default();
        p.add(list);
        p
    }
    pub fn add(&mut self, list: &[Permission]) {
        for (name, access) in list {
            let e = self.0.entry(name).or_insert(*access);
            *e = (*e).max(*access);
        }
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The body of an access token request's `permissions`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.0
                .iter()
                .map(|(k, v)| ((*k).to_owned(), serde_json::json!(v.as_str())))
                .collect(),
        )
    }
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, Level)> + '_ {
        self.0.iter().map(|(k, v)| (*k, *v))
    }
}

impl fmt::Display for Permissions {
    /// `members: read, repository_advisories: write`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.as_str()))
            .collect();
        f.write_str(&parts.join(", "))
    }
}

/// Repository metadata only: what every token has on the repositories it
/// reaches, and what a token for user lookups asks for.
pub const METADATA_ONLY: &[Permission] = &[("metadata", Level::Read)];

/// What one command may do on GitHub.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Scope {
    /// The organisation (`github.org`).
    pub org: String,
    /// Permissions on the organisation itself (`members`); empty: none.
    pub org_permissions: Permissions,
    /// Repositories (`owner/name`, compared case-insensitively) and the
    /// permissions the command needs in each.
    pub repos: BTreeMap<String, Permissions>,
    /// The temporary private forks of those repositories' advisories
    /// (`owner/name-ghsa-…`), when the command reads them.
    pub forks: Option<Permissions>,
    /// Every other repository of the organisation, read with one token
    /// for its installation (`psrt audit`'s sweep of which repositories
    /// accept private reports); `None`: none of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_repos: Option<Permissions>,
}

impl Scope {
    /// Organisation permissions only.
    pub fn org(org: &str, permissions: &[Permission]) -> Self {
        Self {
            org: org.to_owned(),
            org_permissions: Permissions::of(permissions),
            ..Self::default()
        }
    }
    /// Adds repositories with permissions.
    pub fn repos<S: AsRef<str>>(mut self, repos: &[S], permissions: &[Permission]) -> Self {
        for r in repos {
            self.repos
                .entry(r.as_ref().to_ascii_lowercase())
                .or_default()
                .add(permissions);
        }
        self
    }
    /// Reads (or writes) in the advisories' temporary private forks.
    pub fn forks(mut self, permissions: &[Permission]) -> Self {
        self.forks
            .get_or_insert_with(Permissions::default)
            .add(permissions);
        self
    }

    /// Reads every repository of the organisation (and lists them).
    pub fn org_repos(mut self, permissions: &[Permission]) -> Self {
        self.org_repos
            .get_or_insert_with(Permissions::default)
            .add(permissions);
        self
    }

    /// What the scope allows on `owner/name`, if anything: its own entry, or
    /// the fork permissions when it is one of the listed repositories'
    /// temporary private forks.
    pub fn for_repo(&self, full_name: &str) -> Option<RepoGrant<'_>> {
        let key = full_name.to_ascii_lowercase();
        if let Some(p) = self.repos.get(&key) {
            return Some(RepoGrant::Repo(p));
        }
        let forks = self.forks.as_ref()?;
        let candidate = RepoName::parse(&key).ok()?;
        self.repos
            .keys()
            .filter_map(|r| RepoName::parse(r).ok())
            .any(|r| r.is_fork(&candidate))
            .then_some(RepoGrant::Fork(forks))
    }

    /// The organisation, compared case-insensitively.
    pub fn is_org(&self, org: &str) -> bool {
        self.org.eq_ignore_ascii_case(org)
    }
}

/// Why a repository is in a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepoGrant<'a> {
    Repo(&'a Permissions),
    Fork(&'a Permissions),
}

impl<'a> RepoGrant<'a> {
    pub fn permissions(self) -> &'a Permissions {
        match self {
            RepoGrant::Repo(p) | RepoGrant::Fork(p) => p,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_higher_level_wins_and_prints_sorted() {
        let p = Permissions::of(&[
            ("repository_advisories", Level::Read),
            ("members", Level::Read),
            ("repository_advisories", Level::Write),
        ]);
        assert_eq!(p.to_string(), "members: read, repository_advisories: write");
        assert_eq!(
            p.to_json(),
            serde_json::json!({"members": "read", "repository_advisories": "write"})
        );
    }

    #[test]
    fn forks_belong_to_a_listed_repository_only() {
        let s = Scope::org("python", &[])
            .repos(
                &["python/cpython"],
                &[("repository_advisories", Level::Write)],
            )
            .forks(&[("pull_requests", Level::Read)]);
        assert!(matches!(
            s.for_repo("Python/CPython"),
            Some(RepoGrant::Repo(_))
        ));
        assert!(matches!(
            s.for_repo("python/cpython-ghsa-abcd-efgh-ijkl"),
            Some(RepoGrant::Fork(_))
        ));
        assert_eq!(s.for_repo("python/cpython-ghsa-"), None);
        assert_eq!(s.for_repo("pypa/cpython-ghsa-abcd-efgh-ijkl"), None);
        assert_eq!(s.for_repo("python/devguide"), None);
        let no_forks = Scope::org("python", &[]).repos(&["python/cpython"], &[]);
        assert_eq!(
            no_forks.for_repo("python/cpython-ghsa-abcd-efgh-ijkl"),
            None
        );
    }
}
