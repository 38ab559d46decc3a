//! Reading `roster.yaml`: bytes → YAML tree with positions → schema check →
//! domain model. Every problem found on the way is a [`Diagnostic`]; nothing
//! here panics, whatever the input.

use std::path::Path;

use super::model::Roster;
use super::schema;
use super::source::{Node, Seg, Source, Spanned};
use crate::diag::{Diagnostic, Loc};
use serde::de::value::{Error as DeError, MapDeserializer, SeqDeserializer};
use serde::de::{Deserialize, Deserializer, Error as _, IntoDeserializer, Visitor};

/// A roster that has been read and has the right shape. Rules beyond shape
/// are checked by [`super::validate`].
#[derive(Debug, Clone)]
pub struct Loaded {
    pub roster: Roster,
    pub source: Source,
}

/// Why a roster could not be read.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be read at all.
    Io(std::io::Error),
    /// The file was read but is not a roster; `text` is there for snippets.
    Invalid {
        diagnostics: Vec<Diagnostic>,
        text: Option<String>,
    },
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io(e) => write!(f, "cannot read the roster: {e}"),
            LoadError::Invalid { diagnostics, .. } => {
                let n = diagnostics.iter().filter(|d| d.is_error()).count();
                write!(
                    f,
                    "the roster has {n} error(s); run `psrt check` to see them"
                )
            }
        }
    }
}

impl std::error::Error for LoadError {}

/// Reads and parses the roster at `path`.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let bytes = std::fs::read(path).map_err(LoadError::Io)?;
    parse(&bytes)
}

/// Parses roster bytes.
pub fn parse(bytes: &[u8]) -> Result<Loaded, LoadError> {
    let invalid = |d: Vec<Diagnostic>, text: Option<String>| LoadError::Invalid {
        diagnostics: d,
        text,
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_owned(),
        Err(e) => {
            let loc = loc_of_offset(bytes, e.valid_up_to());
            return Err(invalid(
                vec![
                    Diagnostic::error("encoding", loc, "the roster is not valid UTF-8")
                        .help("save the file as UTF-8"),
                ],
                None,
            ));
        }
    };
    let root = match parse_tree(&text) {
        Ok(root) => root,
        Err(d) => return Err(invalid(vec![d], Some(text))),
    };
    if matches!(root.value, Node::Null) {
        return Err(invalid(
            vec![
                Diagnostic::error("empty-roster", Loc::START, "the roster is empty")
                    .help("a roster needs at least `version`, `github` and `members`"),
            ],
            Some(text),
        ));
    }
    let mut diagnostics = Vec::new();
    schema::check(&root, &mut diagnostics);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(invalid(diagnostics, Some(text)));
    }
    let source = Source { text, root };
    match to_roster(&source) {
        Ok(roster) => Ok(Loaded { roster, source }),
        Err(d) => Err(invalid(vec![d], Some(source.text))),
    }
}

/// The tree of `text` with positions, through serde-saphyr's `Spanned`
/// deserialisation (anchors, aliases, merge keys and tags resolved), and
/// the wording and position of every YAML error.
pub fn parse_tree(text: &str) -> Result<Spanned<Node>, Diagnostic> {
    let options = serde_saphyr::options! {
        strict_booleans: true,
        with_snippet: false,
    };
    serde_saphyr::from_str_with_options::<Spanned<Node>>(text, options).map_err(|e| {
        let loc = e
            .location()
            .map(|l| Loc {
                line: u32::try_from(l.line()).unwrap_or(u32::MAX).max(1),
                col: u32::try_from(l.column()).unwrap_or(u32::MAX).max(1),
            })
            .unwrap_or(Loc::START);
        let message = plain_message(&e.to_string());
        if let Some(key) = message.strip_prefix("duplicate mapping key: ") {
            let key = key.split(',').next().unwrap_or(key).trim();
            Diagnostic::error(
                "duplicate-key",
                loc,
                format!("key `{key}` appears twice in the same mapping"),
            )
            .help("keep one of them")
        } else if let Some(tab) = message
            .contains("tab")
            .then(|| indentation_tab(text, loc))
            .flatten()
        {
            // The scanner reports the scalar before the tab (the line
            // above); point at the tab itself.
            Diagnostic::error(
                "yaml-syntax",
                tab,
                "a tab in the indentation: YAML indents with spaces only",
            )
            .help("replace the tab with spaces")
        } else {
            Diagnostic::error("yaml-syntax", loc, message)
        }
    })
}

