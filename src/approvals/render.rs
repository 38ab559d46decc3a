//! The verdict for people: plain text for the log, Markdown for the pull
//! request comment and the job summary. Both are built only from validated
//! logins, roster paths and psrt's own words (workflow logs and comments of a
//! public repository are public; an invalid head roster is never echoed).

use std::fmt::Write as _;

use super::changes::Rule;
use super::publish::MARKER;
use super::rule::Verdict;
use super::sweep::{Outcome, Sweep};

fn rule_word(r: Rule) -> &'static str {
    match r {
        Rule::Never => "never allowed",
        Rule::Approval => "needs approval",
        Rule::Free => "free",
    }
}

fn list_or(v: &[String], none: &str) -> String {
    if v.is_empty() {
        none.to_owned()
    } else {
        v.iter()
            .map(|x| format!("`{x}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn rule_line(v: &Verdict) -> Option<String> {
    let r = v.rule.as_ref()?;
    let mut s = format!(
        "`policy.approvals.membership` of the base branch: {} {} from `{}` ({} in the base roster",
        r.required,
        if r.required == 1 {
            "approval"
        } else {
            "approvals"
        },
        r.reviewers,
        r.holders
    );
    if r.required_as_written.contains('/') {
        let _ = write!(s, "; `required: \"{}\"`", r.required_as_written);
    }
    s.push(')');
    if let Some(d) = r.min_open_days {
        let _ = write!(s, ", open at least {d} day(s)");
    }
    if let Some(g) = r.veto {
        let _ = write!(s, ", `{g}` can veto");
    }
    Some(s)
}

/// The verdict in plain text (stdout, the workflow log), without Markdown.
pub fn text(v: &Verdict, pr: u64) -> String {
    let mut s = format!(
        "pull request #{pr}: {} ({})\n",
        if v.passes {
            "the approval rule holds"
        } else {
            "the approval rule does NOT hold"
        },
        v.summary
    );
    if v.changes.is_empty() && v.rule.is_none() && v.reasons.is_empty() {
        let _ = writeln!(s, "  no change to the roster's meaning");
    }
    if !v.changes.is_empty() {
        let _ = writeln!(s, "  changes:");
        for c in &v.changes {
            let _ = writeln!(
                s,
                "    {:<16} {:<24} {:<44} {}",
                c.category.as_str(),
                c.subject,
                c.what,
                rule_word(c.rule)
            );
        }
    }
    if let Some(rule) = rule_line(v) {
        let _ = writeln!(s, "  rule: {}", rule);
        let _ = writeln!(
            s,
            "  approved by: {}",
            list_or(&v.approved_by, "nobody yet")
        );
        if !v.missing.is_empty() {
            let _ = writeln!(s, "  can still approve: {}", list_or(&v.missing, ""));
        }
        if !v.change_requests.is_empty() {
            let _ = writeln!(
                s,
                "  changes requested by: {}",
                list_or(&v.change_requests, "")
            );
        }
        if let Some(w) = &v.window {
            let _ = writeln!(s, "  vote open since: {}", w.since);
        }
    }
    let moving: Vec<_> = v.access.iter().filter(|a| !a.is_empty()).collect();
    if !moving.is_empty() {
        let _ = writeln!(s, "  access if it merges:");
        for a in moving {
            let mut parts = Vec::new();
            if !a.gains.is_empty() {
                parts.push(format!("gains {}", a.gains.join(", ")));
            }
            if !a.loses.is_empty() {
                parts.push(format!("loses {}", a.loses.join(", ")));
            }
            parts.extend(a.notes.iter().cloned());
            let _ = writeln!(s, "    {} {}: {}", a.service, a.target, parts.join("; "));
        }
    }
    for r in &v.reasons {
        let _ = writeln!(s, "  fails: {}", r);
    }
    for n in &v.notes {
        let _ = writeln!(s, "  note: {}", n);
    }
    s.replace('`', "")
}

fn cell(v: &[String]) -> String {
    if v.is_empty() {
        "—".to_owned()
    } else {
        v.join(", ")
    }
}

/// psrt's pull request comment (also the job summary): [`MARKER`] first.
pub fn comment(v: &Verdict) -> String {
    let mut s = format!("{MARKER}\n");
    let _ = writeln!(
        s,
        "### {} psrt approvals: {}\n",
        if v.passes { "✅" } else { "❌" },
        if v.passes {
            "the approval rule holds"
        } else {
            "the approval rule does not hold"
        }
    );
    let _ = writeln!(
        s,
        "**{}** · head `{}`\n",
        v.summary,
        v.head_sha.get(..7).unwrap_or(&v.head_sha)
    );
    if let Some(rule) = rule_line(v) {
        let _ = writeln!(s, "| | |\n|---|---|");
        let _ = writeln!(s, "| rule | {rule} |");
        let _ = writeln!(s, "| approved by | {} |", list_or(&v.approved_by, "—"));
        let _ = writeln!(s, "| can still approve | {} |", list_or(&v.missing, "—"));
        let _ = writeln!(
            s,
            "| changes requested | {} |",
            list_or(&v.change_requests, "—")
        );
        if let Some(w) = &v.window {
            let _ = writeln!(s, "| vote open since | {} |", w.since);
        }
        s.push('\n');
    }
    if !v.reasons.is_empty() {
        let _ = writeln!(s, "**Why it fails**\n");
        for r in &v.reasons {
            let _ = writeln!(s, "- {r}");
        }
        s.push('\n');
    }
    if !v.changes.is_empty() {
        let _ = writeln!(s, "#### What changes\n");
        let _ = writeln!(
            s,
            "| category | who or what | change | rule |\n|---|---|---|---|"
        );
        for c in &v.changes {
            let subject = if c.subject.contains(' ') {
                c.subject.clone()
            } else {
                format!("`{}`", c.subject)
            };
            let _ = writeln!(
                s,
                "| {} | {subject} | {} | {} |",
                c.category.as_str(),
                c.what,
                rule_word(c.rule)
            );
        }
        s.push('\n');
    } else if v.reasons.is_empty() {
        let _ = writeln!(
            s,
            "No change to the roster's meaning: comments and formatting need no approval.\n"
        );
    }
    if !v.access.is_empty() && v.access.iter().any(|a| !a.is_empty()) {
        let _ = writeln!(s, "#### Who gains or loses access if this merges\n");
        let _ = writeln!(s, "| service | gains | loses |\n|---|---|---|");
        for a in &v.access {
            let _ = writeln!(
                s,
                "| {} {} | {} | {} |",
                a.service,
                a.target,
                cell(&a.gains),
                cell(&a.loses)
            );
        }
        let service_notes: Vec<String> = v
            .access
            .iter()
            .flat_map(|a| a.notes.iter().map(move |n| format!("{}: {n}", a.service)))
            .collect();
        if !service_notes.is_empty() {
            s.push('\n');
            for n in service_notes {
                let _ = writeln!(s, "- {n}");
            }
        }
        s.push('\n');
    }
    if !v.notes.is_empty() {
        let _ = writeln!(s, "**Notes**\n");
        for n in &v.notes {
            let _ = writeln!(s, "- {n}");
        }
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "<sub>Judged by psrt from the base branch's roster, rule and code; nothing in this pull request can change the verdict. Only comments, formatting and display names are free. Addresses and Discord ids are never shown.</sub>"
    );
    s
}

fn numbers(v: &[u64]) -> String {
    v.iter()
        .map(|n| format!("#{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `--all` in plain text: each pull request's verdict (pull requests are
/// public), what was left alone, and the totals.
pub fn sweep_text(s: &Sweep) -> String {
    let mut out = format!(
        "psrt approvals --all: {} open pull request(s); {} to {}, {} of them judged (roster.yaml changes)\n",
        s.open,
        s.open - s.other_base.len(),
        if s.default_branch.is_empty() {
            "the default branch"
        } else {
            &s.default_branch
        },
        s.judged.len()
    );
    let (mut holds, mut fails, mut errors, mut write_failures) = (0, 0, 0, 0);
    for j in &s.judged {
        match &j.outcome {
            Outcome::Verdict {
                verdict,
                published,
                judged_again,
                note,
            } => {
                if verdict.passes {
                    holds += 1;
                } else {
                    fails += 1;
                }
                out.push_str(&text(verdict, j.number));
                if let Some(n) = note {
                    let _ = writeln!(out, "  note: {n}");
                }
                if *judged_again {
                    let _ = writeln!(
                        out,
                        "  note: a review or a push arrived while psrt judged it: judged again"
                    );
                }
                if let Some((_, applied)) = published.as_ref() {
                    write_failures += applied.failed.len();
                }
            }
            Outcome::Error(e) => {
                errors += 1;
                let _ = writeln!(
                    out,
                    "pull request #{}: psrt could not judge it: {e}",
                    j.number
                );
            }
        }
    }
    if !s.unchanged.is_empty() {
        let _ = writeln!(
            out,
            "not judged, roster.yaml unchanged: {}",
            numbers(&s.unchanged)
        );
    }
    if !s.other_base.is_empty() {
        let _ = writeln!(
            out,
            "not judged, to another branch: {}",
            numbers(&s.other_base)
        );
    }
    let _ = writeln!(
        out,
        "summary: {} judged ({holds} pass, {fails} fail, {errors} could not be judged); {write_failures} write(s) failed; {} GitHub request(s) ({} reads, {} writes)",
        s.judged.len(),
        s.requests.0 + s.requests.1,
        s.requests.0,
        s.requests.1
    );
    out.replace('`', "")
}

/// `--all` as the job summary: one row per pull request judged.
pub fn sweep_summary(s: &Sweep) -> String {
    let mut out = format!(
        "### psrt approvals --all\n\n{} open pull request(s), {} judged (they change `roster.yaml`)\n\n",
        s.open,
        s.judged.len()
    );
    if !s.judged.is_empty() {
        out.push_str("| pull request | verdict |\n|---|---|\n");
    }
    for j in &s.judged {
        let verdict = match &j.outcome {
            Outcome::Verdict { verdict, .. } => format!(
                "{} {}",
                if verdict.passes { "✅" } else { "❌" },
                verdict.summary
            ),
            Outcome::Error(_) => "⚠️ psrt could not judge it (see the log)".to_owned(),
        };
        let _ = writeln!(out, "| [#{}]({}) | {verdict} |", j.number, j.html_url);
    }
    out
}
