//! YAML text → [`Node`] tree with positions, straight from `granit-parser`'s
//! events (the parser serde-saphyr runs), in one pass.
//!
//! This is the fast path of [`super::load`]. It builds exactly the tree that
//! deserialising `Spanned<Node>` through serde-saphyr builds (same nodes,
//! same lines, columns and byte offsets; tests compare the two on every
//! roster in the repository and on generated ones), without serde-saphyr's
//! per-node synthesised span maps. Plain scalars are resolved here the way
//! serde-saphyr resolves them for an untyped value with `strict_booleans`:
//! `null`/`~`/empty, `true`/`false`, integers (decimal, `0x`, `0o`, `0b`),
//! floats; anything else, and every quoted or block scalar, is a string.
//!
//! Whenever this reader cannot vouch that its tree is the one serde-saphyr
//! would build, it returns `None` and the caller takes serde-saphyr's path,
//! which then gives today's tree or today's error, word for word: a syntax
//! error, a tag, an anchor or alias, a merge key (`<<`), a key that is not a
//! string in a mapping of several entries, a duplicate key, a non-finite
//! float, more than one document, no document, or input near serde-saphyr's
//! default budget (events, nodes, depth, bytes). Rosters use none of these.

use std::borrow::Cow;

use granit_parser::{Event, Parser, ScalarStyle, Span};

use super::source::{Node, Spanned};
use crate::diag::Loc;

/// serde-saphyr's default budget, with a margin: beyond these the general
/// path decides (and reports the breach as today).
const MAX_EVENTS: usize = 990_000;
const MAX_NODES: usize = 245_000;
const MAX_DEPTH: usize = 48;
const MAX_BYTES: usize = 32 * 1024 * 1024;

/// The parser options serde-saphyr 2.2 uses with its default `Options`, so
/// that both see the same events and the same errors.
fn parser_options() -> granit_parser::Options {
    granit_parser::options! {
        simple_key_max_lookahead: 1024,
        flow_nesting_limit: 255,
        block_nesting_limit: 255,
        emit_comments: true,
        max_buffered_comment_events: 32,
        strict_indentation: false,
        bom_inside_document_as_content: false,
    }
}

enum Frame {
    Seq(Spanned<()>, Vec<Spanned<Node>>),
    Map(
        Spanned<()>,
        Vec<(Spanned<Node>, Spanned<Node>)>,
        Option<Spanned<Node>>,
    ),
}

/// The tree of a one-document YAML text, or `None` when serde-saphyr's
/// path must decide (see the module documentation).
pub fn read(text: &str) -> Option<Spanned<Node>> {
    if text.len() > MAX_BYTES {
        return None;
    }
    let mut parser = Parser::new_from_str_with_options(text, parser_options());
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Spanned<Node>> = None;
    let (mut events, mut nodes, mut documents) = (0usize, 0usize, 0usize);
    loop {
        let (event, span) = parser.next_event()?.ok()?;
        let is_seq = matches!(event, Event::SequenceStart(..));
        events += 1;
        if events > MAX_EVENTS {
            return None;
        }
        let node = match event {
            Event::StreamStart | Event::DocumentEnd => continue,
            Event::StreamEnd => break,
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return None;
                }
                continue;
            }
            #[allow(unreachable_patterns)] // `comments` is on: serde-saphyr enables it
            Event::Comment(..) => continue,
            Event::Scalar(value, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                nodes += 1;
                Spanned {
                    value: resolve(value, style)?,
                    loc: loc(&span),
                    offset: span.start.byte_offset(),
                }
            }
            Event::SequenceStart(_, anchor, tag) | Event::MappingStart(_, anchor, tag) => {
                if anchor != 0 || tag.is_some() || stack.len() >= MAX_DEPTH {
                    return None;
                }
                nodes += 1;
                let at = Spanned {
                    value: (),
                    loc: loc(&span),
                    offset: span.start.byte_offset(),
                };
                stack.push(if is_seq {
                    Frame::Seq(at, Vec::new())
                } else {
                    Frame::Map(at, Vec::new(), None)
                });
                continue;
            }
            Event::SequenceEnd => match stack.pop()? {
                Frame::Seq(at, items) => at.with(Node::Seq(items)),
                Frame::Map(..) => return None,
            },
            Event::MappingEnd => match stack.pop()? {
                Frame::Map(at, entries, None) if distinct_string_keys(&entries)? => {
                    at.with(Node::Map(entries))
                }
                _ => return None,
            },
            // Aliases, anchor metadata and anything newer: the general path.
            _ => return None,
        };
        if nodes > MAX_NODES {
            return None;
        }
        match stack.last_mut() {
            None if root.is_none() => root = Some(node),
            None => return None,
            Some(Frame::Seq(_, items)) => items.push(node),
            Some(Frame::Map(_, entries, pending)) => match pending.take() {
                Some(key) => entries.push((key, node)),
                None => {
                    match &node.value {
                        Node::Seq(_) | Node::Map(_) => return None,
                        Node::Str(s) if s == "<<" => return None,
                        _ => {}
                    }
                    *pending = Some(node);
                }
            },
        }
    }
    if documents != 1 || !stack.is_empty() {
        return None;
    }
    root
}

