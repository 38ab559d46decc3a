//! The devguide's copy of the public member lists (`security/psrt.csv` and
//! `security/psrt-emeritus.csv`), kept current as PEP 811 asks: psrt
//! compares them with the lists the roster gives ([`crate::publish`]) and,
//! when they differ, opens (or updates) one pull request on the devguide
//! through the same machinery as the inactivity pull request
//! ([`crate::github::pull_request`]). In sync: nothing is written at all.

use serde::Serialize;

use crate::github::GitHub;
use crate::github::pull_request::{self, FileChange, Proposal, Proposed};
use crate::roster::Roster;

pub const DEFAULT_REPO: &str = "python/devguide";

/// `publish --open-pr`: a branch, commits and one pull request in the devguide.
pub const REPO_PERMISSIONS: &[crate::github::Permission] = &[
    ("contents", crate::github::Level::Write),
    ("pull_requests", crate::github::Level::Write),
];

/// The scoped token `psrt publish --open-pr` asks for: the devguide only.
pub fn github_scope(org: &str, devguide: &str) -> crate::github::Scope {
    crate::github::Scope::org(org, &[]).repos(&[devguide], REPO_PERMISSIONS)
}
pub const MEMBERS_PATH: &str = "security/psrt.csv";
pub const EMERITUS_PATH: &str = "security/psrt-emeritus.csv";
/// One branch for the purpose, whatever the year: an open pull request is
/// updated, never doubled.
pub const BRANCH: &str = "psrt-publish";

/// One list's rows that change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListDiff {
    pub path: String,
    /// Rows of the new list the devguide does not have (in list order).
    pub added: Vec<String>,
    /// Rows the devguide has that the new list does not.
    pub removed: Vec<String>,
    /// Same rows, new order only.
    pub reordered: bool,
}

/// What `publish --open-pr` found or did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Report {
    /// The devguide already has both lists: nothing was written.
    InSync { repo: String },
    /// A pull request was opened or updated.
    Proposed {
        repo: String,
        pull_request: Proposed,
        changes: Vec<ListDiff>,
    },
}

/// The rows that differ between the devguide's text and ours.
pub fn compare(path: &str, theirs: &str, ours: &str) -> Option<ListDiff> {
    if theirs == ours {
        return None;
    }
    let old: Vec<&str> = theirs.lines().filter(|l| !l.trim().is_empty()).collect();
    let new: Vec<&str> = ours.lines().filter(|l| !l.trim().is_empty()).collect();
    let added: Vec<String> = new
        .iter()
        .filter(|l| !old.contains(l))
        .map(|l| (*l).to_owned())
        .collect();
    let removed: Vec<String> = old
        .iter()
        .filter(|l| !new.contains(l))
        .map(|l| (*l).to_owned())
        .collect();
    Some(ListDiff {
        path: path.to_owned(),
        reordered: added.is_empty() && removed.is_empty(),
        added,
        removed,
    })
}

/// A CSV row for people: "Name (@login), Notes".
fn row_text(row: &str) -> String {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(row.as_bytes());
    let Some(Ok(rec)) = r.records().next() else {
        return row.to_owned();
    };
    let name = rec.get(0).unwrap_or("").trim();
    let login = rec.get(1).unwrap_or("").trim();
    let notes = rec.get(2).unwrap_or("").trim();
    let mut s = name.to_owned();
    if !login.is_empty() {
        s.push_str(&format!(" (@{login})"));
    }
    if !notes.is_empty() {
        s.push_str(&format!(", {notes}"));
    }
    s
}

/// The template variables for the pull request.
pub fn pr_context(changes: &[ListDiff], source: Option<&str>) -> minijinja::Value {
    let files: Vec<minijinja::Value> = changes
        .iter()
        .map(|c| {
            minijinja::context! {
                path => c.path.clone(),
                added => c.added.iter().map(|r| row_text(r)).collect::<Vec<_>>(),
                removed => c.removed.iter().map(|r| row_text(r)).collect::<Vec<_>>(),
                reordered => c.reordered,
            }
        })
        .collect();
    minijinja::context! { files => files, source => source.map(str::to_owned) }
}

