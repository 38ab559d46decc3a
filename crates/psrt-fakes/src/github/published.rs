//! What an advisory shows beyond what the hygiene jobs read: the CVE id,
//! the severity and CVSS vectors, CWEs, affected packages with their ranges,
//! credit acceptance, and the entry GitHub's advisory database keeps for a
//! published advisory (`GET /advisories/{ghsa_id}`, with its references).
//! `psrt announce` reads them; the embargo tests plant markers in them too.

use axum::response::Response;
use http::Method;
use serde_json::{Value, json};

use super::{GitHubFake, GitHubState, Req, error, skeleton};
use crate::json as json_response;

/// One affected package and range, as GitHub's advisory form has it.
#[derive(Debug, Clone)]
pub struct FakeVulnerability {
    /// `pip`, `other`...
    pub ecosystem: String,
    pub package: String,
    pub vulnerable_version_range: String,
    pub patched_versions: Option<String>,
}

impl FakeVulnerability {
    pub fn new(ecosystem: &str, package: &str, range: &str, patched: Option<&str>) -> Self {
        Self {
            ecosystem: ecosystem.to_owned(),
            package: package.to_owned(),
            vulnerable_version_range: range.to_owned(),
            patched_versions: patched.map(str::to_owned),
        }
    }
}

/// The details of one advisory (keyed by GHSA id in [`GitHubState`]).
#[derive(Debug, Clone, Default)]
pub struct FakeDetails {
    pub cve_id: Option<String>,
    /// `low` | `medium` | `high` | `critical`
    pub severity: Option<String>,
    pub cvss_v3: Option<String>,
    pub cvss_v4: Option<String>,
    /// (CWE id, name)
    pub cwes: Vec<(String, String)>,
    pub vulnerabilities: Vec<FakeVulnerability>,
    /// (login, state) for credits that are not `accepted` (declined, pending).
    pub credit_states: Vec<(String, String)>,
    /// The advisory database's references; `None`: the database has no entry.
    pub database_references: Option<Vec<String>>,
}

fn score(vector: &Option<String>, v4: bool) -> Value {
    use std::str::FromStr;
    let Some(v) = vector else {
        return Value::Null;
    };
    let s = if v4 {
        cvss::v4::Vector::from_str(v)
            .ok()
            .map(|x| x.score().value())
    } else {
        cvss::v3::Vector::from_str(v)
            .ok()
            .map(|x| x.score().value())
    };
    s.map_or(Value::Null, |s| json!(s))
}

fn vectors(d: &FakeDetails) -> Value {
    let entry = |v: &Option<String>, v4: bool| match v {
        Some(s) => json!({ "vector_string": s, "score": score(v, v4) }),
        None => json!({ "vector_string": null, "score": null }),
    };
    json!({ "cvss_v3": entry(&d.cvss_v3, false), "cvss_v4": entry(&d.cvss_v4, true) })
}

/// Fills a repository advisory's JSON with its details.
pub(crate) fn fill(v: &mut Value, d: &FakeDetails) {
    v["cve_id"] = json!(d.cve_id);
    v["severity"] = json!(d.severity);
    v["cvss_severities"] = vectors(d);
    v["cvss"] = match &d.cvss_v3 {
        Some(s) => json!({ "vector_string": s, "score": score(&d.cvss_v3, false) }),
        None => Value::Null,
    };
    v["cwe_ids"] = json!(d.cwes.iter().map(|(id, _)| id).collect::<Vec<_>>());
    v["cwes"] = json!(
        d.cwes
            .iter()
            .map(|(id, name)| json!({ "cwe_id": id, "name": name }))
            .collect::<Vec<_>>()
    );
    v["vulnerabilities"] = json!(
        d.vulnerabilities
            .iter()
            .map(|x| json!({
                "package": { "ecosystem": x.ecosystem, "name": x.package },
                "vulnerable_version_range": x.vulnerable_version_range,
                "patched_versions": x.patched_versions,
                "vulnerable_functions": [],
            }))
            .collect::<Vec<_>>()
    );
    if let Some(identifiers) = v.get_mut("identifiers").and_then(Value::as_array_mut) {
        if let Some(cve) = &d.cve_id {
            identifiers.push(json!({ "type": "CVE", "value": cve }));
        }
    }
    if let Some(credits) = v.get_mut("credits_detailed").and_then(Value::as_array_mut) {
        for c in credits.iter_mut() {
            let login = c["user"]["login"].as_str().unwrap_or("").to_owned();
            if let Some((_, state)) = d
                .credit_states
                .iter()
                .find(|(l, _)| l.eq_ignore_ascii_case(&login))
            {
                c["state"] = json!(state);
            }
        }
    }
}

fn global_json(s: &GitHubState, ghsa: &str, base: &str) -> Option<Value> {
    let a = s
        .advisories
        .iter()
        .find(|a| a.ghsa_id == ghsa && a.state == "published")?;
    let d = s.details.get(ghsa)?;
    let refs = d.database_references.as_ref()?;
    let ts = |t: &chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut v = skeleton("global-advisory");
    v["ghsa_id"] = json!(a.ghsa_id);
    v["cve_id"] = json!(d.cve_id);
    v["url"] = json!(format!("{base}/advisories/{}", a.ghsa_id));
    v["html_url"] = json!(format!("https://github.com/advisories/{}", a.ghsa_id));
    v["repository_advisory_url"] = json!(format!(
        "{base}/repos/{}/security-advisories/{}",
        a.repo, a.ghsa_id
    ));
    v["summary"] = json!(a.summary);
    v["description"] = json!(a.description);
    v["type"] = json!("reviewed");
    v["severity"] = json!(d.severity.clone().unwrap_or_else(|| "unknown".into()));
    v["source_code_location"] = json!(format!("https://github.com/{}", a.repo));
    let mut ids = vec![json!({ "type": "GHSA", "value": a.ghsa_id })];
    if let Some(cve) = &d.cve_id {
        ids.push(json!({ "type": "CVE", "value": cve }));
    }
    v["identifiers"] = json!(ids);
    v["references"] = json!(refs);
    let published = a.published_at.unwrap_or(a.updated_at);
    v["published_at"] = json!(ts(&published));
    v["updated_at"] = json!(ts(&a.updated_at));
    v["github_reviewed_at"] = json!(ts(&published));
    v["cvss_severities"] = vectors(d);
    v["cwes"] = json!(
        d.cwes
            .iter()
            .map(|(id, name)| json!({ "cwe_id": id, "name": name }))
            .collect::<Vec<_>>()
    );
    Some(v)
}

