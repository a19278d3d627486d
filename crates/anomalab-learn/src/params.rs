//! The typed hyper-parameter schema.
//!
//! Every algorithm declares its parameters as a list of [`ParamSpec`] (name, kind, default,
//! one line of documentation). The spec validator checks each grid value against the kind
//! and fills in defaults, so an algorithm's `from_params` only ever sees a complete,
//! well-typed [`ParamMap`]. `anomalab models` prints the same list. The values themselves
//! ([`ParamValue`], [`ParamMap`]) are part of the results model and live in
//! `anomalab-results`; they are re-exported here.

use std::collections::BTreeMap;
use std::fmt;

pub use anomalab_results::{ParamError, ParamMap, ParamValue};

/// What values a parameter accepts.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamKind {
    /// An integer in `[min, max]`.
    Int {
        min: i64,
        max: i64,
    },
    /// A number in `[min, max]` (integers are accepted and widened).
    Float {
        min: f64,
        max: f64,
    },
    /// A number in `(min, max]`: for rates and fractions that must be positive.
    FloatOpenMin {
        min: f64,
        max: f64,
    },
    Bool,
    /// One of a fixed set of words.
    Choice(&'static [&'static str]),
    /// A mapping from class name to a positive weight.
    ClassWeights,
    /// A non-empty list of integers in `[min, max]` (e.g. hidden layer sizes). In a spec, a
    /// flat list is one value; a list of lists is a grid.
    IntList {
        min: i64,
        max: i64,
    },
    /// A non-empty list of numbers in `[min, max]` (e.g. voting weights); a flat list is
    /// one value, a list of lists is a grid.
    FloatList {
        min: f64,
        max: f64,
    },
    /// One model entry written as in a spec's `models:` list (`algorithm`, optional
    /// `backend` and `params`), e.g. a bagging base estimator. The structure is checked
    /// here; the algorithm and its parameters are checked by whoever knows the registry
    /// (the spec validator, the ensemble's builder). Canonical form: see
    /// `ensemble::member_value`.
    Member,
    /// A non-empty list of [`ParamKind::Member`] entries (voting or stacking members).
    MemberList,
    /// `null`, meaning "not set" (e.g. unlimited depth).
    Null,
    /// Any of several kinds (e.g. `max_features`: "sqrt" | fraction | count).
    OneOf(Vec<ParamKind>),
}

impl fmt::Display for ParamKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamKind::Int { min, max } => write!(f, "an integer {}", int_range(*min, *max)),
            ParamKind::Float { min, max } => {
                write!(f, "a number {}", float_range(*min, *max, false))
            }
            ParamKind::FloatOpenMin { min, max } => {
                write!(f, "a number {}", float_range(*min, *max, true))
            }
            ParamKind::Bool => write!(f, "true or false"),
            ParamKind::Choice(c) => {
                let quoted: Vec<String> = c.iter().map(|w| format!("\"{w}\"")).collect();
                write!(f, "one of {}", quoted.join(", "))
            }
            ParamKind::ClassWeights => write!(f, "a mapping of class name to positive weight"),
            ParamKind::IntList { min, max } => {
                write!(f, "a non-empty list of integers {}", int_range(*min, *max))
            }
            ParamKind::FloatList { min, max } => {
                write!(
                    f,
                    "a non-empty list of numbers {}",
                    float_range(*min, *max, false)
                )
            }
            ParamKind::Member => write!(f, "{MEMBER}"),
            ParamKind::MemberList => write!(f, "a non-empty list of entries, each {MEMBER}"),
            ParamKind::Null => write!(f, "null"),
            ParamKind::OneOf(kinds) => {
                let parts: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
                write!(f, "{}", parts.join(", or "))
            }
        }
    }
}

const MEMBER: &str = "a model entry (`algorithm`, optional `backend` and `params`)";

/// `[min, max]` in words; the type's extremes stand for "no bound" (a person should never
/// read a 19-digit limit).
fn int_range(min: i64, max: i64) -> String {
    match (min == i64::MIN, max == i64::MAX) {
        (true, true) => "of any value".to_string(),
        (true, false) => format!("<= {max}"),
        (false, true) => format!(">= {min}"),
        (false, false) => format!("in [{min}, {max}]"),
    }
}

