//! Cluster profiles for the report: each cluster's size, class mix, centre in the
//! original units of the input features (the preprocessing's scaling undone, one-hot
//! levels read back as the most frequent value) and the model features that most set it
//! apart from the rest of the rows (standardised mean difference).
//!
//! Statistics are computed on the model matrix mapped back to original units (the
//! scaling undone; one-hot columns rounded back to exact 0/1, so a level absent from a
//! group has a mean of exactly 0 rather than rounding noise). After PCA the model columns
//! themselves are profiled.

use anomalab_results::{CentreValue, ClusterProfile, FeatureContrast};
use ndarray::ArrayView2;

use crate::preprocess::{EncodeMethod, FittedPipeline, FittedStep};

/// How many contrasting features each profile keeps.
const CONTRASTS: usize = 5;

/// Where an input feature lives in the model matrix.
enum Source {
    Numeric(usize),
    /// One column per level: (level, column).
    OneHot(Vec<(String, usize)>),
    /// One column of level indices (`levels.len()` = folded `__other__`, -1 = unseen).
    Ordinal(usize, Vec<String>),
}

/// The map from model columns back to the input features: `original = a * x + b` per
/// column, and the input feature each column belongs to.
pub(super) struct Decoder {
    a: Vec<f64>,
    b: Vec<f64>,
    /// Columns holding a one-hot 0/1 indicator.
    indicator: Vec<bool>,
    features: Vec<(String, Source)>,
}

impl Decoder {
    /// `None` after PCA (a component mixes every feature and cannot be read back); with
    /// no PCA, every model column belongs to exactly one input feature.
    pub(super) fn new(p: &FittedPipeline) -> Option<Decoder> {
        let d = p.output_names.len();
        let (mut a, mut b) = (vec![1.0; d], vec![0.0; d]);
        for step in p.steps.iter().rev() {
            match step {
                FittedStep::Pca(_) => return None,
                FittedStep::Scale { center, scale } => {
                    for j in 0..d.min(center.len()).min(scale.len()) {
                        a[j] *= scale[j];
                        b[j] = b[j] * scale[j] + center[j];
                    }
                }
                _ => {}
            }
        }
        let encodings: Vec<(&String, &Vec<String>, EncodeMethod)> = p
            .steps
            .iter()
            .filter_map(|s| match s {
                FittedStep::Encode { method, levels, .. } => Some((levels, *method)),
                _ => None,
            })
            .flat_map(|(levels, m)| levels.iter().map(move |(c, l)| (c, l, m)))
            .collect();
        let col = |name: &str| p.output_names.iter().position(|n| n == name);
        let features: Vec<(String, Source)> = p
            .input
            .iter()
            .filter_map(|ic| {
                let enc = encodings.iter().find(|e| *e.0 == ic.name);
                let source = match enc {
                    Some((_, levels, EncodeMethod::Ordinal)) => {
                        Source::Ordinal(col(&ic.name)?, levels.to_vec())
                    }
                    Some(_) => {
                        let prefix = format!("{}=", ic.name);
                        let cols: Vec<(String, usize)> = p
                            .output_names
                            .iter()
                            .enumerate()
                            .filter_map(|(j, n)| Some((n.strip_prefix(&prefix)?.to_string(), j)))
                            .collect();
                        (!cols.is_empty()).then_some(Source::OneHot(cols))?
                    }
                    None => Source::Numeric(col(&ic.name)?),
                };
                Some((ic.name.clone(), source))
            })
            .collect();
        let mut indicator = vec![false; d];
        for (_, src) in &features {
            if let Source::OneHot(levels) = src {
                levels.iter().for_each(|(_, j)| indicator[*j] = true);
            }
        }
        Some(Decoder {
            a,
            b,
            indicator,
            features,
        })
    }

    fn orig(&self, j: usize, v: f64) -> f64 {
        let o = self.a[j] * v + self.b[j];
        if self.indicator[j] { o.round() } else { o }
    }
}

/// Per-group row counts, means and sums of squared deviations of every model column;
/// group `k` (one past the last cluster) holds the noise rows.
struct GroupStats {
    n: Vec<usize>,
    mean: Vec<Vec<f64>>,
    ss: Vec<Vec<f64>>,
}

