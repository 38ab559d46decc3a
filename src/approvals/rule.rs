//! The verdict: does a pull request meet the BASE roster's approval rule?
//! Pure: everything it depends on is in [`Facts`], read beforehand.
//!
//! GitHub's own review semantics: each person's latest APPROVED,
//! CHANGES_REQUESTED or DISMISSED review is their state; an approval counts
//! only on the head commit; an open change request from anyone in the
//! reviewers group (or the `veto` group) blocks, whatever commit it was on,
//! until they approve or it is dismissed. Nobody who opened the pull request
//! or pushed a commit to it can approve it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::access::ServiceAccess;
use super::changes::{Changes, RosterChange};
use super::shown;
use crate::github::pulls::latest_decisive;
use crate::roster::{Group, Login, Required, Roster};

pub use crate::github::pulls::{Review, ReviewState};

/// When the vote opened (`min_open_days`), and why then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Window {
    pub opened_at: DateTime<Utc>,
    /// e.g. "the push of 1a2b3c4 that changed roster.yaml"
    pub since: String,
}

/// Everything the verdict depends on.
pub struct Facts<'a> {
    pub base: &'a Roster,
    pub changes: &'a Changes,
    pub access: Vec<ServiceAccess>,
    pub head_sha: String,
    /// Whether the pull request targets the repository's default branch.
    pub base_is_default: bool,
    pub author: Login,
    /// Author and committer accounts of the pull request's commits.
    pub pushers: BTreeSet<Login>,
    /// False when GitHub listed only part of the commits (it stops at 250).
    pub commits_complete: bool,
    pub reviews: Vec<Review>,
    /// Logins in the eligibility teams, or why they could not be read.
    pub eligible: Result<BTreeSet<Login>, String>,
    /// Set when the rule has `min_open_days` and the roster changed.
    pub window: Option<Window>,
    pub now: DateTime<Utc>,
}

/// The base branch's rule, as applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleApplied {
    pub reviewers: Group,
    /// People in the group, in the base roster.
    pub holders: usize,
    /// As written: `1`, `"2/3"`.
    pub required_as_written: String,
    /// Approvals needed.
    pub required: u32,
    pub min_open_days: Option<u32>,
    pub veto: Option<Group>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub passes: bool,
    /// One line, for the commit status (under 140 characters).
    pub summary: String,
    pub head_sha: String,
    pub changes: Vec<RosterChange>,
    pub access: Vec<ServiceAccess>,
    /// `None` when no approval is needed, or the head roster is invalid.
    pub rule: Option<RuleApplied>,
    pub approved_by: Vec<String>,
    /// Holders of the reviewers group who have not approved (and may).
    pub missing: Vec<String>,
    /// Open change requests that block.
    pub change_requests: Vec<String>,
    pub window: Option<Window>,
    /// Why it fails (empty when it passes).
    pub reasons: Vec<String>,
    /// What the reader should know (stale or excluded approvals, unreadable teams).
    pub notes: Vec<String>,
}

impl Verdict {
    /// The head's roster cannot be judged: nothing from it is echoed, only
    /// psrt's own words, rule names and line numbers.
    pub fn invalid_head(head_sha: String, detail: &str) -> Self {
        Verdict {
            passes: false,
            summary: "head roster is invalid: run psrt check".into(),
            head_sha,
            changes: vec![],
            access: vec![],
            rule: None,
            approved_by: vec![],
            missing: vec![],
            change_requests: vec![],
            window: None,
            reasons: vec![format!(
                "head roster is invalid: {detail}; fix it (run `psrt check`) and push again"
            )],
            notes: vec![],
        }
    }
}

