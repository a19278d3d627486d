//! Shared test helpers: the fixture generator and file helpers.
//!
//! The fixtures in `tests/fixtures/*.json` are produced by [`fixture`] from simulated,
//! seeded model outputs (not copied from any run or data set): for each fold and trial,
//! as many test rows as the fold has get a class from realistic class shares, a model of a given "skill" scores
//! them (`score = skill * [row is of the class] + N(0, 1)`), and every number in the
//! results (confusion, per-class metrics, accuracy, F1, ROC/PR curves and AUC, timings,
//! unsupervised diagnostics) is computed from those scores, so the files are internally
//! consistent. `cargo test -p anomalab-report --test fixtures` checks the committed files
//! still match; `UPDATE_FIXTURES=1` rewrites them.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anomalab_learn::{ParamMap, ParamValue, Rng};
use anomalab_report::model::*;

/// The fixture names, each a file `tests/fixtures/<name>.json`.
pub const FIXTURES: [&str; 3] = ["binary", "multiclass", "unsupervised"];

pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture_path(name: &str) -> PathBuf {
    crate_dir()
        .join("tests/fixtures")
        .join(format!("{name}.json"))
}

/// Load a committed fixture through the public API.
pub fn load(name: &str) -> RunResults {
    anomalab_report::load_results(&fixture_path(name)).expect("committed fixture parses")
}

/// Build a fixture by name.
pub fn fixture(name: &str) -> RunResults {
    match name {
        "binary" => binary(),
        "multiclass" => multiclass(),
        "unsupervised" => unsupervised(),
        other => panic!("unknown fixture {other}"),
    }
}

/// Round to 6 decimals so the JSON stays readable and stable.
fn r6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn manifest(name: &str, seed: u64, duration: f64) -> RunManifest {
    RunManifest {
        tool_version: "0.1.0".into(),
        git_commit: Some("a8fb7ce".into()),
        spec_path: format!("experiments/{name}.yaml"),
        spec_text: format!("name: {name}\nseed: {seed}\n"),
        spec_resolved: serde_json::json!({ "name": name, "seed": seed }),
        spec_hash: "5f2a0c7e9b1d4a6c8e0f2b4d6a8c0e2f4b6d8a0c2e4f6b8d0a2c4e6f8b0d2a4c".into(),
        seed,
        threads: 2,
        host: HostInfo {
            os: "linux".into(),
            arch: "x86_64".into(),
            cpus: 2,
            hostname: Some("ci-runner".into()),
            memory_bytes: Some(8 * 1024 * 1024 * 1024),
        },
        started_at: "2026-11-20T10:00:00Z".into(),
        finished_at: Some("2026-11-20T10:03:12Z".into()),
        duration_seconds: Some(duration),
        command_line: vec![
            "anomalab".into(),
            "run".into(),
            format!("experiments/{name}.yaml"),
        ],
    }
}

