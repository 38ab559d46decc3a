//! Identifiers psrt passes between layers, parsed once: a GitHub login, a
//! repository (`owner/name`) and a report's GHSA id. They live below every
//! other module (they use nothing of psrt), so the roster, the GitHub
//! facade, the ledger and the features all speak of the same things with
//! the same types.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

/// A GitHub login. GitHub logins are case-insensitive, so equality, ordering
/// and hashing ignore ASCII case; the spelling is kept for display.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Login(String);

impl Login {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The comparison key: lower case.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
    /// GitHub's login syntax: 1-39 ASCII letters, digits or hyphens, not
    /// starting with a hyphen. (Old accounts may have doubled or trailing
    /// hyphens, so those are allowed.)
    pub fn is_valid(&self) -> bool {
        let s = self.0.as_str();
        !s.is_empty()
            && s.len() <= 39
            && !s.starts_with('-')
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    }
}

impl PartialEq for Login {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}
impl Eq for Login {}
impl Hash for Login {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.0.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}
impl PartialOrd for Login {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Login {
    fn cmp(&self, other: &Self) -> Ordering {
        let a = self.0.bytes().map(|b| b.to_ascii_lowercase());
        let b = other.0.bytes().map(|b| b.to_ascii_lowercase());
        a.cmp(b)
    }
}
impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl From<&str> for Login {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

/// GitHub organisation names and team slugs (and a repository's owner):
/// ASCII letters, digits, `-`, `_`, `.`, not starting with a hyphen.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && !s.starts_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// A repository, `owner/name`, split once when it is parsed. Like logins,
/// GitHub compares repository names case-insensitively; the spelling is
/// kept for display. Serialised as `owner/name`.
#[derive(Clone)]
pub struct RepoName {
    full: String,
    /// Where the `/` is.
    slash: usize,
}

/// Why a string is not a repository.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a repository (owner/name)")]
pub struct NotARepo(pub String);

impl RepoName {
    /// `owner/name`, both parts in GitHub's syntax; anything else (a URL,
    /// a missing half, a second `/`) is an error, never a guess.
    pub fn parse(s: &str) -> Result<Self, NotARepo> {
        match s.split_once('/') {
            Some((owner, name)) if is_slug(owner) && is_slug_name(name) => Ok(Self {
                full: s.to_owned(),
                slash: owner.len(),
            }),
            _ => Err(NotARepo(s.to_owned())),
        }
    }
    pub fn owner(&self) -> &str {
        &self.full[..self.slash]
    }
    pub fn name(&self) -> &str {
        &self.full[self.slash + 1..]
    }
    /// `owner/name`, as written.
    pub fn as_str(&self) -> &str {
        &self.full
    }
    /// The comparison key: lower case.
    pub fn key(&self) -> String {
        self.full.to_ascii_lowercase()
    }
    /// Is `candidate` one of this repository's temporary private forks?
    /// GitHub names them `{owner}/{name}-ghsa-xxxx-xxxx-xxxx`.
    pub fn is_fork(&self, candidate: &RepoName) -> bool {
        self.owner().eq_ignore_ascii_case(candidate.owner())
            && candidate
                .name()
                .to_ascii_lowercase()
                .strip_prefix(&format!("{}-ghsa-", self.name().to_ascii_lowercase()))
                .is_some_and(|rest| !rest.is_empty())
    }
}

/// A repository name: like [`is_slug`], and `-` may start it.
fn is_slug_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

impl PartialEq for RepoName {
    fn eq(&self, other: &Self) -> bool {
        self.full.eq_ignore_ascii_case(&other.full)
    }
}
impl Eq for RepoName {}
impl Hash for RepoName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.full.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}
impl PartialOrd for RepoName {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for RepoName {
    fn cmp(&self, other: &Self) -> Ordering {
        let a = self.full.bytes().map(|b| b.to_ascii_lowercase());
        let b = other.full.bytes().map(|b| b.to_ascii_lowercase());
        a.cmp(b)
    }
}
impl fmt::Display for RepoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}
impl fmt::Debug for RepoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.full)
    }
}
impl std::str::FromStr for RepoName {
    type Err = NotARepo;
    fn from_str(s: &str) -> Result<Self, NotARepo> {
        Self::parse(s)
    }
}
impl Serialize for RepoName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.full)
    }
}
impl<'de> Deserialize<'de> for RepoName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A report's id, `GHSA-xxxx-xxxx-xxxx`, as GitHub gives it. Ids read from
/// GitHub or the ledger are taken as they are (GitHub is the authority on
/// its own ids); one typed by a person goes through [`GhsaId::parse`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GhsaId(String);

