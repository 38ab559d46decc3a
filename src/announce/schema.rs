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

type Compiled = Result<jsonschema::Validator, String>;

fn compile(file: &str, text: &str, wrap: impl FnOnce(Value) -> Value, draft7: bool) -> Compiled {
    let schema: Value = serde_json::from_str(text).map_err(|e| format!("{file}: {e}"))?;
    let schema = wrap(schema);
    let options = if draft7 {
        jsonschema::draft7::options()
    } else {
        jsonschema::draft202012::options()
    };
    options.build(&schema).map_err(|e| format!("{file}: {e}"))
}

/// The CNA container check: the bundled schema's definitions, unchanged,
/// under a root that requires `cnaPublishedContainer` (compiling only what
/// that definition reaches: a tenth of the time of compiling every
/// definition).
static CNA: LazyLock<Compiled> = LazyLock::new(|| {
    compile(
        CVE_SCHEMA_FILE,
        CVE_SCHEMA,
        |s| {
            serde_json::json!({
                "$schema": s.get("$schema").cloned().unwrap_or(Value::Null),
                "definitions": s.get("definitions").cloned().unwrap_or(Value::Null),
                "allOf": [{ "$ref": CNA_CONTAINER }],
            })
        },
        true,
    )
});
static RECORD: LazyLock<Compiled> =
    LazyLock::new(|| compile(CVE_SCHEMA_FILE, CVE_SCHEMA, |s| s, true));
static OSV: LazyLock<Compiled> =
    LazyLock::new(|| compile(OSV_SCHEMA_FILE, OSV_SCHEMA, |s| s, false));

fn judge(compiled: &Compiled, against: String, v: &Value) -> Verdict {
    let errors = match compiled {
        Ok(val) => val
            .iter_errors(v)
            .map(|e| {
                let at = e.instance_path().to_string();
                format!("{}: {e}", if at.is_empty() { "/" } else { &at })
            })
            .collect(),
        Err(e) => vec![format!("the schema did not compile: {e}")],
    };
    Verdict { against, errors }
}

/// A CNA container, against the bundled schema's `cnaPublishedContainer`.
pub fn cna_container(v: &Value) -> Verdict {
    judge(&CNA, format!("{CVE_SCHEMA_FILE} ({CNA_CONTAINER})"), v)
}

/// A whole CVE record, against the bundled schema's root.
pub fn cve_record(v: &Value) -> Verdict {
    judge(&RECORD, CVE_SCHEMA_FILE.to_owned(), v)
}

/// An OSV record.
pub fn osv_record(v: &Value) -> Verdict {
    judge(&OSV, OSV_SCHEMA_FILE.to_owned(), v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_schemas_compile() {
        for c in [&*CNA, &*RECORD, &*OSV] {
            assert!(c.is_ok(), "{:?}", c.as_ref().err());
        }
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
