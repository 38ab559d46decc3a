//! The texts psrt writes in a report's discussion, each under a hidden
//! marker on its first line (GitHub renders an HTML comment as nothing):
//!
//! - the **status comment** (`<!-- psrt:status -->`), one per open report,
//!   edited in place when its content changes: the deadline (a date: a
//!   count of days left would change every day), the coordinator, what a
//!   finished report still lacks, and what members can ask of psrt;
//! - a **deadline comment** (`<!-- psrt:deadline warn-14 -->`), one per
//!   threshold, short, mentioning the coordinator (a mention notifies; an
//!   edit of the status comment does not).
//!
//! They are private to the report's collaborators, and may name its
//! coordinator there; nothing else psrt prints carries them.

use sha2::{Digest, Sha256};

use crate::advisories::model::{Missing, StatusFacts, Threshold, ThresholdPlan};
use crate::github::advisories::{ACCEPT_TAGS, AdvisoryState, CLOSE_TAGS};
use crate::roster::Roster;

/// The status comment's marker.
pub const STATUS_MARKER: &str = "<!-- psrt:status -->";

/// A deadline comment's marker.
pub fn deadline_marker(t: Threshold) -> String {
    format!("<!-- psrt:deadline {} -->", t.key())
}

/// What members can ask of psrt on a report, as the status comment lists
/// it: the title tags the devguide gives, and the `/psrt` commands (a
/// member writes one on the first line of a new comment).
pub fn commands() -> Vec<String> {
    let tags = |t: &[&str]| {
        t.iter()
            .map(|t| format!("`[{t}]`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    vec![
        format!(
            "{} in the title: a report in triage moves to draft (psrt creates the temporary private fork and, where the PSF is the CNA, reserves the CVE id)",
            tags(ACCEPT_TAGS)
        ),
        format!("{} in the title: the report is closed", tags(CLOSE_TAGS)),
    ]
    .into_iter()
    .chain(super::commands::help().into_iter().map(str::to_owned))
    .collect()
}

fn mentions(logins: &[String]) -> String {
    logins
        .iter()
        .map(|l| format!("@{l}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn missing(m: Missing) -> &'static str {
    match m {
        Missing::Acceptance => {
            "acceptance: it is still in triage (a coordinator accepts it, or closes it)"
        }
        Missing::CveId => "a CVE id (psrt reserves one once the report is a draft)",
        Missing::FixPullRequest => "a fix: a pull request in the temporary private fork",
        Missing::CvssV4 => "a CVSS v4 vector (the devguide asks for CVSS v4)",
    }
}

/// The status comment.
pub fn status(f: &StatusFacts) -> String {
    let mut s = format!(
        "{STATUS_MARKER}\n**PSRT status** (kept up to date by psrt; edits to this comment are overwritten)\n\n- **Deadline:** {} ({}; PEP 811: a report is closed or published within 90 days of its creation)\n",
        f.deadline,
        match f.state {
            AdvisoryState::Triage => "in triage",
            AdvisoryState::Draft => "a draft",
            _ => "open",
        }
    );
    s.push_str(&format!(
        "- **Coordinator:** {}\n",
        if f.coordinators.is_empty() {
            "none yet (psrt assigns one after the grace period)".to_owned()
        } else {
            mentions(&f.coordinators)
        }
    ));
    if f.missing.is_empty() {
        s.push_str("- **Before it is finished:** nothing missing (CVE id, fix, CVSS v4 vector)\n");
    } else {
        s.push_str("- **Before it is finished:**\n");
        for m in &f.missing {
            s.push_str(&format!("  - [ ] {}\n", missing(*m)));
        }
    }
    s.push_str("\n**What members can ask of psrt:**\n");
    for c in commands() {
        s.push_str(&format!("- {c}\n"));
    }
    s
}

/// A deadline threshold's comment.
pub fn deadline(t: &ThresholdPlan) -> String {
    let who = if t.coordinators.is_empty() {
        "This report has no coordinator (the PSRT admins are told by email):".to_owned()
    } else {
        format!("{}:", mentions(&t.coordinators))
    };
    let what = match t.threshold {
        Threshold::Warning { days } => format!(
            "{days} day{} or fewer left before this report's deadline, {}. Close or publish it by then (PEP 811).",
            if days == 1 { "" } else { "s" },
            t.deadline
        ),
        Threshold::Overdue => format!(
            "this report passed its deadline, {}, and is still open. Close or publish it, or tell the PSRT admins why it cannot be.",
            t.deadline
        ),
    };
    format!("{}\n{who} {what}\n", deadline_marker(t.threshold))
}

/// What a status comment with these facts shows, as the ledger keeps it:
/// a short hash of the format and of the facts but the coordinators (a new
/// coordinator moves the advisory's `updated_at`; no person goes in the
/// ledger, not even hashed).
pub fn shown(format: &str, f: &StatusFacts) -> String {
    let mut h = Sha256::new();
    h.update(format);
    h.update(format!("{:?} {} {:?}", f.state, f.deadline, f.missing));
    short(h)
}

fn short(h: Sha256) -> String {
    h.finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The format of the status comment for this roster: a short hash of a
/// sample rendering and of the settings it shows (the deadline's length,
/// the repositories psrt reserves CVE ids for). A status written in another
/// format is checked again; no person is in it.
pub fn format(roster: &Roster) -> String {
    let sample = StatusFacts {
        state: AdvisoryState::Draft,
        deadline: chrono::NaiveDate::MIN,
        coordinators: vec!["coordinator".into()],
        missing: vec![
            Missing::Acceptance,
            Missing::CveId,
            Missing::FixPullRequest,
            Missing::CvssV4,
        ],
    };
    let mut h = Sha256::new();
    h.update(status(&sample));
    h.update(roster.policy.deadline_days.to_string());
    if let Some(cve) = &roster.cve {
        for r in &cve.repos {
            h.update(r.to_ascii_lowercase());
            h.update([0]);
        }
    }
    short(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(missing: Vec<Missing>) -> StatusFacts {
        StatusFacts {
            state: AdvisoryState::Draft,
            deadline: chrono::NaiveDate::from_ymd_opt(2027, 2, 3).unwrap(),
            coordinators: vec!["alan".into()],
            missing,
        }
    }

    #[test]
    fn the_status_says_a_date_never_a_count_of_days() {
        let s = status(&facts(vec![Missing::CveId, Missing::CvssV4]));
        assert!(s.starts_with(STATUS_MARKER), "{s}");
        assert!(s.contains("2027-02-03") && s.contains("@alan"), "{s}");
        assert!(!s.contains("days left"), "{s}");
        assert!(s.contains("a CVE id") && s.contains("CVSS v4"), "{s}");
        assert!(!s.contains("pull request in the temporary"), "{s}");
        assert!(s.contains("`[ACCEPT]`") && s.contains("`[CLOSE]`"), "{s}");
        let done = status(&facts(vec![]));
        assert!(done.contains("nothing missing"), "{done}");
    }

    #[test]
    fn a_deadline_comment_mentions_the_coordinator_under_its_marker() {
        let t = ThresholdPlan {
            threshold: Threshold::Warning { days: 14 },
            deadline: chrono::NaiveDate::from_ymd_opt(2027, 2, 3).unwrap(),
            coordinators: vec!["alan".into()],
            also: vec![],
        };
        let d = deadline(&t);
        assert!(
            d.starts_with("<!-- psrt:deadline warn-14 -->\n@alan: 14 days"),
            "{d}"
        );
        let over = deadline(&ThresholdPlan {
            threshold: Threshold::Overdue,
            coordinators: vec![],
            ..t
        });
        assert!(
            over.starts_with("<!-- psrt:deadline overdue -->\n"),
            "{over}"
        );
        assert!(over.contains("no coordinator"), "{over}");
    }
}