/// Compares the devguide's lists (on its default branch) with the
/// roster's, and proposes the new ones when they differ.
pub async fn open_pr(
    gh: &GitHub,
    devguide: &str,
    roster: &Roster,
    source: Option<&str>,
    templates: &crate::notify::Templates,
) -> anyhow::Result<Report> {
    let repo = pull_request::Repo::read(gh, devguide)
        .await
        .map_err(|e| anyhow::anyhow!("the devguide repository: {e:#}"))?;
    let ours = [
        (MEMBERS_PATH, crate::publish::members_csv(roster)?),
        (EMERITUS_PATH, crate::publish::emeritus_csv(roster)?),
    ];
    let mut changes = Vec::new();
    let mut list_changes = Vec::new();
    for (path, text) in ours {
        let current = repo.file(gh, path, None).await?;
        let theirs = current.as_ref().map_or("", |f| f.text.as_str());
        if let Some(lc) = compare(path, theirs, &text) {
            list_changes.push(lc);
        }
        changes.push(FileChange {
            path: path.to_owned(),
            message: format!("Update {path} from the PSRT roster"),
            text,
            current,
        });
    }
    if list_changes.is_empty() {
        return Ok(Report::InSync {
            repo: repo.full_name(),
        });
    }
    let (title, body) = templates.render("devguide-pr.md", pr_context(&list_changes, source))?;
    let proposal = Proposal {
        branch: BRANCH.to_owned(),
        changes,
        title,
        body,
        reviewers: None,
    };
    let done = pull_request::propose(gh, &repo, &proposal).await?;
    Ok(Report::Proposed {
        repo: repo.full_name(),
        pull_request: done,
        changes: list_changes,
    })
}

/// The outcome for people.
pub fn text(o: &Report) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    match o {
        Report::InSync { repo } => {
            let _ = writeln!(
                s,
                "{repo}: {MEMBERS_PATH} and {EMERITUS_PATH} already match the roster; nothing to do"
            );
        }
        Report::Proposed {
            repo,
            pull_request: pr,
            changes,
        } => {
            for c in changes {
                let _ = writeln!(
                    s,
                    "{repo} {}: {} row(s) added, {} removed{}",
                    c.path,
                    c.added.len(),
                    c.removed.len(),
                    if c.reordered { " (order only)" } else { "" }
                );
            }
            let _ = writeln!(
                s,
                "{} pull request #{} ({}) on branch {}{}",
                if pr.created { "opened" } else { "updated" },
                pr.number,
                pr.url,
                pr.branch,
                if pr.committed {
                    ""
                } else {
                    "; the branch already had these lists"
                }
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_rows() {
        assert_eq!(compare("a.csv", "x,x,\n", "x,x,\n"), None);
        let c = compare(
            "a.csv",
            "Ada,ada,Admin\nDennis,dennis,\n",
            "Ada,ada,Admin\nBarbara,barbara,\n",
        )
        .unwrap();
        assert_eq!(c.added, ["Barbara,barbara,"]);
        assert_eq!(c.removed, ["Dennis,dennis,"]);
        assert!(!c.reordered);
        let c = compare("a.csv", "b,b,\na,a,\n", "a,a,\nb,b,\n").unwrap();
        assert!(c.reordered);
        // A missing file on the devguide: every row is new.
        assert_eq!(compare("a.csv", "", "a,a,\n").unwrap().added, ["a,a,"]);
    }

    #[test]
    fn rows_read_for_people() {
        assert_eq!(
            row_text(r#"Seth Larson,sethmlarson,"Admin, Release Manager""#),
            "Seth Larson (@sethmlarson), Admin, Release Manager"
        );
        assert_eq!(row_text("Old Timer,,"), "Old Timer");
    }
}