/// `[min, max]` (or `(min, max]` when `open_min`) in words; `f64::MAX` and infinity are
/// "no bound" (`f64::MAX` would print as a 309-digit number).
fn float_range(min: f64, max: f64, open_min: bool) -> String {
    let (no_min, no_max) = (min <= f64::MIN, max >= f64::MAX);
    let (lo, op) = if open_min { ("(", ">") } else { ("[", ">=") };
    match (no_min, no_max) {
        (true, true) => "of any finite value".to_string(),
        (true, false) => format!("<= {max}"),
        (false, true) => format!("{op} {min}"),
        (false, false) => format!("in {lo}{min}, {max}]"),
    }
}

impl ParamKind {
    /// Whether a list is itself a value of this kind (so that only a list of lists is a grid).
    pub fn accepts_list(&self) -> bool {
        match self {
            ParamKind::IntList { .. } | ParamKind::FloatList { .. } | ParamKind::MemberList => true,
            ParamKind::OneOf(kinds) => kinds.iter().any(|k| k.accepts_list()),
            _ => false,
        }
    }

    /// Check `v` against this kind; on success return the value in canonical form
    /// (integers widened to floats for float kinds).
    pub fn check(&self, v: &ParamValue) -> Result<ParamValue, String> {
        let fail = || Err(format!("expected {self}, found {} `{v}`", v.type_name()));
        match (self, v) {
            (ParamKind::Int { min, max }, ParamValue::Int(i)) => {
                if i < min || i > max {
                    Err(format!("{i} is out of range: expected {self}"))
                } else {
                    Ok(v.clone())
                }
            }
            (ParamKind::Float { min, max }, ParamValue::Int(_) | ParamValue::Float(_)) => {
                let x = as_f64(v);
                if !x.is_finite() || x < *min || x > *max {
                    Err(format!("{x} is out of range: expected {self}"))
                } else {
                    Ok(ParamValue::Float(x))
                }
            }
            (ParamKind::FloatOpenMin { min, max }, ParamValue::Int(_) | ParamValue::Float(_)) => {
                let x = as_f64(v);
                if !x.is_finite() || x <= *min || x > *max {
                    Err(format!("{x} is out of range: expected {self}"))
                } else {
                    Ok(ParamValue::Float(x))
                }
            }
            (ParamKind::Bool, ParamValue::Bool(_)) => Ok(v.clone()),
            (ParamKind::Choice(words), ParamValue::Str(s)) => {
                if words.contains(&s.as_str()) {
                    Ok(v.clone())
                } else {
                    fail()
                }
            }
            (ParamKind::ClassWeights, ParamValue::Map(m)) => {
                for (k, w) in m {
                    match w {
                        ParamValue::Int(_) | ParamValue::Float(_) if as_f64(w) > 0.0 => {}
                        _ => return Err(format!("class `{k}`: weight must be a positive number")),
                    }
                }
                Ok(v.clone())
            }
            (ParamKind::IntList { min, max }, ParamValue::List(items)) => {
                if items.is_empty() {
                    return fail();
                }
                for item in items {
                    match item {
                        ParamValue::Int(i) if i >= min && i <= max => {}
                        ParamValue::Int(i) => {
                            return Err(format!("{i} is out of range: expected {self}"));
                        }
                        _ => return fail(),
                    }
                }
                Ok(v.clone())
            }
            (ParamKind::FloatList { min, max }, ParamValue::List(items)) => {
                check_float_list(self, items, *min, *max)
            }
            (ParamKind::Member, ParamValue::Map(m)) => check_member(m).map(|_| v.clone()),
            (ParamKind::MemberList, ParamValue::List(items)) if !items.is_empty() => {
                for (i, item) in items.iter().enumerate() {
                    match item {
                        ParamValue::Map(m) => check_member(m).map_err(|e| format!("[{i}]: {e}"))?,
                        _ => return fail(),
                    }
                }
                Ok(v.clone())
            }
            (ParamKind::Null, ParamValue::Null) => Ok(ParamValue::Null),
            (ParamKind::OneOf(kinds), _) => {
                // Prefer a kind of the same shape so that range errors are specific.
                let mut range_err = None;
                for k in kinds {
                    match k.check(v) {
                        Ok(c) => return Ok(c),
                        Err(e) if e.contains("out of range") => range_err = Some(e),
                        Err(_) => {}
                    }
                }
                match range_err {
                    Some(e) => Err(e),
                    None => fail(),
                }
            }
            _ => fail(),
        }
    }
}

