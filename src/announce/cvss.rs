//! Severity from the advisory's CVSS vector, scored by RustSec's `cvss`
//! crate (psrt computes the score itself; it does not copy GitHub's).
//!
//! The devguide asks coordinators to score in CVSS v4. An advisory scored
//! only in CVSS v3.x is still announced, scored as v3 in the records, with a
//! note that says so; a vector that does not parse is an error naming the
//! field it came from.

use std::str::FromStr;

use serde::Serialize;
use serde_json::{Value, json};

/// Where GitHub keeps each vector, for error messages.
pub const V4_FIELD: &str = "cvss_severities.cvss_v4.vector_string";
pub const V3_FIELD: &str = "cvss_severities.cvss_v3.vector_string";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Version {
    #[serde(rename = "4.0")]
    V4_0,
    #[serde(rename = "3.1")]
    V3_1,
    #[serde(rename = "3.0")]
    V3_0,
}

impl Version {
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V4_0 => "4.0",
            Version::V3_1 => "3.1",
            Version::V3_0 => "3.0",
        }
    }
}

/// The qualitative rating (the same scale in v3 and v4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// As the devguide's template and CVE JSON write it: `HIGH`.
    pub fn as_upper(self) -> &'static str {
        match self {
            Severity::None => "NONE",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
    fn from_crate(s: cvss::Severity) -> Self {
        match s {
            cvss::Severity::None => Severity::None,
            cvss::Severity::Low => Severity::Low,
            cvss::Severity::Medium => Severity::Medium,
            cvss::Severity::High => Severity::High,
            cvss::Severity::Critical => Severity::Critical,
        }
    }
}

/// A scored vector.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    pub version: Version,
    /// The vector in its canonical form (metric order as the specification writes it).
    pub vector: String,
    /// Rounded to one decimal, as the specifications publish scores.
    pub score: f64,
    pub severity: Severity,
}

/// A vector that cannot be used, naming the field it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorError {
    pub field: &'static str,
    pub message: String,
    pub help: String,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Scores a CVSS v4.0 vector string.
pub fn score_v4(vector: &str) -> Result<Scored, String> {
    let v = cvss::v4::Vector::from_str(vector.trim()).map_err(|e| e.to_string())?;
    let (value, severity) = (v.score().value(), v.score().severity());
    Ok(Scored {
        version: Version::V4_0,
        vector: v.to_string(),
        score: round1(value),
        severity: Severity::from_crate(severity),
    })
}

/// Scores a CVSS v3.0 or v3.1 vector string (the base score).
pub fn score_v3(vector: &str) -> Result<Scored, String> {
    let v = cvss::v3::Vector::from_str(vector.trim()).map_err(|e| e.to_string())?;
    // The crate accepts a v3 vector without all its base metrics; a score
    // from half a vector would be wrong, so every one must be there.
    let given: Vec<&str> = vector
        .trim()
        .split('/')
        .skip(1)
        .filter_map(|p| p.split_once(':').map(|(k, _)| k))
        .collect();
    let missing: Vec<&str> = V3_BASE
        .iter()
        .map(|(code, _, _)| *code)
        .filter(|code| !given.iter().any(|g| g.eq_ignore_ascii_case(code)))
        .collect();
    if !missing.is_empty() {
        return Err(format!("missing base metric(s) {}", missing.join(", ")));
    }
    let s = v.score();
    let version = match v.minor_version {
        0 => Version::V3_0,
        _ => Version::V3_1,
    };
    Ok(Scored {
        version,
        vector: v.to_string(),
        score: round1(s.value()),
        severity: Severity::from_crate(s.severity()),
    })
}

