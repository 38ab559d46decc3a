//! YAML text → [`Node`] tree with positions, straight from `granit-parser`'s
//! events (the parser serde-saphyr runs), in one pass; a large roster in two
//! halves at once ([`read_in_two`]), one per core.
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

/// Where a piece of text starts in the whole: the parser of a piece counts
/// lines and bytes from its own start; nodes are placed in the whole.
#[derive(Clone, Copy, Default)]
struct Base {
    /// Line breaks before the piece.
    lines: usize,
    /// Bytes before the piece.
    bytes: usize,
    /// Open collections around the piece (for the depth budget).
    depth: usize,
}

/// The tree of one piece of text, and what it cost against the budget.
struct Piece {
    root: Spanned<Node>,
    events: usize,
    nodes: usize,
    /// The document ends with `...`, not at the end of the text.
    explicit_end: bool,
    /// The last scalar is empty: an empty value, or a block scalar with no
    /// content. The parser places such a node at the token after it, which
    /// for the last one of a piece is in the next piece.
    ends_empty: bool,
}

/// Below this size one thread reads the whole text (and [`super::load`]
/// walks the tree on one): a second one would not pay for itself.
pub(super) const PARALLEL_BYTES: usize = 256 * 1024;

/// The tree of a one-document YAML text, or `None` when serde-saphyr's
/// path must decide (see the module documentation).
///
/// A large roster is read in two halves on two threads (see
/// [`read_in_two`]); whenever the halves cannot vouch for the whole, the
/// whole is read on one.
pub fn read(text: &str) -> Option<Spanned<Node>> {
    let two = text.len() >= PARALLEL_BYTES
        && std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2);
    if two && let Some(root) = read_in_two(text) {
        return Some(root);
    }
    read_whole(text)
}

/// The whole text on this thread.
pub fn read_whole(text: &str) -> Option<Spanned<Node>> {
    if text.len() > MAX_BYTES {
        return None;
    }
    let piece = read_piece(text, Base::default())?;
    (piece.events <= MAX_EVENTS && piece.nodes <= MAX_NODES).then_some(piece.root)
}