/// The statistics of every group in original units (model units without a decoder).
fn group_stats(
    x: ArrayView2<'_, f64>,
    group: &[usize],
    groups: usize,
    dec: Option<&Decoder>,
) -> GroupStats {
    let d = x.ncols();
    let val = |j: usize, v: f64| dec.map_or(v, |dec| dec.orig(j, v));
    let mut n = vec![0usize; groups];
    let mut mean = vec![vec![0.0; d]; groups];
    for (row, &g) in x.rows().into_iter().zip(group) {
        n[g] += 1;
        for (j, (m, v)) in mean[g].iter_mut().zip(row).enumerate() {
            *m += val(j, *v);
        }
    }
    for (m, &c) in mean.iter_mut().zip(&n) {
        m.iter_mut().for_each(|v| *v /= c.max(1) as f64);
    }
    let mut ss = vec![vec![0.0; d]; groups];
    for (row, &g) in x.rows().into_iter().zip(group) {
        for (j, ((s, v), m)) in ss[g].iter_mut().zip(row).zip(&mean[g]).enumerate() {
            *s += (val(j, *v) - m).powi(2);
        }
    }
    GroupStats { n, mean, ss }
}

/// Profiles of every cluster and of the noise rows (when there are any). `x` is the model
/// matrix of the clustered rows, `labels` their clusters, `y` their classes.
pub(super) fn cluster_profiles(
    x: ArrayView2<'_, f64>,
    labels: &[Option<usize>],
    n_clusters: usize,
    y: &[u32],
    class_names: &[String],
    pipeline: &FittedPipeline,
) -> Vec<ClusterProfile> {
    let k = labels
        .iter()
        .flatten()
        .map(|&c| c + 1)
        .max()
        .unwrap_or(0)
        .max(n_clusters);
    let group: Vec<usize> = labels.iter().map(|l| l.unwrap_or(k)).collect();
    let decoder = Decoder::new(pipeline);
    let stats = group_stats(x, &group, k + 1, decoder.as_ref());
    let mut out = Vec::new();
    for g in 0..=k {
        if g == k && stats.n[k] == 0 {
            continue;
        }
        let mut comp = vec![0usize; class_names.len()];
        for (_, &c) in group.iter().zip(y).filter(|(gr, _)| **gr == g) {
            comp[c as usize] += 1;
        }
        let members: Vec<usize> = (0..group.len()).filter(|&i| group[i] == g).collect();
        out.push(ClusterProfile {
            cluster: (g < k).then_some(g),
            size: stats.n[g],
            composition: class_names
                .iter()
                .cloned()
                .zip(comp)
                .filter(|(_, n)| *n > 0)
                .collect(),
            top_features: Vec::new(),
            centre: decoder
                .as_ref()
                .map(|dec| centre(dec, &stats.mean[g], x, &members))
                .unwrap_or_default(),
            contrasts: contrasts(&stats, g, &pipeline.output_names),
        });
    }
    out
}

/// The centre of one group in original units.
fn centre(
    dec: &Decoder,
    mean: &[f64],
    x: ArrayView2<'_, f64>,
    members: &[usize],
) -> Vec<CentreValue> {
    if members.is_empty() {
        return Vec::new();
    }
    dec.features
        .iter()
        .map(|(name, src)| {
            let (m, mode, share) = match src {
                Source::Numeric(j) => (Some(mean[*j]), None, None),
                Source::OneHot(levels) => {
                    // The first level with the largest share (rows of an unseen level
                    // have no column set and count for none).
                    let best = levels.iter().fold(None::<(&String, f64)>, |best, (l, j)| {
                        let s = mean[*j];
                        if best.is_none_or(|b| s > b.1) {
                            Some((l, s))
                        } else {
                            best
                        }
                    });
                    (None, best.map(|b| b.0.clone()), best.map(|b| b.1))
                }
                Source::Ordinal(j, levels) => {
                    let (level, share) = ordinal_mode(dec, *j, levels, x, members);
                    (None, Some(level), Some(share))
                }
            };
            CentreValue {
                feature: name.clone(),
                mean: m,
                mode,
                share,
            }
        })
        .collect()
}

