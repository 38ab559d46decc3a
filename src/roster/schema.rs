//! The roster's JSON Schema, generated from [`super::model`], and a walker that
//! checks a YAML tree against it.
//!
//! serde stops at the first problem; the walker reports every unknown key,
//! missing key, wrong type, bad date and unknown role at once, each at its own
//! line and column. The same schema is committed as `schema/roster.schema.json`
//! so that editors complete and check keys while people type.

use std::sync::LazyLock;

use chrono::NaiveDate;
use serde_json::Value;

use super::model::Roster;
use super::source::{Node, Seg, Spanned, display_path, loc_of};
use crate::diag::Diagnostic;

/// Where the committed schema lives, relative to the repository root.
pub const SCHEMA_PATH: &str = "schema/roster.schema.json";

static SCHEMA: LazyLock<Value> = LazyLock::new(|| {
    let mut schema = serde_json::to_value(schemars::schema_for!(Roster)).unwrap_or(Value::Null);
    if let Some(obj) = schema.as_object_mut() {
        obj.insert(
            "$id".into(),
            Value::String("https://github.com/python/psrt/schema/roster.schema.json".into()),
        );
    }
    schema
});

/// The schema as a value.
pub fn schema() -> &'static Value {
    &SCHEMA
}

/// The schema as committed: pretty JSON with a final newline.
pub fn schema_text() -> String {
    let mut s = serde_json::to_string_pretty(schema()).unwrap_or_default();
    s.push('\n');
    s
}

/// Checks `root` against the roster schema; appends a diagnostic per problem.
pub fn check(root: &Spanned<Node>, out: &mut Vec<Diagnostic>) {
    let walker = Walker {
        root: schema(),
        views: &VIEWS,
    };
    walker.check(schema(), root, &mut Vec::new(), out);
}

/// What the walk asks of a schema object on every node, looked up once:
/// the `$ref` followed, and the keywords read per node (a roster of 10,000
/// members visits each schema object thousands of times).
struct View<'s> {
    target: &'s Value,
    def: Option<&'s str>,
    alts: Option<&'s [Value]>,
    types: Option<&'s Value>,
    options: Option<&'s [Value]>,
    date: bool,
    pattern: Option<&'s str>,
    items: Option<&'s Value>,
}

/// Every schema object's [`View`], by address.
static VIEWS: LazyLock<std::collections::HashMap<usize, View<'static>>> = LazyLock::new(|| {
    let walker = Walker {
        root: schema(),
        views: &EMPTY_VIEWS,
    };
    let mut views = std::collections::HashMap::new();
    let mut todo = vec![schema()];
    while let Some(v) = todo.pop() {
        match v {
            Value::Object(m) => {
                views.insert(std::ptr::from_ref(v) as usize, walker.view(v));
                todo.extend(m.values());
            }
            Value::Array(a) => todo.extend(a),
            _ => {}
        }
    }
    views
});
static EMPTY_VIEWS: LazyLock<std::collections::HashMap<usize, View<'static>>> =
    LazyLock::new(std::collections::HashMap::new);

struct Walker<'s> {
    root: &'s Value,
    views: &'s std::collections::HashMap<usize, View<'s>>,
}

