//! `--publish`: the verdict as the commit status `psrt/approvals` on the head
//! commit, and one pull request comment, created once and then edited.
//!
//! psrt's comment is the one that starts with [`MARKER`] AND was written by
//! psrt's own account (and, running as the App, through the App): anyone can
//! paste the marker into a comment of their own, and such a comment is never
//! edited, trusted or counted. The plan is plain data, applied item by item;
//! a failed write is reported and the next one still runs.

use std::fmt;

use super::read::{CONTEXT, Identity, Pull, Repo};
use super::rule::Verdict;
use crate::github::GitHub;
use crate::github::pulls::{IssueComment, NewStatus, Status};

/// The first line of psrt's comment (invisible when rendered).
pub const MARKER: &str = "<!-- psrt:approvals -->";

/// One write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    CreateComment {
        body: String,
    },
    EditComment {
        id: u64,
        html_url: String,
        body: String,
    },
    Status {
        sha: String,
        state: &'static str,
        description: String,
    },
}

impl fmt::Display for Write {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Write::CreateComment { .. } => write!(f, "create the verdict comment"),
            Write::EditComment { id, .. } => write!(f, "edit the verdict comment ({id})"),
            Write::Status {
                sha,
                state,
                description,
                ..
            } => write!(
                f,
                "set {CONTEXT} = {state} on {} ({description})",
                sha.get(..7).unwrap_or(sha)
            ),
        }
    }
}

/// What `--publish` does: plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub writes: Vec<Write>,
    /// The pull request's page, the status's link when there is no comment yet.
    pub pull_url: String,
    pub notes: Vec<String>,
}

/// A status description: at most 140 characters, as GitHub requires.
fn description(s: &str) -> String {
    let mut d: String = s.chars().take(140).collect();
    if d.chars().count() < s.chars().count() {
        d = d.chars().take(139).collect::<String>() + "…";
    }
    d
}

/// Reads the comments and plans the writes for `body` (psrt's comment,
/// marker first) and the verdict.
pub async fn plan(
    gh: &GitHub,
    repo: &Repo,
    pull: &Pull,
    me: &Identity,
    verdict: &Verdict,
    body: &str,
) -> anyhow::Result<Plan> {
    let comments = gh.issue_comments(repo, pull.number).await?;
    let mut notes = Vec::new();
    let marked: Vec<&IssueComment> = comments
        .iter()
        .filter(|c| {
            c.body
                .as_deref()
                .is_some_and(|b| b.trim_start().starts_with(MARKER))
        })
        .collect();
    let mine = |c: &IssueComment| {
        c.user
            .as_ref()
            .is_some_and(|u| u.login.eq_ignore_ascii_case(&me.login))
            && me.app_id.is_none_or(|id| {
                c.performed_via_github_app
                    .as_ref()
                    .is_some_and(|a| a.id == id)
            })
    };
    let own: Vec<&IssueComment> = marked.iter().copied().filter(|c| mine(c)).collect();
    let forged = marked.len() - own.len();
    if forged > 0 {
        notes.push(format!(
            "{forged} comment(s) carry psrt's marker but were not written by psrt (`{}`): ignored",
            me.login
        ));
    }
    let mut writes = Vec::new();
    match own.first() {
        None => writes.push(Write::CreateComment {
            body: body.to_owned(),
        }),
        Some(c) if c.body.as_deref() != Some(body) => writes.push(Write::EditComment {
            id: c.id,
            html_url: c.html_url.clone(),
            body: body.to_owned(),
        }),
        Some(_) => notes.push("the verdict comment is up to date".into()),
    }
    let status = Write::Status {
        sha: verdict.head_sha.clone(),
        state: if verdict.passes { "success" } else { "failure" },
        description: description(&verdict.summary),
    };
    let link = own
        .first()
        .map(|c| c.html_url.clone())
        .unwrap_or_else(|| pull.html_url.clone());
    // GitHub keeps at most 1000 statuses per commit and context, and the
    // hourly sweep judges every roster pull request again: a status that
    // would say what psrt's latest one already says is not set again.
    let latest = gh.latest_statuses(repo, &verdict.head_sha).await?;
    let current = latest.iter().find(|s| s.context == CONTEXT);
    let same = |s: &&Status| {
        let Write::Status {
            state, description, ..
        } = &status
        else {
            return false;
        };
        super::read::is_verdict_on(s, pull, me)
            && s.state == *state
            && s.description.as_deref() == Some(description.as_str())
            && s.target_url.as_deref() == Some(link.as_str())
    };
    let creating = matches!(writes.first(), Some(Write::CreateComment { .. }));
    if !creating && current.is_some_and(|s| same(&s)) {
        notes.push(format!("the {CONTEXT} status is up to date"));
    } else {
        writes.push(status);
    }
    if own.len() > 1 {
        notes.push(
            "psrt has more than one verdict comment here: the oldest is kept up to date".into(),
        );
    }
    Ok(Plan {
        writes,
        pull_url: link,
        notes,
    })
}

/// The status to set when psrt could not judge: `error`, so an earlier green
/// never stands for a state psrt could not read.
pub fn error_plan(pull: &Pull) -> Plan {
    Plan {
        writes: vec![Write::Status {
            sha: pull.head_sha.clone(),
            state: "error",
            description: "psrt could not judge this pull request: see the workflow run".into(),
        }],
        pull_url: pull.html_url.clone(),
        notes: vec![],
    }
}

/// Each write and how it went.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    pub done: Vec<String>,
    pub failed: Vec<String>,
}

impl Applied {
    pub fn failed(&self) -> bool {
        !self.failed.is_empty()
    }
}

pub async fn apply(gh: &GitHub, repo: &Repo, pull: &Pull, plan: &Plan) -> Applied {
    let mut out = Applied::default();
    let mut link = plan.pull_url.clone();
    for w in &plan.writes {
        let result = match w {
            Write::CreateComment { body } => gh
                .create_issue_comment(repo, pull.number, body)
                .await
                .map(|url| {
                    if let Some(url) = url {
                        link = url;
                    }
                }),
            Write::EditComment { id, html_url, body } => gh
                .edit_issue_comment(repo, *id, body)
                .await
                .map(|()| link = html_url.clone()),
            Write::Status {
                sha,
                state,
                description,
            } => {
                gh.set_status(
                    repo,
                    sha,
                    &NewStatus {
                        state,
                        context: CONTEXT,
                        description,
                        target_url: &link,
                    },
                )
                .await
            }
        };
        match result {
            Ok(()) => out.done.push(w.to_string()),
            Err(e) => out.failed.push(format!("{w}: {}", e.reason())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_fit_githubs_limit() {
        assert_eq!(description("short"), "short");
        let long = "x".repeat(200);
        let d = description(&long);
        assert_eq!(d.chars().count(), 140);
        assert!(d.ends_with('…'));
    }
}