/// The advisory's score: its CVSS v4 vector, else its v3 one (with a note
/// that the devguide asks for v4).
pub fn from_advisory(
    v4: Option<&str>,
    v3: Option<&str>,
) -> Result<(Scored, Option<String>), VectorError> {
    fn present(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|s| !s.is_empty())
    }
    if let Some(v) = present(v4) {
        return score_v4(v).map(|s| (s, None)).map_err(|why| VectorError {
            field: V4_FIELD,
            message: format!("`{v}` is not a CVSS v4.0 vector: {why}"),
            help: "fix the CVSS v4 score in the advisory (Edit > Severity > CVSS v4), then run psrt announce again".to_owned(),
        });
    }
    if let Some(v) = present(v3) {
        return match score_v3(v) {
            Ok(s) => {
                let note = format!(
                    "the advisory is scored in CVSS v{} only ({} {}); the records carry that score, but the devguide asks for CVSS v4: rescore it in the advisory (Edit > Severity > CVSS v4) and run psrt announce again",
                    s.version.as_str(),
                    s.score,
                    s.severity.as_upper()
                );
                Ok((s, Some(note)))
            }
            Err(why) => Err(VectorError {
                field: V3_FIELD,
                message: format!("`{v}` is not a CVSS v3 vector: {why}"),
                help: "score the advisory in CVSS v4, as the devguide asks (Edit > Severity > CVSS v4)".to_owned(),
            }),
        };
    }
    Err(VectorError {
        field: V4_FIELD,
        message: "missing: the advisory has no CVSS vector".to_owned(),
        help: "score the advisory in CVSS v4, as the devguide asks (Edit > Severity > CVSS v4): the announcement's severity comes from it".to_owned(),
    })
}

/// A metric's code, CVE JSON's name for it, and its values spelled out.
type MetricNames = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// Base metric names and values as CVE JSON spells them.
const V4_BASE: &[MetricNames] = &[
    (
        "AV",
        "attackVector",
        &[
            ("N", "NETWORK"),
            ("A", "ADJACENT"),
            ("L", "LOCAL"),
            ("P", "PHYSICAL"),
        ],
    ),
    ("AC", "attackComplexity", &[("L", "LOW"), ("H", "HIGH")]),
    (
        "AT",
        "attackRequirements",
        &[("N", "NONE"), ("P", "PRESENT")],
    ),
    (
        "PR",
        "privilegesRequired",
        &[("N", "NONE"), ("L", "LOW"), ("H", "HIGH")],
    ),
    (
        "UI",
        "userInteraction",
        &[("N", "NONE"), ("P", "PASSIVE"), ("A", "ACTIVE")],
    ),
    ("VC", "vulnConfidentialityImpact", IMPACT),
    ("VI", "vulnIntegrityImpact", IMPACT),
    ("VA", "vulnAvailabilityImpact", IMPACT),
    ("SC", "subConfidentialityImpact", IMPACT),
    ("SI", "subIntegrityImpact", IMPACT),
    ("SA", "subAvailabilityImpact", IMPACT),
];

const V3_BASE: &[MetricNames] = &[
    (
        "AV",
        "attackVector",
        &[
            ("N", "NETWORK"),
            ("A", "ADJACENT_NETWORK"),
            ("L", "LOCAL"),
            ("P", "PHYSICAL"),
        ],
    ),
    ("AC", "attackComplexity", &[("L", "LOW"), ("H", "HIGH")]),
    (
        "PR",
        "privilegesRequired",
        &[("N", "NONE"), ("L", "LOW"), ("H", "HIGH")],
    ),
    ("UI", "userInteraction", &[("N", "NONE"), ("R", "REQUIRED")]),
    ("S", "scope", &[("U", "UNCHANGED"), ("C", "CHANGED")]),
    ("C", "confidentialityImpact", IMPACT),
    ("I", "integrityImpact", IMPACT),
    ("A", "availabilityImpact", IMPACT),
];

const IMPACT: &[(&str, &str)] = &[("H", "HIGH"), ("L", "LOW"), ("N", "NONE")];