impl<'s> Walker<'s> {
    fn view(&self, schema: &'s Value) -> View<'s> {
        let (s, def) = self.resolve(schema);
        View {
            target: s,
            def,
            alts: s
                .get("anyOf")
                .or_else(|| s.get("oneOf"))
                .and_then(Value::as_array)
                .map(Vec::as_slice),
            types: s.get("type"),
            options: s.get("enum").and_then(Value::as_array).map(Vec::as_slice),
            date: s.get("format").and_then(Value::as_str) == Some("date"),
            pattern: s.get("pattern").and_then(Value::as_str),
            items: s.get("items"),
        }
    }

    /// Follows `$ref` to `#/$defs/Name`. Returns the target and its name.
    fn resolve(&self, mut s: &'s Value) -> (&'s Value, Option<&'s str>) {
        let mut name = None;
        for _ in 0..16 {
            let Some(r) = s.get("$ref").and_then(Value::as_str) else {
                break;
            };
            let Some(def) = r.strip_prefix("#/$defs/") else {
                break;
            };
            match self.root.get("$defs").and_then(|d| d.get(def)) {
                Some(target) => {
                    s = target;
                    name = Some(def);
                }
                None => break,
            }
        }
        (s, name)
    }

    fn check(
        &self,
        schema: &'s Value,
        node: &Spanned<Node>,
        path: &mut Vec<Seg>,
        out: &mut Vec<Diagnostic>,
    ) {
        let looked_up;
        let view = match self.views.get(&(std::ptr::from_ref(schema) as usize)) {
            Some(view) => view,
            None => {
                looked_up = self.view(schema);
                &looked_up
            }
        };
        let (s, def) = (view.target, view.def);

        if let Some(alts) = view.alts {
            self.check_alternatives(s, alts, node, path, out);
            return;
        }

        if let Some(types) = view.types {
            if !type_matches(types, &node.value) {
                out.push(wrong_type(describe_types(types), node, path));
                return;
            }
        }

        if let Some(options) = view.options {
            check_enum(options, def, node, path, out);
        }

        match &node.value {
            Node::Str(text) => {
                if view.date && text.parse::<NaiveDate>().is_err() {
                    out.push(
                        Diagnostic::error("date", loc_of(node), format!("`{text}` is not a date"))
                            .help("write dates as YYYY-MM-DD, e.g. 2025-11-01"),
                    );
                }
                if let Some(pattern) = view.pattern {
                    let matches = regex_lite::Regex::new(pattern).is_ok_and(|re| re.is_match(text));
                    if !matches {
                        let what = s
                            .get("description")
                            .and_then(Value::as_str)
                            .unwrap_or("the expected form");
                        out.push(Diagnostic::error(
                            "invalid-value",
                            loc_of(node),
                            format!("`{text}` is not {}", lowercase_first(what)),
                        ));
                    }
                }
            }
            Node::Int(n) => check_integer(*n, s, node, path, out),
            Node::Map(entries) => self.check_object(s, def, node, entries, path, out),
            Node::Seq(items) => {
                if let Some(item_schema) = view.items {
                    for (i, item) in items.iter().enumerate() {
                        path.push(Seg::Index(i));
                        self.check(item_schema, item, path, out);
                        path.pop();
                    }
                }
            }
            Node::Null | Node::Bool(_) | Node::Float(_) => {}
        }
    }

    fn check_alternatives(
        &self,
        s: &'s Value,
        alts: &'s [Value],
        node: &Spanned<Node>,
        path: &mut Vec<Seg>,
        out: &mut Vec<Diagnostic>,
    ) {
        // Try each alternative; the first that fits wins.
        let mut fitting_by_type = Vec::new();
        for alt in alts {
            let mut scratch = Vec::new();
            self.check(alt, node, path, &mut scratch);
            if scratch.iter().all(|d| !d.is_error()) {
                out.extend(scratch);
                return;
            }
            let (resolved, _) = self.resolve(alt);
            if resolved
                .get("type")
                .is_some_and(|t| type_matches(t, &node.value))
            {
                fitting_by_type.push(scratch);
            }
        }
        // Exactly one alternative has the right type: its own messages say
        // more than "expected one of".
        if fitting_by_type.len() == 1 {
            out.extend(fitting_by_type.pop().unwrap_or_default());
            return;
        }
        let expected = s
            .get("description")
            .and_then(Value::as_str)
            .map(lowercase_first)
            .unwrap_or_else(|| {
                alts.iter()
                    .filter_map(|a| self.resolve(a).0.get("type"))
                    .map(describe_types)
                    .collect::<Vec<_>>()
                    .join(" or ")
            });
        out.push(wrong_type(expected, node, path));
    }

    fn check_object(
        &self,
        s: &'s Value,
        def: Option<&str>,
        node: &Spanned<Node>,
        entries: &[(Spanned<Node>, Spanned<Node>)],
        path: &mut Vec<Seg>,
        out: &mut Vec<Diagnostic>,
    ) {
        let empty = serde_json::Map::new();
        let properties = s
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let closed = s.get("additionalProperties") == Some(&Value::Bool(false));
        let known: Vec<&str> = properties.keys().map(String::as_str).collect();
        let mut seen = Vec::new();

        for (key, value) in entries {
            let Some(name) = key.value.as_str() else {
                out.push(
                    Diagnostic::error(
                        "wrong-type",
                        loc_of(key),
                        format!("keys must be names, found {}", key.value.kind()),
                    )
                    .help(format!("expected one of: {}", known.join(", "))),
                );
                continue;
            };
            seen.push(name);
            match properties.get(name) {
                Some(prop) => {
                    path.push(Seg::Key(name.to_owned()));
                    self.check(prop, value, path, out);
                    path.pop();
                }
                None if closed => {
                    let mut d = Diagnostic::error(
                        "unknown-key",
                        loc_of(key),
                        format!(
                            "unknown key `{name}` in {}",
                            describe_place(path, def, node)
                        ),
                    );
                    d = match did_you_mean(name, &known) {
                        Some(suggestion) => d.help(format!("did you mean `{suggestion}`?")),
                        None => d.help(format!("expected one of: {}", known.join(", "))),
                    };
                    out.push(d);
                }
                None => {}
            }
        }

        if let Some(required) = s.get("required").and_then(Value::as_array) {
            for key in required.iter().filter_map(Value::as_str) {
                if !seen.contains(&key) {
                    let what = properties
                        .get(key)
                        .and_then(|p| p.get("description"))
                        .and_then(Value::as_str)
                        .map(|d| format!(" ({})", first_sentence(d)))
                        .unwrap_or_default();
                    out.push(
                        Diagnostic::error(
                            "missing-key",
                            loc_of(node),
                            format!("{} has no `{key}`", describe_place(path, def, node)),
                        )
                        .help(format!("add `{key}:`{what}")),
                    );
                }
            }
        }
    }
}

fn check_enum(
    options: &[Value],
    def: Option<&str>,
    node: &Spanned<Node>,
    path: &[Seg],
    out: &mut Vec<Diagnostic>,
) {
    let allowed: Vec<&str> = options.iter().filter_map(Value::as_str).collect();
    let given = match &node.value {
        Node::Str(s) => s.as_str(),
        _ => return,
    };
    if allowed.contains(&given) {
        return;
    }
    if def == Some("Role") && given == "steering-council" {
        out.push(
            Diagnostic::error(
                "council-role",
                loc_of(node),
                "`steering-council` is no longer a role".to_owned(),
            )
            .help("the Steering Council is the top-level `steering_council:` list of GitHub logins (PSRT members or not): move this member's login there and drop the role"),
        );
        return;
    }
    let (rule, what) = match def {
        Some("Role") => ("unknown-role", "a role".to_owned()),
        Some("Group") => ("invalid-value", "a role or `members`".to_owned()),
        _ => ("invalid-value", format!("a valid `{}`", display_path(path))),
    };
    let d = Diagnostic::error(rule, loc_of(node), format!("`{given}` is not {what}"));
    out.push(match did_you_mean(given, &allowed) {
        Some(s) => d.help(format!(
            "did you mean `{s}`? (one of: {})",
            allowed.join(", ")
        )),
        None => d.help(format!("expected one of: {}", allowed.join(", "))),
    });
}

fn check_integer(
    n: i128,
    s: &Value,
    node: &Spanned<Node>,
    path: &[Seg],
    out: &mut Vec<Diagnostic>,
) {
    let max = match s.get("format").and_then(Value::as_str) {
        Some("uint32") => i128::from(u32::MAX),
        Some("uint64") => i128::from(u64::MAX),
        _ => i128::MAX,
    };
    let min = s
        .get("minimum")
        .and_then(Value::as_i64)
        .map(i128::from)
        .unwrap_or(i128::MIN);
    if n < min || n > max {
        out.push(Diagnostic::error(
            "out-of-range",
            loc_of(node),
            format!("`{}` is {n}, outside {min}..={max}", display_path(path)),
        ));
    }
}

fn type_matches(types: &Value, node: &Node) -> bool {
    let one = |t: &str| {
        matches!(
            (t, node),
            ("null", Node::Null)
                | ("boolean", Node::Bool(_))
                | ("integer", Node::Int(_))
                | ("number", Node::Int(_) | Node::Float(_))
                | ("string", Node::Str(_))
                | ("array", Node::Seq(_))
                | ("object", Node::Map(_))
        )
    };
    match types {
        Value::String(t) => one(t),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).any(one),
        _ => true,
    }
}

