//! GitHub's version ranges (`vulnerable_version_range`: `< 3.12.9`,
//! `>= 3.13.0, < 3.13.2`, `= 1.2.3`, `<= 2.0`) read into a bound pair that
//! CVE JSON (`version` / `lessThan` / `lessThanOrEqual`) and OSV (`introduced`
//! / `fixed` / `last_affected`) can both express.

use serde::Serialize;

/// One affected range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Range {
    /// Exactly one version (`= X`).
    Exact(String),
    /// From `from` (inclusive; `None`: every earlier version) up to the upper bound.
    Span { from: Option<String>, upper: Upper },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Upper {
    /// `< X`: X is the first version not affected.
    Before(String),
    /// `<= X`: X is the last version affected.
    Through(String),
    /// No upper bound: every later version is affected.
    Open,
}

/// Parses GitHub's range syntax; the error says what is wrong.
pub fn parse(text: &str) -> Result<Range, String> {
    let mut from: Option<String> = None;
    let mut upper: Option<Upper> = None;
    let mut exact: Option<String> = None;
    let parts: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        return Err("empty range".to_owned());
    }
    for part in parts {
        let (op, version) = ["<=", ">=", "<", ">", "="]
            .iter()
            .find_map(|op| part.strip_prefix(op).map(|v| (*op, v.trim())))
            .ok_or_else(|| {
                format!("`{part}`: expected an operator (<, <=, >=, =) and a version")
            })?;
        if version.is_empty() || version.contains(char::is_whitespace) {
            return Err(format!("`{part}`: expected one version after `{op}`"));
        }
        let v = version.to_owned();
        let slot_taken = |what: &str| Err(format!("`{text}`: more than one {what} bound"));
        match op {
            ">=" if from.is_none() => from = Some(v),
            ">=" => return slot_taken("lower"),
            ">" => {
                return Err(format!(
                    "`{part}`: an exclusive lower bound cannot be written in CVE JSON or OSV; use `>=` with the first affected version"
                ));
            }
            "<" if upper.is_none() => upper = Some(Upper::Before(v)),
            "<=" if upper.is_none() => upper = Some(Upper::Through(v)),
            "<" | "<=" => return slot_taken("upper"),
            _ if exact.is_none() => exact = Some(v),
            _ => return slot_taken("exact"),
        }
    }
    match (exact, from, upper) {
        (Some(v), None, None) => Ok(Range::Exact(v)),
        (Some(_), _, _) => Err(format!(
            "`{text}`: `=` cannot be combined with other bounds"
        )),
        (None, from, upper) => Ok(Range::Span {
            from,
            upper: upper.unwrap_or(Upper::Open),
        }),
    }
}

impl Range {
    /// For people: "before 3.12.9", "3.13.0 and later, before 3.13.2".
    pub fn describe(&self) -> String {
        match self {
            Range::Exact(v) => format!("{v} only"),
            Range::Span { from, upper } => {
                let up = match upper {
                    Upper::Before(v) => format!("before {v}"),
                    Upper::Through(v) => format!("up to and including {v}"),
                    Upper::Open => "and every later version".to_owned(),
                };
                match from {
                    Some(f) if matches!(upper, Upper::Open) => format!("{f} {up}"),
                    Some(f) => format!("{f} and later, {up}"),
                    None if matches!(upper, Upper::Open) => "every version".to_owned(),
                    None => up,
                }
            }
        }
    }

    /// The first version that is not affected, when the range says it.
    pub fn fixed(&self) -> Option<&str> {
        match self {
            Range::Span {
                upper: Upper::Before(v),
                ..
            } => Some(v),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_githubs_range_syntax() {
        assert_eq!(
            parse("< 3.12.9").unwrap(),
            Range::Span {
                from: None,
                upper: Upper::Before("3.12.9".into())
            }
        );
        assert_eq!(
            parse(">= 3.13.0, < 3.13.2").unwrap(),
            Range::Span {
                from: Some("3.13.0".into()),
                upper: Upper::Before("3.13.2".into())
            }
        );
        assert_eq!(
            parse("<= 24.0").unwrap(),
            Range::Span {
                from: None,
                upper: Upper::Through("24.0".into())
            }
        );
        assert_eq!(parse("= 1.2.3").unwrap(), Range::Exact("1.2.3".into()));
        assert_eq!(
            parse(">= 2.0").unwrap(),
            Range::Span {
                from: Some("2.0".into()),
                upper: Upper::Open
            }
        );
        assert_eq!(
            parse(">=3.13.0,<3.13.2").unwrap(),
            parse(">= 3.13.0, < 3.13.2").unwrap()
        );
    }

    #[test]
    fn refuses_what_the_records_cannot_say() {
        for bad in [
            "", "3.12", "> 3.0", "< 1, < 2", "= 1, < 2", "< 3.12 9", ">=", "~= 1.0",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn describes_ranges_for_people() {
        assert_eq!(parse("< 3.12.9").unwrap().describe(), "before 3.12.9");
        assert_eq!(
            parse(">= 3.13.0, < 3.13.2").unwrap().describe(),
            "3.13.0 and later, before 3.13.2"
        );
        assert_eq!(parse("= 1.0").unwrap().describe(), "1.0 only");
        assert_eq!(
            parse("<= 2.0").unwrap().describe(),
            "up to and including 2.0"
        );
    }
}