/// The `metrics` entry of a CVE record: `cvssV4_0` (or `cvssV3_1` /
/// `cvssV3_0`) with the vector, base score, severity and the base metrics
/// spelled out.
pub fn cve_metric(s: &Scored) -> Value {
    let (key, table) = match s.version {
        Version::V4_0 => ("cvssV4_0", V4_BASE),
        Version::V3_1 => ("cvssV3_1", V3_BASE),
        Version::V3_0 => ("cvssV3_0", V3_BASE),
    };
    let mut m = serde_json::Map::new();
    m.insert("version".into(), json!(s.version.as_str()));
    m.insert("vectorString".into(), json!(s.vector));
    m.insert("baseScore".into(), json!(s.score));
    m.insert("baseSeverity".into(), json!(s.severity.as_upper()));
    for part in s.vector.split('/').skip(1) {
        let Some((k, v)) = part.split_once(':') else {
            continue;
        };
        if let Some((_, name, values)) = table.iter().find(|(code, _, _)| *code == k) {
            if let Some((_, word)) = values.iter().find(|(c, _)| *c == v) {
                m.insert((*name).to_owned(), json!(word));
            }
        }
    }
    json!({
        "format": "CVSS",
        "scenarios": [{ "lang": "en", "value": "GENERAL" }],
        key: Value::Object(m),
    })
}

