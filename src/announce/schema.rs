//! The official schemas every record is checked against before it is
//! written: CVE JSON 5.1 (bundled, draft-07) and OSV (draft 2020-12), both
//! embedded, so the check needs no network and cannot drift from the files
//! in `schema/` (their provenance is in `schema/README.md`).

use std::sync::LazyLock;

use serde_json::Value;

pub const CVE_SCHEMA_FILE: &str = "schema/cve-record-5.1-bundled.schema.json";
pub const OSV_SCHEMA_FILE: &str = "schema/osv-schema.json";
/// The definition a CNA container must satisfy.
pub const CNA_CONTAINER: &str = "#/definitions/cnaPublishedContainer";

const CVE_SCHEMA: &str = include_str!("../../schema/cve-record-5.1-bundled.schema.json");
const OSV_SCHEMA: &str = include_str!("../../schema/osv-schema.json");

/// The verdict on one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Which schema (and definition) judged it.
    pub against: String,
    /// Every violation, `instance path: message`; empty when valid.
    pub errors: Vec<String>,
}

impl Verdict {
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_valid() {
            write!(f, "valid against {}", self.against)
        } else {
            write!(
                f,
                "INVALID against {}: {} problem(s)",
                self.against,
                self.errors.len()
            )
        }
    }
}

struct Compiled {
    cve: jsonschema::ValidatorMap,
    osv: jsonschema::Validator,
}

/// Built once per process: the CVE schema compiles in tens of milliseconds.
static COMPILED: LazyLock<Result<Compiled, String>> = LazyLock::new(|| {
    let parse = |name: &str, text: &str| -> Result<Value, String> {
        serde_json::from_str(text).map_err(|e| format!("{name}: {e}"))
    };
    let cve = jsonschema::draft7::options()
        .build_map(&parse(CVE_SCHEMA_FILE, CVE_SCHEMA)?)
        .map_err(|e| format!("{CVE_SCHEMA_FILE}: {e}"))?;
    let osv = jsonschema::draft202012::options()
        .build(&parse(OSV_SCHEMA_FILE, OSV_SCHEMA)?)
        .map_err(|e| format!("{OSV_SCHEMA_FILE}: {e}"))?;
    Ok(Compiled { cve, osv })
});

fn judge(validator: Option<&jsonschema::Validator>, against: String, v: &Value) -> Verdict {
    let errors = match validator {
        Some(val) => val
            .iter_errors(v)
            .map(|e| {
                let at = e.instance_path().to_string();
                format!("{}: {e}", if at.is_empty() { "/" } else { &at })
            })
            .collect(),
        None => vec![format!(
            "the schema did not compile: {}",
            COMPILED.as_ref().err().map_or("no such definition", |e| e)
        )],
    };
    Verdict { against, errors }
}

/// A CNA container, against the bundled schema's `cnaPublishedContainer`.
pub fn cna_container(v: &Value) -> Verdict {
    let validator = COMPILED
        .as_ref()
        .ok()
        .and_then(|c| c.cve.get(CNA_CONTAINER));
    judge(validator, format!("{CVE_SCHEMA_FILE} ({CNA_CONTAINER})"), v)
}

/// A whole CVE record, against the bundled schema's root.
pub fn cve_record(v: &Value) -> Verdict {
    let validator = COMPILED.as_ref().ok().and_then(|c| c.cve.get("#"));
    judge(validator, CVE_SCHEMA_FILE.to_owned(), v)
}

/// An OSV record.
pub fn osv_record(v: &Value) -> Verdict {
    let validator = COMPILED.as_ref().ok().map(|c| &c.osv);
    judge(validator, OSV_SCHEMA_FILE.to_owned(), v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_schemas_compile() {
        assert!(COMPILED.is_ok(), "{:?}", COMPILED.as_ref().err());
    }

    /// The validator can fail: each broken record is caught, with the path.
    #[test]
    fn broken_records_are_caught() {
        let v = cna_container(&json!({ "providerMetadata": { "orgId": "not-a-uuid" } }));
        assert!(!v.is_valid());
        assert!(v.errors.iter().any(|e| e.contains("descriptions")), "{v:?}");
        assert!(
            v.errors
                .iter()
                .any(|e| e.starts_with("/providerMetadata/orgId")),
            "{v:?}"
        );

        let v = osv_record(&json!({ "id": "NOPE-1", "modified": "yesterday" }));
        assert!(!v.is_valid());
        assert!(v.errors.iter().any(|e| e.starts_with("/id")), "{v:?}");
        assert!(v.errors.iter().any(|e| e.starts_with("/modified")), "{v:?}");

        let v = osv_record(&json!({
            "id": "GHSA-aaaa-bbbb-cccc", "modified": "2026-01-01T00:00:00Z",
            "affected": [{ "ranges": [{ "type": "GIT", "events": [{ "introduced": "0" }, { "fixed": "abc" }] }] }]
        }));
        assert!(!v.is_valid(), "a GIT range without a repo and a short sha");
    }
}
