//! The advisory's references and its fix: every link in its description,
//! the references GitHub's advisory database keeps for it, and, for each
//! pull request among them, whether it was merged and as which commit (the
//! `fixed` events of the OSV record's `GIT` range).

use std::sync::LazyLock;

use crate::github::{GitHub, GitHubError};
use crate::ids::{GhsaId, RepoName};

/// What a link is, for the records' reference tags and types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// The advisory itself.
    Advisory,
    /// A pull request on GitHub.
    Pull {
        repo: String,
        number: u64,
    },
    /// A commit on GitHub.
    Commit {
        repo: String,
        sha: String,
    },
    /// An issue on GitHub.
    Issue,
    Web,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub url: String,
    pub kind: Kind,
}

/// A pull request the advisory links to, as GitHub has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixPull {
    pub url: String,
    pub repo: String,
    pub number: u64,
    /// The branch it was merged into (`main`, `3.13`...).
    pub base: Option<String>,
    /// The merge commit, when merged.
    pub merge_commit: Option<String>,
}

static URL: LazyLock<Option<regex_lite::Regex>> =
    LazyLock::new(|| regex_lite::Regex::new(r#"https?://[^\s<>()\[\]"'`]+"#).ok());
static GITHUB: LazyLock<Option<regex_lite::Regex>> = LazyLock::new(|| {
    regex_lite::Regex::new(
        r"^https://github\.com/([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)/(pull|commit|issues)/([0-9A-Fa-f]+)(?:[/#?].*)?$",
    )
    .ok()
});

/// Every URL in `text`, in order, without trailing punctuation.
pub fn urls_in(text: &str) -> Vec<String> {
    let Some(re) = URL.as_ref() else {
        return vec![];
    };
    re.find_iter(text)
        .map(|m| {
            m.as_str()
                .trim_end_matches(['.', ',', ';', ':', '!', '?', '*', '_'])
                .to_owned()
        })
        .filter(|u| u.len() > "https://".len())
        .collect()
}

/// What a URL points at.
pub fn classify(url: &str, advisory_url: &str) -> Kind {
    if url.eq_ignore_ascii_case(advisory_url) {
        return Kind::Advisory;
    }
    let Some(caps) = GITHUB.as_ref().and_then(|re| re.captures(url)) else {
        return Kind::Web;
    };
    let repo = caps.get(1).map_or("", |m| m.as_str()).to_owned();
    let id = caps.get(3).map_or("", |m| m.as_str());
    match caps.get(2).map(|m| m.as_str()) {
        Some("pull") => match id.parse() {
            Ok(number) => Kind::Pull { repo, number },
            Err(_) => Kind::Web,
        },
        Some("commit") if id.len() == 40 || id.len() == 64 => Kind::Commit {
            repo,
            sha: id.to_ascii_lowercase(),
        },
        Some("issues") if id.bytes().all(|b| b.is_ascii_digit()) => Kind::Issue,
        _ => Kind::Web,
    }
}

/// A pull request or commit URL without its fragment or sub-page, so the
/// same link written twice is one reference.
fn canonical(url: &str, kind: &Kind) -> String {
    match kind {
        Kind::Pull { repo, number } => format!("https://github.com/{repo}/pull/{number}"),
        Kind::Commit { repo, sha } => format!("https://github.com/{repo}/commit/{sha}"),
        _ => url.to_owned(),
    }
}

/// The references: the advisory first, then the links in its description,
/// then the database's, each once.
pub fn references(advisory_url: &str, description: &str, database: &[String]) -> Vec<Reference> {
    let mut out: Vec<Reference> = vec![Reference {
        url: advisory_url.to_owned(),
        kind: Kind::Advisory,
    }];
    for url in urls_in(description)
        .into_iter()
        .chain(database.iter().cloned())
    {
        let kind = classify(&url, advisory_url);
        let url = canonical(&url, &kind);
        if !out.iter().any(|r| r.url == url) {
            out.push(Reference { url, kind });
        }
    }
    out
}

/// The references GitHub's advisory database keeps for a published
/// advisory (none when the database has no entry for it).
pub async fn database_references(gh: &GitHub, ghsa_id: &str) -> Result<Vec<String>, GitHubError> {
    gh.database_references(&GhsaId::new(ghsa_id)).await
}

/// At most this many linked pull requests are read (a fix and its
/// backports are a handful; the rest stay plain references).
pub const MAX_FIX_PULLS: usize = 20;

/// Reads each pull request among the references (the first
/// [`MAX_FIX_PULLS`]). A pull request that is gone (404) stays a reference
/// without a commit.
pub async fn fix_pulls(gh: &GitHub, refs: &[Reference]) -> Result<Vec<FixPull>, GitHubError> {
    let mut out = Vec::new();
    for r in refs
        .iter()
        .filter(|r| matches!(r.kind, Kind::Pull { .. }))
        .take(MAX_FIX_PULLS)
    {
        let Kind::Pull { repo, number } = &r.kind else {
            continue;
        };
        // A link that names no repository GitHub could have is no pull
        // request of one.
        let pull = match RepoName::parse(repo) {
            Ok(name) => gh.find_pull(&name, *number).await?,
            Err(_) => None,
        };
        let (base, merge_commit) = match pull {
            Some(p) => {
                let sha = p
                    .merge_commit_sha
                    .filter(|s| p.merged && (s.len() == 40 || s.len() == 64))
                    .map(|s| s.to_ascii_lowercase());
                (Some(p.base_ref), sha)
            }
            None => (None, None),
        };
        out.push(FixPull {
            url: r.url.clone(),
            repo: repo.clone(),
            number: *number,
            base,
            merge_commit,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GHSA: &str = "https://github.com/python/cpython/security/advisories/GHSA-aaaa-bbbb-cccc";

    #[test]
    fn finds_and_sorts_the_links() {
        let text = "Fixed in https://github.com/python/cpython/pull/130000 (see [the issue](https://github.com/python/cpython/issues/129999)).\n\
                    Backport: <https://github.com/python/cpython/pull/130001/files>, commit https://github.com/python/cpython/commit/0123456789abcdef0123456789abcdef01234567.\n\
                    Docs: https://docs.python.org/3/library/tarfile.html.";
        let refs = references(
            GHSA,
            text,
            &[
                "https://github.com/python/cpython/pull/130000".into(),
                "https://nvd.nist.gov/vuln/detail/CVE-2026-1".into(),
            ],
        );
        let got: Vec<(&str, &Kind)> = refs.iter().map(|r| (r.url.as_str(), &r.kind)).collect();
        assert_eq!(
            got,
            [
                (GHSA, &Kind::Advisory),
                (
                    "https://github.com/python/cpython/pull/130000",
                    &Kind::Pull {
                        repo: "python/cpython".into(),
                        number: 130000
                    }
                ),
                (
                    "https://github.com/python/cpython/issues/129999",
                    &Kind::Issue
                ),
                (
                    "https://github.com/python/cpython/pull/130001",
                    &Kind::Pull {
                        repo: "python/cpython".into(),
                        number: 130001
                    }
                ),
                (
                    "https://github.com/python/cpython/commit/0123456789abcdef0123456789abcdef01234567",
                    &Kind::Commit {
                        repo: "python/cpython".into(),
                        sha: "0123456789abcdef0123456789abcdef01234567".into()
                    }
                ),
                ("https://docs.python.org/3/library/tarfile.html", &Kind::Web),
                ("https://nvd.nist.gov/vuln/detail/CVE-2026-1", &Kind::Web),
            ]
        );
    }

    #[test]
    fn odd_links_are_plain_web_references() {
        for u in [
            "https://github.com/python/cpython/pull/abc",
            "https://github.com/python/cpython/commit/abc123",
            "https://github.com/python/cpython",
            "https://example.org/pull/1",
        ] {
            assert_eq!(classify(u, GHSA), Kind::Web, "{u}");
        }
        assert!(urls_in("no links here, just https:// and http://").is_empty());
    }
}
