//! The roster as written: a YAML tree in which every node knows its line and
//! column. Diagnostics and the span-guided editor find places here; the domain
//! model ([`super::model`]) is built from it.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::diag::Loc;

/// A value and where it starts: the line and column diagnostics show, and
/// the byte offset the span-guided editor cuts at, taken from
/// `serde_saphyr::Spanned` when the tree is deserialised.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub loc: Loc,
    /// Byte offset of the node's first character in the source text.
    pub offset: Option<usize>,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = serde_saphyr::Spanned::<T>::deserialize(d)?;
        let line = u32::try_from(s.referenced.line())
            .unwrap_or(u32::MAX)
            .max(1);
        let col = u32::try_from(s.referenced.column())
            .unwrap_or(u32::MAX)
            .max(1);
        Ok(Spanned {
            value: s.value,
            loc: Loc { line, col },
            offset: s
                .referenced
                .span()
                .byte_offset()
                .and_then(|o| usize::try_from(o).ok()),
        })
    }
}

/// A YAML node. Keys are nodes too: YAML allows `1: x`, and the checker says
/// why that is wrong instead of failing to read it.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<Node>, Spanned<Node>)>),
}

impl Node {
    /// "a string", "a list"...: for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Null => "nothing",
            Node::Bool(_) => "true/false",
            Node::Int(_) => "a whole number",
            Node::Float(_) => "a number",
            Node::Str(_) => "a string",
            Node::Seq(_) => "a list",
            Node::Map(_) => "a mapping",
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }
    /// The entry under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<(&Spanned<Node>, &Spanned<Node>)> {
        match self {
            Node::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.value.as_str() == Some(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }
    pub fn items(&self) -> &[Spanned<Node>] {
        match self {
            Node::Seq(items) => items,
            _ => &[],
        }
    }
}

pub fn loc_of<T>(node: &Spanned<T>) -> Loc {
    node.loc
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NodeVisitor;
        impl<'de> Visitor<'de> for NodeVisitor {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
                Node::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Int(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
                Ok(Node::Int(v.into()))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Node, E> {
                Ok(Node::Int(v))
            }
            fn visit_u128<E>(self, v: u128) -> Result<Node, E> {
                Ok(Node::Int(i128::try_from(v).unwrap_or(i128::MAX)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
                Ok(Node::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Str(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Node, E> {
                Ok(Node::Str(v))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Node, E> {
                Ok(Node::Str(String::from_utf8_lossy(v).into_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Node::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Node::Map(entries))
            }
        }
        d.deserialize_any(NodeVisitor)
    }
}

/// One step of a path into the tree: `members[3].github` is
/// `[Key("members"), Index(3), Key("github")]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

impl From<&str> for Seg {
    fn from(s: &str) -> Self {
        Seg::Key(s.to_owned())
    }
}
impl From<usize> for Seg {
    fn from(i: usize) -> Self {
        Seg::Index(i)
    }
}

/// Builds a path: `path!["members", i, "github"]`.
#[macro_export]
macro_rules! path {
    ($($seg:expr),* $(,)?) => {{
        #[allow(clippy::useless_vec)] // a Vec, so that paths can be stored and extended
        let path: Vec<$crate::roster::source::Seg> = vec![$($crate::roster::source::Seg::from($seg)),*];
        path
    }};
}

/// Renders a path for messages: `members[3].github`.
pub fn display_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The parsed source: its text (for snippets and edits) and its tree.
#[derive(Debug, Clone)]
pub struct Source {
    pub text: String,
    pub root: Spanned<Node>,
}

impl Source {
    /// Finds the node at `path`, or the deepest node on the way there.
    fn walk(&self, path: &[Seg]) -> (Option<&Spanned<Node>>, Option<&Spanned<Node>>, Loc) {
        let mut node = &self.root;
        let mut key = None;
        for seg in path {
            let next = match (seg, &node.value) {
                (Seg::Key(k), _) => node.value.get(k).map(|(k, v)| (Some(k), v)),
                (Seg::Index(i), Node::Seq(items)) => items.get(*i).map(|v| (None, v)),
                _ => None,
            };
            match next {
                Some((k, v)) => {
                    key = k;
                    node = v;
                }
                // Point at the deepest entry that exists: its key names it.
                None => return (None, key, key.map_or_else(|| loc_of(node), loc_of)),
            }
        }
        (Some(node), key, loc_of(node))
    }

    /// Where the value at `path` is, or the closest existing parent.
    pub fn value_loc(&self, path: &[Seg]) -> Loc {
        match self.walk(path) {
            (Some(node), _, _) => loc_of(node),
            (None, _, fallback) => fallback,
        }
    }

    /// Where the key of the entry at `path` is (good for "this entry" messages),
    /// falling back to the value's location.
    pub fn key_loc(&self, path: &[Seg]) -> Loc {
        match self.walk(path) {
            (Some(_), Some(key), _) => loc_of(key),
            (Some(node), None, _) => loc_of(node),
            (None, _, fallback) => fallback,
        }
    }

    pub fn node(&self, path: &[Seg]) -> Option<&Spanned<Node>> {
        self.walk(path).0
    }
}
