//! Editing `roster.yaml` in place: a line edit guided by source positions,
//! not a re-serialisation, so comments, blank lines, ordering and every line
//! the edit does not touch stay byte for byte.
//!
//! Three edits exist: replacing scalar values where they stand ([`replace_scalars`],
//! for `psrt contacts rekey`), recording `github_id` under an entry's
//! `github` ([`insert_github_ids`], for `psrt pin-ids`), and retiring
//! members (the yearly inactivity pull request).
//! Each retired member's entry moves from `members` to the end of
//! `emeritus`, keeping the fields an emeritus entry has (`name`, `github`,
//! `github_id`, `roles`, with their comments) and gaining `left` and
//! `reason`; `last_inactivity_report` is set. Block style is supported (what
//! people write and `psrt import` produces); flow style (`members: [...]`) is
//! refused with a clear error.

use chrono::NaiveDate;

use super::load::Loaded;
use super::source::{Node, Spanned, loc_of};
use crate::diag::Diagnostic;

/// Fields an emeritus entry keeps from a member's entry.
const KEPT: &[&str] = &["name", "github", "github_id", "roles"];

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("roster.yaml writes `{0}` in flow style ([...]); psrt edits block-style lists only")]
    FlowStyle(&'static str),
    #[error("roster.yaml has no `members`")]
    NoMembers,
    #[error("retiring them would leave the roster without members")]
    WouldEmpty,
    #[error("a value to replace is not a one-line scalar")]
    NotAScalar,
    #[error("the edited roster does not pass psrt check: {}", .0.iter().map(|d| format!("{}:{}: {}", d.loc.line, d.loc.col, d.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Diagnostic>),
}

/// A line-level change: replace lines `start..end` (0-based) with `with`.
struct Splice {
    start: usize,
    end: usize,
    with: Vec<String>,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// Lines of `text`, each with its line ending.
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// `(first line, end line exclusive)` of each item of a block sequence, and
/// where the sequence ends. Trailing blank and comment lines belong to what
/// follows, not to the item before them.
fn item_ranges(
    ls: &[&str],
    items: &[Spanned<Node>],
    key_indent: usize,
) -> (Vec<(usize, usize)>, usize) {
    let starts: Vec<usize> = items
        .iter()
        .map(|item| {
            let mut l = loc_of(item).line as usize - 1;
            // `-` alone on its line, the mapping on the next: start at the dash.
            if !ls.get(l).is_some_and(|x| x.trim_start().starts_with('-')) {
                while l > 0
                    && is_blank_or_comment(ls[l - 1])
                    && !ls[l - 1].trim_start().starts_with('-')
                {
                    l -= 1;
                }
                if l > 0 && ls[l - 1].trim() == "-" {
                    l -= 1;
                }
            }
            l
        })
        .collect();
    // The sequence ends at the next line indented no more than its key.
    let after_last = starts.last().map_or(0, |s| s + 1);
    let mut seq_end = ls.len();
    for (i, l) in ls.iter().enumerate().skip(after_last) {
        if !is_blank_or_comment(l) && indent_of(l) <= key_indent && !l.trim_start().starts_with('-')
        {
            seq_end = i;
            break;
        }
    }
    let mut ranges = Vec::new();
    for (i, start) in starts.iter().enumerate() {
        let mut end = starts.get(i + 1).copied().unwrap_or(seq_end);
        while end > start + 1 && is_blank_or_comment(ls[end - 1]) {
            end -= 1;
        }
        // Comment lines right above an entry, at its dash's indentation,
        // are about that entry: they move with it.
        let dash = indent_of(ls[*start]);
        let floor = if i == 0 {
            0
        } else {
            ranges.last().map_or(0, |r: &(usize, usize)| r.1)
        };
        let mut first = *start;
        while first > floor
            && ls[first - 1].trim_start().starts_with('#')
            && indent_of(ls[first - 1]) == dash
        {
            first -= 1;
        }
        ranges.push((first, end));
    }
    let mut last_end = ranges.last().map_or(seq_end, |r| r.1);
    if ranges.is_empty() {
        last_end = seq_end;
    }
    (ranges, last_end)
}

/// Splits an item's lines into fields at the item's key indentation.
/// Returns (indent of keys, dash prefix, fields as (key, lines)).
fn fields(item: &[&str]) -> (usize, Vec<(String, Vec<String>)>) {
    let lead = item
        .iter()
        .take_while(|l| l.trim_start().starts_with('#'))
        .count();
    let (leading, item) = item.split_at(lead.min(item.len().saturating_sub(1)));
    let dash_line = item[0];
    let dash_col = indent_of(dash_line);
    let after_dash = &dash_line[dash_col + 1..];
    let key_indent = dash_col + 1 + (after_dash.len() - after_dash.trim_start_matches(' ').len());
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    // Leading comments go with the first field, re-indented to the keys.
    let mut pending_comments: Vec<String> = leading
        .iter()
        .map(|l| format!("{}{}", " ".repeat(key_indent), l.trim_start()))
        .collect();
    for (i, raw) in item.iter().enumerate() {
        // Normalise the dash line to a plain key line at the key indentation.
        let line = if i == 0 {
            format!(
                "{}{}",
                " ".repeat(key_indent),
                &raw[key_indent.min(raw.len())..]
            )
        } else {
            (*raw).to_owned()
        };
        if i == 0 && line.trim().is_empty() {
            continue; // a lone `-`
        }
        let ind = indent_of(&line);
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            pending_comments.push(line);
            continue;
        }
        if ind == key_indent {
            let key = t.split(':').next().unwrap_or("").trim().to_owned();
            let mut block = std::mem::take(&mut pending_comments);
            block.push(line);
            out.push((key, block));
        } else if let Some(last) = out.last_mut() {
            last.1.append(&mut pending_comments);
            last.1.push(line);
        }
    }
    (key_indent, out)
}