impl GhsaId {
    /// An id GitHub (or psrt's own ledger) gave.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// An id a person typed: GitHub's exact form, lower-case letters and
    /// digits (so it is also a safe file name and path segment).
    pub fn parse(s: &str) -> Option<Self> {
        is_ghsa_id(s).then(|| Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// GHSA ids as GitHub writes them: `GHSA-xxxx-xxxx-xxxx`, lower-case letters and digits.
pub fn is_ghsa_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("GHSA-") else {
        return false;
    };
    let parts: Vec<&str> = rest.split('-').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            p.len() == 4
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// `text` with every GHSA id (in any case, inside a word too: a private
/// fork is `cpython-ghsa-…`) replaced by `GHSA-…`: what a public log may
/// carry of a message that could name an unpublished report.
pub fn redact_ghsa_ids(text: &str) -> std::borrow::Cow<'_, str> {
    static GHSA: std::sync::LazyLock<Option<regex_lite::Regex>> =
        std::sync::LazyLock::new(|| regex_lite::Regex::new(r"(?i)ghsa(-[0-9a-z]{4}){3}").ok());
    match GHSA.as_ref() {
        Some(re) => re.replace_all(text, "GHSA-…"),
        // Never reached (the pattern is fixed); redact everything rather than nothing.
        None => std::borrow::Cow::Borrowed("(withheld)"),
    }
}

impl std::ops::Deref for GhsaId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}
impl std::borrow::Borrow<str> for GhsaId {
    fn borrow(&self) -> &str {
        &self.0
    }
}
impl fmt::Display for GhsaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl From<&str> for GhsaId {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}
impl PartialEq<str> for GhsaId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}
impl PartialEq<&str> for GhsaId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_compare_case_insensitively() {
        assert_eq!(Login::from("SethMLarson"), Login::from("sethmlarson"));
        assert!(Login::from("a") < Login::from("B"));
        let mut set = std::collections::HashSet::new();
        set.insert(Login::from("AA-Turner"));
        assert!(set.contains(&Login::from("aa-turner")));
    }

    #[test]
    fn login_syntax() {
        for ok in ["a", "AA-Turner", "tim-one", "Yhg1s", &"x".repeat(39)] {
            assert!(Login::from(ok).is_valid(), "{ok}");
        }
        for bad in ["", "-a", "a b", "a_b", "é", &"x".repeat(40), "a/b"] {
            assert!(!Login::from(bad).is_valid(), "{bad}");
        }
    }

    #[test]
    fn a_repository_is_owner_slash_name_and_nothing_else() {
        let r = RepoName::parse("Python/CPython").unwrap();
        assert_eq!((r.owner(), r.name()), ("Python", "CPython"));
        assert_eq!(r, RepoName::parse("python/cpython").unwrap());
        assert_eq!(r.to_string(), "Python/CPython");
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            "\"Python/CPython\"",
            "serialised as written"
        );
        for bad in [
            "",
            "cpython",
            "/cpython",
            "python/",
            "python/cpython/extra",
            "https://github.com/python/cpython",
            "-x/y",
            "py thon/cpython",
        ] {
            assert!(RepoName::parse(bad).is_err(), "{bad}");
        }
        let fork = RepoName::parse("python/cpython-ghsa-abcd-efgh-ijkl").unwrap();
        assert!(r.is_fork(&fork));
        assert!(!r.is_fork(&RepoName::parse("python/cpython-ghsa-").unwrap()));
        assert!(!r.is_fork(&RepoName::parse("pypa/cpython-ghsa-abcd-efgh-ijkl").unwrap()));
    }

    #[test]
    fn a_typed_ghsa_id_has_githubs_exact_form() {
        assert!(GhsaId::parse("GHSA-4f7x-9m2q-vh3c").is_some());
        for bad in [
            "GHSA-4F7X-9m2q-vh3c",
            "GHSA-4f7x-9m2q",
            "../../x",
            "ghsa-4f7x-9m2q-vh3c",
        ] {
            assert!(GhsaId::parse(bad).is_none(), "{bad}");
        }
        // From GitHub or the ledger: as given.
        assert_eq!(GhsaId::new("GHSA-1").as_str(), "GHSA-1");
    }

    #[test]
    fn ghsa_ids_are_redacted_wherever_they_are() {
        assert_eq!(
            redact_ghsa_ids(
                "GET /repos/python/cpython/security-advisories/GHSA-ab12-cd34-ef56: 502; fork python/cpython-ghsa-ab12-cd34-ef56, Ghsa-AB12-CD34-EF56"
            ),
            "GET /repos/python/cpython/security-advisories/GHSA-…: 502; fork python/cpython-GHSA-…, GHSA-…"
        );
        assert_eq!(
            redact_ghsa_ids("nothing here, GHSA-1"),
            "nothing here, GHSA-1"
        );
    }
}