impl Spanned<()> {
    fn with(self, value: Node) -> Spanned<Node> {
        Spanned {
            value,
            loc: self.loc,
            offset: self.offset,
        }
    }
}

/// `Some(true)` when every key is a string and no two are equal; `None`
/// when serde-saphyr must judge (its duplicate check compares integers by
/// value, nulls and tags by meaning: only string keys are compared here).
fn distinct_string_keys(entries: &[(Spanned<Node>, Spanned<Node>)]) -> Option<bool> {
    if entries.len() < 2 {
        return Some(true);
    }
    let mut keys = Vec::with_capacity(entries.len());
    for (k, _) in entries {
        keys.push(k.value.as_str()?);
    }
    if keys.len() <= 16 {
        for (i, a) in keys.iter().enumerate() {
            if keys[i + 1..].contains(a) {
                return None;
            }
        }
    } else {
        keys.sort_unstable();
        if keys.windows(2).any(|w| w[0] == w[1]) {
            return None;
        }
    }
    Some(true)
}

/// Where serde-saphyr says a node is: the start of its event's span.
fn loc(span: &Span) -> Loc {
    let line = u32::try_from(span.start.line()).unwrap_or(u32::MAX).max(1);
    let col = u32::try_from(span.start.col().saturating_add(1))
        .unwrap_or(u32::MAX)
        .max(1);
    Loc { line, col }
}

/// A scalar's value, as serde-saphyr's `deserialize_any` resolves an
/// untagged one with `strict_booleans` (YAML 1.2 core schema); `None` for a
/// non-finite float, which serde-saphyr rejects by default.
fn resolve(value: Cow<'_, str>, style: ScalarStyle) -> Option<Node> {
    if style != ScalarStyle::Plain {
        return Some(Node::Str(value.into_owned()));
    }
    if matches!(&*value, "" | "~" | "null" | "Null" | "NULL") {
        return Some(Node::Null);
    }
    let t = value.trim_matches([' ', '\t', '\r', '\n']);
    // Only a scalar that starts like a number or a boolean can be one.
    let first = t.as_bytes().first().copied().unwrap_or(b' ');
    if !matches!(
        first,
        b'0'..=b'9' | b'+' | b'-' | b'.' | b't' | b'T' | b'f' | b'F'
    ) {
        return Some(Node::Str(value.into_owned()));
    }
    match t {
        "true" | "True" | "TRUE" => return Some(Node::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Node::Bool(false)),
        _ => {}
    }
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    let uppercase_radix = matches!(unsigned.as_bytes(), [b'0', b'X' | b'O' | b'B', ..]);
    let signed_nan = t.len() != unsigned.len() && matches!(unsigned, ".nan" | ".NaN" | ".NAN");
    if uppercase_radix || signed_nan {
        return Some(Node::Str(value.into_owned()));
    }
    let int = if t.starts_with('-') {
        if leading_zero_decimal(t) {
            None
        } else {
            parse_int(t).filter(|n| i64::try_from(*n).is_ok())
        }
    } else {
        parse_int(t).filter(|n| u64::try_from(*n).is_ok())
    };
    if let Some(n) = int {
        return Some(Node::Int(n));
    }
    match parse_float(t) {
        Some(f) if f.is_finite() => Some(Node::Float(f)),
        Some(_) => None,
        None => Some(Node::Str(value.into_owned())),
    }
}

/// `0127`, `-0127`: a decimal integer with a redundant leading zero.
fn leading_zero_decimal(t: &str) -> bool {
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())
}