/// Re-indents `line` by `delta` spaces.
fn shift(line: &str, delta: isize) -> String {
    if delta >= 0 {
        if line.trim().is_empty() {
            line.to_owned()
        } else {
            format!("{}{line}", " ".repeat(delta as usize))
        }
    } else {
        let cut = (-delta as usize).min(indent_of(line));
        line[cut..].to_owned()
    }
}

/// Replaces scalar values in place: each `(node, value)` pair puts `value`
/// where `node`'s scalar is, in the same quoting style (plain, `'…'` or
/// `"…"`), on the same line; every other byte stays. `value` must need no
/// escaping in that style (the callers' values are base64).
pub fn replace_scalars(
    text: &str,
    edits: &[(&Spanned<Node>, String)],
) -> Result<String, EditError> {
    let mut ranges = Vec::with_capacity(edits.len());
    for (node, value) in edits {
        let (start, end) = scalar_extent(text, node).ok_or(EditError::NotAScalar)?;
        let quote = text[start..]
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'');
        let literal = match quote {
            Some(q) => format!("{q}{value}{q}"),
            None => value.clone(),
        };
        ranges.push((start, end, literal));
    }
    ranges.sort_by_key(|r| r.0);
    if ranges.windows(2).any(|w| w[0].1 > w[1].0) {
        return Err(EditError::NotAScalar);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end, literal) in ranges {
        out.push_str(&text[at..start]);
        out.push_str(&literal);
        at = end;
    }
    out.push_str(&text[at..]);
    Ok(out)
}

/// The byte range of a one-line scalar, quotes included.
fn scalar_extent(text: &str, node: &Spanned<Node>) -> Option<(usize, usize)> {
    if !matches!(node.value, Node::Str(_)) {
        return None;
    }
    let mut start = node.offset?;
    let bytes = text.as_bytes();
    // The span may start inside the quotes.
    if start > 0
        && matches!(bytes.get(start - 1), Some(b'"' | b'\''))
        && !matches!(bytes.get(start), Some(b'"' | b'\''))
    {
        start -= 1;
    }
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let rest = &text[start..line_end];
    let len = match rest.chars().next()? {
        q @ ('"' | '\'') => rest[1..].find(q)? + 2,
        _ => rest
            .find(" #")
            .unwrap_or(rest.len())
            .min(rest.trim_end().len()),
    };
    Some((start, start + len))
}

