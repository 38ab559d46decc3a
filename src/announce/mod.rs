//! After the embargo: the security-announce email, the CVE record and the
//! OSV entry for a **published** advisory (`psrt announce`).
//!
//! PEP 811 has the coordinator score the report in CVSS and write the
//! advisory that goes to security-announce@python.org, from which the PSF's
//! CNA operators make the CVE record. This module drafts all three from the
//! advisory on GitHub:
//!
//! 1. [`advisory::read`] refuses anything not published (embargo first);
//! 2. [`gather`] collects the facts once: the score ([`cvss`]), the affected
//!    products and ranges ([`versions`]), the references and fix pull
//!    requests ([`links`]); every problem is collected, not only the first;
//! 3. [`email`], [`cve`] and [`osv`] write the three records from the same
//!    facts, and [`schema`] checks the two JSON records against the
//!    official schemas before anything is written.

pub mod advisory;
pub mod cve;
pub mod cvss;
pub mod email;
pub mod links;
pub mod osv;
pub mod schema;
pub mod versions;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::github::GitHub;
use advisory::Published;
use links::{FixPull, Kind, Reference};
use versions::Range;

/// The email draft's file name.
/// A published advisory and the fix pull requests it links, in its repository.
pub const REPO_PERMISSIONS: &[crate::github::Permission] = &[
    ("repository_advisories", crate::github::Level::Read),
    ("pull_requests", crate::github::Level::Read),
];

/// The scoped token `psrt announce` asks for: read only, the advisory
/// repositories it looks in (the global advisory database entry is public).
pub fn github_scope(org: &str, repos: &[String]) -> crate::github::Scope {
    crate::github::Scope::org(org, &[]).repos(repos, REPO_PERMISSIONS)
}

pub const EMAIL_FILE: &str = "announce.txt";

/// A problem with the advisory that stops the announcement: the field, what
/// is wrong, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub message: String,
    pub help: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "error[announce]: {}: {}\n  help: {}",
            self.field, self.message, self.help
        )
    }
}

/// One affected product, with its ranges as the advisory states them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// GitHub's ecosystem (`pip`, `other`...).
    pub ecosystem: String,
    /// The package name on GitHub (`CPython`, `pip`).
    pub package: String,
    /// CVE `vendor` and `product`.
    pub vendor: String,
    pub product: String,
    /// The source repository, `https://github.com/owner/name`.
    pub repo_url: String,
    /// Each affected range and the advisory's patched version for it.
    pub ranges: Vec<(Range, Option<String>)>,
}

impl Product {
    /// A package on PyPI (GitHub's `pip` ecosystem).
    pub fn is_pypi(&self) -> bool {
        self.ecosystem.eq_ignore_ascii_case("pip")
    }
}

/// Everything the three records are written from.
#[derive(Debug, Clone)]
pub struct Facts {
    pub advisory: Published,
    pub cve_id: String,
    pub osv_id: String,
    pub cvss: cvss::Scored,
    pub products: Vec<Product>,
    pub references: Vec<Reference>,
    pub fix_pulls: Vec<FixPull>,
    /// Fix commits in the advisory's repository: merge commits of the fix
    /// pull requests, and commits linked directly.
    pub fix_commits: Vec<String>,
    /// Things the coordinator should know (not errors).
    pub notes: Vec<String>,
}

/// Why there is no announcement.
#[derive(Debug, thiserror::Error)]
pub enum AnnounceError {
    #[error(transparent)]
    Read(#[from] advisory::ReadError),
    #[error(transparent)]
    GitHub(#[from] crate::github::GitHubError),
    #[error(transparent)]
    NotARepo(#[from] crate::ids::NotARepo),
    /// The advisory lacks what the records need; each problem names its field.
    #[error("{} problem(s) in the advisory; nothing was written", .0.len())]
    Problems(Vec<Problem>),
}

/// CVE ids: `CVE-YYYY-NNNN` with four or more digits.
pub fn is_cve_id(s: &str) -> bool {
    let mut parts = s.split('-');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("CVE"), Some(y), Some(n), None)
            if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit())
                && n.len() >= 4 && n.bytes().all(|b| b.is_ascii_digit())
    )
}

pub use crate::ids::is_ghsa_id;

/// The vendor and product names CVE records use for a package.
fn names(advisory_repo: &str, ecosystem: &str, package: &str) -> (String, String) {
    let owner = advisory_repo.split('/').next().unwrap_or(advisory_repo);
    if ecosystem.eq_ignore_ascii_case("other") && package.eq_ignore_ascii_case("cpython") {
        return ("Python Software Foundation".into(), "CPython".into());
    }
    let vendor = if owner.eq_ignore_ascii_case("python") {
        "Python Software Foundation".to_owned()
    } else {
        owner.to_owned()
    };
    (vendor, package.to_owned())
}