/// The text in two halves read at once, cut at the start of a `members`
/// entry near the middle; `None` when there is no such entry or when the
/// pieces cannot vouch for the whole.
///
/// Why the pieces are the whole. The cut is at the start of a line that
/// opens an entry of the block sequence under `members`, at its column. At
/// that line the parser of the whole is in block context with no scalar,
/// flow collection or key open (any of those left open makes the first
/// half fail), and the line's indentation closes every node of the entry
/// before it, as the end of the first half does. From there the parser of
/// the whole reads entries of that sequence, as a parser of the second half
/// alone does, up to the first line that starts in column 1 with anything
/// but a comment (or, for a sequence in column 1, a `-`): that line closes
/// the sequence and goes on with the mapping at the root, as a parser of
/// that rest alone does. So the whole is the first half's tree, with the
/// second half's entries appended to `members` and the rest's entries to
/// the root, provided that `members` is the block sequence the first half
/// ends in (the last value of a block mapping at the root, with its `-` in
/// the second half's column, its document not ended by `...`) and that the
/// rest is a block mapping in column 1 whose keys are new. One thing the
/// state does not decide is where an empty node is: the parser places an
/// empty value, or a block scalar with no content, at the token after it;
/// when that token is past a cut, the piece before it cannot know it, so a
/// piece that ends in an empty scalar is refused too. Tests check this against the one-thread
/// reader on every roster in the repository, generated ones, and mutated
/// ones.
pub fn read_in_two(text: &str) -> Option<Spanned<Node>> {
    if text.len() > MAX_BYTES {
        return None;
    }
    let cut = split_point(text)?;
    let indentless = text[cut..].starts_with('-');
    let end = cut + end_of_sequence(&text[cut..], indentless);
    let (head, entries, rest) = (&text[..cut], &text[cut..end], &text[end..]);
    let base = |at: usize, depth: usize| Base {
        lines: line_breaks(&text[..at]),
        bytes: at,
        depth,
    };
    let (entries_base, rest_base) = (base(cut, 2), base(end, 0));
    let (first, second, third) = std::thread::scope(|s| {
        let second = s.spawn(move || read_piece(entries, entries_base));
        let first = read_piece(head, Base::default());
        let third = match rest.trim_start_matches(['\r', '\n']).is_empty() {
            true => Some(None),
            false => read_piece(rest, rest_base).map(Some),
        };
        (first, second.join().ok().flatten(), third)
    });
    let (mut first, second, third) = (first?, second?, third?);
    // A `...` before the cut ends the document there: what follows is
    // another one.
    if first.explicit_end || second.explicit_end {
        return None;
    }
    // An empty node just before a cut is placed, in the whole, at the first
    // token after the cut: the piece that ends there cannot say where.
    if first.ends_empty || (second.ends_empty && third.is_some()) {
        return None;
    }
    let byte_at = |node: &Spanned<Node>| node.offset.and_then(|o| text.as_bytes().get(o).copied());
    // The second half is entries of one block sequence, from the cut.
    let entry_col = second.root.loc.col;
    if byte_at(&second.root) != Some(b'-')
        || second.root.offset != Some(cut + entry_col as usize - 1)
    {
        return None;
    }
    let Node::Seq(more) = second.root.value else {
        return None;
    };
    // The first half ends in `members:`, a block sequence with its `-` in
    // that column, the last entry of a block mapping at the root.
    if byte_at(&first.root) == Some(b'{') {
        return None;
    }
    let Node::Map(root) = &mut first.root.value else {
        return None;
    };
    let (key, members) = root.last_mut()?;
    // A block sequence starts at its first `-`; one in its key's column
    // ("indentless") starts at its first entry's value.
    let dash_col = match byte_at(members) {
        Some(b'-') => members.loc.col,
        Some(b'[') | None => return None,
        Some(_) => key.loc.col,
    };
    if key.value.as_str() != Some("members") || dash_col != entry_col {
        return None;
    }
    let Node::Seq(items) = &mut members.value else {
        return None;
    };
    if items.is_empty() {
        return None;
    }
    items.extend(more);
    let (mut events, mut nodes) = (first.events + second.events, first.nodes + second.nodes);
    // The rest, if any: more entries of the root mapping, in column 1.
    if let Some(third) = third {
        let block = byte_at(&third.root) != Some(b'{');
        let Node::Map(more) = third.root.value else {
            return None;
        };
        if !block || third.root.offset != Some(end) {
            return None;
        }
        root.extend(more);
        if !distinct_string_keys(root)? {
            return None;
        }
        events += third.events;
        nodes += third.nodes;
    }
    (events <= MAX_EVENTS && nodes <= MAX_NODES).then_some(first.root)
}

/// Where the entries from the cut end: the start of the first line that
/// starts in column 1 with anything but a comment, a line end or (for a
/// sequence in column 1) a `-`; the length of `text` when none does.
fn end_of_sequence(text: &str, indentless: bool) -> usize {
    let mut at = 0;
    while let Some(next) = text[at..].find('\n') {
        at += next + 1;
        match text.as_bytes().get(at) {
            None => break,
            Some(b' ' | b'#' | b'\r' | b'\n') => {}
            Some(b'-') if indentless => {}
            Some(_) => return at,
        }
    }
    text.len()
}

/// Where to cut: the start of the first line at or after the middle that
/// opens an entry of `members` (`members:` at the start of a line, then its
/// first entry's indentation and `- `); `None` when there is no such line.
fn split_point(text: &str) -> Option<usize> {
    let key = if text.starts_with("members:") {
        0
    } else {
        text.find("\nmembers:")? + 1
    };
    // The first entry: the next line that is neither blank nor a comment.
    let mut line_start = key + text[key..].find('\n')? + 1;
    let prefix = loop {
        let rest = &text[line_start..];
        let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
        let trimmed = line.trim_start_matches(' ');
        if trimmed.starts_with("- ") {
            break &rest[..line.len() - trimmed.len() + 2];
        }
        if !(trimmed.trim_end().is_empty() || trimmed.starts_with('#')) {
            return None;
        }
        line_start += line.len() + 1;
        if line_start >= text.len() {
            return None;
        }
    };
    let from = (text.len() / 2).max(line_start + 1);
    let needle = format!("\n{prefix}");
    let found = from + text.get(from..)?.find(&needle)? + 1;
    Some(found)
}

