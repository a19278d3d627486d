//! Ensemble members in a spec (`estimators:`, `estimator:`, `final_estimator:`).
//!
//! A member is written exactly like a `models:` entry (`algorithm`, optional `backend`,
//! `params`) and checked by the same code, so its problems carry the same messages at the
//! nested path (`models[2].params.estimators[1].params.max_depth`). It must be a
//! classifier, and takes one value per parameter: grids over a member's parameters are not
//! supported (a list of whole members, or of whole member lists, is a grid as usual). A
//! checked member becomes its canonical value (`ensemble::member_value`): backend named,
//! every parameter resolved.

use std::collections::BTreeMap;

use anomalab_learn::{ParamKind, ParamMap, ParamSpec, ParamValue};
use serde::Deserialize;
use serde_json::Value;

use super::{AlgorithmInfo, ModelSpec, Role, Seg, Validator, at, models};

/// A member as written: a `models:` entry without name, training or threshold.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberSpec {
    algorithm: String,
    #[serde(default)]
    backend: Option<String>,
    #[serde(default)]
    params: BTreeMap<String, Value>,
}

fn indexed(path: &[Seg], i: usize) -> Vec<Seg> {
    let mut p = path.to_vec();
    p.push(Seg::Index(i));
    p
}

impl Validator {
    /// The checked values of a member parameter, one per grid point: a list of members
    /// (for one member) or a list of lists (for a member list) is a grid.
    pub(super) fn member_values(
        &mut self,
        ppath: &[Seg],
        pspec: &ParamSpec,
        raw: &Value,
    ) -> Option<Vec<ParamValue>> {
        let single = pspec.kind == ParamKind::Member;
        let points: Vec<(Vec<Seg>, &Value)> = match raw {
            Value::Array(items)
                if single || (!items.is_empty() && items.iter().all(|i| i.is_array())) =>
            {
                items
                    .iter()
                    .enumerate()
                    .map(|(j, v)| (indexed(ppath, j), v))
                    .collect()
            }
            v => vec![(ppath.to_vec(), v)],
        };
        if points.is_empty() {
            self.report(ppath, false, "an empty list leaves nothing to try", None);
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        for (vpath, v) in points {
            let value = if single {
                self.member(&vpath, v)
            } else {
                self.member_list(&vpath, v)
            };
            match value.map(|value| pspec.kind.check(&value)) {
                Some(Ok(value)) => out.push(value),
                Some(Err(e)) => {
                    self.report(&vpath, false, e, None);
                    ok = false;
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn member_list(&mut self, path: &[Seg], v: &Value) -> Option<ParamValue> {
        let items = match v {
            Value::Array(items) if !items.is_empty() => items,
            _ => {
                self.report(
                    path,
                    false,
                    "expected a non-empty list of model entries (algorithm, backend, params)",
                    None,
                );
                return None;
            }
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match self.member(&indexed(path, i), item) {
                Some(m) => out.push(m),
                None => ok = false,
            }
        }
        ok.then_some(ParamValue::List(out))
    }

    /// One member, checked like a `models:` entry, in canonical form.
    fn member(&mut self, path: &[Seg], v: &Value) -> Option<ParamValue> {
        let m: MemberSpec = self.section(path.to_vec(), v)?;
        let spec = ModelSpec {
            algorithm: m.algorithm,
            name: None,
            backend: m.backend,
            params: m.params,
            training: None,
            threshold: None,
        };
        let info = self.find_algorithm(path, &spec)?;
        if info.role != Role::Classifier {
            self.report(
                &at(path, "algorithm"),
                false,
                format!(
                    "`{}` is a {}; ensemble members must be classifiers",
                    info.name,
                    info.role.as_str()
                ),
                None,
            );
            return None;
        }
        let axes = self.param_axes(path, &spec, &info)?;
        let resolved = self.member_params(path, &info, axes)?;
        if let Err(e) = models::check_params(&info, &resolved) {
            self.report(&at(path, "params"), false, e.to_string(), None);
            return None;
        }
        Some(anomalab_learn::ensemble::member_value(
            info.name,
            info.backend,
            &resolved,
        ))
    }

    /// One value per parameter (no grids inside a member), defaults filled in.
    fn member_params(
        &mut self,
        path: &[Seg],
        info: &AlgorithmInfo,
        axes: Vec<(String, Vec<ParamValue>)>,
    ) -> Option<ParamMap> {
        let mut given = BTreeMap::new();
        let mut ok = true;
        for (name, mut values) in axes {
            if values.len() != 1 {
                let mut p = at(path, "params");
                p.push(Seg::Key(name));
                self.report(
                    &p,
                    false,
                    "a member takes one value per parameter: grids over a member's parameters are not supported",
                    Some("write one value; to compare settings, list the ensemble twice under different names".into()),
                );
                ok = false;
                continue;
            }
            given.insert(name, values.remove(0));
        }
        if !ok {
            return None;
        }
        match anomalab_learn::params::resolve(&info.params, &given) {
            Ok(r) => Some(r),
            Err(errs) => {
                for (n, e) in errs {
                    let mut p = at(path, "params");
                    p.push(Seg::Key(n));
                    self.report(&p, false, e, None);
                }
                None
            }
        }
    }
}