/// Where an entry stands: `members` or `emeritus`, and its index there.
pub type EntryAt = (&'static str, usize);

/// Records `github_id: N` on each entry at `(section, index)` that has
/// none, on its own line right after the entry's `github` line, at that
/// key's indentation; every other byte stays. Entries that already have a
/// `github_id` are left alone. The result must pass `psrt check`.
pub fn insert_github_ids(
    loaded: &Loaded,
    ids: &[(EntryAt, u64)],
    today: NaiveDate,
) -> Result<String, EditError> {
    let text = &loaded.source.text;
    let ls = lines(text);
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let root = &loaded.source.root.value;
    let mut after: std::collections::BTreeMap<usize, String> = std::collections::BTreeMap::new();
    for ((section, i), id) in ids {
        let (key, val) = root.get(section).ok_or(EditError::NoMembers)?;
        let Node::Seq(items) = &val.value else {
            return Err(EditError::NoMembers);
        };
        if loc_of(val).line == loc_of(key).line {
            return Err(EditError::FlowStyle(section));
        }
        let item = items.get(*i).ok_or(EditError::NotAScalar)?;
        if item.value.get("github_id").is_some() {
            continue;
        }
        let (gk, gv) = item.value.get("github").ok_or(EditError::NotAScalar)?;
        if !matches!(gv.value, Node::Str(_)) || loc_of(gk).line != loc_of(gv).line {
            return Err(EditError::NotAScalar);
        }
        let line = loc_of(gv).line as usize - 1;
        let col = loc_of(gk).col as usize - 1;
        // `- {name: x, github: y}` is a flow mapping: refused like `[...]`.
        let lead = ls
            .get(line)
            .and_then(|l| l.get(..col))
            .ok_or(EditError::NotAScalar)?;
        if !lead.chars().all(|c| c == ' ' || c == '-') {
            return Err(EditError::FlowStyle(section));
        }
        after.insert(line, format!("{}github_id: {id}{eol}", " ".repeat(col)));
    }
    let mut out = String::with_capacity(text.len() + after.len() * 24);
    for (n, l) in ls.iter().enumerate() {
        out.push_str(l);
        if let Some(add) = after.get(&n) {
            if !l.ends_with('\n') {
                out.push_str(eol);
            }
            out.push_str(add);
        }
    }
    validated(out, today)
}

/// `new_text` if it is a valid roster, or what it breaks.
fn validated(new_text: String, today: NaiveDate) -> Result<String, EditError> {
    let reloaded = match super::parse(new_text.as_bytes()) {
        Ok(r) => r,
        Err(super::LoadError::Invalid { diagnostics, .. }) => {
            return Err(EditError::Invalid(diagnostics));
        }
        Err(super::LoadError::Io(_)) => return Err(EditError::Invalid(vec![])),
    };
    let errors: Vec<Diagnostic> = super::validate::validate(&reloaded, today)
        .into_iter()
        .filter(Diagnostic::is_error)
        .collect();
    if !errors.is_empty() {
        return Err(EditError::Invalid(errors));
    }
    Ok(new_text)
}

/// Moves the members at `indices` (into `members`) to `emeritus` with
/// `left: date` and `reason: inactive`, and sets `last_inactivity_report`.
/// Returns the new text, which passes `psrt check`.
pub fn retire(
    loaded: &Loaded,
    indices: &[usize],
    date: NaiveDate,
    today: NaiveDate,
) -> Result<String, EditError> {
    retire_with_ids(
        loaded,
        indices,
        &std::collections::BTreeMap::new(),
        date,
        today,
    )
}

/// [`retire`], recording `github_id: N` on the emeritus entry of a member
/// (by index) whose entry has none: revocation matches former members by
/// id too, so a renamed account still loses access to embargoed reports.
pub fn retire_with_ids(
    loaded: &Loaded,
    indices: &[usize],
    ids: &std::collections::BTreeMap<usize, u64>,
    date: NaiveDate,
    today: NaiveDate,
) -> Result<String, EditError> {
    let text = &loaded.source.text;
    let ls = lines(text);
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let root = &loaded.source.root.value;
    let (members_key, members_val) = root.get("members").ok_or(EditError::NoMembers)?;
    let Node::Seq(member_items) = &members_val.value else {
        return Err(EditError::NoMembers);
    };
    if !member_items.is_empty() && loc_of(members_val).line == loc_of(members_key).line {
        return Err(EditError::FlowStyle("members"));
    }
    if indices.len() >= member_items.len() && !member_items.is_empty() {
        return Err(EditError::WouldEmpty);
    }
    let members_key_indent = loc_of(members_key).col as usize - 1;
    let (ranges, _) = item_ranges(&ls, member_items, members_key_indent);
    let mut splices: Vec<Splice> = Vec::new();
    let mut retired_entries: Vec<Vec<String>> = Vec::new();
    let mut sorted: Vec<usize> = indices
        .iter()
        .copied()
        .filter(|i| *i < ranges.len())
        .collect();
    sorted.sort_unstable();
    sorted.dedup();
    for &i in &sorted {
        let (start, end) = ranges[i];
        splices.push(Splice {
            start,
            end,
            with: vec![],
        });
        let item: Vec<&str> = ls[start..end].to_vec();
        let (key_indent, fs) = fields(&item);
        let pad = " ".repeat(key_indent);
        let has_id = fs.iter().any(|(k, _)| k == "github_id");
        let mut entry: Vec<String> = Vec::new();
        for (k, lines) in fs.into_iter().filter(|(k, _)| KEPT.contains(&k.as_str())) {
            entry.extend(lines);
            if let (false, "github", Some(id)) = (has_id, k.as_str(), ids.get(&i)) {
                entry.push(format!("{pad}github_id: {id}{eol}"));
            }
        }
        entry.push(format!("{pad}left: {date}{eol}"));
        entry.push(format!("{pad}reason: inactive{eol}"));
        for l in &mut entry {
            if !l.ends_with('\n') {
                l.push_str(eol);
            }
        }
        // The first key line takes the dash; comments above it sit at the dash.
        let dash_col = key_indent.saturating_sub(2);
        for l in entry.iter_mut() {
            if l.trim_start().starts_with('#') {
                *l = format!("{}{}", " ".repeat(dash_col), l.trim_start());
                continue;
            }
            *l = format!(
                "{}- {}",
                " ".repeat(dash_col),
                &l[key_indent.min(l.len())..]
            );
            break;
        }
        retired_entries.push(entry);
    }

    // Where the entries go: the end of `emeritus`, or a new `emeritus:`.
    let member_dash_col = ranges.first().map_or(2, |(s, _)| indent_of(ls[*s]));
    match root.get("emeritus") {
        Some((ekey, eval)) => {
            let ekey_line = loc_of(ekey).line as usize - 1;
            match &eval.value {
                Node::Seq(items) if !items.is_empty() => {
                    if loc_of(eval).line == loc_of(ekey).line {
                        return Err(EditError::FlowStyle("emeritus"));
                    }
                    let (eranges, end) = item_ranges(&ls, items, loc_of(ekey).col as usize - 1);
                    let target_dash = eranges
                        .first()
                        .map_or(member_dash_col, |(s, _)| indent_of(ls[*s]));
                    let with = reindent(&retired_entries, member_dash_col, target_dash);
                    splices.push(Splice {
                        start: end,
                        end,
                        with,
                    });
                }
                Node::Seq(_) | Node::Null => {
                    // `emeritus: []` or `emeritus:` with nothing: a block list from here.
                    let line = ls[ekey_line];
                    let key_end = line.find(':').map_or(line.len(), |i| i + 1);
                    let comment = line
                        .find(" #")
                        .map(|i| line[i..].trim_end_matches(['\r', '\n']).to_owned())
                        .unwrap_or_default();
                    let mut with = vec![format!("{}{comment}{eol}", &line[..key_end])];
                    with.extend(reindent(&retired_entries, member_dash_col, member_dash_col));
                    splices.push(Splice {
                        start: ekey_line,
                        end: ekey_line + 1,
                        with,
                    });
                }
                _ => return Err(EditError::FlowStyle("emeritus")),
            }
        }
        None => {
            let mut with = Vec::new();
            if !text.is_empty() && !text.ends_with('\n') {
                with.push(eol.to_owned());
            }
            with.push(format!("{eol}emeritus:{eol}"));
            with.extend(reindent(&retired_entries, member_dash_col, member_dash_col));
            splices.push(Splice {
                start: ls.len(),
                end: ls.len(),
                with,
            });
        }
    }

    // last_inactivity_report: replace the value, or a commented-out line,
    // or insert it above the comments that introduce `members`.
    match root.get("last_inactivity_report") {
        Some((_, v)) => {
            let l = loc_of(v).line as usize - 1;
            let col = loc_of(v).col as usize - 1;
            let line = ls[l];
            let token_end = line[col..]
                .find(|c: char| c.is_whitespace())
                .map_or(line.len(), |i| col + i);
            splices.push(Splice {
                start: l,
                end: l + 1,
                with: vec![format!("{}{date}{}", &line[..col], &line[token_end..])],
            });
        }
        None => {
            let commented = ls.iter().position(|l| {
                let t = l.trim_start();
                indent_of(l) == 0
                    && t.strip_prefix('#')
                        .is_some_and(|r| r.trim_start().starts_with("last_inactivity_report:"))
            });
            match commented {
                Some(l) => splices.push(Splice {
                    start: l,
                    end: l + 1,
                    with: vec![format!("last_inactivity_report: {date}{eol}")],
                }),
                None => {
                    let mut at = loc_of(members_key).line as usize - 1;
                    while at > 0 && ls[at - 1].trim_start().starts_with('#') {
                        at -= 1;
                    }
                    splices.push(Splice {
                        start: at,
                        end: at,
                        with: vec![
                            format!("last_inactivity_report: {date}{eol}"),
                            eol.to_owned(),
                        ],
                    });
                }
            }
        }
    }

    // Apply bottom-up so that earlier line numbers stay valid.
    splices.sort_by(|a, b| b.start.cmp(&a.start).then(b.end.cmp(&a.end)));
    let mut out: Vec<String> = ls.iter().map(|s| (*s).to_owned()).collect();
    for s in splices {
        out.splice(s.start..s.end, s.with);
    }
    let new_text: String = out.concat();

    // The result must be a valid roster.
    validated(new_text, today)
}

fn reindent(entries: &[Vec<String>], from_dash: usize, to_dash: usize) -> Vec<String> {
    let delta = to_dash as isize - from_dash as isize;
    entries.iter().flatten().map(|l| shift(l, delta)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }
    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
    }

    const ROSTER: &str = "\
# The roster
version: 1
github:
  org: python
  team: psrt
  eligibility_teams: [python-core]
  steering_council_team: steering-council

# Current members.
members:
  - name: Ada   # the first admin
    github: ada
    roles: [admin]

  # Bo keeps the list.
  - name: Bo
    github: bo
    github_id: 42
    email: bo@example.org
    discord: \"345678901234567890\"
    roles:
      - admin
    since: 2020-01-01
    last_active: 2024-01-01
  - name: Cy
    github: cy
    legacy: true
    roles: [admin]

# Former members.
emeritus:
  - name: Old
    roles: []
";

    /// Every line of `before` not in a removed range appears in `after`, in order.
    fn untouched_lines_survive(before: &str, after: &str, removed: &[&str]) {
        let mut it = after.split_inclusive('\n');
        for line in before.split_inclusive('\n') {
            if removed.contains(&line.trim_end()) {
                continue;
            }
            assert!(
                it.any(|l| l == line),
                "line {line:?} lost or reordered in:\n{after}"
            );
        }
    }

    #[test]
    fn moves_a_member_and_keeps_everything_else() {
        let loaded = crate::roster::parse(ROSTER.as_bytes()).unwrap();
        let out = retire(&loaded, &[1], date(), today()).unwrap();
        insta::assert_snapshot!(out, @r#"
        # The roster
        version: 1
        github:
          org: python
          team: psrt
          eligibility_teams: [python-core]
          steering_council_team: steering-council

        last_inactivity_report: 2026-11-20

        # Current members.
        members:
          - name: Ada   # the first admin
            github: ada
            roles: [admin]

          - name: Cy
            github: cy
            legacy: true
            roles: [admin]

        # Former members.
        emeritus:
          - name: Old
            roles: []
          # Bo keeps the list.
          - name: Bo
            github: bo
            github_id: 42
            roles:
              - admin
            left: 2026-11-20
            reason: inactive
        "#);
        let removed = [
            "  # Bo keeps the list.",
            "  - name: Bo",
            "    github: bo",
            "    github_id: 42",
            "    email: bo@example.org",
            "    discord: \"345678901234567890\"",
            "    roles:",
            "      - admin",
            "    since: 2020-01-01",
            "    last_active: 2024-01-01",
        ];
        untouched_lines_survive(ROSTER, &out, &removed);
    }

    #[test]
    fn sets_an_existing_date_and_creates_emeritus() {
        let text = ROSTER
            .replace(
                "\n# Former members.\nemeritus:\n  - name: Old\n    roles: []\n",
                "",
            )
            .replace(
                "# Current members.",
                "last_inactivity_report: 2025-11-01  # set by the Council\n\n# Current members.",
            );
        let loaded = crate::roster::parse(text.as_bytes()).unwrap();
        let out = retire(&loaded, &[2], date(), today()).unwrap();
        assert!(
            out.contains("last_inactivity_report: 2026-11-20  # set by the Council\n"),
            "{out}"
        );
        assert!(out.ends_with("\nemeritus:\n  - name: Cy\n    github: cy\n    roles: [admin]\n    left: 2026-11-20\n    reason: inactive\n"), "{out}");
    }

    #[test]
    fn a_retired_member_without_an_id_gets_the_one_given() {
        let loaded = crate::roster::parse(ROSTER.as_bytes()).unwrap();
        let ids = std::collections::BTreeMap::from([(2, 4242u64)]);
        let out = retire_with_ids(&loaded, &[2], &ids, date(), today()).unwrap();
        assert!(
            out.contains("  - name: Cy\n    github: cy\n    github_id: 4242\n    roles: [admin]\n    left: 2026-11-20\n"),
            "{out}"
        );
        let back = crate::roster::parse(out.as_bytes()).unwrap();
        let cy = back
            .roster
            .emeritus
            .iter()
            .find(|e| e.name == "Cy")
            .unwrap();
        assert_eq!(cy.github_id, Some(4242));
    }

    #[test]
    fn nobody_inactive_only_records_the_date() {
        let loaded = crate::roster::parse(ROSTER.as_bytes()).unwrap();
        let out = retire(&loaded, &[], date(), today()).unwrap();
        let diff: Vec<&str> = out
            .lines()
            .filter(|l| !ROSTER.lines().any(|o| o == *l))
            .collect();
        assert_eq!(diff, ["last_inactivity_report: 2026-11-20"]);
    }

    #[test]
    fn the_real_roster_edits_cleanly_for_any_choice_of_members() {
        let text = include_str!("../../roster.yaml");
        let loaded = crate::roster::parse(text.as_bytes()).unwrap();
        let n = loaded.roster.members.len();
        for pick in [
            vec![0],
            vec![n - 1],
            vec![3, 4, 10],
            (5..20).collect::<Vec<_>>(),
        ] {
            let out = retire(&loaded, &pick, date(), today()).unwrap();
            let after = crate::roster::parse(out.as_bytes()).unwrap().roster;
            assert_eq!(after.members.len(), n - pick.len());
            assert_eq!(after.last_inactivity_report, Some(date()));
            let moved: Vec<&str> = pick
                .iter()
                .map(|i| loaded.roster.members[*i].github.as_str())
                .collect();
            let tail: Vec<&str> = after
                .emeritus
                .iter()
                .rev()
                .take(pick.len())
                .rev()
                .map(|e| e.github.as_ref().unwrap().as_str())
                .collect();
            assert_eq!(tail, moved);
            assert!(
                after
                    .emeritus
                    .iter()
                    .rev()
                    .take(pick.len())
                    .all(|e| e.reason.as_deref() == Some("inactive") && e.left == Some(date()))
            );
            // The commented-out line is the one that became the key.
            assert!(!out.contains("# last_inactivity_report:"));
            let removed: Vec<String> = pick
                .iter()
                .flat_map(|i| {
                    let m = &loaded.roster.members[*i];
                    vec![
                        format!("  - name: {}", crate::roster::import::yaml_scalar(&m.name)),
                        format!("    github: {}", m.github),
                        "    roles: [admin]".to_owned(),
                        "    roles: [release-manager]".to_owned(),
                        "    roles: [admin, release-manager]".to_owned(),
                    ]
                })
                .chain(["# last_inactivity_report: 2025-11-01".to_owned()])
                .collect();
            let removed: Vec<&str> = removed.iter().map(String::as_str).collect();
            untouched_lines_survive(text, &out, &removed);
        }
    }

    #[test]
    fn crlf_files_stay_crlf() {
        let text = ROSTER.replace('\n', "\r\n");
        let loaded = crate::roster::parse(text.as_bytes()).unwrap();
        let out = retire(&loaded, &[2], date(), today()).unwrap();
        assert!(
            !out.replace("\r\n", "").contains('\n'),
            "a bare LF crept in"
        );
    }

    #[test]
    fn flow_style_and_emptying_are_refused() {
        let flow = "version: 1\ngithub: {org: python, team: psrt, steering_council_team: sc}\nmembers: [{name: A, github: a, roles: [admin]}, {name: B, github: b, roles: [admin]}, {name: C, github: c}]\n";
        let loaded = crate::roster::parse(flow.as_bytes()).unwrap();
        assert!(matches!(
            retire(&loaded, &[2], date(), today()),
            Err(EditError::FlowStyle("members"))
        ));
        let loaded = crate::roster::parse(ROSTER.as_bytes()).unwrap();
        assert!(matches!(
            retire(&loaded, &[0, 1, 2], date(), today()),
            Err(EditError::WouldEmpty)
        ));
    }

    #[test]
    fn an_edit_that_breaks_a_rule_is_refused() {
        // Retiring two of three admins leaves fewer than min_admins.
        let loaded = crate::roster::parse(ROSTER.as_bytes()).unwrap();
        match retire(&loaded, &[0, 1], date(), today()) {
            Err(EditError::Invalid(d)) => {
                assert!(d.iter().any(|d| d.rule == "min-admins"), "{d:?}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn github_ids_go_under_github_and_nothing_else_moves() {
        let text = "version: 1\ngithub:\n  org: python\n  team: psrt\nmembers:\n  # the first\n  - name: A\n    github: a   # comment kept\n    roles: [admin]\n  - github: b\n    name: B\n    roles: [admin]\n  - name: C\n    github: c\n    github_id: 3\nemeritus:\n  - name: D\n    github: d";
        let loaded = crate::roster::parse(text.as_bytes()).unwrap();
        let out = insert_github_ids(
            &loaded,
            &[
                (("members", 0), 1),
                (("members", 1), 2),
                (("members", 2), 99),
                (("emeritus", 0), 4),
            ],
            today(),
        )
        .unwrap();
        assert_eq!(
            out,
            "version: 1\ngithub:\n  org: python\n  team: psrt\nmembers:\n  # the first\n  - name: A\n    github: a   # comment kept\n    github_id: 1\n    roles: [admin]\n  - github: b\n    github_id: 2\n    name: B\n    roles: [admin]\n  - name: C\n    github: c\n    github_id: 3\nemeritus:\n  - name: D\n    github: d\n    github_id: 4\n"
        );
        let r = crate::roster::parse(out.as_bytes()).unwrap().roster;
        assert_eq!(r.members[2].github_id, Some(3), "a recorded id is kept");
        // A flow-style entry is refused, the text untouched.
        let flow = "version: 1\ngithub:\n  org: python\n  team: psrt\nmembers:\n  - {name: A, github: a, roles: [admin]}\n  - {name: B, github: b, roles: [admin]}\n";
        let loaded = crate::roster::parse(flow.as_bytes()).unwrap();
        assert!(matches!(
            insert_github_ids(&loaded, &[(("members", 0), 1)], today()),
            Err(EditError::FlowStyle("members"))
        ));
    }
}
