//! How a sync is shown: aligned plan lines for people, `--json` for
//! machines, and a Markdown table in the GitHub Actions job summary.

use std::fmt::Write as _;

use serde::Serialize;

use super::{ChangeResult, ChangeView, ServiceReport, Status};

/// The whole run, as `--json` prints it.
#[derive(Debug, Serialize)]
pub struct SyncJson<'a> {
    pub apply: bool,
    pub changes: Vec<&'a ChangeView>,
    pub errors: Vec<ErrorJson>,
    pub services: &'a [ServiceReport],
}

#[derive(Debug, Serialize)]
pub struct ErrorJson {
    pub service: super::Service,
    pub message: String,
}

pub fn errors(reports: &[ServiceReport]) -> Vec<ErrorJson> {
    let mut out = Vec::new();
    for r in reports {
        match &r.outcome {
            Status::Unreachable { reason } => out.push(ErrorJson {
                service: r.service,
                message: format!("not synced: {reason}"),
            }),
            Status::ReadFailed { error } => out.push(ErrorJson {
                service: r.service,
                message: error.clone(),
            }),
            Status::Blocked { valves } => {
                out.extend(valves.iter().map(|v| ErrorJson {
                    service: r.service,
                    message: v.to_string(),
                }));
            }
            Status::Applied => {
                for c in &r.changes {
                    if let Some(ChangeResult::Failed { error }) = &c.result {
                        out.push(ErrorJson {
                            service: r.service,
                            message: format!("{} {}: {error}", c.action, c.subject),
                        });
                    }
                }
            }
            Status::Skipped { .. } | Status::Planned => {}
        }
    }
    out
}

pub fn json(reports: &[ServiceReport], apply: bool) -> String {
    let j = SyncJson {
        apply,
        changes: reports.iter().flat_map(|r| r.changes.iter()).collect(),
        errors: errors(reports),
        services: reports,
    };
    serde_json::to_string_pretty(&j).unwrap_or_else(|e| format!("{{\"errors\":[\"{e}\"]}}"))
}

/// The human text.
pub fn text(reports: &[ServiceReport], apply: bool) -> String {
    let mut out = String::new();
    let width_action = reports
        .iter()
        .flat_map(|r| &r.changes)
        .map(|c| c.action.len())
        .max()
        .unwrap_or(0);
    let width_subject = reports
        .iter()
        .flat_map(|r| &r.changes)
        .map(|c| c.subject.chars().count())
        .max()
        .unwrap_or(0);
    for r in reports {
        let head = format!("{} {}", r.service, r.target);
        match &r.outcome {
            Status::Skipped { reason } => {
                let _ = writeln!(out, "{head}: skipped: {reason}");
                continue;
            }
            Status::Unreachable { reason } => {
                let _ = writeln!(
                    out,
                    "{head}: error: NOT synced: {reason}\n  nothing was read or changed there"
                );
                continue;
            }
            Status::ReadFailed { error } => {
                let _ = writeln!(
                    out,
                    "{head}: error: {error}\n  no plan: psrt never plans from a partial read; nothing was changed"
                );
                continue;
            }
            _ => {}
        }
        let current = r.current.map_or(String::new(), |n| format!("{n} now; "));
        let n = r.changes.len();
        let _ = writeln!(
            out,
            "{head}: {current}{}",
            if n == 0 {
                "in sync".to_owned()
            } else {
                format!("{n} change(s)")
            }
        );
        for c in &r.changes {
            let detail = c
                .detail
                .as_deref()
                .map(|d| format!("  {d}"))
                .unwrap_or_default();
            let line = format!(
                "{} {:<wa$}  {:<ws$}{detail}",
                c.sign,
                c.action,
                c.subject,
                wa = width_action,
                ws = width_subject
            );
            match &c.result {
                None => {
                    let _ = writeln!(out, "  {}", line.trim_end());
                }
                Some(ChangeResult::Applied { note }) => {
                    let note = note
                        .as_deref()
                        .map(|n| format!(" ({n})"))
                        .unwrap_or_default();
                    let _ = writeln!(out, "  ✓ {}{note}", line.trim_end());
                }
                Some(ChangeResult::Refused { reason }) => {
                    let _ = writeln!(out, "  ! {}: not possible: {reason}", line.trim_end());
                }
                Some(ChangeResult::Failed { error }) => {
                    let _ = writeln!(out, "  ✗ {}: {error}", line.trim_end());
                }
            }
        }
        for note in &r.notes {
            let _ = writeln!(out, "  note: {note}");
        }
        for warning in &r.warnings {
            let _ = writeln!(out, "  warning: {warning}");
        }
        if let Status::Blocked { valves } = &r.outcome {
            for v in valves {
                let _ = writeln!(out, "  error: {v}");
            }
        }
    }
    let _ = writeln!(out, "\n{}", summary(reports, apply));
    out
}