fn params(pairs: &[(&str, ParamValue)]) -> ParamMap {
    ParamMap(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// One-vs-rest curves and areas from scores (higher = more likely `positive`).
/// AUC is the trapezoid area under the full ROC; AP is sum over thresholds of
/// (R_n - R_{n-1}) P_n (scikit-learn's definition).
pub fn curves(class: &str, scores: &[f64], positive: &[bool]) -> ClassCurves {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let p = positive.iter().filter(|&&x| x).count() as f64;
    let n = scores.len() as f64 - p;
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut roc = vec![(0.0, 0.0)];
    let mut pr = Vec::new();
    let mut auc = 0.0;
    let mut ap = 0.0;
    let mut prev_recall = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let s = scores[idx[i]];
        while i < idx.len() && scores[idx[i]] == s {
            if positive[idx[i]] {
                tp += 1.0
            } else {
                fp += 1.0
            }
            i += 1;
        }
        let (fpr, tpr) = (fp / n, tp / p);
        let last = *roc.last().unwrap();
        auc += (fpr - last.0) * (tpr + last.1) / 2.0;
        roc.push((fpr, tpr));
        let precision = tp / (tp + fp);
        ap += (tpr - prev_recall) * precision;
        prev_recall = tpr;
        pr.push((tpr, precision));
    }
    // Downsample to about 40 points for plotting, keeping both ends.
    let thin = |v: Vec<(f64, f64)>| -> Vec<(f64, f64)> {
        let step = (v.len() / 40).max(1);
        let last = v.len() - 1;
        v.iter()
            .enumerate()
            .filter(|(i, _)| i % step == 0 || *i == last)
            .map(|(_, &(a, b))| (r6(a), r6(b)))
            .collect()
    };
    ClassCurves {
        class: class.into(),
        roc_auc: Some(r6(auc)),
        average_precision: Some(r6(ap)),
        roc: thin(roc),
        pr: thin(pr),
    }
}

/// Confusion, per-class metrics, accuracy and macro/weighted F1 from labels.
fn classification(
    classes: &[&str],
    truth: &[usize],
    pred: &[usize],
) -> (Vec<Vec<u64>>, Vec<ClassMetrics>, BTreeMap<String, f64>) {
    let k = classes.len();
    let mut cm = vec![vec![0u64; k]; k];
    for (&t, &p) in truth.iter().zip(pred) {
        cm[t][p] += 1;
    }
    let mut per = Vec::new();
    let (mut f1_sum, mut f1_w, mut p_sum, mut r_sum) = (0.0, 0.0, 0.0, 0.0);
    let total = truth.len() as f64;
    for c in 0..k {
        let tp = cm[c][c] as f64;
        let col: u64 = (0..k).map(|r| cm[r][c]).sum();
        let row: u64 = cm[c].iter().sum();
        let precision = if col == 0 { 0.0 } else { tp / col as f64 };
        let recall = if row == 0 { 0.0 } else { tp / row as f64 };
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        f1_sum += f1;
        f1_w += f1 * row as f64 / total;
        p_sum += precision;
        r_sum += recall;
        per.push(ClassMetrics {
            class: classes[c].into(),
            precision: r6(precision),
            recall: r6(recall),
            f1: r6(f1),
            support: row,
        });
    }
    let acc = (0..k).map(|c| cm[c][c]).sum::<u64>() as f64 / total;
    let mut m = BTreeMap::new();
    m.insert("accuracy".into(), r6(acc));
    m.insert("f1_macro".into(), r6(f1_sum / k as f64));
    m.insert("f1_weighted".into(), r6(f1_w));
    m.insert("precision_macro".into(), r6(p_sum / k as f64));
    m.insert("recall_macro".into(), r6(r_sum / k as f64));
    (cm, per, m)
}

/// Mean and population std of each metric over folds.
fn aggregate(folds: &[FoldResult]) -> (BTreeMap<String, f64>, BTreeMap<String, f64>) {
    let mut mean = BTreeMap::new();
    let mut std = BTreeMap::new();
    if folds.is_empty() {
        return (mean, std);
    }
    for name in folds[0].metrics.keys() {
        let v: Vec<f64> = folds
            .iter()
            .filter_map(|f| f.metrics.get(name).copied())
            .collect();
        if v.len() != folds.len() {
            continue;
        }
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let s = (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64).sqrt();
        mean.insert(name.clone(), m);
        std.insert(name.clone(), s);
    }
    (mean, std)
}

/// Draw `n` class labels with the given shares.
fn labels(rng: &mut Rng, n: usize, shares: &[f64]) -> Vec<usize> {
    (0..n)
        .map(|_| {
            let u = rng.next_f64();
            let mut acc = 0.0;
            for (i, s) in shares.iter().enumerate() {
                acc += s;
                if u < acc {
                    return i;
                }
            }
            shares.len() - 1
        })
        .collect()
}

struct ModelDef {
    model: &'static str,
    algorithm: &'static str,
    backend: &'static str,
    params: ParamMap,
    varied: Vec<String>,
    skill: f64,
    fit: f64,
    predict: f64,
    importances: bool,
    error: Option<&'static str>,
}

fn label_of(id: usize, d: &ModelDef) -> String {
    let p: Vec<String> = d
        .params
        .0
        .iter()
        .filter(|(k, _)| d.varied.contains(k))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if p.is_empty() {
        format!("{}#{id}", d.model)
    } else {
        format!("{}#{id} ({})", d.model, p.join(", "))
    }
}

const FEATURES: [&str; 24] = [
    "src_bytes",
    "dst_bytes",
    "count",
    "srv_count",
    "same_srv_rate",
    "diff_srv_rate",
    "dst_host_count",
    "dst_host_srv_count",
    "dst_host_same_srv_rate",
    "logged_in",
    "serror_rate",
    "rerror_rate",
    "duration",
    "protocol_type_tcp",
    "service_http",
    "flag_SF",
    "hot",
    "num_failed_logins",
    "wrong_fragment",
    "dst_host_serror_rate",
    "dst_host_rerror_rate",
    "num_compromised",
    "srv_serror_rate",
    "land",
];

/// Run simulated supervised trials.
fn supervised_trials(
    seed: u64,
    classes: &[&str],
    shares: &[f64],
    folds: &[FoldSummary],
    defs: &[ModelDef],
) -> Vec<TrialResult> {
    let k = classes.len();
    defs.iter()
        .enumerate()
        .map(|(id, d)| {
            let mut rng = Rng::new(anomalab_learn::rng::derive_seed(seed, id as u64));
            let mut fold_results = Vec::new();
            let mut fit_s = Vec::new();
            let mut pred_s = Vec::new();
            if d.error.is_none() {
                for (fi, f) in folds.iter().enumerate() {
                    let n = f.test_rows;
                    let truth = labels(&mut rng, n, shares);
                    // scores[row][class]
                    let scores: Vec<Vec<f64>> = truth
                        .iter()
                        .map(|&t| {
                            (0..k)
                                .map(|c| if c == t { d.skill } else { 0.0 } + rng.normal())
                                .collect()
                        })
                        .collect();
                    let pred: Vec<usize> = if k == 2 {
                        scores
                            .iter()
                            .map(|s| usize::from(s[1] - s[0] > 0.0))
                            .collect()
                    } else {
                        scores
                            .iter()
                            .map(|s| {
                                (0..k)
                                    .max_by(|&a, &b| s[a].total_cmp(&s[b]).then(b.cmp(&a)))
                                    .unwrap()
                            })
                            .collect()
                    };
                    let (cm, per, mut metrics) = classification(classes, &truth, &pred);
                    let curves_v: Vec<ClassCurves> = if k == 2 {
                        let s: Vec<f64> = scores.iter().map(|s| s[1] - s[0]).collect();
                        let pos: Vec<bool> = truth.iter().map(|&t| t == 1).collect();
                        vec![curves(classes[1], &s, &pos)]
                    } else {
                        (0..k)
                            .map(|c| {
                                let s: Vec<f64> = scores.iter().map(|s| s[c]).collect();
                                let pos: Vec<bool> = truth.iter().map(|&t| t == c).collect();
                                curves(classes[c], &s, &pos)
                            })
                            .collect()
                    };
                    let aucs: Vec<f64> = curves_v.iter().filter_map(|c| c.roc_auc).collect();
                    metrics.insert(
                        "roc_auc".into(),
                        r6(aucs.iter().sum::<f64>() / aucs.len() as f64),
                    );
                    let importances = d.importances.then(|| {
                        let mut v: Vec<(String, f64)> = FEATURES
                            .iter()
                            .enumerate()
                            .map(|(i, f)| {
                                (
                                    f.to_string(),
                                    (1.0 / (i as f64 + 1.5)) * (0.8 + 0.4 * rng.next_f64()),
                                )
                            })
                            .collect();
                        let total: f64 = v.iter().map(|x| x.1).sum();
                        for x in &mut v {
                            x.1 = r6(x.1 / total);
                        }
                        v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                        v
                    });
                    fit_s.push(r6(d.fit * (0.9 + 0.2 * rng.next_f64())));
                    pred_s.push(r6(d.predict * (0.9 + 0.2 * rng.next_f64())));
                    fold_results.push(FoldResult {
                        fold: folds[fi].name.clone(),
                        repeat: 0,
                        metrics,
                        confusion: cm,
                        per_class: per,
                        curves: curves_v,
                        feature_importances: importances,
                        diagnostics: Diagnostics::default(),
                    });
                }
            }
            let (mean, std) = aggregate(&fold_results);
            let mean_of = |v: &[f64]| {
                if v.is_empty() {
                    0.0
                } else {
                    r6(v.iter().sum::<f64>() / v.len() as f64)
                }
            };
            TrialResult {
                id,
                model: d.model.into(),
                algorithm: d.algorithm.into(),
                backend: d.backend.into(),
                role: Role::Classifier,
                params: d.params.clone(),
                varied: d.varied.clone(),
                label: label_of(id, d),
                status: if d.error.is_some() {
                    TrialStatus::Failed
                } else {
                    TrialStatus::Ok
                },
                error: d.error.map(String::from),
                folds: fold_results,
                mean,
                std,
                timing: TrialTiming {
                    fit_seconds_mean: mean_of(&fit_s),
                    predict_seconds_mean: mean_of(&pred_s),
                    fit_seconds: fit_s,
                    predict_seconds: pred_s,
                },
            }
        })
        .collect()
}

fn best_of(r: &RunResults) -> Option<BestModel> {
    let metric = &r.selection.metric;
    r.trials
        .iter()
        .filter(|t| t.status == TrialStatus::Ok && t.mean.contains_key(metric))
        .max_by(|a, b| {
            a.mean[metric]
                .total_cmp(&b.mean[metric])
                .then(b.id.cmp(&a.id))
        })
        .map(|t| BestModel {
            trial_id: t.id,
            label: t.label.clone(),
            metric: metric.clone(),
            value: t.mean[metric],
            model_path: Some(format!("models/{}/best.model", r.experiment)),
        })
}

fn int(i: i64) -> ParamValue {
    ParamValue::Int(i)
}

fn dataset(
    source: &str,
    classes: &[&str],
    counts: &[usize],
    test: Option<Vec<usize>>,
    synthetic: bool,
) -> DatasetSummary {
    DatasetSummary {
        source: source.into(),
        target: Some("label".into()),
        description: if synthetic {
            "two Gaussian blobs per class, 24 features, generated with seed 7".into()
        } else {
            format!("{source} (train and test files)")
        },
        synthetic,
        files: if synthetic {
            vec![]
        } else {
            vec![
                FileSummary {
                    path: format!("{source}/KDDTrain+.txt"),
                    role: "train".into(),
                    sha256: "c2d3a1f1e0b9a8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3"
                        .into(),
                    bytes: 19_109_424,
                    rows: counts.iter().sum(),
                    columns: 43,
                },
                FileSummary {
                    path: format!("{source}/KDDTest+.txt"),
                    role: "test".into(),
                    sha256: "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
                        .into(),
                    bytes: 3_441_513,
                    rows: test.as_ref().map_or(0, |t| t.iter().sum()),
                    columns: 43,
                },
            ]
        },
        class_names: classes.iter().map(|s| s.to_string()).collect(),
        class_counts_train: counts.to_vec(),
        class_counts_test: test,
        class_counts_after_preprocessing: Some(counts.iter().map(|c| c - c / 97).collect()),
        n_features_raw: 41,
        n_features_model: 122,
        feature_names: FEATURES.iter().map(|s| s.to_string()).collect(),
        preprocessing: vec![
            "drop rows with missing values".into(),
            "one-hot encode protocol_type, service, flag".into(),
            "standard scaling (fitted on the training fold)".into(),
        ],
        warnings: vec![],
    }
}

/// Binary supervised: 3 models (one with a 2-point grid), 2 stratified folds.
fn binary() -> RunResults {
    let classes = ["normal", "attack"];
    let folds = vec![
        FoldSummary {
            name: "1".into(),
            repeat: 0,
            train_rows: 3000,
            test_rows: 3000,
        },
        FoldSummary {
            name: "2".into(),
            repeat: 0,
            train_rows: 3000,
            test_rows: 3000,
        },
    ];
    let defs = vec![
        ModelDef {
            model: "random_forest",
            algorithm: "random_forest",
            backend: "native",
            params: params(&[("n_trees", int(100)), ("max_depth", int(12))]),
            varied: vec!["max_depth".into()],
            skill: 3.1,
            fit: 2.41,
            predict: 0.083,
            importances: true,
            error: None,
        },
        ModelDef {
            model: "random_forest",
            algorithm: "random_forest",
            backend: "native",
            params: params(&[("n_trees", int(100)), ("max_depth", int(4))]),
            varied: vec!["max_depth".into()],
            skill: 2.3,
            fit: 0.92,
            predict: 0.041,
            importances: true,
            error: None,
        },
        ModelDef {
            model: "logistic_regression",
            algorithm: "logistic_regression",
            backend: "linfa",
            params: params(&[("c", ParamValue::Float(1.0)), ("max_iter", int(200))]),
            varied: vec![],
            skill: 2.0,
            fit: 0.35,
            predict: 0.0021,
            importances: false,
            error: None,
        },
        ModelDef {
            model: "naive_bayes",
            algorithm: "gaussian_nb",
            backend: "linfa",
            params: params(&[("var_smoothing", ParamValue::Float(1e-9))]),
            varied: vec![],
            skill: 1.4,
            fit: 0.012,
            predict: 0.0009,
            importances: false,
            error: None,
        },
    ];
    let trials = supervised_trials(11, &classes, &[0.53, 0.47], &folds, &defs);
    let mut r = RunResults {
        format_version: RESULTS_FORMAT_VERSION,
        experiment: "binary_demo".into(),
        description: Some(
            "Normal vs attack on a 6,000-row sample, 2-fold stratified cross-validation.".into(),
        ),
        status: RunStatus::Complete,
        manifest: manifest("binary_demo", 11, 14.8),
        dataset: dataset("synthetic", &classes, &[3180, 2820], None, true),
        split: SplitSummary {
            kind: "kfold".into(),
            repeats: 1,
            folds,
        },
        selection: Selection {
            metric: "f1_macro".into(),
            higher_is_better: true,
        },
        trials,
        best: None,
        projection: None,
    };
    r.best = best_of(&r);
    r
}

/// Multiclass (NSL-KDD-like 5 classes), official split, one failed trial.
fn multiclass() -> RunResults {
    let classes = ["normal", "dos", "probe", "r2l", "u2r"];
    let folds = vec![FoldSummary {
        name: "official".into(),
        repeat: 0,
        train_rows: 125_973,
        test_rows: 22_544,
    }];
    let defs = vec![
        ModelDef {
            model: "random_forest",
            algorithm: "random_forest",
            backend: "native",
            params: params(&[("n_trees", int(100)), ("max_depth", int(20))]),
            varied: vec![],
            skill: 3.4,
            fit: 41.7,
            predict: 0.61,
            importances: true,
            error: None,
        },
        ModelDef {
            model: "gbdt",
            algorithm: "gradient_boosting",
            backend: "native",
            params: params(&[
                ("n_rounds", int(200)),
                ("learning_rate", ParamValue::Float(0.1)),
            ]),
            varied: vec![],
            skill: 3.0,
            fit: 95.2,
            predict: 0.34,
            importances: true,
            error: None,
        },
        ModelDef {
            model: "knn",
            algorithm: "knn",
            backend: "native",
            params: params(&[("k", int(5))]),
            varied: vec![],
            skill: 0.0,
            fit: 0.0,
            predict: 0.0,
            importances: false,
            error: Some(
                "not enough memory for the 22,544 x 125,973 distance block (needs 22.7 GB, limit 4 GB): set `batch_rows` lower",
            ),
        },
        ModelDef {
            model: "mlp",
            algorithm: "mlp",
            backend: "native",
            params: params(&[
                ("hidden", ParamValue::Str("64,32".into())),
                ("epochs", int(30)),
            ]),
            varied: vec![],
            skill: 2.6,
            fit: 18.3,
            predict: 0.12,
            importances: false,
            error: None,
        },
    ];
    let trials = supervised_trials(23, &classes, &[0.43, 0.33, 0.11, 0.12, 0.01], &folds, &defs);
    let mut trials = trials;
    // The MLP reports its loss curve.
    if let Some(f) = trials[3].folds.first_mut() {
        let train: Vec<f64> = (0..30)
            .map(|e| r6(0.08 + 1.2 * (-(e as f64) / 6.0).exp()))
            .collect();
        let validation: Vec<f64> = (0..30)
            .map(|e| r6(0.13 + 1.1 * (-(e as f64) / 6.5).exp() + 0.0015 * e as f64))
            .collect();
        f.diagnostics.loss_curve = Some(LossCurve { train, validation });
    }
    let mut ds = dataset(
        "nsl_kdd",
        &classes,
        &[67_343, 45_927, 11_656, 995, 52],
        Some(vec![9_711, 7_458, 2_421, 2_754, 200]),
        false,
    );
    ds.warnings
        .push("class u2r has 52 training rows: its metrics are unstable".into());
    let mut r = RunResults {
        format_version: RESULTS_FORMAT_VERSION,
        experiment: "nsl_kdd_multiclass".into(),
        description: Some("NSL-KDD 5-class attack categories, official train/test split.".into()),
        status: RunStatus::Complete,
        manifest: manifest("nsl_kdd_multiclass", 23, 512.0),
        dataset: ds,
        split: SplitSummary {
            kind: "official".into(),
            repeats: 1,
            folds,
        },
        selection: Selection {
            metric: "f1_macro".into(),
            higher_is_better: true,
        },
        trials,
        best: None,
        projection: None,
    };
    r.best = best_of(&r);
    r
}

/// Confusion, per-class metrics and curves of a detector (clusterers have none).
type Supervised = (Vec<Vec<u64>>, Vec<ClassMetrics>, Vec<ClassCurves>);

// One argument per field of the trial keeps the fixture definitions below readable.
#[allow(clippy::too_many_arguments)]
fn unsup_trial(
    id: usize,
    model: &str,
    algorithm: &str,
    role: Role,
    params: ParamMap,
    metrics: &[(&str, f64)],
    diagnostics: Diagnostics,
    extra: Option<Supervised>,
    fit: f64,
    predict: f64,
) -> TrialResult {
    let m: BTreeMap<String, f64> = metrics
        .iter()
        .map(|(k, v)| (k.to_string(), r6(*v)))
        .collect();
    let (confusion, per_class, curves) = extra.unwrap_or_default();
    TrialResult {
        id,
        model: model.into(),
        algorithm: algorithm.into(),
        backend: "native".into(),
        role,
        params,
        varied: vec![],
        label: format!("{model}#{id}"),
        status: TrialStatus::Ok,
        error: None,
        folds: vec![FoldResult {
            fold: "holdout".into(),
            repeat: 0,
            metrics: m.clone(),
            confusion,
            per_class,
            curves,
            feature_importances: None,
            diagnostics,
        }],
        std: m.keys().map(|k| (k.clone(), 0.0)).collect(),
        mean: m,
        timing: TrialTiming {
            fit_seconds_mean: fit,
            predict_seconds_mean: predict,
            fit_seconds: vec![fit],
            predict_seconds: vec![predict],
        },
    }
}

/// Index of the smallest value (first on ties).
fn argmin(v: &[f64]) -> usize {
    (0..v.len()).fold(0, |b, i| if v[i] < v[b] { i } else { b })
}

/// Unsupervised: isolation-forest detector, SOM detector, k-means, GMM and DBSCAN clusterers.
fn unsupervised() -> RunResults {
    let classes = ["normal", "attack"];
    let mut rng = Rng::new(41);
    // Test rows of the holdout fold: 900 normal, 100 attack; detector scores.
    let n = 1000;
    let truth: Vec<usize> = (0..n).map(|i| usize::from(i >= 900)).collect();
    let score = |rng: &mut Rng, t: usize, shift: f64| {
        r6(0.42 + 0.05 * rng.normal() + if t == 1 { shift } else { 0.0 })
    };
    let detector = |rng: &mut Rng, shift: f64, name: &str| {
        let s: Vec<f64> = truth.iter().map(|&t| score(rng, t, shift)).collect();
        // Threshold: the 90th percentile of the scores (contamination 0.1).
        let mut sorted = s.clone();
        sorted.sort_by(f64::total_cmp);
        let threshold = sorted[(0.9 * n as f64) as usize];
        let pred: Vec<usize> = s.iter().map(|&x| usize::from(x > threshold)).collect();
        let (cm, per, mut metrics) = classification(&classes, &truth, &pred);
        let pos: Vec<bool> = truth.iter().map(|&t| t == 1).collect();
        let c = curves("attack", &s, &pos);
        metrics.insert("roc_auc".into(), c.roc_auc.unwrap());
        let edges: Vec<f64> = (0..=30).map(|i| r6(0.2 + i as f64 * 0.02)).collect();
        let hist = |cls: usize| -> Vec<u64> {
            let mut h = vec![0u64; 30];
            for (x, &t) in s.iter().zip(&truth) {
                if t == cls {
                    let b = (((x - 0.2) / 0.02).floor().max(0.0) as usize).min(29);
                    h[b] += 1;
                }
            }
            h
        };
        let _ = name;
        (
            cm,
            per,
            c,
            metrics,
            Threshold {
                value: threshold,
                method: "contamination".into(),
            },
            ScoreHistogram {
                log_bins: false,
                edges,
                counts: vec![("normal".into(), hist(0)), ("attack".into(), hist(1))],
            },
        )
    };
    let mut trials = Vec::new();
    let (cm, per, c, m, th, hist) = detector(&mut rng, 0.16, "iforest");
    let metrics: Vec<(&str, f64)> = m.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    trials.push(unsup_trial(
        0,
        "isolation_forest",
        "isolation_forest",
        Role::Detector,
        params(&[
            ("n_trees", int(100)),
            ("contamination", ParamValue::Float(0.1)),
        ]),
        &metrics,
        Diagnostics {
            threshold: Some(th),
            score_histogram: Some(hist),
            ..Default::default()
        },
        Some((cm, per, vec![c])),
        0.84,
        0.051,
    ));
    let (cm, per, c, m, th, hist) = detector(&mut rng, 0.11, "som");
    let metrics: Vec<(&str, f64)> = m.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    // U-matrix 8 x 10: two basins separated by a ridge.
    let u: Vec<f64> = (0..8)
        .flat_map(|r| (0..10).map(move |c| (r, c)))
        .map(|(r, c)| {
            let ridge = (-(((c as f64 - 6.0) + 0.3 * r as f64).powi(2)) / 2.0).exp();
            r6((0.15 + 0.8 * ridge).min(1.0))
        })
        .collect();
    let loss: Vec<f64> = (0..20)
        .map(|e| r6(0.9 * (-(e as f64) / 5.0).exp() + 0.21))
        .collect();
    trials.push(unsup_trial(
        1,
        "som",
        "som",
        Role::Detector,
        params(&[("rows", int(8)), ("cols", int(10)), ("epochs", int(20))]),
        &metrics,
        Diagnostics {
            threshold: Some(th),
            score_histogram: Some(hist),
            u_matrix: Some(UMatrix {
                rows: 8,
                cols: 10,
                values: u,
            }),
            loss_curve: Some(LossCurve {
                train: loss,
                validation: vec![],
            }),
            ..Default::default()
        },
        Some((cm, per, vec![c])),
        3.2,
        0.07,
    ));
    // Projection sample: 300 points, normal in two blobs, attack in a third.
    let mut points = Vec::new();
    let mut kmeans_clusters = Vec::new();
    let mut dbscan_clusters = Vec::new();
    for i in 0..300 {
        let (cx, cy, cls, blob) = if i < 130 {
            (-2.0, 0.5, 0, 0)
        } else if i < 260 {
            (1.5, 1.8, 0, 1)
        } else {
            (2.2, -2.4, 1, 2)
        };
        let (x, y) = (r6(cx + 0.6 * rng.normal()), r6(cy + 0.5 * rng.normal()));
        points.push((x, y, cls));
        kmeans_clusters.push(Some(blob));
        dbscan_clusters.push(if (x - cx).abs() > 1.2 || (y - cy).abs() > 1.0 {
            None
        } else {
            Some(blob)
        });
    }
    let ks: Vec<usize> = (2..=10).collect();
    let inertia: Vec<f64> = ks
        .iter()
        .map(|&k| r6(1800.0 / (k as f64).powf(1.6) + if k < 3 { 900.0 } else { 0.0 } + 40.0))
        .collect();
    let silhouette: Vec<Option<f64>> = ks
        .iter()
        .map(|&k| {
            Some(r6(0.62
                - 0.05 * (k as f64 - 3.0).abs()
                - if k == 2 { 0.1 } else { 0.0 }))
        })
        .collect();
    let profile = |clusters: &[Option<usize>]| -> Vec<ClusterProfile> {
        let mut keys: Vec<Option<usize>> = clusters.to_vec();
        keys.sort();
        keys.dedup();
        keys.into_iter()
            .map(|k| {
                let members: Vec<usize> = (0..points.len()).filter(|&i| clusters[i] == k).collect();
                let attack = members.iter().filter(|&&i| points[i].2 == 1).count();
                ClusterProfile {
                    cluster: k,
                    size: members.len(),
                    composition: vec![
                        ("normal".into(), members.len() - attack),
                        ("attack".into(), attack),
                    ],
                    top_features: match k {
                        Some(2) => vec![("serror_rate".into(), 2.41), ("count".into(), 1.87)],
                        Some(0) => vec![("logged_in".into(), 1.12), ("dst_bytes".into(), 0.93)],
                        Some(_) => vec![
                            ("same_srv_rate".into(), 1.05),
                            ("service_http".into(), -0.88),
                        ],
                        None => vec![("src_bytes".into(), 3.2)],
                    },
                    centre: vec![],
                    contrasts: vec![],
                }
            })
            .collect()
    };
    trials.push(unsup_trial(
        2,
        "kmeans",
        "kmeans",
        Role::Clusterer,
        params(&[("k", ParamValue::Str("auto".into())), ("k_max", int(10))]),
        &[("silhouette", 0.62), ("adjusted_rand", 0.71)],
        Diagnostics {
            elbow: Some(Elbow {
                k: ks.clone(),
                inertia,
                silhouette,
                chosen_k: 3,
            }),
            projection_clusters: Some(kmeans_clusters.clone()),
            cluster_profile: Some(with_contrasts(profile(&kmeans_clusters))),
            ..Default::default()
        },
        None,
        0.45,
        0.004,
    ));
    let comps: Vec<usize> = (1..=8).collect();
    let bic: Vec<f64> = comps
        .iter()
        .map(|&c| r6(14_200.0 - 2600.0 * (1.0 - (-(c as f64 - 1.0) / 1.1).exp()) + 95.0 * c as f64))
        .collect();
    let aic: Vec<f64> = comps
        .iter()
        .map(|&c| r6(14_050.0 - 2700.0 * (1.0 - (-(c as f64 - 1.0) / 1.1).exp()) + 40.0 * c as f64))
        .collect();
    trials.push(unsup_trial(
        3,
        "gmm",
        "gaussian_mixture",
        Role::Clusterer,
        params(&[
            ("n_components", ParamValue::Str("auto".into())),
            ("covariance", ParamValue::Str("diag".into())),
        ]),
        &[("silhouette", 0.58), ("adjusted_rand", 0.66)],
        Diagnostics {
            information_criteria: Some(InformationCriteria {
                // The chosen count is the BIC minimum, as the runner picks it.
                chosen: comps[argmin(&bic)],
                n_components: comps,
                bic,
                aic,
            }),
            ..Default::default()
        },
        None,
        1.9,
        0.011,
    ));
    let dists: Vec<f64> = (0..120)
        .map(|i| r6(0.12 + 1.6 * (-(i as f64) / 9.0).exp()))
        .collect();
    trials.push(unsup_trial(
        4,
        "dbscan",
        "dbscan",
        Role::Clusterer,
        params(&[
            ("eps", ParamValue::Str("auto".into())),
            ("min_samples", int(10)),
        ]),
        &[
            ("silhouette", 0.55),
            ("adjusted_rand", 0.69),
            (
                "noise_fraction",
                dbscan_clusters.iter().filter(|c| c.is_none()).count() as f64 / 300.0,
            ),
        ],
        Diagnostics {
            k_distance: Some(KDistance {
                k: 10,
                distances: dists.clone(),
                positions: vec![],
                eps: dists[14],
                knee_index: Some(14),
                sampled_rows: 20_000,
                total_rows: 82_332,
            }),
            projection_clusters: Some(dbscan_clusters.clone()),
            cluster_profile: Some(profile(&dbscan_clusters)),
            notes: vec!["DBSCAN ran on a 20,000-row sample of the 82,332 training rows.".into()],
            ..Default::default()
        },
        None,
        6.7,
        0.0,
    ));
    let mut ds = dataset("unsw_nb15", &classes, &[37_000, 45_332], None, false);
    ds.files.truncate(1);
    ds.files[0].path = "unsw-nb15/UNSW_NB15_training-set.csv".into();
    ds.files[0].rows = 82_332;
    ds.files[0].columns = 45;
    ds.class_counts_after_preprocessing = Some(vec![37_000, 4_111]);
    ds.preprocessing
        .push("subsample attacks to 10% of the training rows (contamination 0.1)".into());
    let mut r = RunResults {
        format_version: RESULTS_FORMAT_VERSION,
        experiment: "unsw_unsupervised".into(),
        description: None,
        status: RunStatus::Complete,
        manifest: manifest("unsw_unsupervised", 41, 96.5),
        dataset: ds,
        split: SplitSummary {
            kind: "holdout".into(),
            repeats: 1,
            folds: vec![FoldSummary {
                name: "holdout".into(),
                repeat: 0,
                train_rows: 41_111,
                test_rows: 1000,
            }],
        },
        selection: Selection {
            metric: "roc_auc".into(),
            higher_is_better: true,
        },
        trials,
        best: None,
        projection: Some(Projection2d {
            explained_variance_ratio: [0.412, 0.183],
            points,
        }),
    };
    r.best = best_of(&r);
    r
}

/// Paths of every file in a directory tree, relative, sorted.
pub fn list_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// The k-means profiles as newer results hold them: centres in original units and
/// contrasts against the rest of the rows instead of `top_features` (the DBSCAN profiles
/// keep the older form, so both are rendered).
fn with_contrasts(mut profiles: Vec<ClusterProfile>) -> Vec<ClusterProfile> {
    for p in &mut profiles {
        let k = p.cluster.unwrap_or(9) as f64;
        p.centre = vec![
            CentreValue {
                feature: "src_bytes".into(),
                mean: Some(r6(250.0 + 1800.0 * k)),
                mode: None,
                share: None,
            },
            CentreValue {
                feature: "protocol_type".into(),
                mean: None,
                mode: Some(if k == 2.0 { "tcp" } else { "udp" }.into()),
                share: Some(r6(0.9 - 0.1 * k)),
            },
        ];
        p.contrasts = std::mem::take(&mut p.top_features)
            .into_iter()
            .map(|(feature, smd)| FeatureContrast {
                complete: feature == "serror_rate",
                cluster_mean: r6(0.5 + smd / 4.0),
                rest_mean: r6(0.5 - smd / 8.0),
                feature,
                smd,
            })
            .collect();
    }
    profiles
}