/// Numbers in range, widened to floats.
fn check_float_list(
    kind: &ParamKind,
    items: &[ParamValue],
    min: f64,
    max: f64,
) -> Result<ParamValue, String> {
    if items.is_empty() {
        return Err(format!("expected {kind}, found an empty list"));
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let x = match item {
            ParamValue::Int(_) | ParamValue::Float(_) => as_f64(item),
            other => {
                return Err(format!(
                    "expected {kind}, found {} `{other}`",
                    other.type_name()
                ));
            }
        };
        if !x.is_finite() || x < min || x > max {
            return Err(format!("{x} is out of range: expected {kind}"));
        }
        out.push(ParamValue::Float(x));
    }
    Ok(ParamValue::List(out))
}

/// The shape of a model entry: a string `algorithm`, an optional string `backend`, an
/// optional mapping `params`, nothing else.
fn check_member(m: &BTreeMap<String, ParamValue>) -> Result<(), String> {
    for (k, v) in m {
        let ok = match k.as_str() {
            "algorithm" | "backend" => matches!(v, ParamValue::Str(_)),
            "params" => matches!(v, ParamValue::Map(_)),
            _ => {
                return Err(format!(
                    "unknown field `{k}` in a model entry: expected algorithm, backend, params"
                ));
            }
        };
        if !ok {
            return Err(format!(
                "`{k}` must be a {}",
                if k == "params" { "mapping" } else { "string" }
            ));
        }
    }
    if !m.contains_key("algorithm") {
        return Err("a model entry needs `algorithm`".into());
    }
    Ok(())
}

fn as_f64(v: &ParamValue) -> f64 {
    match v {
        ParamValue::Int(i) => *i as f64,
        ParamValue::Float(x) => *x,
        _ => f64::NAN,
    }
}

/// Declaration of one hyper-parameter.
#[derive(Debug, Clone)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: ParamKind,
    pub default: ParamValue,
    pub doc: &'static str,
}

impl ParamSpec {
    pub fn new(
        name: &'static str,
        kind: ParamKind,
        default: ParamValue,
        doc: &'static str,
    ) -> Self {
        ParamSpec {
            name,
            kind,
            default,
            doc,
        }
    }
}