/// Line breaks in `text`, as YAML counts them (`\r\n`, `\r`, `\n`).
fn line_breaks(text: &str) -> usize {
    let b = text.as_bytes();
    b.iter()
        .enumerate()
        .filter(|&(i, &c)| c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')))
        .count()
}

/// One piece of text, one parser: the tree, or `None` for anything the
/// general path must decide.
fn read_piece(text: &str, base: Base) -> Option<Piece> {
    let mut parser = Parser::new_from_str_with_options(text, parser_options());
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Spanned<Node>> = None;
    let (mut events, mut nodes, mut documents) = (0usize, 0usize, 0usize);
    let (mut explicit_end, mut ends_empty) = (false, false);
    let place = |span: &Span| Spanned {
        value: (),
        loc: loc(span, base.lines),
        offset: span.start.byte_offset().map(|o| o + base.bytes),
    };
    loop {
        let (event, span) = parser.next_event()?.ok()?;
        let is_seq = matches!(event, Event::SequenceStart(..));
        events += 1;
        if events > MAX_EVENTS {
            return None;
        }
        let node = match event {
            Event::StreamStart => continue,
            Event::DocumentEnd => {
                explicit_end = !span.is_empty();
                continue;
            }
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
                // An empty node comes as a `~` of no width.
                ends_empty = span.is_empty()
                    || match style {
                        ScalarStyle::Plain => value.is_empty(),
                        ScalarStyle::Literal | ScalarStyle::Folded => value.trim().is_empty(),
                        _ => false,
                    };
                place(&span).with(resolve(value, style)?)
            }
            Event::SequenceStart(_, anchor, tag) | Event::MappingStart(_, anchor, tag) => {
                if anchor != 0 || tag.is_some() || base.depth + stack.len() >= MAX_DEPTH {
                    return None;
                }
                nodes += 1;
                let at = place(&span);
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
    Some(Piece {
        root: root?,
        events,
        nodes,
        explicit_end,
        ends_empty,
    })
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

/// Where serde-saphyr says a node is: the start of its event's span, after
/// `lines` line breaks that came before the parser's text.
fn loc(span: &Span, lines: usize) -> Loc {
    let line = u32::try_from(span.start.line().saturating_add(lines))
        .unwrap_or(u32::MAX)
        .max(1);
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
        if let Some(two) = read_in_two(text) {
            let general = parse_tree_general(text);
            assert_eq!(Ok(&two), general.as_ref(), "in two halves: {text:?}");
        }
        match read_whole(text) {
            Some(fast) => {
                let general = parse_tree_general(text);
                assert_eq!(Ok(&fast), general.as_ref(), "{text:?}");
                true
            }
            None => false,
        }
    }

    /// Whether the text was read in two halves (and agreed).
    fn splits(text: &str) -> bool {
        agrees(text);
        read_in_two(text).is_some()
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
    fn large_rosters_are_read_in_two_halves() {
        for full in [true, false] {
            let text = generated(10_000, full);
            assert!(text.len() >= PARALLEL_BYTES || !full);
            assert!(splits(&text), "full: {full}");
            assert!(splits(&text.replace('\n', "\r\n")), "CRLF");
            // Old Mac line ends (a lone CR) are read on one thread.
            assert!(!splits(&text.replace('\n', "\r")), "CR");
        }
        assert!(splits(include_str!("../../examples/roster.yaml")));
        assert!(splits(include_str!("../../roster.yaml")));
    }

    /// Cuts the halves must refuse (or get right): something left open at
    /// the cut, `members` not last, a cut inside a scalar, the entries at
    /// another column, a second document.
    #[test]
    fn halves_that_cannot_vouch_for_the_whole_defer() {
        let four = "  - a\n  - b\n  - c\n  - d\n";
        for (text, split) in [
            (format!("members:\n{four}"), true),
            (format!("version: 1\nmembers:\n  # first\n\n{four}"), true),
            ("members:\n- a\n- b\n- c\n- d\n".into(), true),
            (
                "members:\n- name: a\n  roles:\n  - x\n- name: b\n  roles:\n  - y\n".into(),
                true,
            ),
            (
                "members:\n  - name: A\n    github:\n  - name: B\n    github:\n  - c\n".into(),
                false,
            ),
            ("members:\n  - a\n  -\n  -\n  - b\n".into(), false),
            (
                "members:\n  - n: |+\n      x\n\n\n  - n: |+\n      y\n\n  - c\n".into(),
                true,
            ),
            (
                "members:\n  - n: >\n      x\n      y\n\n  - n: >-\n      z\n  - c\n".into(),
                true,
            ),
            ("members:\n  - a\n    b\n  - c\n    d\n  - e\n".into(), true),
            (
                "members:\n  - ? k\n    : v\n  - ? k\n    : v\n".into(),
                true,
            ),
            (format!("members:\n{four}...\n"), false),
            (format!("members:\n{four}# end\n"), true),
            (format!("members:\n{four}other: 1\n"), true),
            (
                format!("members:\n{four}{four}{four}\nemeritus:\n  - e\n# end\nlast: 1\n"),
                true,
            ),
            (
                format!("members:\n{four}\nemeritus:\n  - e\n  - f\n  - g\n"),
                false,
            ),
            (format!("members:\n{four}notes: |\n  - x\n  - y\n"), false),
            (
                format!("members:\n{four}{four}{four}notes: |\n  - x\n  - y\n"),
                true,
            ),
            (format!("members:\n{four}members: 1\n"), false),
            (format!("a: 1\nmembers:\n{four}a: 2\n"), false),
            (format!("members:\n{four}{{a: 1}}\n"), false),
            (format!("members:\n{four}- e\n"), false),
            (format!("members:\n{four}x\n"), false),
            ("members:\n- a\n- b\n- c\n# c\n- d\nother: 1\n".into(), true),
            // An empty node just before a cut is placed after it.
            ("members:\n  - a\n  - |\n  - b\n  - c\n".into(), false),
            (
                "members:\n  - name: A\n    notes: |\n  - name: B\n    notes: x\n".into(),
                false,
            ),
            (
                "members:\n- name: A\n- name: B\n  notes: |\n\n- name: C\n".into(),
                false,
            ),
            ("members:\n  - a\n  - b\n  - |\nother: 1\n".into(), false),
            (
                "members:\n  - a\n  - b\n  - >2-\n\n  \nother: 1\n".into(),
                false,
            ),
            ("members:\n  - a\n  - ? k\n  - b\n  - c\n".into(), false),
            ("members:\n  - a\n  - ?\n  - b\n  - c\n".into(), false),
            (
                "members:\n  - a\n  - k:\n  # c\n\n  - b\n  - c\n".into(),
                false,
            ),
            ("members:\n  - a\n  - b\n  - |\n".into(), true),
            (format!("members:\n{four}---\nother: 1\n"), false),
            (
                "members:\n  - a\nnotes: |\n  - b\n  - c\n  - d\n".into(),
                false,
            ),
            ("members:\n  - \"a\n  - b\n  - c\"\n  - d\n".into(), false),
            ("members:\n  - 'a\n  - b\n  - c'\n".into(), false),
            ("members: [a,\n  - b,\n  - c]\n".into(), false),
            ("members:\n  - {a: 1,\n  - b: 2,\n  - c: 3}\n".into(), false),
            ("members:\n  - a\n  - b\n - c\n - d\n".into(), false),
            ("members:\n  - a\n  - b\n    - c\n  - d\n".into(), true),
            ("members:\n  - &x a\n  - b\n  - *x\n".into(), false),
            ("github:\n  members:\n  - a\n  - b\n  - c\n".into(), false),
            ("members:\n  - a\n\t- b\n  - c\n  - d\n".into(), false),
            ("members:\n  - a\n  - b\n  -\tc\n  - d\n".into(), true),
            (
                "members:\n  - a: 1\n    a: 2\n  - b\n  - c: 1\n    c: 2\n".into(),
                false,
            ),
        ] {
            assert_eq!(splits(&text), split, "{text:?}");
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