/// The last line: what happened overall. It never says "in sync" about a
/// service it could not check: those are named, and the run fails.
pub fn summary(reports: &[ServiceReport], apply: bool) -> String {
    let names = |pick: &dyn Fn(&ServiceReport) -> bool| -> Vec<String> {
        reports
            .iter()
            .filter(|r| pick(r))
            .map(|r| r.service.to_string())
            .collect()
    };
    let not_checked = names(&|r| r.not_checked());
    let blocked = names(&|r| matches!(r.outcome, Status::Blocked { .. }));
    let checked = names(&|r| matches!(r.outcome, Status::Planned | Status::Applied));
    let changes: usize = reports
        .iter()
        .filter(|r| matches!(r.outcome, Status::Planned | Status::Applied))
        .map(|r| r.changes.len())
        .sum();
    let mut s = if apply {
        let applied = reports
            .iter()
            .flat_map(|r| &r.changes)
            .filter(|c| matches!(c.result, Some(ChangeResult::Applied { .. })))
            .count();
        let bad = reports
            .iter()
            .flat_map(|r| &r.changes)
            .filter(|c| matches!(c.result, Some(ChangeResult::Failed { .. })))
            .count();
        format!("summary: {applied} change(s) applied, {bad} failed")
    } else if changes > 0 {
        format!(
            "summary: {changes} change(s) to make; this was a dry run, nothing was changed (run with --apply to make them)"
        )
    } else if not_checked.is_empty() && blocked.is_empty() {
        if checked.is_empty() {
            "summary: no service was checked (none selected or configured)".to_owned()
        } else {
            "summary: everything is in sync".to_owned()
        }
    } else if checked.is_empty() {
        "summary: nothing was checked".to_owned()
    } else {
        format!("summary: {} in sync", checked.join(", "))
    };
    if !not_checked.is_empty() {
        let _ = write!(
            s,
            "; NOT checked: {} (see above; nothing was done there)",
            not_checked.join(", ")
        );
    }
    if !blocked.is_empty() {
        let _ = write!(s, "; stopped by a safety valve: {}", blocked.join(", "));
    }
    let failed_changes = names(&|r| {
        r.changes
            .iter()
            .any(|c| matches!(c.result, Some(ChangeResult::Failed { .. })))
    });
    if !failed_changes.is_empty() {
        let _ = write!(s, "; failed changes in: {}", failed_changes.join(", "));
    }
    s
}

/// Markdown for `$GITHUB_STEP_SUMMARY`.
pub fn markdown(reports: &[ServiceReport], apply: bool) -> String {
    let mut md = format!("### psrt sync{}\n\n", if apply { "" } else { " (dry run)" });
    md.push_str("| service | target | status |\n|---|---|---|\n");
    for r in reports {
        let status = match &r.outcome {
            Status::Skipped { reason } => format!("skipped: {reason}"),
            Status::Unreachable { reason } => format!("**NOT synced**: {reason}"),
            Status::ReadFailed { error } => format!("**error**: {error}"),
            Status::Blocked { valves } => format!(
                "**blocked**: {}",
                valves
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            Status::Planned if r.changes.is_empty() => "in sync".to_owned(),
            Status::Planned => format!("{} change(s) planned", r.changes.len()),
            Status::Applied => format!("{} change(s) applied", r.changes.len()),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            r.service,
            md_escape(&r.target),
            md_escape(&status)
        );
    }
    for r in reports {
        for w in &r.warnings {
            let _ = writeln!(md, "\n> **warning** ({}): {}", r.service, md_escape(w));
        }
    }
    let all: Vec<&ChangeView> = reports.iter().flat_map(|r| &r.changes).collect();
    if !all.is_empty() {
        md.push_str("\n| service | change | subject | detail | result |\n|---|---|---|---|---|\n");
        for c in all {
            let result = match &c.result {
                None => "planned".to_owned(),
                Some(ChangeResult::Applied { note }) => {
                    format!("✓ {}", note.clone().unwrap_or_default())
                }
                Some(ChangeResult::Refused { reason }) => format!("! {reason}"),
                Some(ChangeResult::Failed { error }) => format!("✗ {error}"),
            };
            let _ = writeln!(
                md,
                "| {} | {} {} | {} | {} | {} |",
                c.service,
                c.sign,
                c.action,
                md_escape(&c.subject),
                md_escape(c.detail.as_deref().unwrap_or("")),
                md_escape(result.trim())
            );
        }
    }
    let _ = writeln!(md, "\n{}", summary(reports, apply));
    md
}

pub fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The warnings as GitHub Actions annotations, so they show on the run's
/// page, not only in its log.
pub fn annotations(reports: &[ServiceReport]) -> Vec<String> {
    reports
        .iter()
        .flat_map(|r| {
            r.warnings.iter().map(move |w| {
                format!(
                    "::warning title=psrt sync {}::{}",
                    r.service,
                    crate::diag::escape_data(w)
                )
            })
        })
        .collect()
}