/// Reads the advisory and everything it links to, and checks that the
/// records can be written: the facts, or every problem found.
pub async fn gather(
    gh: &GitHub,
    repos: &[String],
    ghsa_id: &str,
    osv_id: Option<&str>,
) -> Result<Facts, AnnounceError> {
    let repos = repos
        .iter()
        .map(|r| crate::ids::RepoName::parse(r))
        .collect::<Result<Vec<_>, _>>()?;
    let a = gh
        .published_advisory(&repos, &crate::ids::GhsaId::new(ghsa_id))
        .await?;
    let database = links::database_references(gh, &a.ghsa_id).await?;
    let references = links::references(&a.html_url, &a.description, &database);
    let fix_pulls = links::fix_pulls(gh, &references).await?;
    facts(a, references, fix_pulls, osv_id).map_err(AnnounceError::Problems)
}

/// The facts from what was read (pure).
pub fn facts(
    a: Published,
    references: Vec<Reference>,
    fix_pulls: Vec<FixPull>,
    osv_id: Option<&str>,
) -> Result<Facts, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut notes = Vec::new();

    let cve_id = match a.cve_id.as_deref() {
        Some(id) if is_cve_id(id) => id.to_owned(),
        Some(id) => {
            problems.push(Problem {
                field: "cve_id".into(),
                message: format!("`{id}` is not a CVE id (CVE-YYYY-NNNN)"),
                help: "set the CVE id the PSF CNA reserved for this report in the advisory".into(),
            });
            String::new()
        }
        None => {
            problems.push(Problem {
                field: "cve_id".into(),
                message: "missing: the advisory has no CVE id".into(),
                help: "psrt advisories reserves one for drafts in cve.repos; or ask the PSF CNA for one and set it in the advisory".into(),
            });
            String::new()
        }
    };
    let osv_id = osv_id.unwrap_or(&a.ghsa_id).to_owned();

    let cvss = match cvss::from_advisory(a.cvss_v4.as_deref(), a.cvss_v3.as_deref()) {
        Ok((s, note)) => {
            notes.extend(note);
            Some(s)
        }
        Err(e) => {
            problems.push(Problem {
                field: e.field.into(),
                message: e.message,
                help: e.help,
            });
            None
        }
    };

    if a.summary.trim().is_empty() || a.summary.chars().count() > 256 {
        problems.push(Problem {
            field: "summary".into(),
            message: format!(
                "the title must be 1 to 256 characters (a CVE record's limit); it is {}",
                a.summary.chars().count()
            ),
            help: "shorten the advisory's title".into(),
        });
    }
    if a.description.trim().is_empty() || a.description.chars().count() > 4096 {
        problems.push(Problem {
            field: "description".into(),
            message: format!(
                "the description must be 1 to 4096 characters (a CVE record's limit); it is {}",
                a.description.chars().count()
            ),
            help: "write the short description the devguide asks for: the vulnerable module, functions, behaviour and fix".into(),
        });
    }

    let mut products: Vec<Product> = Vec::new();
    for (i, v) in a.vulnerabilities.iter().enumerate() {
        let field = format!("vulnerabilities[{i}].vulnerable_version_range");
        let range = match v.vulnerable_version_range.as_deref().map(versions::parse) {
            Some(Ok(r)) => r,
            Some(Err(why)) => {
                problems.push(Problem {
                    field,
                    message: why,
                    help: "write the range as GitHub does: `< 3.12.9` or `>= 3.13.0, < 3.13.2`"
                        .into(),
                });
                continue;
            }
            None => {
                problems.push(Problem {
                    field,
                    message: format!("missing for {}", v.package),
                    help: "give every affected package its affected versions".into(),
                });
                continue;
            }
        };
        let entry = (range, v.patched_versions.clone());
        match products.iter_mut().find(|p| {
            p.ecosystem.eq_ignore_ascii_case(&v.ecosystem)
                && p.package.eq_ignore_ascii_case(&v.package)
        }) {
            Some(p) => p.ranges.push(entry),
            None => {
                let (vendor, product) = names(&a.repo, &v.ecosystem, &v.package);
                products.push(Product {
                    ecosystem: v.ecosystem.clone(),
                    package: v.package.clone(),
                    vendor,
                    product,
                    repo_url: format!("https://github.com/{}", a.repo),
                    ranges: vec![entry],
                });
            }
        }
    }
    if a.vulnerabilities.is_empty() {
        problems.push(Problem {
            field: "vulnerabilities".into(),
            message: "missing: the advisory names no affected package".into(),
            help: "add the affected product (ecosystem, package) and its versions to the advisory"
                .into(),
        });
    }

    if a.cwes.is_empty() {
        notes.push("the advisory names no CWE: the CVE record will have no problem type (the CNA rules ask for one)".into());
    }
    for c in &a.cwes {
        let ok = c.id.strip_prefix("CWE-").is_some_and(|n| {
            !n.is_empty() && !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit())
        });
        if !ok {
            problems.push(Problem {
                field: "cwe_ids".into(),
                message: format!("`{}` is not a CWE id (CWE-NNN)", c.id),
                help: "pick the weakness from the advisory's CWE list".into(),
            });
        }
    }

    let mut fix_commits: Vec<String> = Vec::new();
    for sha in fix_pulls
        .iter()
        .filter(|p| p.repo.eq_ignore_ascii_case(&a.repo))
        .filter_map(|p| p.merge_commit.clone())
        .chain(references.iter().filter_map(|r| match &r.kind {
            Kind::Commit { repo, sha } if repo.eq_ignore_ascii_case(&a.repo) => Some(sha.clone()),
            _ => None,
        }))
    {
        if !fix_commits.contains(&sha) {
            fix_commits.push(sha);
        }
    }
    if fix_pulls.is_empty() {
        notes.push("the advisory links no pull request: the email lists none (the devguide's template has the fix pull request)".into());
    }
    for p in fix_pulls.iter().filter(|p| p.merge_commit.is_none()) {
        notes.push(format!(
            "{} is not merged (or not found): it is listed, but gives no fix commit",
            p.url
        ));
    }
    if fix_commits.is_empty() {
        notes.push("no fix commit is known (no merged pull request or commit link): the OSV record has no GIT range".into());
    }
    notes.push("after sending the email, add its security-announce archive link to the CVE record's references (tag: vendor-advisory)".into());

    match (problems.is_empty(), cvss) {
        (true, Some(cvss)) => Ok(Facts {
            advisory: a,
            cve_id,
            osv_id,
            cvss,
            products,
            references,
            fix_pulls,
            fix_commits,
            notes,
        }),
        _ => Err(problems),
    }
}

