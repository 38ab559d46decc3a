//! The default branch's rules: what makes `psrt/approvals` binding. The
//! rules that apply to the branch (GitHub returns those of active rulesets
//! only, the organisation's included) must require the `psrt/approvals`
//! status (from the approvals App when its id is configured), code owners'
//! review and approval of the most recent push; the rulesets they come
//! from must be active with no bypass actors; GitHub must read CODEOWNERS
//! without errors.

use std::collections::BTreeSet;

use super::model::{Area, Finding, Kind, State};
use crate::github::GitHub;
use crate::github::rulesets::BranchRule;
use crate::ids::RepoName;

/// The status `psrt approvals --publish` sets.
pub const APPROVALS_CONTEXT: &str = "psrt/approvals";

pub async fn check(
    gh: &GitHub,
    repo: &RepoName,
    branch: &str,
    approvals_app: Option<u64>,
    in_actions: bool,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let rules = match gh.branch_rules(repo, branch).await {
        Ok(r) => r,
        Err(e) => {
            out.push(Finding::not_checked(
                Area::Rules,
                "rules",
                format!("the rules of {branch} could not be read: {}", e.reason()),
            ));
            out.extend(codeowners(gh, repo, branch).await);
            return out;
        }
    };
    // Rulesets that exist but are not enforced explain a missing rule.
    let idle: Vec<String> = match gh.rulesets(repo).await {
        Ok(sets) => sets
            .iter()
            .filter(|s| s.enforcement != "active")
            .map(|s| format!("ruleset \"{}\" is {}", s.name, s.enforcement))
            .collect(),
        Err(_) => vec![],
    };
    let hint = if idle.is_empty() {
        String::new()
    } else {
        format!(" ({})", idle.join("; "))
    };
    let mut sources: BTreeSet<u64> = BTreeSet::new();
    let mut need =
        |found: Option<&BranchRule>, subject: &str, what: &str, out: &mut Vec<Finding>| match found
        {
            Some(r) => {
                sources.extend(r.ruleset_id);
                out.push(Finding::ok(
                    Area::Rules,
                    "rules",
                    subject,
                    format!("{what} is required"),
                ));
            }
            None => out.push(Finding::problem(
                Area::Rules,
                "rules",
                Kind::RuleMissing,
                subject,
                format!("{what} is NOT required on {branch}{hint}"),
            )),
        };
    // psrt/approvals, from the approvals App when its id is known.
    let status_rules: Vec<&BranchRule> = rules
        .iter()
        .filter(|r| r.kind == "required_status_checks")
        .collect();
    let from_app = status_rules.iter().copied().find(|r| {
        r.required_checks().iter().any(|c| {
            c.context == APPROVALS_CONTEXT
                && approvals_app.is_none_or(|id| c.integration_id == Some(id))
        })
    });
    let any_source = status_rules.iter().copied().find(|r| {
        r.required_checks()
            .iter()
            .any(|c| c.context == APPROVALS_CONTEXT)
    });
    match (from_app, any_source, approvals_app) {
        (Some(r), _, Some(id)) => need(
            Some(r),
            APPROVALS_CONTEXT,
            &format!("the {APPROVALS_CONTEXT} status from the approvals App (id {id})"),
            &mut out,
        ),
        (Some(r), _, None) => {
            need(Some(r), APPROVALS_CONTEXT, &format!("the {APPROVALS_CONTEXT} status"), &mut out);
            // A local run may lack the id; a scheduled one must not, or a
            // status anyone can set would pass the audit unnoticed.
            out.push(if in_actions {
                Finding::problem(
                    Area::Rules,
                    "rules",
                    Kind::Credential,
                    "its source",
                    "which App must set psrt/approvals is NOT checked: PSRT_APPROVALS_APP_ID is not set (or not a number) in the workflow; set the repository variable to the approvals App's id",
                )
            } else {
                Finding::new(
                    Area::Rules,
                    "rules",
                    "its source",
                    State::Limit,
                    "which App must set psrt/approvals is not checked: PSRT_APPROVALS_APP_ID is not set",
                )
            });
        }
        (None, Some(_), Some(id)) => out.push(Finding::problem(
            Area::Rules,
            "rules",
            Kind::RuleMissing,
            APPROVALS_CONTEXT,
            format!(
                "{APPROVALS_CONTEXT} is required from any source, not pinned to the approvals App (id {id}): anyone who can set a commit status can pass it"
            ),
        )),
        (None, _, _) => need(None, APPROVALS_CONTEXT, &format!("the {APPROVALS_CONTEXT} status"), &mut out),
    }
    let pr_rules: Vec<&BranchRule> = rules.iter().filter(|r| r.kind == "pull_request").collect();
    need(
        pr_rules
            .iter()
            .copied()
            .find(|r| r.flag("require_code_owner_review")),
        "code owners' review",
        "review from code owners",
        &mut out,
    );
    need(
        pr_rules
            .iter()
            .copied()
            .find(|r| r.flag("require_last_push_approval")),
        "latest push approval",
        "approval of the most recent push",
        &mut out,
    );
    // The rulesets those rules come from: active, nobody may bypass them.
    for id in sources {
        match gh.ruleset(repo, id).await {
            Ok(set) => {
                let subject = format!("ruleset \"{}\"", set.name);
                if set.enforcement != "active" {
                    out.push(Finding::problem(
                        Area::Rules,
                        "rulesets",
                        Kind::RuleMissing,
                        &subject,
                        format!("enforcement is {}, not active", set.enforcement),
                    ));
                }
                match &set.bypass_actors {
                    Some(list) if list.is_empty() => out.push(Finding::ok(
                        Area::Rules,
                        "rulesets",
                        &subject,
                        "active; nobody may bypass it",
                    )),
                    // Counted, never listed: GitHub shows the list only to
                    // those who may edit the ruleset, and logs are public.
                    Some(list) => out.push(Finding::problem(
                        Area::Rules,
                        "rulesets",
                        Kind::Bypass,
                        &subject,
                        format!("{} bypass actor(s) may merge without the rules", list.len()),
                    )),
                    None => out.push(Finding::new(
                        Area::Rules,
                        "rulesets",
                        &format!("bypass list of {subject}"),
                        State::Limit,
                        "GitHub shows it only to a token that may edit the ruleset, which psrt's App cannot by design: check Settings -> Rules by hand",
                    )),
                }
            }
            Err(e) => out.push(Finding::not_checked(
                Area::Rules,
                "rulesets",
                format!("ruleset {id} could not be read: {}", e.reason()),
            )),
        }
    }
    out.extend(codeowners(gh, repo, branch).await);
    out
}

async fn codeowners(gh: &GitHub, repo: &RepoName, branch: &str) -> Vec<Finding> {
    let f = match gh.codeowners_errors(repo, branch).await {
        Ok(None) => Finding::problem(
            Area::Rules,
            "codeowners",
            Kind::Codeowners,
            "CODEOWNERS",
            format!("there is no CODEOWNERS file on {branch}: code owners' review requires nobody"),
        ),
        Ok(Some(errors)) if errors.is_empty() => Finding::ok(
            Area::Rules,
            "codeowners",
            "CODEOWNERS",
            "GitHub reads it without errors",
        ),
        Ok(Some(errors)) => {
            let list: Vec<String> = errors
                .iter()
                .take(5)
                .map(|e| format!("{} line {}: {}", e.path, e.line, e.kind))
                .collect();
            Finding::problem(
                Area::Rules,
                "codeowners",
                Kind::Codeowners,
                "CODEOWNERS",
                format!(
                    "GitHub reports {} error(s): {}",
                    errors.len(),
                    list.join("; ")
                ),
            )
        }
        Err(e) => Finding::not_checked(
            Area::Rules,
            "codeowners",
            format!("CODEOWNERS errors could not be read: {}", e.reason()),
        ),
    };
    vec![f]
}
