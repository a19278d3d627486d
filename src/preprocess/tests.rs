use super::*;
use crate::data::{Column, ColumnData, Dataset, Table};

fn num(name: &str, v: &[f64]) -> Column {
    Column {
        name: name.into(),
        data: ColumnData::Numeric(v.to_vec()),
    }
}

fn cat(name: &str, v: &[&str]) -> Column {
    let mut levels: Vec<String> = Vec::new();
    let codes = v
        .iter()
        .map(|s| match levels.iter().position(|l| l == s) {
            Some(i) => i as u32,
            None => {
                levels.push(s.to_string());
                (levels.len() - 1) as u32
            }
        })
        .collect();
    Column {
        name: name.into(),
        data: ColumnData::Categorical { codes, levels },
    }
}

fn ds(columns: Vec<Column>, y: &[u32]) -> Dataset {
    Dataset {
        features: Table { columns },
        y: y.to_vec(),
        class_names: vec!["normal".into(), "attack".into()],
        raw_labels: y.iter().map(|c| c.to_string()).collect(),
    }
}

fn scale(method: ScaleMethod) -> StepSpec {
    StepSpec::Scale(ScaleSpec { method })
}

#[test]
fn standard_scaling_matches_scikit_learn_and_uses_training_statistics_only() {
    // sklearn.preprocessing.StandardScaler().fit([[1],[2],[3],[4]]): mean_ 2.5, scale_ 1.118033988749895
    let train = ds(vec![num("a", &[1.0, 2.0, 3.0, 4.0])], &[0, 0, 1, 1]);
    let fitted = Pipeline::new(vec![scale(ScaleMethod::Standard)])
        .fit(&train, 0)
        .unwrap();
    let s = 1.118033988749895;
    assert!((fitted.x[[0, 0]] - (1.0 - 2.5) / s).abs() < 1e-12);
    // Test data far away does not move the fitted statistics.
    let test = Table {
        columns: vec![num("a", &[100.0])],
    };
    let (x, _) = fitted.pipeline.transform(&test).unwrap();
    assert!((x[[0, 0]] - (100.0 - 2.5) / s).abs() < 1e-12);
}

#[test]
fn robust_and_minmax_scaling_match_scikit_learn() {
    // RobustScaler().fit([[1],[2],[3],[4],[100]]): center_ 3, scale_ 2 (IQR 4-2)
    let train = ds(
        vec![num("a", &[1.0, 2.0, 3.0, 4.0, 100.0])],
        &[0, 0, 1, 1, 1],
    );
    let r = Pipeline::new(vec![scale(ScaleMethod::Robust)])
        .fit(&train, 0)
        .unwrap();
    assert_eq!(r.x.column(0).to_vec(), vec![-1.0, -0.5, 0.0, 0.5, 48.5]);
    // MinMaxScaler: (x - 1) / 99
    let m = Pipeline::new(vec![scale(ScaleMethod::Minmax)])
        .fit(&train, 0)
        .unwrap();
    assert!((m.x[[3, 0]] - 3.0 / 99.0).abs() < 1e-15);
    assert_eq!(m.x[[4, 0]], 1.0);
}

#[test]
fn constant_columns_are_centred_not_divided_by_zero() {
    let train = ds(vec![num("a", &[5.0, 5.0, 5.0])], &[0, 1, 1]);
    let f = Pipeline::new(vec![scale(ScaleMethod::Standard)])
        .fit(&train, 0)
        .unwrap();
    assert_eq!(f.x.column(0).to_vec(), vec![0.0, 0.0, 0.0]);
}

#[test]
fn onehot_uses_training_levels_and_ignores_unseen_ones() {
    let train = ds(
        vec![
            cat("proto", &["tcp", "udp", "tcp"]),
            num("n", &[1.0, 2.0, 3.0]),
        ],
        &[0, 1, 0],
    );
    let enc = StepSpec::Encode(EncodeSpec {
        method: EncodeMethod::Onehot,
        unseen: Unseen::Ignore,
        max_categories: None,
    });
    let f = Pipeline::new(vec![enc]).fit(&train, 0).unwrap();
    assert_eq!(f.pipeline.output_names, vec!["proto=tcp", "proto=udp", "n"]);
    assert_eq!(f.x.row(1).to_vec(), vec![0.0, 1.0, 2.0]);
    let test = Table {
        columns: vec![cat("proto", &["icmp", "udp"]), num("n", &[7.0, 8.0])],
    };
    let (x, stats) = f.pipeline.transform(&test).unwrap();
    assert_eq!(x.row(0).to_vec(), vec![0.0, 0.0, 7.0]);
    assert_eq!(x.row(1).to_vec(), vec![0.0, 1.0, 8.0]);
    assert_eq!(stats.unseen_categories["proto"], 1);
}

#[test]
fn an_unseen_category_is_an_error_when_asked() {
    let train = ds(vec![cat("proto", &["tcp", "udp"])], &[0, 1]);
    let enc = StepSpec::Encode(EncodeSpec {
        method: EncodeMethod::Ordinal,
        unseen: Unseen::Error,
        max_categories: None,
    });
    let f = Pipeline::new(vec![enc]).fit(&train, 0).unwrap();
    assert_eq!(f.x.column(0).to_vec(), vec![0.0, 1.0]);
    let test = Table {
        columns: vec![cat("proto", &["udp", "icmp"])],
    };
    let err = f.pipeline.transform(&test).unwrap_err();
    assert_eq!(
        err.to_string(),
        "column `proto`: category `icmp` (data row 2) was not seen in training, and `encode.unseen` is `error`"
    );
}

