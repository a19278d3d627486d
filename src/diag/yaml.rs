//! A YAML document as a tree with a source position on every node and every mapping key.
//!
//! Built from yaml-rust2's event stream, so that any problem found later (by serde, by the
//! parameter schema, by the dataset checks) can be reported at the exact line and column
//! of the offending value, with a path such as `models[1].params.max_depth`.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// A scalar with its text and whether it was quoted (quoted scalars are always strings).
    Scalar {
        text: String,
        quoted: bool,
    },
    Seq(Vec<Node>),
    /// Entries in document order: (key text, key position, value).
    Map(Vec<(String, Pos, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub pos: Pos,
}

/// One step of a path into the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// Render a path as `models[1].params.max_depth`.
pub fn path_string(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
}

impl Node {
    /// Parse one YAML document. An empty document is an empty mapping.
    pub fn parse(text: &str) -> Result<Node, YamlError> {
        let mut builder = Builder::default();
        let mut parser = Parser::new_from_str(text);
        parser.load(&mut builder, false).map_err(|e| YamlError {
            pos: pos_of(e.marker()),
            message: e.info().to_string(),
        })?;
        if let Some(err) = builder.error {
            return Err(err);
        }
        Ok(builder.root.unwrap_or(Node {
            kind: NodeKind::Map(Vec::new()),
            pos: Pos { line: 1, col: 1 },
        }))
    }

    /// The node at `path`, if it exists.
    pub fn at(&self, path: &[Seg]) -> Option<&Node> {
        let mut node = self;
        for seg in path {
            node = match (&node.kind, seg) {
                (NodeKind::Map(entries), Seg::Key(k)) => {
                    &entries.iter().find(|(key, _, _)| key == k)?.2
                }
                (NodeKind::Seq(items), Seg::Index(i)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// Best position for a problem at `path`: the node itself, else the deepest existing
    /// ancestor. With `key_of_last`, the position of the last key rather than its value
    /// (for "unknown field" problems).
    pub fn pos_for(&self, path: &[Seg], key_of_last: bool) -> Pos {
        if key_of_last
            && let Some((Seg::Key(k), parent)) = path.split_last()
            && let Some(Node {
                kind: NodeKind::Map(entries),
                ..
            }) = self.at(parent)
            && let Some((_, kpos, _)) = entries.iter().find(|(key, _, _)| key == k)
        {
            return *kpos;
        }
        for n in (0..=path.len()).rev() {
            if let Some(node) = self.at(&path[..n]) {
                return node.pos;
            }
        }
        self.pos
    }

    pub fn as_map(&self) -> Option<&[(String, Pos, Node)]> {
        match &self.kind {
            NodeKind::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Convert to JSON with YAML 1.2 core-schema scalars: `null`/`~`/empty, `true`/`false`,
    /// integers, floats (`.inf`, `.nan` included); quoted scalars stay strings.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            NodeKind::Scalar { text, quoted } => {
                if *quoted {
                    return Value::String(text.clone());
                }
                match text.as_str() {
                    "" | "~" | "null" | "Null" | "NULL" => Value::Null,
                    "true" | "True" | "TRUE" => Value::Bool(true),
                    "false" | "False" | "FALSE" => Value::Bool(false),
                    t => {
                        if let Ok(i) = t.parse::<i64>() {
                            Value::from(i)
                        } else if let Some(x) = parse_yaml_float(t) {
                            serde_json::Number::from_f64(x)
                                .map(Value::Number)
                                .unwrap_or_else(|| Value::String(t.to_string()))
                        } else {
                            Value::String(t.to_string())
                        }
                    }
                }
            }
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Map(entries) => {
                let mut m = serde_json::Map::new();
                for (k, _, v) in entries {
                    m.insert(k.clone(), v.to_json());
                }
                Value::Object(m)
            }
        }
    }
}

fn parse_yaml_float(t: &str) -> Option<f64> {
    match t {
        ".inf" | ".Inf" | ".INF" | "+.inf" => Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Some(f64::NEG_INFINITY),
        _ => {
            // YAML floats need a digit; refuse Rust-only spellings like "inf" or "nan".
            let ok = t.bytes().any(|b| b.is_ascii_digit())
                && t.bytes()
                    .all(|b| b.is_ascii_digit() || b"+-.eE_".contains(&b));
            if ok {
                t.replace('_', "").parse().ok()
            } else {
                None
            }
        }
    }
}

fn pos_of(m: &Marker) -> Pos {
    Pos {
        line: m.line(),
        col: m.col() + 1,
    }
}

enum Frame {
    Seq(Pos, Vec<Node>),
    /// Entries so far, and a key waiting for its value.
    Map(Pos, Vec<(String, Pos, Node)>, Option<(String, Pos)>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Node>,
    anchors: HashMap<usize, Node>,
    /// Anchor id of each open collection, to record it when it closes.
    open_anchors: Vec<usize>,
    error: Option<YamlError>,
}

impl Builder {
    fn push_value(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq(_, items)) => items.push(node),
            Some(Frame::Map(_, entries, pending)) => match pending.take() {
                None => match node.kind {
                    NodeKind::Scalar { text, .. } => {
                        if entries.iter().any(|(k, _, _)| *k == text) && self.error.is_none() {
                            self.error = Some(YamlError {
                                pos: node.pos,
                                message: format!("duplicate key `{text}`"),
                            });
                        }
                        *pending = Some((text, node.pos));
                    }
                    _ => {
                        if self.error.is_none() {
                            self.error = Some(YamlError {
                                pos: node.pos,
                                message: "mapping keys must be plain strings".into(),
                            });
                        }
                        *pending = Some((String::new(), node.pos));
                    }
                },
                Some((key, kpos)) => entries.push((key, kpos, node)),
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let pos = pos_of(&mark);
        match ev {
            Event::Scalar(text, style, anchor, _tag) => {
                let quoted = !matches!(style, TScalarStyle::Plain);
                self.push_value(
                    Node {
                        kind: NodeKind::Scalar { text, quoted },
                        pos,
                    },
                    anchor,
                );
            }
            Event::SequenceStart(anchor, _) => {
                self.open_anchors.push(anchor);
                self.stack.push(Frame::Seq(pos, Vec::new()));
            }
            Event::MappingStart(anchor, _) => {
                self.open_anchors.push(anchor);
                self.stack.push(Frame::Map(pos, Vec::new(), None));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let anchor = self.open_anchors.pop().unwrap_or(0);
                let node = match self.stack.pop() {
                    Some(Frame::Seq(p, items)) => Node {
                        kind: NodeKind::Seq(items),
                        pos: p,
                    },
                    // A block mapping's start marker sits at its first value; point at
                    // its first key instead (where a reader looks for the mapping).
                    Some(Frame::Map(p, entries, _)) => Node {
                        pos: entries.first().map_or(p, |(_, kpos, _)| *kpos),
                        kind: NodeKind::Map(entries),
                    },
                    None => return,
                };
                self.push_value(node, anchor);
            }
            Event::Alias(id) => {
                let node = self.anchors.get(&id).cloned().unwrap_or(Node {
                    kind: NodeKind::Scalar {
                        text: String::new(),
                        quoted: false,
                    },
                    pos,
                });
                self.push_value(node, 0);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_paths() {
        let text = "name: x\nmodels:\n  - algorithm: knn\n    params:\n      k: [1, 2]\n";
        let root = Node::parse(text).unwrap();
        let path = vec![
            Seg::Key("models".into()),
            Seg::Index(0),
            Seg::Key("params".into()),
            Seg::Key("k".into()),
        ];
        assert_eq!(path_string(&path), "models[0].params.k");
        assert_eq!(root.pos_for(&path, true), Pos { line: 5, col: 7 });
        assert_eq!(root.pos_for(&path, false), Pos { line: 5, col: 10 });
        // a missing key falls back to its parent
        let missing = vec![
            Seg::Key("models".into()),
            Seg::Index(0),
            Seg::Key("nope".into()),
        ];
        assert_eq!(root.pos_for(&missing, false), Pos { line: 3, col: 5 });
        assert_eq!(
            root.to_json(),
            serde_json::json!({"name": "x", "models": [{"algorithm": "knn", "params": {"k": [1, 2]}}]})
        );
    }

    #[test]
    fn scalars_follow_the_core_schema() {
        let root = Node::parse("a: ~\nb: '1'\nc: 1.5\nd: .inf\ne: yes\nf: 1e-3\ng: nan\n").unwrap();
        let j = root.to_json();
        assert_eq!(j["a"], serde_json::Value::Null);
        assert_eq!(j["c"], serde_json::json!(1.5));
        assert_eq!(j["b"], serde_json::json!("1"));
        assert_eq!(j["e"], serde_json::json!("yes"));
        assert_eq!(j["f"], serde_json::json!(0.001));
        assert_eq!(j["g"], serde_json::json!("nan"));
        // infinity has no JSON number: it stays text and fails type checks later
        assert_eq!(j["d"], serde_json::json!(".inf"));
    }

    #[test]
    fn syntax_errors_and_duplicate_keys_have_positions() {
        let e = Node::parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.pos.line >= 1, "{e:?}");
        let e = Node::parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(e.message, "duplicate key `a`");
        assert_eq!(e.pos, Pos { line: 2, col: 1 });
    }
}