/// The three records, checked.
#[derive(Debug, Clone)]
pub struct Drafts {
    /// The email: `To:`, `Subject:`, a blank line, the body.
    pub email: String,
    pub subject: String,
    pub cve_file: String,
    pub cve: Value,
    pub cve_verdict: schema::Verdict,
    pub osv_file: String,
    pub osv: Value,
    pub osv_verdict: schema::Verdict,
}

impl Drafts {
    pub fn is_valid(&self) -> bool {
        self.cve_verdict.is_valid() && self.osv_verdict.is_valid()
    }
}

/// Writes the three records from the facts and validates the JSON ones.
pub fn draft(facts: &Facts, templates: &crate::notify::Templates) -> anyhow::Result<Drafts> {
    let (subject, body) = templates.render("announce-email.txt", email::context(facts))?;
    let email = format!("To: {}\nSubject: {subject}\n\n{body}", email::TO);
    let cve = cve::container(facts);
    let osv = osv::record(facts);
    Ok(Drafts {
        email,
        subject,
        cve_file: format!("{}.json", facts.cve_id),
        cve_verdict: schema::cna_container(&cve),
        cve,
        osv_file: format!("{}.json", facts.osv_id),
        osv_verdict: schema::osv_record(&osv),
        osv,
    })
}

/// JSON as the records are written: two-space indent, a final newline.
pub fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// Writes the three files into `dir` (only valid drafts); returns the paths.
pub fn write(drafts: &Drafts, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    anyhow::ensure!(
        drafts.is_valid(),
        "a record does not validate against its schema; nothing was written"
    );
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
    let mut written = Vec::new();
    for (name, text) in [
        (EMAIL_FILE, drafts.email.clone()),
        (drafts.cve_file.as_str(), pretty(&drafts.cve)),
        (drafts.osv_file.as_str(), pretty(&drafts.osv)),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// What the command found, for people.
pub fn summary(f: &Facts, d: &Drafts) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let a = &f.advisory;
    let _ = writeln!(
        s,
        "{} ({}, published {}): {}",
        a.ghsa_id,
        a.repo,
        a.published_at.format("%Y-%m-%d"),
        f.cve_id
    );
    let _ = writeln!(
        s,
        "  severity: {} {} (CVSS {} {})",
        f.cvss.severity.as_upper(),
        f.cvss.score,
        f.cvss.version.as_str(),
        f.cvss.vector
    );
    let _ = writeln!(s, "  email subject: {}", d.subject);
    let _ = writeln!(s, "  {}: the security-announce email draft", EMAIL_FILE);
    let _ = writeln!(
        s,
        "  {}: CVE JSON 5.1 CNA container, {}",
        d.cve_file, d.cve_verdict
    );
    let _ = writeln!(s, "  {}: OSV record, {}", d.osv_file, d.osv_verdict);
    for n in &f.notes {
        let _ = writeln!(s, "  note: {n}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_ids() {
        assert!(is_cve_id("CVE-2026-12345") && is_cve_id("CVE-2024-0450"));
        assert!(
            !is_cve_id("CVE-26-1234") && !is_cve_id("CVE-2026-123") && !is_cve_id("cve-2026-1234")
        );
        assert!(is_ghsa_id("GHSA-4f7x-9m2q-vh3c") && is_ghsa_id("GHSA-pub1-2026-0001"));
        assert!(
            !is_ghsa_id("GHSA-4F7X-9m2q-vh3c")
                && !is_ghsa_id("GHSA-4f7x-9m2q")
                && !is_ghsa_id("../../x")
        );
    }
}
