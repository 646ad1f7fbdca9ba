//! The rules file as Arkime reads it: a tree of keyed nodes built from YAML events, so
//! that a key repeated in one mapping (`port.dst:` twice) gives two nodes instead of
//! an error, and `${name}` values are replaced by config values.

use yaml_rust2::parser::{Event, Parser};

/// What a node holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A mapping value that is a scalar.
    Scalar(String),
    /// A scalar item of a sequence (its text is the node's key).
    Item,
    /// A mapping or a sequence.
    Children(Vec<Node>),
}

/// One node: its key (a sequence's non-scalar items are keyed by position).
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The key.
    pub key: String,
    /// The value.
    pub value: Value,
}

impl Node {
    /// The children, if this is a mapping or sequence.
    pub fn children(&self) -> &[Node] {
        match &self.value {
            Value::Children(c) => c,
            _ => &[],
        }
    }

    /// The first child called `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.children().iter().find(|n| n.key == key)
    }

    /// The scalar value of the first child called `key`.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        match &self.get(key)?.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The children of the first child called `key` that has children.
    pub fn get_list(&self, key: &str) -> Option<&[Node]> {
        self.children()
            .iter()
            .find(|n| n.key == key && matches!(n.value, Value::Children(_)))
            .map(Node::children)
    }
}

/// Parses `text` into a tree whose root is keyed `root`; `${name}` scalar values are
/// looked up with `var` (an unknown name is an error, as in Arkime).
pub fn parse(text: &str, var: &dyn Fn(&str) -> Option<String>) -> Result<Node, String> {
    let mut p = Parser::new_from_str(text);
    // Skip to the first collection.
    loop {
        let (ev, mark) = p.next_token().map_err(|e| e.to_string())?;
        match ev {
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let seq = matches!(ev, Event::SequenceStart(..));
                let children = collection(&mut p, seq, var, 0)?;
                return Ok(Node {
                    key: "root".into(),
                    value: Value::Children(children),
                });
            }
            Event::StreamEnd => return Err("empty document".into()),
            Event::Scalar(..) => {
                return Err(format!("line {}: expected a mapping", mark.line()));
            }
            _ => {}
        }
    }
}

/// Deepest nesting accepted (a rules file is four levels deep).
const MAX_DEPTH: usize = 64;

fn collection(
    p: &mut Parser<std::str::Chars<'_>>,
    seq: bool,
    var: &dyn Fn(&str) -> Option<String>,
    depth: usize,
) -> Result<Vec<Node>, String> {
    if depth > MAX_DEPTH {
        return Err("nested too deeply".into());
    }
    let mut out: Vec<Node> = Vec::new();
    let mut key: Option<String> = None;
    loop {
        let (ev, mark) = p.next_token().map_err(|e| e.to_string())?;
        match ev {
            Event::Scalar(v, ..) => {
                if seq {
                    out.push(Node {
                        key: v,
                        value: Value::Item,
                    });
                } else if let Some(k) = key.take() {
                    out.push(Node {
                        key: k,
                        value: Value::Scalar(substitute(v, var, mark.line())?),
                    });
                } else {
                    key = Some(v);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let inner_seq = matches!(ev, Event::SequenceStart(..));
                let k = key.take().unwrap_or_else(|| out.len().to_string());
                let children = collection(p, inner_seq, var, depth + 1)?;
                out.push(Node {
                    key: k,
                    value: Value::Children(children),
                });
            }
            Event::MappingEnd | Event::SequenceEnd | Event::StreamEnd => return Ok(out),
            Event::Alias(_) => {
                return Err(format!("line {}: aliases are not supported", mark.line()));
            }
            _ => {}
        }
    }
}

fn substitute(
    v: String,
    var: &dyn Fn(&str) -> Option<String>,
    line: usize,
) -> Result<String, String> {
    match v.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
        Some(name) => var(name)
            .ok_or_else(|| format!("line {line}: no config value '{name}' for ${{{name}}}")),
        None => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn repeated_keys_and_sequences() {
        let t = "version: 1\nrules:\n  - name: a\n    fields:\n      port.dst:\n        - 1\n      port.dst:\n        - 2\n    ops:\n      tags: x\n";
        let root = parse(t, &none).unwrap();
        assert_eq!(root.get_str("version"), Some("1"));
        let rules = root.get_list("rules").unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].key, "0");
        let fields = rules[0].get_list("fields").unwrap();
        assert_eq!(fields.len(), 2, "both port.dst nodes kept");
        assert_eq!(fields[1].children()[0].key, "2");
        assert_eq!(
            rules[0].get_list("ops").unwrap()[0].value,
            Value::Scalar("x".into())
        );
    }

    #[test]
    fn config_variables() {
        let var = |n: &str| (n == "v").then(|| "2".to_string());
        let root = parse("a: ${v}\nb:\n  - ${v}\n", &var).unwrap();
        assert_eq!(root.get_str("a"), Some("2"));
        assert_eq!(
            root.get_list("b").unwrap()[0].key,
            "${v}",
            "items are not replaced"
        );
        assert!(parse("a: ${nope}\n", &var).unwrap_err().contains("nope"));
    }

    #[test]
    fn bad_yaml_is_an_error() {
        assert!(parse("a: [1, 2\n", &none).is_err());
        assert!(parse("", &none).is_err());
    }
}