/// The first tab in a line's indentation at or after `from`'s line.
fn indentation_tab(text: &str, from: Loc) -> Option<Loc> {
    let first = from.line.saturating_sub(1) as usize;
    text.lines().enumerate().skip(first).find_map(|(i, line)| {
        let indent = &line[..line.len() - line.trim_start_matches([' ', '\t']).len()];
        indent.find('\t').map(|col| Loc {
            line: u32::try_from(i + 1).unwrap_or(u32::MAX),
            col: u32::try_from(indent[..col].chars().count() + 1).unwrap_or(u32::MAX),
        })
    })
}

/// serde-saphyr's message without its "error: line N column M: " prefix.
fn plain_message(rendered: &str) -> String {
    let first = rendered.lines().next().unwrap_or(rendered);
    let s = first.strip_prefix("error: ").unwrap_or(first);
    let s = match s.strip_prefix("line ") {
        Some(rest) => rest.split_once(": ").map(|(_, m)| m).unwrap_or(rest),
        None => s,
    };
    s.to_owned()
}

fn loc_of_offset(bytes: &[u8], offset: usize) -> Loc {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.len()
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    Loc {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        col: u32::try_from(col).unwrap_or(u32::MAX),
    }
}

/// Builds the domain model from a tree that passed the schema check: the
/// same tree the schema walk read, deserialised in place (no second parse,
/// no copy). A failure here means the model and the schema disagree; it is
/// still reported at the right place rather than as a crash.
fn to_roster(source: &Source) -> Result<Roster, Diagnostic> {
    // Without path tracking first (it records every key it passes, a string
    // each); only a failure is read again to find where it is.
    if let Ok(roster) = Roster::deserialize(NodeDe(&source.root.value)) {
        return Ok(roster);
    }
    serde_path_to_error::deserialize::<_, Roster>(NodeDe(&source.root.value)).map_err(|e| {
        let path: Vec<Seg> = e
            .path()
            .iter()
            .filter_map(|seg| match seg {
                serde_path_to_error::Segment::Map { key } => Some(Seg::Key(key.clone())),
                serde_path_to_error::Segment::Seq { index } => Some(Seg::Index(*index)),
                _ => None,
            })
            .collect();
        Diagnostic::error(
            "invalid-value",
            source.value_loc(&path),
            e.inner().to_string(),
        )
    })
}

/// A serde deserializer over a borrowed [`Node`]: the typed model is read
/// from the tree with positions itself.
#[derive(Clone, Copy)]
struct NodeDe<'a>(&'a Node);