/// An integer in YAML 1.2 core form (optional sign; decimal without a
/// leading zero, or `0x`/`0o`/`0b`; `_` between digits), within `i128`.
fn parse_int(t: &str) -> Option<i128> {
    let (neg, rest) = match t.strip_prefix('+') {
        Some(r) => (false, r),
        None => match t.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, t),
        },
    };
    let (radix, digits) = if let Some(r) = rest.strip_prefix("0x").or(rest.strip_prefix("0X")) {
        (16, r)
    } else if let Some(r) = rest.strip_prefix("0o").or(rest.strip_prefix("0O")) {
        (8, r)
    } else if let Some(r) = rest.strip_prefix("0b").or(rest.strip_prefix("0B")) {
        (2, r)
    } else {
        if rest.starts_with('0') && rest != "0" {
            return None;
        }
        (10, rest)
    };
    let bytes = digits.as_bytes();
    let mut magnitude: u128 = 0;
    let mut saw = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'_' {
            let prev_ok = i > 0 && bytes.get(i - 1) != Some(&b'_');
            let next_ok = bytes.get(i + 1).is_some_and(|n| *n != b'_');
            if !prev_ok || !next_ok {
                return None;
            }
            continue;
        }
        let d = char::from(b).to_digit(radix)?;
        magnitude = magnitude
            .checked_mul(u128::from(radix))?
            .checked_add(u128::from(d))?;
        saw = true;
    }
    if !saw {
        return None;
    }
    if neg {
        0i128.checked_sub_unsigned(magnitude)
    } else {
        i128::try_from(magnitude).ok()
    }
}

