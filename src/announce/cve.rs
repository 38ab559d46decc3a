//! The CVE JSON 5.1 record, as the CNA container the PSF's CNA submits.
//!
//! Why a CNA container and not a whole record: the `cveMetadata` part of a
//! record (assigner, dates, serial, state) belongs to CVE Services, which
//! writes it on publication; what a CNA authors and submits
//! (`POST /cve/{id}/cna`, or `cve publish` in `cvelib`) is the `cna`
//! container alone. So `CVE-YYYY-NNNNN.json` holds that container, and it is
//! validated against the bundled schema's `cnaPublishedContainer`
//! definition. The tests also wrap it in a minimal record and validate that
//! against the schema's root, so both readings hold.
//!
//! Mapping from the advisory: title ← summary; description ← description;
//! `affected` ← each package with its ranges (`version`/`lessThan`, PEP 440
//! version type, default status unaffected; CPython as vendor "Python
//! Software Foundation", product "CPython"); `problemTypes` ← CWE ids;
//! `metrics` ← the CVSS score psrt computed (`cvssV4_0`, or `cvssV3_1` for
//! an advisory scored only in v3); `credits` ← accepted GHSA credits, their
//! types mapped to CVE's words; `references` ← the advisory, its fix pull
//! requests and commits (tag `patch`), issues (`issue-tracking`) and other
//! links; `datePublic` ← when GitHub published it.

use serde_json::{Value, json};

use super::links::Kind;
use super::versions::{Range, Upper};
use super::{Facts, Product, cvss};

/// The PSF's organisation in the CVE Program (its CNA): the UUID CVE
/// Services knows it by, as in every CVE record the PSF has published.
pub const PSF_ORG_ID: &str = "28c92f92-d60d-412d-b760-e73465c3df22";
pub const PSF_SHORT_NAME: &str = "PSF";

/// GHSA credit types to CVE's (`remediation_developer` → `remediation developer`).
pub fn credit_type(ghsa: &str) -> &'static str {
    match ghsa {
        "finder" => "finder",
        "reporter" => "reporter",
        "analyst" => "analyst",
        "coordinator" => "coordinator",
        "remediation_developer" => "remediation developer",
        "remediation_reviewer" => "remediation reviewer",
        "remediation_verifier" => "remediation verifier",
        "tool" => "tool",
        "sponsor" => "sponsor",
        _ => "other",
    }
}

fn ts(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn version_type(p: &Product) -> &'static str {
    if p.is_pypi() || p.product == "CPython" {
        "python"
    } else {
        "custom"
    }
}

fn versions(p: &Product) -> Vec<Value> {
    let vt = version_type(p);
    p.ranges
        .iter()
        .map(|(r, _)| match r {
            Range::Exact(v) => json!({ "version": v, "status": "affected" }),
            Range::Span { from, upper } => {
                let start = from.as_deref().unwrap_or("0");
                match upper {
                    Upper::Before(v) => {
                        json!({ "version": start, "lessThan": v, "status": "affected", "versionType": vt })
                    }
                    Upper::Through(v) => {
                        json!({ "version": start, "lessThanOrEqual": v, "status": "affected", "versionType": vt })
                    }
                    Upper::Open => {
                        json!({ "version": start, "lessThanOrEqual": "*", "status": "affected", "versionType": vt })
                    }
                }
            }
        })
        .collect()
}

fn affected(p: &Product) -> Value {
    let mut v = json!({
        "vendor": p.vendor,
        "product": p.product,
        "repo": p.repo_url,
        "defaultStatus": "unaffected",
        "versions": versions(p),
    });
    if p.is_pypi() {
        v["collectionURL"] = json!("https://pypi.org");
        v["packageName"] = json!(p.package);
    }
    v
}

/// The CNA container.
pub fn container(f: &Facts) -> Value {
    let a = &f.advisory;
    let references: Vec<Value> = f
        .references
        .iter()
        .map(|r| {
            let tag = match &r.kind {
                Kind::Advisory => Some("vendor-advisory"),
                Kind::Pull { .. } | Kind::Commit { .. } => Some("patch"),
                Kind::Issue => Some("issue-tracking"),
                Kind::Web => None,
            };
            match tag {
                Some(t) => json!({ "url": r.url, "tags": [t] }),
                None => json!({ "url": r.url }),
            }
        })
        .collect();
    let mut c = json!({
        "providerMetadata": { "orgId": PSF_ORG_ID, "shortName": PSF_SHORT_NAME },
        "title": a.summary,
        "descriptions": [{ "lang": "en", "value": a.description }],
        "affected": f.products.iter().map(affected).collect::<Vec<_>>(),
        "metrics": [cvss::cve_metric(&f.cvss)],
        "references": references,
        "datePublic": ts(&a.published_at),
        "x_generator": { "engine": format!("psrt {}", env!("CARGO_PKG_VERSION")) },
    });
    if !a.cwes.is_empty() {
        c["problemTypes"] = json!([{
            "descriptions": a.cwes.iter().map(|cwe| {
                let description = match &cwe.name {
                    Some(n) => format!("{} {n}", cwe.id),
                    None => cwe.id.clone(),
                };
                json!({ "lang": "en", "type": "CWE", "cweId": cwe.id, "description": description })
            }).collect::<Vec<_>>()
        }]);
    }
    if !a.credits.is_empty() {
        c["credits"] = json!(
            a.credits
                .iter()
                .map(|cr| json!({
                    "lang": "en",
                    "value": cr.name.clone().unwrap_or_else(|| cr.login.clone()),
                    "type": credit_type(&cr.kind),
                }))
                .collect::<Vec<_>>()
        );
    }
    c
}

/// The container wrapped in a minimal published record (for checking it
/// against the schema's root as well).
pub fn as_record(f: &Facts, container: &Value) -> Value {
    json!({
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": {
            "cveId": f.cve_id,
            "assignerOrgId": PSF_ORG_ID,
            "assignerShortName": PSF_SHORT_NAME,
            "state": "PUBLISHED",
        },
        "containers": { "cna": container },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_every_ghsa_credit_type() {
        // GitHub's security-advisory-credit-types, all ten.
        for (ghsa, cve) in [
            ("analyst", "analyst"),
            ("finder", "finder"),
            ("reporter", "reporter"),
            ("coordinator", "coordinator"),
            ("remediation_developer", "remediation developer"),
            ("remediation_reviewer", "remediation reviewer"),
            ("remediation_verifier", "remediation verifier"),
            ("tool", "tool"),
            ("sponsor", "sponsor"),
            ("other", "other"),
        ] {
            assert_eq!(credit_type(ghsa), cve);
        }
        assert_eq!(credit_type("something-new"), "other");
    }
}