/// The most frequent level of an ordinal-encoded column among `members` (the lowest
/// index on ties) and its share.
fn ordinal_mode(
    dec: &Decoder,
    j: usize,
    levels: &[String],
    x: ArrayView2<'_, f64>,
    members: &[usize],
) -> (String, f64) {
    let mut counts = std::collections::BTreeMap::<i64, usize>::new();
    for &r in members {
        *counts
            .entry(dec.orig(j, x[[r, j]]).round() as i64)
            .or_default() += 1;
    }
    let (code, n) = counts.iter().fold(
        (0i64, 0usize),
        |b, (&c, &n)| if n > b.1 { (c, n) } else { b },
    );
    let level = match usize::try_from(code) {
        Ok(i) if i < levels.len() => levels[i].clone(),
        Ok(_) => "__other__".to_string(),
        Err(_) => "<unseen>".to_string(),
    };
    (level, n as f64 / members.len() as f64)
}

/// The model columns with the largest |standardised mean difference| between group `g`
/// and all other rows (noise included). A column constant within the group and within
/// the rest at different values separates them completely: its SMD is unbounded, so it
/// is flagged `complete`, listed first, and its `smd` is the difference over the column's
/// overall standard deviation instead. Columns constant over all rows are skipped.
fn contrasts(s: &GroupStats, g: usize, names: &[String]) -> Vec<FeatureContrast> {
    let n1 = s.n[g] as f64;
    let n = s.n.iter().sum::<usize>() as f64;
    let n0 = n - n1;
    if n1 < 1.0 || n0 < 1.0 || n < 3.0 {
        return Vec::new();
    }
    let mut out: Vec<FeatureContrast> = (0..names.len())
        .filter_map(|j| {
            // Rest: pooled mean, and its squared deviations by the parallel formula.
            let others = (0..s.n.len()).filter(|&h| h != g && s.n[h] > 0);
            let m0 = others
                .clone()
                .map(|h| s.n[h] as f64 * s.mean[h][j])
                .sum::<f64>()
                / n0;
            let ss0: f64 = others
                .map(|h| s.ss[h][j] + s.n[h] as f64 * (s.mean[h][j] - m0).powi(2))
                .sum();
            let m1 = s.mean[g][j];
            let within = s.ss[g][j] + ss0;
            let total = within + n1 * n0 / n * (m1 - m0).powi(2);
            // Relative to the values' size: decoding leaves rounding noise in constants.
            let tiny = 1e-20 * (m1 * m1 + m0 * m0) * n;
            if total <= tiny {
                return None;
            }
            let complete = within <= tiny;
            let sd = if complete {
                total / (n - 1.0)
            } else {
                within / (n - 2.0)
            }
            .sqrt();
            Some(FeatureContrast {
                feature: names[j].clone(),
                smd: (m1 - m0) / sd,
                cluster_mean: m1,
                rest_mean: m0,
                complete,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (b.complete.cmp(&a.complete))
            .then(b.smd.abs().total_cmp(&a.smd.abs()))
            .then(a.feature.cmp(&b.feature))
    });
    out.truncate(CONTRASTS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Column, ColumnData, Dataset, Table};
    use crate::preprocess::{
        EncodeMethod, EncodeSpec, Pipeline, ScaleMethod, ScaleSpec, StepSpec, Unseen,
    };
    use serde_json::Value;

    /// Rows, classes and clusters of `scripts/ref_cluster_profile.py`, with the profiles
    /// pandas computes for them.
    fn reference() -> Value {
        serde_json::from_str(include_str!(
            "../../../tests/reference/cluster_profile.json"
        ))
        .expect("reference JSON")
    }

    fn column(rows: &[Value], name: &str) -> Column {
        let data = if rows[0][name].is_string() {
            let mut levels: Vec<String> = Vec::new();
            let codes = rows
                .iter()
                .map(|r| {
                    let s = r[name].as_str().unwrap().to_string();
                    let at = levels.iter().position(|l| *l == s).unwrap_or_else(|| {
                        levels.push(s);
                        levels.len() - 1
                    });
                    at as u32
                })
                .collect();
            ColumnData::Categorical { codes, levels }
        } else {
            ColumnData::Numeric(rows.iter().map(|r| r[name].as_f64().unwrap()).collect())
        };
        Column {
            name: name.into(),
            data,
        }
    }

    #[test]
    fn profiles_equal_pandas_on_the_reference_rows() {
        let r = reference();
        let rows = r["rows"].as_array().unwrap();
        let classes: Vec<String> = serde_json::from_value(r["class_names"].clone()).unwrap();
        let y: Vec<u32> = rows
            .iter()
            .map(|row| classes.iter().position(|c| row["class"] == *c).unwrap() as u32)
            .collect();
        let labels: Vec<Option<usize>> = rows
            .iter()
            .map(|row| row["cluster"].as_u64().map(|c| c as usize))
            .collect();
        let names = ["bytes", "rate", "const", "proto", "flag", "service"];
        let train = Dataset {
            features: Table {
                columns: names.iter().map(|n| column(rows, n)).collect(),
            },
            y: y.clone(),
            class_names: classes.clone(),
            raw_labels: vec![String::new(); rows.len()],
        };
        let steps = vec![
            StepSpec::Encode(EncodeSpec {
                method: EncodeMethod::Onehot,
                unseen: Unseen::Ignore,
                max_categories: None,
            }),
            StepSpec::Scale(ScaleSpec {
                method: ScaleMethod::Standard,
            }),
        ];
        let fitted = Pipeline::new(steps).fit(&train, 0).unwrap();
        let got = cluster_profiles(fitted.x.view(), &labels, 3, &y, &classes, &fitted.pipeline);
        let want = r["profiles"].as_array().unwrap();
        assert_eq!(got.len(), want.len(), "three clusters and the noise rows");
        for (g, w) in got.iter().zip(want) {
            check_profile(g, w);
        }
    }

    fn check_profile(g: &ClusterProfile, w: &Value) {
        let close = |a: f64, b: &Value| (a - b.as_f64().unwrap()).abs() <= 1e-9 * (1.0 + a.abs());
        let key = g.cluster.map_or("noise".to_string(), |c| c.to_string());
        assert_eq!(key, w["cluster"].as_str().unwrap());
        assert_eq!(g.size as u64, w["size"].as_u64().unwrap(), "{key}");
        for (class, n) in &g.composition {
            assert_eq!(
                *n as u64,
                w["composition"][class].as_u64().unwrap(),
                "{key} {class}"
            );
        }
        assert_eq!(
            g.composition.len(),
            w["composition"].as_object().unwrap().len()
        );
        assert_eq!(g.centre.len(), 6, "{key}: every input feature");
        for c in &g.centre {
            let want = &w["centre"][&c.feature];
            match (&c.mean, &c.mode) {
                (Some(m), None) => assert!(close(*m, want), "{key} {}: {m} vs {want}", c.feature),
                (None, Some(mode)) => {
                    assert_eq!(mode, want["mode"].as_str().unwrap(), "{key} {}", c.feature);
                    assert!(
                        close(c.share.unwrap(), &want["share"]),
                        "{key} {}",
                        c.feature
                    );
                }
                other => panic!("{key} {}: {other:?}", c.feature),
            }
        }
        // The five largest |SMD| of pandas (complete separations first) equal ours.
        let mut smd: Vec<(&String, &Value)> = w["smd"].as_object().unwrap().iter().collect();
        smd.sort_by(|a, b| {
            let v = |x: &Value| x["smd"].as_f64().unwrap().abs();
            let c = |x: &Value| x["complete"].as_bool().unwrap();
            c(b.1).cmp(&c(a.1)).then(v(b.1).total_cmp(&v(a.1)))
        });
        assert_eq!(g.contrasts.len(), CONTRASTS);
        for (c, (name, v)) in g.contrasts.iter().zip(smd) {
            assert_eq!(&c.feature, name, "{key}");
            assert!(
                close(c.smd, &v["smd"]),
                "{key} {name}: {} vs {}",
                c.smd,
                v["smd"]
            );
            assert!(close(c.cluster_mean, &v["cluster_mean"]), "{key} {name}");
            assert!(close(c.rest_mean, &v["rest_mean"]), "{key} {name}");
            assert_eq!(c.complete, v["complete"].as_bool().unwrap(), "{key} {name}");
        }
        assert!(
            !g.contrasts.iter().any(|c| c.feature == "const"),
            "constant: no SMD"
        );
    }
}
