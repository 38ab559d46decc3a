//! Membership governance on pull requests: does pull request N meet the
//! approval rule of the BASE branch's roster?
//!
//! - No change to `members`, `emeritus` or roles: it passes, and says so.
//! - Otherwise the rule is `policy.approvals.membership` of the base roster
//!   (a pull request cannot approve itself by adding reviewers): `reviewers`
//!   is a group, `required` a count or a share of its holders,
//!   `min_open_days` a vote's length, `veto` a group whose "changes
//!   requested" blocks.
//! - A reviewer's latest decisive review counts; approvals of an older
//!   commit than the head do not; the author's own review does not.
//! - New members are checked for eligibility when the token can read the
//!   eligibility teams; otherwise the verdict says the check was not possible.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::roster::{Group, Login, Roster};

/// What the pull request changes about people.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MembershipChange {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// login → (roles before, roles after)
    pub roles: Vec<(String, Vec<String>, Vec<String>)>,
    pub emeritus_added: Vec<String>,
    pub emeritus_removed: Vec<String>,
}

impl MembershipChange {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.roles.is_empty()
            && self.emeritus_added.is_empty()
            && self.emeritus_removed.is_empty()
    }

    pub fn between(base: &Roster, head: &Roster) -> Self {
        let key = |l: &Login| l.key();
        let base_m: BTreeMap<String, &crate::roster::Member> =
            base.members.iter().map(|m| (key(&m.github), m)).collect();
        let head_m: BTreeMap<String, &crate::roster::Member> =
            head.members.iter().map(|m| (key(&m.github), m)).collect();
        let mut c = MembershipChange::default();
        for (k, m) in &head_m {
            match base_m.get(k) {
                None => c.added.push(m.github.to_string()),
                Some(b) => {
                    let roles = |m: &crate::roster::Member| {
                        m.roles
                            .iter()
                            .map(|r| r.to_string())
                            .collect::<BTreeSet<_>>()
                    };
                    if roles(b) != roles(m) {
                        c.roles.push((
                            m.github.to_string(),
                            roles(b).into_iter().collect(),
                            roles(m).into_iter().collect(),
                        ));
                    }
                }
            }
        }
        c.removed = base_m
            .iter()
            .filter(|(k, _)| !head_m.contains_key(*k))
            .map(|(_, m)| m.github.to_string())
            .collect();
        let emeritus = |r: &Roster| -> BTreeSet<String> {
            r.emeritus
                .iter()
                .map(|e| {
                    e.github
                        .as_ref()
                        .map_or_else(|| format!("({})", e.name), |g| g.to_string())
                })
                .collect()
        };
        let (be, he) = (emeritus(base), emeritus(head));
        c.emeritus_added = he.difference(&be).cloned().collect();
        c.emeritus_removed = be.difference(&he).cloned().collect();
        c
    }
}

/// A review as the rule sees it.
#[derive(Debug, Clone)]
pub struct Review {
    pub login: String,
    /// APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING
    pub state: String,
    pub commit_id: String,
    pub submitted_at: Option<DateTime<Utc>>,
}

/// Everything the verdict depends on.
pub struct Facts<'a> {
    pub base: &'a Roster,
    pub change: MembershipChange,
    pub author: String,
    pub head_sha: String,
    pub opened_at: DateTime<Utc>,
    pub reviews: Vec<Review>,
    /// New members not eligible, or why eligibility could not be checked.
    pub eligibility: Result<Vec<String>, String>,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub passes: bool,
    pub change: MembershipChange,
    pub reviewers: String,
    pub required: u32,
    pub approved_by: Vec<String>,
    pub missing: Vec<String>,
    /// Why it fails (empty when it passes).
    pub reasons: Vec<String>,
    /// Things the reader should know (stale approvals, unreadable teams).
    pub notes: Vec<String>,
}

/// The holders of a group in the base roster: members with the role, or the
/// `steering_council` list.
fn holders(group: Group, facts: &Facts<'_>, _notes: &mut Vec<String>) -> BTreeSet<Login> {
    facts.base.group_holders(group)
}