/// Validate `given` against `specs`: unknown names, wrong kinds and ranges are errors
/// (all of them, as `(name, message)`); missing names take their defaults.
pub fn resolve(
    specs: &[ParamSpec],
    given: &BTreeMap<String, ParamValue>,
) -> Result<ParamMap, Vec<(String, String)>> {
    let mut errors = Vec::new();
    let mut out = BTreeMap::new();
    for (name, value) in given {
        match specs.iter().find(|s| s.name == name) {
            None => errors.push((name.clone(), "unknown parameter".to_string())),
            Some(spec) => match spec.kind.check(value) {
                Ok(v) => {
                    out.insert(name.clone(), v);
                }
                Err(e) => errors.push((name.clone(), e)),
            },
        }
    }
    for spec in specs {
        out.entry(spec.name.to_string())
            .or_insert_with(|| spec.default.clone());
    }
    if errors.is_empty() {
        Ok(ParamMap(out))
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs() -> Vec<ParamSpec> {
        vec![
            ParamSpec::new(
                "max_depth",
                ParamKind::OneOf(vec![ParamKind::Int { min: 1, max: 1000 }, ParamKind::Null]),
                ParamValue::Null,
                "maximum depth (null = unlimited)",
            ),
            ParamSpec::new(
                "learning_rate",
                ParamKind::FloatOpenMin { min: 0.0, max: 1.0 },
                ParamValue::Float(0.1),
                "shrinkage",
            ),
        ]
    }

    #[test]
    fn resolve_fills_defaults_and_widens_ints() {
        let mut given = BTreeMap::new();
        given.insert("learning_rate".to_string(), ParamValue::Int(1));
        let m = resolve(&specs(), &given).unwrap();
        assert_eq!(m.f64("learning_rate").unwrap(), 1.0);
        assert_eq!(m.opt_usize("max_depth").unwrap(), None);
    }

    #[test]
    fn resolve_reports_every_problem() {
        let mut given = BTreeMap::new();
        given.insert("learning_rate".to_string(), ParamValue::Float(0.0));
        given.insert("max_depth".to_string(), ParamValue::Str("deep".into()));
        given.insert("n_tree".to_string(), ParamValue::Int(3));
        let errs = resolve(&specs(), &given).unwrap_err();
        assert_eq!(errs.len(), 3);
        let lr = errs.iter().find(|(n, _)| n == "learning_rate").unwrap();
        assert_eq!(lr.1, "0 is out of range: expected a number in (0, 1]");
        let md = errs.iter().find(|(n, _)| n == "max_depth").unwrap();
        assert_eq!(
            md.1,
            "expected an integer in [1, 1000], or null, found a string `deep`"
        );
    }

    #[test]
    fn member_and_float_list_kinds_check_their_shape() {
        let entry = |pairs: &[(&str, ParamValue)]| {
            ParamValue::Map(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
            )
        };
        let tree = entry(&[("algorithm", ParamValue::Str("decision_tree".into()))]);
        assert!(ParamKind::Member.check(&tree).is_ok());
        let bad = entry(&[
            ("algorithm", ParamValue::Str("knn".into())),
            ("name", ParamValue::Str("x".into())),
        ]);
        assert_eq!(
            ParamKind::Member.check(&bad).unwrap_err(),
            "unknown field `name` in a model entry: expected algorithm, backend, params"
        );
        let list = ParamValue::List(vec![tree.clone(), entry(&[])]);
        assert_eq!(
            ParamKind::MemberList.check(&list).unwrap_err(),
            "[1]: a model entry needs `algorithm`"
        );
        assert!(
            ParamKind::MemberList
                .check(&ParamValue::List(vec![]))
                .is_err()
        );
        assert!(ParamKind::MemberList.accepts_list());
        let weights = ParamKind::FloatList {
            min: 0.0,
            max: f64::MAX,
        };
        let given = ParamValue::List(vec![ParamValue::Int(2), ParamValue::Float(0.5)]);
        assert_eq!(
            weights.check(&given).unwrap(),
            ParamValue::List(vec![ParamValue::Float(2.0), ParamValue::Float(0.5)])
        );
        let negative = ParamValue::List(vec![ParamValue::Float(-1.0)]);
        assert_eq!(
            weights.check(&negative).unwrap_err(),
            "-1 is out of range: expected a non-empty list of numbers >= 0"
        );
    }

    #[test]
    fn unbounded_ranges_read_as_words() {
        let show = |k: ParamKind| k.to_string();
        assert_eq!(
            show(ParamKind::Float {
                min: 0.0,
                max: f64::MAX
            }),
            "a number >= 0"
        );
        assert_eq!(
            show(ParamKind::FloatOpenMin {
                min: 0.0,
                max: f64::INFINITY
            }),
            "a number > 0"
        );
        assert_eq!(
            show(ParamKind::Int {
                min: 1,
                max: i64::MAX
            }),
            "an integer >= 1"
        );
        assert_eq!(
            show(ParamKind::Float {
                min: 1.0,
                max: 100.0
            }),
            "a number in [1, 100]"
        );
        assert_eq!(
            show(ParamKind::IntList {
                min: 1,
                max: i64::MAX
            }),
            "a non-empty list of integers >= 1"
        );
        let err = ParamKind::Float {
            min: 0.0,
            max: f64::MAX,
        }
        .check(&ParamValue::Float(-1.0))
        .unwrap_err();
        assert_eq!(err, "-1 is out of range: expected a number >= 0");
    }
}