/// A float in YAML 1.2 form: `.inf`/`.nan` spellings, or what Rust's float
/// parser reads when finite, or a numeral that overflows to infinity.
fn parse_float(t: &str) -> Option<f64> {
    let (negative, unsigned) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    match unsigned {
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        ".inf" | ".Inf" | ".INF" if negative => return Some(f64::NEG_INFINITY),
        ".inf" | ".Inf" | ".INF" => return Some(f64::INFINITY),
        _ => {}
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(v),
        Ok(v) if unsigned.as_bytes().first().is_some_and(u8::is_ascii_digit) => Some(v),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roster::load::parse_tree_general;

    /// The event reader's tree, positions included, is serde-saphyr's; or
    /// the reader defers. Returns whether it took the fast path.
    fn agrees(text: &str) -> bool {
        match read(text) {
            Some(fast) => {
                assert_eq!(Ok(&fast), parse_tree_general(text).as_ref(), "{text:?}");
                true
            }
            None => false,
        }
    }

    /// A roster like the benchmark's: `n` members, every field or today's three.
    pub(crate) fn generated(n: usize, full: bool) -> String {
        let mut s = String::from(
            "version: 1\ngithub:\n  org: python\n  team: psrt\n  advisory_repos: [python/cpython, pypa/pip]\n",
        );
        if full {
            s.push_str("mailman:\n  list: security.python.org\ndiscord:\n  guild: \"1234567890123456789\"\n  role: '2345678901234567890'\n");
        }
        s.push_str("steering_council: [member-0]\nmembers:\n");
        for i in 0..n {
            let roles = if i < 3 { "[admin]" } else { "[]" };
            if full {
                s.push_str(&format!(
                    "  # member {i}\n  - name: Mémber {i}\n    github: member-{i}\n    github_id: {}\n    email: \"age:{}\"\n    discord: \"{}\"\n    roles: {roles}\n    since: 2020-01-01\n    last_active: 2025-06-01\n",
                    1000 + i,
                    "YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOS".repeat(8),
                    100_000_000_000_000_000u64 + i as u64
                ));
            } else {
                s.push_str(&format!(
                    "  - name: Member {i}\n    github: member-{i}\n    roles: {roles}\n"
                ));
            }
        }
        s
    }

    #[test]
    fn the_rosters_in_the_repository_read_the_same() {
        for text in [
            include_str!("../../roster.yaml"),
            include_str!("../../examples/roster.yaml"),
        ] {
            assert!(agrees(text), "took the general path");
        }
    }

    #[test]
    fn generated_rosters_read_the_same_at_10000_members() {
        for full in [true, false] {
            let text = generated(10_000, full);
            assert!(agrees(&text), "took the general path (full: {full})");
            assert!(agrees(&text.replace('\n', "\r\n")), "CRLF");
        }
    }

    #[test]
    fn workflows_read_the_same_or_defer() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/.github/workflows");
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            agrees(&text);
        }
    }

    #[test]
    fn scalars_resolve_as_serde_saphyr_resolves_them() {
        let plain = [
            "",
            "~",
            "null",
            "Null",
            "NULL",
            "nULL",
            "true",
            "True",
            "TRUE",
            "tRUE",
            "false",
            "False",
            "no",
            "yes",
            "on",
            "y",
            "0",
            "-0",
            "+0",
            "00",
            "01",
            "-01",
            "+01",
            "0127",
            "7",
            "+7",
            "-7",
            "1_000",
            "1__0",
            "_1",
            "1_",
            "0x1F",
            "0X1F",
            "0x_1",
            "-0x10",
            "+0x10",
            "0o17",
            "0O17",
            "0o8",
            "0b101",
            "0B101",
            "0b2",
            "-0b1",
            "0x",
            "0o",
            "-",
            "+",
            ".",
            "1.5",
            "-1.5",
            "+1.5",
            "1.",
            ".5",
            "1e3",
            "1E3",
            "-1e-3",
            "1.5e+10",
            "1_0.5",
            "1e999",
            "-1e999",
            "9e400",
            ".inf",
            "-.inf",
            "+.inf",
            ".Inf",
            ".INF",
            ".nan",
            ".NaN",
            "-.nan",
            "+.NaN",
            "inf",
            "-inf",
            "nan",
            "NaN",
            "infinity",
            "Infinity",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "170141183460469231731687303715884105728",
            "0xFFFFFFFFFFFFFFFF",
            "0x10000000000000000",
            "-0x8000000000000000",
            "-0x8000000000000001",
            "2020-01-01",
            "12:30",
            "1:2:3",
            "1,000",
            "$1",
            "v1",
            "age:abc",
            "a b",
            "x #y",
            "3456789012345678901",
            "1e",
            "e1",
            "1e+",
            "0.0",
            "-0.0",
            "1.0e0",
            "1d",
            "0xg",
            "true_",
            "falsey",
        ];
        for v in plain {
            for text in [
                format!("k: {v}\n"),
                format!("- {v}\n"),
                format!("[{v}]\n"),
                format!("{{k: {v}}}\n"),
                format!("k: \"{v}\"\n"),
                format!("k: '{v}'\n"),
                format!("k: |\n  {v}\n"),
                format!("k: >-\n  {v}\n"),
                format!("{v}: k\n"),
                format!("{v}: k\nother: 1\n"),
                format!("\"{v}\": k\n{v}: j\n"),
            ] {
                agrees(&text);
            }
            // Only non-finite floats (rejected by serde-saphyr) and `-` (a
            // sequence entry, here a syntax error) are left to it.
            let non_finite = v.contains(".inf") || v.contains(".Inf") || v.contains(".INF");
            let non_finite = non_finite || v.ends_with("e999") || v == "9e400";
            let nan = matches!(v, ".nan" | ".NaN");
            assert_eq!(
                agrees(&format!("k: {v}\n")),
                !(non_finite || nan || v == "-"),
                "{v}"
            );
        }
    }

    #[test]
    fn positions_are_serde_saphyr_positions() {
        for text in [
            "version: 1\nmembers:\n  - name: A\n    github: a\n  -\n    name: B\n",
            "a:\n  b:\n    - [1, {c: d}]\n    -   \"q\"\n",
            "\u{feff}k: v\n",
            "---\nk: v\n...\n",
            "# c\n\n  k:   v   # c\n  l:\n",
            "k: \"é\u{1F600}\" \nl: 'x''y'\nm: \"a\\tb\\u00e9\"\n",
            "k: a\n  b\n  c\nl: |+\n  x\n\n",
            "? k\n: v\n? [x]\n: y\n",
            "k: {a: 1, b: [2, 3], c: }\n",
            "",
            "# only a comment\n",
            "k:\n",
            "- \n- ~\n-\n",
        ] {
            agrees(text);
        }
    }

    #[test]
    fn what_serde_saphyr_decides_goes_to_it() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: !custom x\n",
            "base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n",
            "<<: {x: 1}\n",
            "a: 1\na: 2\n",
            "1: a\n0x1: b\n",
            "~: a\nnull: b\n",
            "? [a]\n: 1\n",
            "a: 1\n---\nb: 2\n",
            "",
            "# only a comment\n",
            "a: .inf\n",
            "a: .nan\n",
            "a: [\n",
            "a:\n\tb: 1\n",
            "a: b: c\n",
            "\"a\": 1\na: 2\n",
        ] {
            assert!(!agrees(text), "{text:?} should defer");
        }
        let deep = format!("{}1{}", "[".repeat(60), "]".repeat(60));
        assert!(!agrees(&deep));
        let wide: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        assert!(agrees(&wide));
        assert!(
            !agrees(&format!("{wide}k7: again\n")),
            "duplicate in a big map"
        );
    }
}
