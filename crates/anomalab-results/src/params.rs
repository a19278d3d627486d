//! Hyper-parameter values as stored with each trial: [`ParamValue`] and the complete
//! [`ParamMap`] of a grid point, with typed accessors. The schema that validates them
//! (`ParamSpec`, `ParamKind`) belongs to the learners, not to the results.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// One hyper-parameter value as written in a spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// A list value (e.g. hidden layer sizes `[32, 8]`); only for list-valued kinds.
    List(Vec<ParamValue>),
    Map(BTreeMap<String, ParamValue>),
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Null => write!(f, "null"),
            ParamValue::Bool(b) => write!(f, "{b}"),
            ParamValue::Int(i) => write!(f, "{i}"),
            ParamValue::Float(x) => write!(f, "{x}"),
            ParamValue::Str(s) => write!(f, "{s}"),
            ParamValue::List(items) => {
                let parts: Vec<String> = items.iter().map(|v| v.to_string()).collect();
                write!(f, "[{}]", parts.join(", "))
            }
            ParamValue::Map(m) => {
                write!(f, "{{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                write!(f, "}}")
            }
        }
    }
}

impl ParamValue {
    /// The kind of value, with its article, for error messages (`an integer`, `a list`).
    pub fn type_name(&self) -> &'static str {
        match self {
            ParamValue::Null => "null",
            ParamValue::Bool(_) => "a boolean",
            ParamValue::Int(_) => "an integer",
            ParamValue::Float(_) => "a number",
            ParamValue::Str(_) => "a string",
            ParamValue::List(_) => "a list",
            ParamValue::Map(_) => "a mapping",
        }
    }
}

/// A parameter is missing or has the wrong kind of value. The learners turn it into their
/// own error type, so the message is written for the user as is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("parameter `{name}`: {message}")]
pub struct ParamError {
    pub name: String,
    pub message: String,
}

impl ParamError {
    fn new(name: &str, message: impl Into<String>) -> Self {
        ParamError {
            name: name.to_string(),
            message: message.into(),
        }
    }
}

/// A complete set of parameter values (after validation and defaults).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParamMap(pub BTreeMap<String, ParamValue>);

impl ParamMap {
    pub fn get(&self, name: &str) -> Result<&ParamValue, ParamError> {
        self.0
            .get(name)
            .ok_or_else(|| ParamError::new(name, "missing (not declared by the model)"))
    }

    pub fn usize(&self, name: &str) -> Result<usize, ParamError> {
        match self.get(name)? {
            ParamValue::Int(i) if *i >= 0 => Ok(*i as usize),
            v => Err(ParamError::new(
                name,
                format!("expected a count, found `{v}`"),
            )),
        }
    }

    /// `null` -> None, integer -> Some.
    pub fn opt_usize(&self, name: &str) -> Result<Option<usize>, ParamError> {
        match self.get(name)? {
            ParamValue::Null => Ok(None),
            _ => self.usize(name).map(Some),
        }
    }

    pub fn f64(&self, name: &str) -> Result<f64, ParamError> {
        match self.get(name)? {
            ParamValue::Int(i) => Ok(*i as f64),
            ParamValue::Float(x) => Ok(*x),
            v => Err(ParamError::new(
                name,
                format!("expected a number, found `{v}`"),
            )),
        }
    }

    pub fn opt_f64(&self, name: &str) -> Result<Option<f64>, ParamError> {
        match self.get(name)? {
            ParamValue::Null => Ok(None),
            _ => self.f64(name).map(Some),
        }
    }

    pub fn bool(&self, name: &str) -> Result<bool, ParamError> {
        match self.get(name)? {
            ParamValue::Bool(b) => Ok(*b),
            v => Err(ParamError::new(
                name,
                format!("expected a boolean, found `{v}`"),
            )),
        }
    }

    pub fn str(&self, name: &str) -> Result<&str, ParamError> {
        match self.get(name)? {
            ParamValue::Str(s) => Ok(s),
            v => Err(ParamError::new(
                name,
                format!("expected a string, found `{v}`"),
            )),
        }
    }

    /// A list of counts (e.g. hidden layer sizes).
    pub fn usize_list(&self, name: &str) -> Result<Vec<usize>, ParamError> {
        match self.get(name)? {
            ParamValue::List(items) => items
                .iter()
                .map(|v| match v {
                    ParamValue::Int(i) if *i >= 0 => Ok(*i as usize),
                    v => Err(ParamError::new(
                        name,
                        format!("expected a count, found `{v}`"),
                    )),
                })
                .collect(),
            v => Err(ParamError::new(
                name,
                format!("expected a list, found `{v}`"),
            )),
        }
    }

    /// Short `k=v, k=v` form used in trial labels.
    pub fn label(&self, only: &[String]) -> String {
        self.0
            .iter()
            .filter(|(k, _)| only.is_empty() || only.contains(k))
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors_name_the_parameter_and_the_value_found() {
        let mut m = ParamMap::default();
        m.0.insert("depth".into(), ParamValue::Str("deep".into()));
        m.0.insert("rate".into(), ParamValue::Int(1));
        assert_eq!(m.f64("rate").unwrap(), 1.0);
        assert_eq!(
            m.usize("depth").unwrap_err().to_string(),
            "parameter `depth`: expected a count, found `deep`"
        );
        assert!(m.get("nope").is_err());
        assert_eq!(m.label(&["rate".to_string()]), "rate=1");
    }
}