pub(crate) fn handle(fake: &GitHubFake, req: &Req) -> Option<Response> {
    let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    match (&req.method, segs.as_slice()) {
        (&Method::GET, ["advisories", ghsa]) => {
            Some(fake.with(|s| match global_json(s, ghsa, &req.base) {
                Some(v) => json_response(200, v),
                None => error(404, "Not Found"),
            }))
        }
        _ => None,
    }
}

/// The example the demo and the tests announce: a CPython advisory shaped
/// like the PSRT's, published at `published`. Two affected branches (3.14
/// and 3.15), a CVSS v4 vector, a CWE, four credits (one declined), the fix
/// pull request on `main` linked from the description and its 3.14 backport
/// in the database's references, both merged. Returns the GHSA id.
pub fn example_cpython_advisory(
    fake: &GitHubFake,
    published: chrono::DateTime<chrono::Utc>,
) -> &'static str {
    use super::{FakeAdvisory, FakePull};
    const GHSA: &str = "GHSA-4f7x-9m2q-vh3c";
    let created = published - chrono::Duration::days(41);
    for l in [
        "quinn-sec",
        "ada",
        "grace",
        "alan",
        "anon-helper",
        "miss-islington",
    ] {
        fake.user(l);
    }
    let repo = "python/cpython";
    fake.repo(repo);
    fake.commit(repo, "3.14", &[("README.rst", "3.14")], "3.14 branch");
    fake.commit(
        repo,
        "gh-139001-email-fold",
        &[("Lib/email/_header_value_parser.py", "# linear folding\n")],
        "gh-138999: Fold headers with many encoded words in linear time",
    );
    fake.commit(
        repo,
        "backport-139050-3.14",
        &[(
            "Lib/email/_header_value_parser.py",
            "# linear folding (3.14)\n",
        )],
        "[3.14] gh-138999: Fold headers with many encoded words in linear time (GH-139001)",
    );
    fake.update_repo(repo, |r| {
        for (number, head, base, user, title) in [
            (
                139_001,
                "gh-139001-email-fold",
                "main",
                "grace",
                "gh-138999: Fold headers with many encoded words in linear time",
            ),
            (
                139_050,
                "backport-139050-3.14",
                "3.14",
                "miss-islington",
                "[3.14] gh-138999: Fold headers with many encoded words in linear time (GH-139001)",
            ),
        ] {
            r.pulls.push(FakePull {
                number,
                title: title.into(),
                body: String::new(),
                head: head.into(),
                base: base.into(),
                state: "merged".into(),
                user: user.into(),
                created_at: published - chrono::Duration::days(2),
                requested_users: vec![],
                requested_teams: vec![],
            });
        }
    });
    let mut a = FakeAdvisory::new(repo, GHSA, "published", created).coordinator("ada");
    a.summary = "Quadratic complexity when folding email headers with many encoded words".into();
    a.description = "The `email` package's header folding (`email._header_value_parser`) \
re-scanned the folded line for every RFC 2047 encoded word, so serializing a header \
with many encoded words took time quadratic in its length. A program that formats \
messages with attacker-controlled headers (a mail gateway, a web form that sends \
email) could be made to spend minutes of CPU on one message.\n\n\
Folding is now linear in the header's length: \
https://github.com/python/cpython/pull/139001 \
(reported in https://github.com/python/cpython/issues/138999)."
        .into();
    a.author = Some("quinn-sec".into());
    a.credits = vec![
        ("quinn-sec".into(), "finder".into()),
        ("ada".into(), "coordinator".into()),
        ("grace".into(), "remediation_developer".into()),
        ("alan".into(), "remediation_reviewer".into()),
        ("anon-helper".into(), "analyst".into()),
    ];
    a.published_at = Some(published);
    a.updated_at = published + chrono::Duration::hours(3);
    fake.advisory(a);
    fake.advisory_details(
        GHSA,
        FakeDetails {
            cve_id: Some("CVE-2026-3151".into()),
            severity: Some("medium".into()),
            cvss_v3: None,
            cvss_v4: Some("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:L/SC:N/SI:N/SA:N".into()),
            cwes: vec![(
                "CWE-407".into(),
                "Inefficient Algorithmic Complexity".into(),
            )],
            vulnerabilities: vec![
                FakeVulnerability::new("other", "CPython", "< 3.14.2", Some("3.14.2")),
                FakeVulnerability::new("other", "CPython", ">= 3.15.0, < 3.15.1", Some("3.15.1")),
            ],
            credit_states: vec![("anon-helper".into(), "declined".into())],
            database_references: Some(vec![
                format!("https://github.com/{repo}/security/advisories/{GHSA}"),
                "https://nvd.nist.gov/vuln/detail/CVE-2026-3151".into(),
                "https://github.com/python/cpython/issues/138999".into(),
                "https://github.com/python/cpython/pull/139001".into(),
                "https://github.com/python/cpython/pull/139050".into(),
            ]),
        },
    );
    GHSA
}
