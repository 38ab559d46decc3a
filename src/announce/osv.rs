//! The OSV record.
//!
//! `id` is `--osv-id` (a PSF advisory-database id such as `PSF-2026-3`) or
//! the GHSA id; `aliases` are the CVE and GHSA ids other than the record's
//! own (OSV's `aliases` name *other* records of the same vulnerability).
//! `severity` carries the vector (`CVSS_V4`, or `CVSS_V3` for an advisory
//! scored only in v3). Each PyPI package gets an `ECOSYSTEM` range per
//! affected range; when fix commits are known (merge commits of the fix pull
//! requests, or commits linked from the advisory), the advisory's repository
//! gets a `GIT` range with `introduced: 0` and one `fixed` event per commit,
//! as the PSF's own advisory database writes CPython's records (which have
//! no package: CPython is not an OSV ecosystem).

use serde_json::{Value, json};

use super::links::Kind;
use super::versions::{Range, Upper};
use super::{Facts, cvss};

/// The OSV schema version the record conforms to: the first with
/// `CVSS_V4`; the record uses nothing newer.
pub const SCHEMA_VERSION: &str = "1.6.2";

/// GHSA credit types to OSV's (`remediation_developer` → `REMEDIATION_DEVELOPER`).
pub fn credit_type(ghsa: &str) -> &'static str {
    match ghsa {
        "finder" => "FINDER",
        "reporter" => "REPORTER",
        "analyst" => "ANALYST",
        "coordinator" => "COORDINATOR",
        "remediation_developer" => "REMEDIATION_DEVELOPER",
        "remediation_reviewer" => "REMEDIATION_REVIEWER",
        "remediation_verifier" => "REMEDIATION_VERIFIER",
        "tool" => "TOOL",
        "sponsor" => "SPONSOR",
        _ => "OTHER",
    }
}

fn ts(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn ecosystem_range(r: &Range) -> Value {
    let events = match r {
        Range::Exact(v) => json!([{ "introduced": v }, { "last_affected": v }]),
        Range::Span { from, upper } => {
            let intro = json!({ "introduced": from.as_deref().unwrap_or("0") });
            match upper {
                Upper::Before(v) => json!([intro, { "fixed": v }]),
                Upper::Through(v) => json!([intro, { "last_affected": v }]),
                Upper::Open => json!([intro]),
            }
        }
    };
    json!({ "type": "ECOSYSTEM", "events": events })
}

/// The record.
pub fn record(f: &Facts) -> Value {
    let a = &f.advisory;
    let git_range = (!f.fix_commits.is_empty()).then(|| {
        let mut events = vec![json!({ "introduced": "0" })];
        events.extend(f.fix_commits.iter().map(|sha| json!({ "fixed": sha })));
        json!({ "type": "GIT", "repo": format!("https://github.com/{}", a.repo), "events": events })
    });
    let mut affected: Vec<Value> = Vec::new();
    let mut git_used = false;
    for p in &f.products {
        if p.is_pypi() {
            let name = p.package.to_ascii_lowercase();
            let mut ranges: Vec<Value> = p.ranges.iter().map(|(r, _)| ecosystem_range(r)).collect();
            if let Some(g) = git_range.as_ref().filter(|_| !git_used) {
                ranges.push(g.clone());
                git_used = true;
            }
            affected.push(json!({
                "package": { "ecosystem": "PyPI", "name": name, "purl": format!("pkg:pypi/{name}") },
                "ranges": ranges,
            }));
        } else if let Some(g) = git_range.as_ref().filter(|_| !git_used) {
            affected.push(json!({ "ranges": [g] }));
            git_used = true;
        }
    }
    let references: Vec<Value> = f
        .references
        .iter()
        .map(|r| {
            let t = match &r.kind {
                Kind::Advisory => "ADVISORY",
                Kind::Pull { .. } | Kind::Commit { .. } => "FIX",
                Kind::Issue => "REPORT",
                Kind::Web => "WEB",
            };
            json!({ "type": t, "url": r.url })
        })
        .collect();
    let aliases: Vec<&str> = [f.cve_id.as_str(), a.ghsa_id.as_str()]
        .into_iter()
        .filter(|id| *id != f.osv_id)
        .collect();
    let mut v = json!({
        "schema_version": SCHEMA_VERSION,
        "id": f.osv_id,
        "modified": ts(&a.updated_at),
        "published": ts(&a.published_at),
        "aliases": aliases,
        "summary": a.summary,
        "details": a.description,
        "severity": [{ "type": cvss::osv_type(&f.cvss), "score": f.cvss.vector }],
        "affected": affected,
        "references": references,
        "database_specific": {
            "cwe_ids": a.cwes.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
            "severity": f.cvss.severity.as_upper(),
        },
    });
    if !a.credits.is_empty() {
        v["credits"] = json!(
            a.credits
                .iter()
                .map(|c| json!({
                    "name": c.name.clone().unwrap_or_else(|| c.login.clone()),
                    "contact": [format!("https://github.com/{}", c.login)],
                    "type": credit_type(&c.kind),
                }))
                .collect::<Vec<_>>()
        );
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_every_ghsa_credit_type() {
        for (ghsa, osv) in [
            ("analyst", "ANALYST"),
            ("finder", "FINDER"),
            ("reporter", "REPORTER"),
            ("coordinator", "COORDINATOR"),
            ("remediation_developer", "REMEDIATION_DEVELOPER"),
            ("remediation_reviewer", "REMEDIATION_REVIEWER"),
            ("remediation_verifier", "REMEDIATION_VERIFIER"),
            ("tool", "TOOL"),
            ("sponsor", "SPONSOR"),
            ("other", "OTHER"),
        ] {
            assert_eq!(credit_type(ghsa), osv);
        }
    }

    #[test]
    fn ecosystem_ranges() {
        let r = |s: &str| ecosystem_range(&super::super::versions::parse(s).unwrap());
        assert_eq!(
            r(">= 24.1, < 25.0")["events"],
            json!([{ "introduced": "24.1" }, { "fixed": "25.0" }])
        );
        assert_eq!(
            r("< 25.0")["events"],
            json!([{ "introduced": "0" }, { "fixed": "25.0" }])
        );
        assert_eq!(
            r("<= 24.3")["events"],
            json!([{ "introduced": "0" }, { "last_affected": "24.3" }])
        );
        assert_eq!(
            r("= 24.2")["events"],
            json!([{ "introduced": "24.2" }, { "last_affected": "24.2" }])
        );
    }
}