pub fn decide(facts: Facts<'_>) -> Verdict {
    let rule = &facts.base.policy.approvals.membership;
    let mut notes = Vec::new();
    let mut reasons = Vec::new();
    if facts.change.is_empty() {
        return Verdict {
            passes: true,
            change: facts.change,
            reviewers: rule.reviewers.to_string(),
            required: 0,
            approved_by: vec![],
            missing: vec![],
            reasons: vec![],
            notes: vec![
                "no change to members, emeritus or roles: no membership approval needed".into(),
            ],
        };
    }
    let reviewers = holders(rule.reviewers, &facts, &mut notes);
    let needed = rule.required.needed(reviewers.len() as u32).max(1);

    // Each person's latest decisive review, in submission order.
    let mut latest: BTreeMap<Login, &Review> = BTreeMap::new();
    let mut sorted: Vec<&Review> = facts.reviews.iter().collect();
    sorted.sort_by_key(|r| r.submitted_at);
    for r in sorted {
        if matches!(
            r.state.as_str(),
            "APPROVED" | "CHANGES_REQUESTED" | "DISMISSED"
        ) {
            latest.insert(Login::new(r.login.clone()), r);
        }
    }
    let author = Login::new(facts.author.clone());
    let mut approved_by = Vec::new();
    for (who, r) in &latest {
        if r.state != "APPROVED" || !reviewers.contains(who) {
            continue;
        }
        if *who == author {
            notes.push(format!("{who}'s own approval does not count"));
        } else if r.commit_id != facts.head_sha {
            notes.push(format!(
                "{who} approved an older commit: not counted until they approve the latest"
            ));
        } else {
            approved_by.push(who.to_string());
        }
    }
    let non_reviewer_approvals: Vec<String> = latest
        .iter()
        .filter(|(w, r)| r.state == "APPROVED" && !reviewers.contains(*w))
        .map(|(w, _)| w.to_string())
        .collect();
    if !non_reviewer_approvals.is_empty() {
        notes.push(format!(
            "approvals from outside `{}` do not count: {}",
            rule.reviewers,
            non_reviewer_approvals.join(", ")
        ));
    }
    if (approved_by.len() as u32) < needed {
        reasons.push(format!(
            "{} of {needed} required approval(s) from `{}`",
            approved_by.len(),
            rule.reviewers
        ));
    }
    if let Some(days) = rule.min_open_days {
        let open = (facts.now - facts.opened_at).num_hours() as f64 / 24.0;
        if open < f64::from(days) {
            reasons.push(format!("open {open:.1} of the {days} days the vote lasts"));
        }
    }
    if let Some(veto) = rule.veto {
        let vetoers = holders(veto, &facts, &mut notes);
        let vetoed: Vec<String> = latest
            .iter()
            .filter(|(w, r)| r.state == "CHANGES_REQUESTED" && vetoers.contains(*w))
            .map(|(w, _)| w.to_string())
            .collect();
        if !vetoed.is_empty() {
            reasons.push(format!(
                "changes requested by `{veto}` (a veto): {}",
                vetoed.join(", ")
            ));
        }
    }
    match &facts.eligibility {
        Ok(not_eligible) if !not_eligible.is_empty() => {
            reasons.push(format!(
                "not eligible (not in the eligibility teams, and not legacy, RM or SC): {}",
                not_eligible.join(", ")
            ));
        }
        Ok(_) => {}
        Err(why) => notes.push(format!("eligibility of new members was NOT checked: {why}")),
    }
    let mut missing: Vec<String> = reviewers
        .iter()
        .filter(|r| !approved_by.iter().any(|a| Login::new(a.clone()) == **r) && **r != author)
        .map(ToString::to_string)
        .collect();
    missing.sort_by_key(|l| l.to_ascii_lowercase());
    Verdict {
        passes: reasons.is_empty(),
        change: facts.change,
        reviewers: rule.reviewers.to_string(),
        required: needed,
        approved_by,
        missing,
        reasons,
        notes,
    }
}

pub fn text(v: &Verdict, pr: u64) -> String {
    use std::fmt::Write as _;
    let mut s = format!(
        "pull request #{pr}: {}\n",
        if v.passes {
            "the approval rule holds"
        } else {
            "the approval rule does NOT hold"
        }
    );
    let c = &v.change;
    if c.is_empty() {
        let _ = writeln!(s, "  no change to members, emeritus or roles");
    } else {
        for (label, list) in [
            ("added", &c.added),
            ("removed", &c.removed),
            ("emeritus added", &c.emeritus_added),
            ("emeritus removed", &c.emeritus_removed),
        ] {
            if !list.is_empty() {
                let _ = writeln!(s, "  {label}: {}", list.join(", "));
            }
        }
        for (who, before, after) in &c.roles {
            let _ = writeln!(
                s,
                "  roles of {who}: [{}] → [{}]",
                before.join(", "),
                after.join(", ")
            );
        }
        let _ = writeln!(
            s,
            "  rule: {} approval(s) from `{}`",
            v.required, v.reviewers
        );
        let _ = writeln!(
            s,
            "  approved by: {}",
            if v.approved_by.is_empty() {
                "nobody yet".into()
            } else {
                v.approved_by.join(", ")
            }
        );
        if !v.missing.is_empty() {
            let _ = writeln!(s, "  not yet approved by: {}", v.missing.join(", "));
        }
    }
    for r in &v.reasons {
        let _ = writeln!(s, "  fails: {r}");
    }
    for n in &v.notes {
        let _ = writeln!(s, "  note: {n}");
    }
    s
}