#[test]
fn categorical_columns_without_an_encode_step_are_refused_clearly() {
    let train = ds(vec![cat("service", &["http", "ftp"])], &[0, 1]);
    let err = Pipeline::new(vec![]).fit(&train, 0).err().unwrap();
    assert!(
        err.to_string()
            .starts_with("column `service` is categorical (e.g. value `http`)"),
        "{err}"
    );
}

#[test]
fn infinity_without_a_clean_step_is_refused_and_median_imputation_fixes_it() {
    let train = ds(
        vec![num("rate", &[1.0, f64::INFINITY, 3.0, f64::NAN])],
        &[0, 1, 0, 1],
    );
    let err = Pipeline::new(vec![]).fit(&train, 0).err().unwrap();
    assert_eq!(
        err.to_string(),
        "column `rate` has 2 non-finite value(s) (Infinity, first in data row 2): add a `clean` step (e.g. `- clean: {non_finite: median}`) or drop the column"
    );
    let clean = StepSpec::Clean(CleanSpec {
        non_finite: NonFinite::Median,
        drop_duplicates: false,
    });
    let f = Pipeline::new(vec![clean]).fit(&train, 0).unwrap();
    // median of the finite training values {1, 3} = 2
    assert_eq!(f.x.column(0).to_vec(), vec![1.0, 2.0, 3.0, 2.0]);
    let (x, stats) = f
        .pipeline
        .transform(&Table {
            columns: vec![num("rate", &[f64::NEG_INFINITY])],
        })
        .unwrap();
    assert_eq!(x[[0, 0]], 2.0);
    assert_eq!(stats.imputed_cells, 1);
}

#[test]
fn drop_mode_removes_training_rows_and_duplicates() {
    let train = ds(
        vec![
            num("a", &[1.0, 1.0, f64::INFINITY, 2.0]),
            num("b", &[0.0, 0.0, 1.0, 0.0]),
        ],
        &[0, 0, 1, 1],
    );
    let clean = StepSpec::Clean(CleanSpec {
        non_finite: NonFinite::Drop,
        drop_duplicates: true,
    });
    let f = Pipeline::new(vec![clean]).fit(&train, 0).unwrap();
    assert_eq!(f.y, vec![0, 1]);
    assert_eq!(f.x.column(0).to_vec(), vec![1.0, 2.0]);
    assert_eq!(f.notes.len(), 2);
}

#[test]
fn balancing_equalises_classes_on_training_rows_only() {
    let train = ds(
        vec![num("a", &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0])],
        &[0, 0, 0, 0, 1, 1],
    );
    let under = StepSpec::Balance(BalanceSpec {
        method: BalanceMethod::Undersample,
        ratio: 1.0,
    });
    let f = Pipeline::new(vec![under]).fit(&train, 7).unwrap();
    assert_eq!(f.y.iter().filter(|&&c| c == 0).count(), 2);
    assert_eq!(f.y.iter().filter(|&&c| c == 1).count(), 2);
    let over = StepSpec::Balance(BalanceSpec {
        method: BalanceMethod::Oversample,
        ratio: 1.0,
    });
    let f = Pipeline::new(vec![over]).fit(&train, 7).unwrap();
    assert_eq!(f.y.iter().filter(|&&c| c == 1).count(), 4);
    // the same seed gives the same rows
    let g = Pipeline::new(vec![StepSpec::Balance(BalanceSpec {
        method: BalanceMethod::Oversample,
        ratio: 1.0,
    })])
    .fit(&train, 7)
    .unwrap();
    assert_eq!(f.x, g.x);
}

#[test]
fn table_steps_after_matrix_steps_are_refused() {
    let train = ds(vec![num("a", &[0.0, 1.0])], &[0, 1]);
    let err = Pipeline::new(vec![
        scale(ScaleMethod::Standard),
        StepSpec::DropColumns(vec!["a".into()]),
    ])
    .fit(&train, 0)
    .err()
    .unwrap();
    assert!(
        err.to_string()
            .contains("must come before the matrix steps"),
        "{err}"
    );
}

#[test]
fn drop_columns_suggests_a_near_name() {
    let train = ds(vec![num("src_bytes", &[0.0, 1.0])], &[0, 1]);
    let err = Pipeline::new(vec![StepSpec::DropColumns(vec!["src_byte".into()])])
        .fit(&train, 0)
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "drop_columns: no column named `src_byte` (did you mean `src_bytes`?)"
    );
}

#[test]
fn missing_and_retyped_columns_are_reported_at_transform() {
    let train = ds(vec![num("a", &[0.0, 1.0])], &[0, 1]);
    let f = Pipeline::new(vec![]).fit(&train, 0).unwrap();
    let err = f.pipeline.transform(&Table::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the input has no column `a`, which the model was trained with"
    );
    let err = f
        .pipeline
        .transform(&Table {
            columns: vec![cat("a", &["x"])],
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "column `a` is text here but was numeric in training"
    );
}

#[test]
fn fitted_pipelines_round_trip_through_postcard() {
    let train = ds(
        vec![cat("p", &["a", "b", "a"]), num("n", &[1.0, 2.0, 4.0])],
        &[0, 1, 0],
    );
    let steps = vec![
        StepSpec::Encode(EncodeSpec {
            method: EncodeMethod::Onehot,
            unseen: Unseen::Ignore,
            max_categories: None,
        }),
        scale(ScaleMethod::Standard),
        StepSpec::Pca(PcaSpec {
            variance: None,
            components: Some(2),
        }),
    ];
    let f = Pipeline::new(steps).fit(&train, 0).unwrap();
    let bytes = postcard::to_allocvec(&f.pipeline).unwrap();
    let back: FittedPipeline = postcard::from_bytes(&bytes).unwrap();
    assert_eq!(back, f.pipeline);
    let (x, _) = back.transform(&train.features).unwrap();
    assert_eq!(x, f.x);
}