fn describe_types(types: &Value) -> String {
    let one = |t: &str| match t {
        "null" => "nothing",
        "boolean" => "true or false",
        "integer" => "a whole number",
        "number" => "a number",
        "string" => "a string",
        "array" => "a list",
        "object" => "a mapping",
        _ => "a value",
    };
    match types {
        Value::String(t) => one(t).to_owned(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .map(one)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "a value".to_owned(),
    }
}

fn wrong_type(expected: String, node: &Spanned<Node>, path: &[Seg]) -> Diagnostic {
    let place = display_path(path);
    let (rule, message) = match &node.value {
        Node::Null => (
            "missing-value",
            format!("`{place}` has no value: expected {expected}"),
        ),
        found => (
            "wrong-type",
            format!("`{place}` should be {expected}, found {}", found.kind()),
        ),
    };
    let d = Diagnostic::error(rule, loc_of(node), message);
    let literal = match &node.value {
        Node::Int(n) => Some(n.to_string()),
        Node::Float(f) => Some(f.to_string()),
        Node::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match literal {
        Some(lit) if expected.contains("string") => d.help(format!(
            "put it in quotes: `\"{lit}\"` (ids and names are text; long numbers lose digits otherwise)"
        )),
        _ => d,
    }
}

/// "member `Seth Larson`", "the `policy` section", "the roster".
fn describe_place(path: &[Seg], def: Option<&str>, node: &Spanned<Node>) -> String {
    let name = node.value.get("name").and_then(|(_, v)| v.value.as_str());
    let named = |what: &str| match name {
        Some(n) => format!("{what} `{n}`"),
        None => what.to_owned(),
    };
    match (def, path.last()) {
        (Some("Member"), _) => named("member"),
        (Some("Emeritus"), _) => named("emeritus entry"),
        (_, None) => "the roster".to_owned(),
        _ => format!("`{}`", display_path(path)),
    }
}

/// The closest of `candidates`, if it is close enough to be a typo.
pub fn did_you_mean<'a>(given: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let given_lower = given.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(&given_lower, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4) && *d < c.len())
        .min()
        .map(|(_, c)| c)
}

fn first_sentence(s: &str) -> &str {
    let s = s.split("\n\n").next().unwrap_or(s);
    match s.find(". ") {
        Some(i) => &s[..i],
        None => s.trim_end_matches('.'),
    }
}

fn lowercase_first(s: &str) -> String {
    let s = s.trim_end_matches('.');
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys_only() {
        let keys = ["name", "github", "email", "discord", "roles"];
        assert_eq!(did_you_mean("emial", &keys), Some("email"));
        assert_eq!(did_you_mean("githb", &keys), Some("github"));
        assert_eq!(did_you_mean("Email", &keys), Some("email"));
        assert_eq!(did_you_mean("favourite_colour", &keys), None);
        assert_eq!(did_you_mean("x", &keys), None);
    }

    #[test]
    fn the_schema_closes_every_object() {
        fn visit(v: &Value, out: &mut Vec<String>) {
            if v.get("properties").is_some()
                && v.get("additionalProperties") != Some(&Value::Bool(false))
            {
                out.push(v.to_string());
            }
            match v {
                Value::Object(m) => m.values().for_each(|x| visit(x, out)),
                Value::Array(a) => a.iter().for_each(|x| visit(x, out)),
                _ => {}
            }
        }
        let mut open = Vec::new();
        visit(schema(), &mut open);
        assert!(open.is_empty(), "objects accepting unknown keys: {open:?}");
    }
}