pub fn markdown(v: &Verdict, pr: u64) -> String {
    format!(
        "### psrt approvals: pull request #{pr}\n\n{}\n```\n{}```\n",
        if v.passes {
            "✅ the approval rule holds"
        } else {
            "❌ the approval rule does not hold"
        },
        text(v, pr)
    )
}

/// Reads pull request `pr` of `repo` and decides.
pub async fn check(
    gh: &crate::github::GitHub,
    repo: &str,
    pr: u64,
    now: DateTime<Utc>,
) -> anyhow::Result<Verdict> {
    use crate::github::enc;
    #[derive(serde::Deserialize)]
    struct Side {
        sha: String,
    }
    #[derive(serde::Deserialize)]
    struct Pull {
        user: Option<crate::github::model::User>,
        created_at: DateTime<Utc>,
        base: Side,
        head: Side,
    }
    #[derive(serde::Deserialize)]
    struct Content {
        content: String,
    }
    #[derive(serde::Deserialize)]
    struct WireReview {
        user: Option<crate::github::model::User>,
        state: String,
        #[serde(default)]
        commit_id: Option<String>,
        #[serde(default)]
        submitted_at: Option<DateTime<Utc>>,
    }
    let (owner, name) = repo
        .split_once('/')
        .ok_or_else(|| anyhow::anyhow!("the policy repository `{repo}` is not owner/name"))?;
    let base_path = format!("/repos/{}/{}", enc(owner), enc(name));
    let pull: Pull = gh.get(&format!("{base_path}/pulls/{pr}")).await?;
    let roster_at = |sha: String| {
        let path = format!(
            "{base_path}/contents/{}?ref={}",
            crate::inactivity::ROSTER_PATH,
            enc(&sha)
        );
        async move {
            use base64::Engine as _;
            let c: Content = gh.get(&path).await?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(c.content.replace(['\n', '\r'], ""))?;
            anyhow::Ok(bytes)
        }
    };
    let base_bytes = roster_at(pull.base.sha.clone()).await?;
    let base = crate::roster::parse(&base_bytes)
        .map_err(|e| anyhow::anyhow!("the base branch's roster.yaml: {e}"))?
        .roster;
    let head_bytes = roster_at(pull.head.sha.clone()).await?;
    let head = crate::roster::parse(&head_bytes)
        .map_err(|e| {
            anyhow::anyhow!(
                "the pull request's roster.yaml does not read ({e}); fix it first (psrt check)"
            )
        })?
        .roster;
    let change = MembershipChange::between(&base, &head);
    let wire: Vec<WireReview> = if change.is_empty() {
        vec![]
    } else {
        gh.list(&format!("{base_path}/pulls/{pr}/reviews")).await?
    };
    let reviews = wire
        .into_iter()
        .filter_map(|r| {
            Some(Review {
                login: r.user?.login,
                state: r.state,
                commit_id: r.commit_id.unwrap_or_default(),
                submitted_at: r.submitted_at,
            })
        })
        .collect();
    let eligibility = if change.added.is_empty() {
        Ok(vec![])
    } else if base.github.eligibility_teams.is_empty() {
        Err("github.eligibility_teams is not configured".to_owned())
    } else {
        match crate::roster::online::eligible_logins(
            gh,
            &base.github.org,
            &base.github.eligibility_teams,
        )
        .await
        {
            Ok(eligible) => Ok(change
                .added
                .iter()
                .filter(|l| {
                    let login = Login::new((*l).clone());
                    let m = head.member(&login);
                    !(eligible.contains(&login) || m.is_some_and(|m| m.legacy || head.is_exempt(m)))
                })
                .cloned()
                .collect()),
            Err(why) => Err(why),
        }
    };
    Ok(decide(Facts {
        base: &base,
        change,
        author: pull.user.map(|u| u.login).unwrap_or_default(),
        head_sha: pull.head.sha,
        opened_at: pull.created_at,
        reviews,
        eligibility,
        now,
    }))
}