/// "`roster.yaml` at the head fails `psrt check` with 2 error(s):
/// `duplicate-login` (line 40), ..."
pub fn problems(list: &[(&'static str, u32)]) -> String {
    let shown = list
        .iter()
        .take(10)
        .map(|(rule, line)| format!("`{rule}` (line {line})"))
        .collect::<Vec<_>>()
        .join(", ");
    let more = list.len().saturating_sub(10);
    format!(
        "`roster.yaml` at the head fails `psrt check` with {} error(s): {shown}{}",
        list.len(),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )
}

fn ticks<'a>(v: impl IntoIterator<Item = &'a String>) -> String {
    v.into_iter()
        .map(|x| format!("`{x}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn decide(f: Facts<'_>) -> Verdict {
    let rule = &f.base.policy.approvals.membership;
    let mut reasons = Vec::new();
    let mut notes = Vec::new();
    let mut summary: Option<String> = None;
    let changes = f.changes.changes.clone();

    if !f.base_is_default {
        reasons.push("the pull request does not target the repository's default branch, whose `roster.yaml` is the policy: psrt judges only those (retarget it and psrt judges it again)".to_owned());
        summary.get_or_insert("not a pull request to the default branch".into());
    }
    let never = f.changes.left_without_emeritus();
    if !never.is_empty() {
        reasons.push(format!(
            "{} {} `members` without an entry in `emeritus`: members leave through `emeritus`, which is what revokes their access to reports; move them there (with `left:` and `reason:`), whoever approves",
            ticks(never.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>().iter()),
            if never.len() == 1 { "leaves" } else { "leave" }
        ));
        summary.get_or_insert("a member leaves without an emeritus entry".into());
    }
    if !f.changes.needs_approval() {
        if reasons.is_empty() {
            notes.push(if f.changes.changes.is_empty() {
                "no change to the roster's meaning (comments and formatting only): no approval needed".to_owned()
            } else {
                "only display names change: no approval needed".to_owned()
            });
        }
        let passes = reasons.is_empty();
        return Verdict {
            passes,
            summary: summary.unwrap_or_else(|| "no approval needed".into()),
            head_sha: f.head_sha,
            changes,
            access: f.access,
            rule: None,
            approved_by: vec![],
            missing: vec![],
            change_requests: vec![],
            window: None,
            reasons,
            notes,
        };
    }

    let reviewers = f.base.group_holders(rule.reviewers);
    let needed = rule
        .required
        .needed(u32::try_from(reviewers.len()).unwrap_or(u32::MAX))
        .max(1);
    let holders = reviewers.len();
    if (holders as u64) < u64::from(needed) {
        let fill = if rule.reviewers == Group::SteeringCouncil {
            "list the Council's GitHub logins in the top-level `steering_council:` of the default branch's `roster.yaml` (nobody can approve that first pull request: an admin merges it)".to_owned()
        } else {
            format!(
                "give `{}` enough holders, or lower `required`",
                rule.reviewers
            )
        };
        reasons.push(format!(
            "the base roster's `{}` has {holders} holder(s) and the rule needs {needed} approval(s) from it, so nothing can be approved: {fill}",
            if rule.reviewers == Group::SteeringCouncil { "steering_council".to_owned() } else { rule.reviewers.to_string() },
        ));
        summary.get_or_insert(if rule.reviewers == Group::SteeringCouncil {
            "fails closed: the base roster's steering_council is empty".into()
        } else {
            format!("fails closed: too few holders of {}", rule.reviewers)
        });
    }
    let vetoers = rule
        .veto
        .map(|g| f.base.group_holders(g))
        .unwrap_or_default();

    // Each person's latest decisive review, by login.
    let latest: BTreeMap<Login, &Review> = latest_decisive(&f.reviews)
        .into_iter()
        .map(|r| (Login::new(r.reviewer.login.clone()), r))
        .collect();
    let mut approved_by = Vec::new();
    let mut change_requests = Vec::new();
    let mut outsiders = Vec::new();
    for (who, r) in &latest {
        let name = shown(who.as_str());
        match r.state {
            ReviewState::Approved if !reviewers.contains(who) => outsiders.push(name),
            ReviewState::Approved if *who == f.author => notes.push(format!(
                "`{name}` opened this pull request: their approval does not count"
            )),
            ReviewState::Approved if f.pushers.contains(who) => notes.push(format!(
                "`{name}` pushed a commit to this pull request: their approval does not count"
            )),
            ReviewState::Approved if r.commit_id != f.head_sha => notes.push(format!(
                "`{name}` approved an older commit: not counted until they approve the latest"
            )),
            ReviewState::Approved => approved_by.push(name),
            ReviewState::ChangesRequested if reviewers.contains(who) || vetoers.contains(who) => {
                change_requests.push(name)
            }
            ReviewState::ChangesRequested => notes.push(format!(
                "`{name}` requested changes; they are outside `{}`{}, so it does not block",
                rule.reviewers,
                rule.veto.map(|v| format!(" and `{v}`")).unwrap_or_default()
            )),
            _ => {}
        }
    }
    if !outsiders.is_empty() {
        notes.push(format!(
            "approvals from outside `{}` do not count: {}",
            rule.reviewers,
            ticks(outsiders.iter())
        ));
    }
    if !change_requests.is_empty() {
        reasons.push(format!(
            "changes requested by {}: an open change request from `{}`{} blocks until they approve or it is dismissed",
            ticks(change_requests.iter()),
            rule.reviewers,
            rule.veto.map(|v| format!(" or `{v}`")).unwrap_or_default()
        ));
        summary.get_or_insert("blocked: changes requested".into());
    }
    if (approved_by.len() as u64) < u64::from(needed) {
        reasons.push(format!(
            "{} of {needed} required approval(s) from `{}`",
            approved_by.len(),
            rule.reviewers
        ));
        summary.get_or_insert(format!(
            "not approved: {} of {needed} from {}",
            approved_by.len(),
            rule.reviewers
        ));
    }
    if !f.commits_complete {
        reasons.push("GitHub lists only the first 250 commits of a pull request and this one has more: psrt cannot see who pushed each of them; squash or split it".to_owned());
        summary.get_or_insert("too many commits to judge".into());
    }
    if let (Some(days), Some(w)) = (rule.min_open_days, &f.window) {
        let open = (f.now - w.opened_at).num_minutes().max(0) as f64 / (24.0 * 60.0);
        if open < f64::from(days) {
            reasons.push(format!(
                "the vote has been open {open:.1} of its {days} day(s), counted from {}",
                w.since
            ));
            summary.get_or_insert(format!("vote open {open:.1} of {days} days"));
        }
    }

    // Eligibility of people new to `members`. Teams that cannot be read (or
    // none configured) fail the verdict: a newcomer nobody could check is
    // never let through.
    let mut not_eligible = Vec::new();
    let mut unchecked = Vec::new();
    for n in &f.changes.newcomers {
        let login = shown(n.login.as_str());
        if let Some(why) = n.exempt_in_base {
            notes.push(format!(
                "`{login}` is exempt from the eligibility rule: {why}"
            ));
            continue;
        }
        if !n.claims_in_head.is_empty() {
            notes.push(format!(
                "`{login}` is new, and this pull request gives them {}: exemptions are read from the base roster, where they have none, so they must be in an eligibility team",
                n.claims_in_head.join(" and ")
            ));
        }
        match &f.eligible {
            Ok(set) if set.contains(&n.login) => {}
            Ok(_) => not_eligible.push(login),
            Err(_) => unchecked.push(login),
        }
    }
    if let (false, Err(why)) = (unchecked.is_empty(), &f.eligible) {
        reasons.push(format!(
            "eligibility of {} cannot be read ({why}), so it fails closed: psrt judges again once the eligibility teams can be read",
            ticks(unchecked.iter()),
        ));
        summary.get_or_insert("fails closed: eligibility cannot be read".into());
    }
    if !not_eligible.is_empty() {
        reasons.push(format!(
            "not eligible: {} {} in none of `github.eligibility_teams` (core team, triagers), and the base roster does not exempt them (legacy, Release Manager, Steering Council)",
            ticks(not_eligible.iter()),
            if not_eligible.len() == 1 { "is" } else { "are" }
        ));
        summary.get_or_insert("a new member is not eligible".into());
    }

    let excluded = |l: &Login| *l == f.author || f.pushers.contains(l);
    let mut missing: Vec<String> = reviewers
        .iter()
        .filter(|r| !excluded(r) && !approved_by.iter().any(|a| Login::from(a.as_str()) == **r))
        .map(|l| shown(l.as_str()))
        .collect();
    missing.sort_by_key(|l| l.to_ascii_lowercase());
    let passes = reasons.is_empty();
    let required_as_written = match rule.required {
        Required::Count(n) => n.to_string(),
        Required::Fraction(fr) => format!("{}/{}", fr.numerator, fr.denominator),
    };
    Verdict {
        passes,
        summary: if passes {
            format!(
                "approved: {} of {needed} from {}",
                approved_by.len(),
                rule.reviewers
            )
        } else {
            summary.unwrap_or_else(|| "not approved".into())
        },
        head_sha: f.head_sha,
        changes,
        access: f.access,
        rule: Some(RuleApplied {
            reviewers: rule.reviewers,
            holders,
            required_as_written,
            required: needed,
            min_open_days: rule.min_open_days,
            veto: rule.veto,
        }),
        approved_by,
        missing,
        change_requests,
        window: f.window,
        reasons,
        notes,
    }
}