impl<'de> IntoDeserializer<'de, DeError> for NodeDe<'_> {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> Deserializer<'de> for NodeDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.0 {
            Node::Null => v.visit_unit(),
            Node::Bool(b) => v.visit_bool(*b),
            Node::Int(n) => match (u64::try_from(*n), i64::try_from(*n)) {
                (Ok(u), _) => v.visit_u64(u),
                (_, Ok(i)) => v.visit_i64(i),
                _ => v.visit_i128(*n),
            },
            Node::Float(f) => v.visit_f64(*f),
            Node::Str(s) => v.visit_str(s),
            Node::Seq(items) => {
                let mut seq = SeqDeserializer::new(items.iter().map(|i| NodeDe(&i.value)));
                let out = v.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(out)
            }
            Node::Map(entries) => {
                let mut map = MapDeserializer::new(
                    entries
                        .iter()
                        .map(|(k, val)| (NodeDe(&k.value), NodeDe(&val.value))),
                );
                let out = v.visit_map(&mut map)?;
                map.end()?;
                Ok(out)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.0 {
            Node::Null => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        match self.0 {
            Node::Str(s) => v.visit_enum(s.as_str().into_deserializer()),
            _ => self.deserialize_any(v).map_err(|_: DeError| {
                DeError::custom(format!("`{name}` is one of: {}", variants.join(", ")))
            }),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        v.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(src: &str) -> Vec<Diagnostic> {
        match parse(src.as_bytes()) {
            Ok(_) => vec![],
            Err(LoadError::Invalid { diagnostics, .. }) => diagnostics,
            Err(e) => panic!("{e}"),
        }
    }

    const MINIMAL: &str =
        "version: 1\ngithub: {org: python, team: psrt}\nmembers:\n  - name: A\n    github: a\n";

    #[test]
    fn minimal_roster_loads_with_defaults() {
        let loaded = parse(MINIMAL.as_bytes()).unwrap();
        assert_eq!(loaded.roster.members.len(), 1);
        assert_eq!(loaded.roster.policy.deadline_days, 90);
        assert_eq!(loaded.roster.policy.warn_days_left, vec![30, 14, 7, 1]);
    }

    #[test]
    fn every_unknown_key_is_reported_with_a_suggestion() {
        let src = "version: 1\ngithub: {org: python, team: psrt}\nmembers:\n  - name: A\n    github: a\n    emial: a@example.org\n  - name: B\n    githb: b\n";
        let d = errors(src);
        let rules: Vec<_> = d.iter().map(|d| (d.rule, d.loc.line, d.loc.col)).collect();
        assert_eq!(
            rules,
            vec![
                ("unknown-key", 6, 5),
                ("unknown-key", 8, 5),
                ("missing-key", 7, 5)
            ]
        );
        assert_eq!(d[0].help.as_deref(), Some("did you mean `email`?"));
        assert_eq!(d[1].help.as_deref(), Some("did you mean `github`?"));
        assert!(
            d[2].message.contains("member `B` has no `github`"),
            "{}",
            d[2].message
        );
    }

    #[test]
    fn missing_top_level_keys() {
        let d = errors("version: 1\n");
        let missing: Vec<_> = d
            .iter()
            .filter(|d| d.rule == "missing-key")
            .map(|d| d.message.clone())
            .collect();
        assert_eq!(
            missing,
            vec!["the roster has no `github`", "the roster has no `members`"]
        );
    }

    #[test]
    fn wrong_types_and_quotes_hint() {
        let src = format!("{MINIMAL}    discord: 3456789012345678901\n    github_id: abc\n");
        let d = errors(&src);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(d[0].rule, "wrong-type");
        assert!(
            d[0].help
                .as_deref()
                .unwrap()
                .contains("\"3456789012345678901\"")
        );
        assert_eq!(d[1].rule, "wrong-type");
    }

    #[test]
    fn unknown_role_and_bad_date() {
        let src = format!("{MINIMAL}    roles: [admn]\n    since: 2023-13-01\n");
        let d = errors(&src);
        assert_eq!(
            d.iter().map(|d| d.rule).collect::<Vec<_>>(),
            vec!["unknown-role", "date"]
        );
        assert!(
            d[0].help
                .as_deref()
                .unwrap()
                .starts_with("did you mean `admin`?")
        );
    }

    #[test]
    fn yaml_syntax_error_has_a_position() {
        let d = errors("version: 1\nmembers: [\n");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].rule, "yaml-syntax");
        assert!(d[0].loc.line >= 2);
    }

    #[test]
    fn a_tab_in_indentation_is_pointed_at() {
        for (src, line, col) in [
            (
                "version: 1\ngithub:\n  org: python\n\tteam: psrt\nmembers: []\n",
                4,
                1,
            ),
            ("version: 1\nmembers:\n  - name: a\n  \t  github: a\n", 4, 3),
        ] {
            let d = errors(src);
            assert_eq!(
                (d[0].rule, d[0].loc.line, d[0].loc.col),
                ("yaml-syntax", line, col),
                "{d:?}"
            );
            assert!(d[0].message.contains("tab"), "{}", d[0].message);
        }
    }

    #[test]
    fn duplicate_keys_are_named() {
        let d = errors("version: 1\nversion: 2\n");
        assert_eq!(d[0].rule, "duplicate-key");
        assert_eq!(d[0].loc.line, 2);
    }

    #[test]
    fn yaml_1_1_booleans_are_not_guessed() {
        // `legacy: no` is not `false` in YAML 1.2: say so instead of guessing.
        let d = errors(&format!("{MINIMAL}    legacy: no\n"));
        assert_eq!(d[0].rule, "wrong-type");
    }

    #[test]
    fn bad_bytes_and_empty_files() {
        assert_eq!(errors("")[0].rule, "empty-roster");
        assert_eq!(errors("# only a comment\n")[0].rule, "empty-roster");
        let d = match parse(b"version: 1\n\xff\n") {
            Err(LoadError::Invalid { diagnostics, .. }) => diagnostics,
            _ => panic!(),
        };
        assert_eq!((d[0].rule, d[0].loc.line, d[0].loc.col), ("encoding", 2, 1));
        assert_eq!(errors("[1, 2]")[0].rule, "wrong-type");
        assert_eq!(errors("\0")[0].rule, "yaml-syntax");
    }

    #[test]
    fn fraction_and_count_both_read() {
        let src = MINIMAL.replace(
            "members:",
            "policy:\n  approvals:\n    membership: {reviewers: members, required: \"2/3\", min_open_days: 7, veto: steering-council}\nmembers:",
        );
        let r = parse(src.as_bytes()).unwrap().roster;
        assert_eq!(r.policy.approvals.membership.required.to_string(), "2/3");
        let bad = MINIMAL.replace(
            "members:",
            "policy:\n  approvals:\n    membership: {reviewers: members, required: two}\nmembers:",
        );
        let d = errors(&bad);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].rule, "invalid-value");
    }
}