/// The OSV `severity` type for the version.
pub fn osv_type(s: &Scored) -> &'static str {
    match s.version {
        Version::V4_0 => "CVSS_V4",
        Version::V3_1 | Version::V3_0 => "CVSS_V3",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference vectors and their CVSS v4.0 scores.
    ///
    /// The first five are the example vectors of the FIRST CVSS v4.0
    /// Specification Document, section 7 ("Vector String"): base metrics
    /// only (CVSS-B), with Threat (CVSS-BT), with Environmental (CVSS-BE),
    /// with Supplemental (which never changes a score), and all of them
    /// (CVSS-BTE). The specification gives the vectors, not their scores;
    /// every expected score here was computed with Red Hat's independent
    /// Python implementation (PyPI `cvss` 3.6, `CVSS4(v).base_score`, which
    /// scores the whole vector), and the CVSS-B example's 5.1 is also the
    /// FIRST calculator's as recorded in other implementations' test
    /// suites. `9.3` and `8.5` are the values in the project's verified
    /// facts; `5.2`, `5.8` and `7.9` are regression vectors from the
    /// go-cvss40 test suite, checked against the FIRST calculator there.
    const V4_REFERENCE: &[(&str, f64, Severity)] = &[
        // FIRST v4.0 specification, section 7: CVSS-B.
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N",
            5.1,
            Severity::Medium,
        ),
        // Section 7: CVSS-BT (Exploit Maturity: Attacked is the worst case: no change).
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N/E:A",
            5.1,
            Severity::Medium,
        ),
        // Section 7: CVSS-BE.
        (
            "CVSS:4.0/AV:L/AC:H/AT:N/PR:N/UI:A/VC:N/VI:N/VA:L/SC:H/SI:H/SA:H/CR:H/IR:H/AR:M/MAV:N/MAC:L/MAT:P/MPR:L/MUI:A/MVC:N/MVI:H/MVA:L/MSC:L/MSI:S/MSA:H",
            8.5,
            Severity::High,
        ),
        // Section 7: CVSS-B with Supplemental metrics.
        (
            "CVSS:4.0/AV:P/AC:H/AT:P/PR:L/UI:P/VC:H/VI:H/VA:H/SC:L/SI:L/SA:L/E:A/S:P/AU:Y/R:A/V:D/RE:L/U:Red",
            5.4,
            Severity::Medium,
        ),
        // Section 7: CVSS-BTE with Supplemental metrics.
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N/E:U/CR:L/IR:X/AR:L/MAV:A/MAC:H/MAT:N/MPR:N/MUI:P/MVC:X/MVI:N/MVA:H/MSC:N/MSI:L/MSA:S/S:N/AU:N/R:I/V:C/RE:H/U:Green",
            4.2,
            Severity::Medium,
        ),
        // go-cvss40 regression vectors (FIRST calculator values).
        (
            "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:P/VC:N/VI:H/VA:H/SC:N/SI:L/SA:L",
            5.2,
            Severity::Medium,
        ),
        (
            "CVSS:4.0/AV:N/AC:H/AT:N/PR:H/UI:N/VC:N/VI:N/VA:H/SC:H/SI:H/SA:H/CR:L/IR:L/AR:L",
            5.8,
            Severity::Medium,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:H/SI:H/SA:H",
            7.9,
            Severity::High,
        ),
        // FIRST example: network, no privileges, high impact on the vulnerable system.
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            9.3,
            Severity::Critical,
        ),
        // FIRST example: local, low privileges, high impact.
        (
            "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            8.5,
            Severity::High,
        ),
        // Confidentiality only (the shape of an information leak).
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N",
            8.7,
            Severity::High,
        ),
        // Every impact high, on the subsequent systems too: the maximum.
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
            10.0,
            Severity::Critical,
        ),
        // High complexity, attack requirements and passive user interaction.
        (
            "CVSS:4.0/AV:N/AC:H/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            7.7,
            Severity::High,
        ),
        // A denial of service (availability low), the shape of many CPython ReDoS reports.
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:L/SC:N/SI:N/SA:N",
            6.9,
            Severity::Medium,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N",
            8.2,
            Severity::High,
        ),
        // Physical access, high privileges, active interaction: near the minimum.
        (
            "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N",
            1.0,
            Severity::Low,
        ),
    ];

    #[test]
    fn cvss_v4_reference_vectors_score_as_published() {
        for (vector, score, severity) in V4_REFERENCE {
            let s = score_v4(vector).unwrap_or_else(|e| panic!("{vector}: {e}"));
            assert_eq!((s.score, s.severity), (*score, *severity), "{vector}");
            assert_eq!(s.vector, *vector, "canonical form");
        }
    }

    #[test]
    fn cvss_v3_vectors_score_and_say_the_devguide_wants_v4() {
        for (vector, score, severity) in [
            // Network, no privileges, high impact: 9.8 (Red Hat's `cvss` 3.6 agrees).
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                9.8,
                Severity::Critical,
            ),
            // The PSF CNA's record of CVE-2023-5752 (pip): baseScore 5.5, MEDIUM.
            (
                "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:H/A:N",
                5.5,
                Severity::Medium,
            ),
        ] {
            let (s, note) = from_advisory(None, Some(vector)).unwrap();
            assert_eq!(
                (s.version, s.score, s.severity),
                (Version::V3_1, score, severity)
            );
            assert!(note.unwrap().contains("the devguide asks for CVSS v4"));
        }
    }

    #[test]
    fn a_missing_or_malformed_vector_names_the_field() {
        let e = from_advisory(None, None).unwrap_err();
        assert_eq!(e.field, V4_FIELD);
        assert!(e.message.contains("missing"));
        let e = from_advisory(Some("CVSS:4.0/AV:X/AC:L"), None).unwrap_err();
        assert_eq!(e.field, V4_FIELD);
        assert!(e.message.contains("not a CVSS v4.0 vector"), "{e:?}");
        // A v3 vector in the v4 field is malformed, not silently v3.
        let e =
            from_advisory(Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), None).unwrap_err();
        assert_eq!(e.field, V4_FIELD);
        let e = from_advisory(None, Some("CVSS:3.1/AV:N")).unwrap_err();
        assert_eq!(e.field, V3_FIELD);
        // v4 wins over v3 when both are there.
        let (s, note) = from_advisory(
            Some("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N"),
            Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        )
        .unwrap();
        assert_eq!((s.version, note), (Version::V4_0, None));
    }

    #[test]
    fn garbage_vectors_never_panic() {
        for v in [
            "",
            "CVSS:4.0",
            "CVSS:4.0/",
            "CVSS:4.0/AV",
            "CVSS:4.0/AV:N/AV:N",
            "CVSS:9.9/AV:N",
            "🦀",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:Z",
        ] {
            let _ = score_v4(v);
            let _ = score_v3(v);
        }
    }

    #[test]
    fn the_cve_metric_spells_out_the_base_metrics() {
        let s =
            score_v4("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N").unwrap();
        let m = cve_metric(&s);
        assert_eq!(m["cvssV4_0"]["baseScore"], json!(8.7));
        assert_eq!(m["cvssV4_0"]["baseSeverity"], json!("HIGH"));
        assert_eq!(m["cvssV4_0"]["attackVector"], json!("NETWORK"));
        assert_eq!(m["cvssV4_0"]["vulnConfidentialityImpact"], json!("HIGH"));
        assert_eq!(m["cvssV4_0"]["subAvailabilityImpact"], json!("NONE"));
    }
}
