//! Every data error, with the message the user sees. Fixtures are written by the tests
//! into temporary directories (never copied from the shared data).

use std::io::Write;
use std::path::Path;

use anomalab::data::spec::{Checksums, Source, Target};
use anomalab::data::{ColumnData, DataError, DatasetSpec, LoadContext, SplitKind, SplitSpec, load};
use sha2::{Digest, Sha256};

/// A fake NSL-KDD file: `rows` records of 43 fields (41 features, label, difficulty),
/// labels alternating normal / neptune. `bad` = (row, value) puts `value` in `src_bytes`.
fn nsl_text(rows: usize, bad: Option<(usize, &str)>) -> String {
    let mut s = String::new();
    for i in 0..rows {
        let label = if i % 2 == 0 { "normal" } else { "neptune" };
        let src_bytes = match bad {
            Some((r, v)) if r == i => v.to_string(),
            _ => (100 + i).to_string(),
        };
        let mut f = vec![
            "0".to_string(),
            "tcp".into(),
            "http".into(),
            "SF".into(),
            src_bytes,
        ];
        f.extend((0..36).map(|k| format!("{}", (i * k) % 7)));
        f.push(label.into());
        f.push("21".into());
        s.push_str(&f.join(","));
        s.push('\n');
    }
    s
}

fn write(dir: &Path, name: &str, text: &[u8]) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::File::create(p).unwrap().write_all(text).unwrap();
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A `dataset:` section from its JSON form.
fn ds(v: serde_json::Value) -> DatasetSpec {
    serde_json::from_value(v).unwrap()
}

fn csv_spec(file: &str, label: &str) -> DatasetSpec {
    ds(serde_json::json!({"source": "csv", "files": file, "label": label}))
}

/// Loads `file` from `dir` as a csv source with label column `label`, hold-out split.
fn load_csv(dir: &Path, file: &str, label: &str) -> Result<anomalab::data::LoadedData, DataError> {
    load(&csv_spec(file, label), &holdout(), &LoadContext::new(dir))
}

fn holdout() -> SplitSpec {
    SplitSpec {
        kind: Some(SplitKind::Holdout),
        ..SplitSpec::default()
    }
}

#[test]
fn missing_catalog_file_says_where_and_how() {
    let tmp = tempfile::tempdir().unwrap();
    let e = load(
        &DatasetSpec::new(Source::NslKdd),
        &SplitSpec::default(),
        &LoadContext::new(tmp.path()),
    )
    .unwrap_err();
    let m = e.to_string();
    assert!(matches!(e, DataError::MissingFile { .. }));
    assert!(
        m.starts_with("nsl_kdd file `KDDTrain+.txt` not found; looked for "),
        "{m}"
    );
    let first = tmp.path().join("nsl-kdd").join("KDDTrain+.txt");
    assert!(m.contains(&format!("`{}`", first.display())), "{m}");
    assert!(
        m.contains(&format!(
            "`{}`",
            tmp.path()
                .join("nsl-kdd")
                .join("KDDTrain+.txt.gz")
                .display()
        )),
        "{m}"
    );
    assert!(m.contains(&format!("the data directory is `{}` (set it with --data-dir DIR or the ANOMALAB_DATA_DIR environment variable)", tmp.path().display())), "{m}");
    assert!(m.contains("how to obtain NSL-KDD"), "{m}");
    assert!(
        m.contains("https://www.unb.ca/cic/datasets/nsl.html"),
        "{m}"
    );
}

#[test]
fn sha256_mismatch_warns_by_default_and_fails_in_strict_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let train = nsl_text(40, None);
    let test = nsl_text(10, None);
    write(
        tmp.path(),
        "nsl-kdd/KDDTrain+_20Percent.txt",
        train.as_bytes(),
    );
    write(tmp.path(), "nsl-kdd/KDDTest-21.txt", test.as_bytes());
    let mut spec = ds(serde_json::json!({"source": "nsl_kdd",
        "files": {"train": "KDDTrain+_20Percent.txt", "test": "KDDTest-21.txt"}}));
    let d = load(&spec, &SplitSpec::default(), &LoadContext::new(tmp.path())).unwrap();
    assert_eq!(d.train.class_counts(), [20, 20]);
    assert_eq!(d.test.as_ref().unwrap().n_rows(), 10);
    let found = hex(train.as_bytes());
    assert_eq!(
        d.warnings[0],
        format!(
            "KDDTrain+_20Percent.txt: sha256 mismatch: expected 7ea86479faab5ca2190b7f18b4982fb058ce5bf2b46e0e1017d0d9ef90f9c16e \
             (catalog entry KDDTrain+_20Percent), found {found}; loaded anyway (strict mode refuses it)"
        )
    );
    assert_eq!(
        d.warnings[1],
        "KDDTrain+_20Percent.txt: 40 rows, the catalog's KDDTrain+_20Percent has 25,192"
    );
    assert_eq!(d.files[0].sha256_matches, Some(false));

    let mut ctx = LoadContext::new(tmp.path());
    ctx.strict = true;
    let e = load(&spec, &SplitSpec::default(), &ctx).unwrap_err();
    let path = tmp.path().join("nsl-kdd").join("KDDTrain+_20Percent.txt");
    assert_eq!(
        e.to_string(),
        format!(
            "{}: sha256 mismatch: expected 7ea86479faab5ca2190b7f18b4982fb058ce5bf2b46e0e1017d0d9ef90f9c16e \
             (catalog entry KDDTrain+_20Percent), found {found}; the file is not the published KDDTrain+_20Percent \
             (use non-strict mode to load it anyway)",
            path.display()
        )
    );
    // the same through the spec
    spec.checksums = Checksums::Strict;
    assert!(matches!(
        load(&spec, &SplitSpec::default(), &LoadContext::new(tmp.path())),
        Err(DataError::Sha256Mismatch { .. })
    ));
}

#[test]
fn label_with_leading_space_is_explained() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "flows.csv",
        b"Flow Duration, Total Fwd Packets, Label\n1,2,BENIGN\n3,4,DDoS\n",
    );
    let e = load_csv(tmp.path(), "flows.csv", "Label").unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: label column `Label` not found; column ` Label` matches after trimming spaces: \
             write `label: \" Label\"` (quoted, with the spaces) or set `trim_column_names: true`",
            tmp.path().join("flows.csv").display()
        )
    );
    // both suggested fixes work
    let ok = load_csv(tmp.path(), "flows.csv", " Label").unwrap();
    assert_eq!(
        ok.train.features.names(),
        ["Flow Duration", " Total Fwd Packets"]
    );
    let trimmed = ds(
        serde_json::json!({"source": "csv", "files": "flows.csv", "label": "Label",
        "trim_column_names": true}),
    );
    let ok = load(&trimmed, &holdout(), &LoadContext::new(tmp.path())).unwrap();
    assert_eq!(
        ok.train.features.names(),
        ["Flow Duration", "Total Fwd Packets"]
    );
    assert_eq!(ok.train.class_counts(), [1, 1]);

    // a typo gets a suggestion and the column list
    let e = load_csv(tmp.path(), "flows.csv", "Lable").unwrap_err();
    assert!(e.to_string().ends_with(
        "label column `Lable` not found; did you mean ` Label`? (the file has 3 columns: `Flow Duration`, ` Total Fwd Packets`, ` Label`)"
    ), "{e}");
}

#[test]
fn one_class_in_the_data_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "a.csv", b"x,y\n1,normal\n2,Normal\n3,NORMAL\n");
    let e = load_csv(tmp.path(), "a.csv", "y").unwrap_err();
    assert_eq!(
        e.to_string(),
        "a.csv (label column `y`; values seen: `NORMAL` 1, `Normal` 1, `normal` 1); target binary treats `normal`, `benign`, `0` as normal (set `normal_labels` to change that): \
         the label has only one class (`normal`, 3 rows); at least two classes are needed to train and evaluate"
    );
}

#[test]
fn one_class_in_a_training_fold_names_the_fold() {
    // 6 normal rows and 2 attacks; an unstratified 2-fold split whose training part holds
    // only normal rows exists for some seed; search the first seeds for it.
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "a.csv",
        b"x,y\n1,normal\n2,normal\n3,normal\n4,attack\n5,normal\n6,normal\n7,attack\n8,normal\n",
    );
    let spec = csv_spec("a.csv", "y");
    let split = SplitSpec {
        kind: Some(SplitKind::Kfold),
        folds: Some(2),
        stratify: Some(false),
        ..SplitSpec::default()
    };
    let d = load(&spec, &split, &LoadContext::new(tmp.path())).unwrap();
    let mut seen = None;
    for seed in 0..200 {
        if let Err(e) = anomalab::data::make_splits(&d, SplitKind::Kfold, &split, seed) {
            seen = Some(e.to_string());
            break;
        }
    }
    let m = seen.expect("some seed puts both attacks in one test fold");
    assert!(m.starts_with("training part of split `fold-"), "{m}");
    assert!(m.ends_with(": the label has only one class (`normal`, 4 rows); at least two classes are needed to train and evaluate"), "{m}");
}

#[test]
fn empty_files_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "empty.csv", b"");
    write(tmp.path(), "header.csv", b"a,b,label\n\n");
    let e = load_csv(tmp.path(), "empty.csv", "label").unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: empty file (0 bytes)",
            tmp.path().join("empty.csv").display()
        )
    );
    let e = load_csv(tmp.path(), "header.csv", "label").unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: empty file (a header line but no data rows)",
            tmp.path().join("header.csv").display()
        )
    );
}

#[test]
fn non_numeric_cell_in_a_numeric_column_gives_file_line_column_value() {
    let tmp = tempfile::tempdir().unwrap();
    // record index 2 = line 3 (NSL-KDD files have no header)
    write(
        tmp.path(),
        "nsl-kdd/KDDTrain+.txt",
        nsl_text(6, Some((2, "12x"))).as_bytes(),
    );
    let spec = ds(serde_json::json!({"source": "nsl_kdd", "files": "KDDTrain+.txt"}));
    let e = load(&spec, &holdout(), &LoadContext::new(tmp.path())).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}:3: column `src_bytes`: expected a number, found `12x`",
            tmp.path().join("nsl-kdd").join("KDDTrain+.txt").display()
        )
    );
    // in a csv source the same column is simply categorical (inferred)
    write(
        tmp.path(),
        "b.csv",
        b"n,label\n1,normal\nInfinity,attack\n-inf,normal\nNaN,attack\n,normal\n",
    );
    let d = load_csv(tmp.path(), "b.csv", "label").unwrap();
    let ColumnData::Numeric(v) = &d.train.features.columns[0].data else {
        panic!("not numeric")
    };
    assert_eq!(v[..3], [1.0, f64::INFINITY, f64::NEG_INFINITY]);
    assert!(v[3].is_nan() && v[4].is_nan());
    write(tmp.path(), "c.csv", b"n,label\n1,normal\nabc,attack\n");
    let d = load_csv(tmp.path(), "c.csv", "label").unwrap();
    assert!(matches!(
        d.train.features.columns[0].data,
        ColumnData::Categorical { .. }
    ));
}

#[test]
fn truncated_gzip_names_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let text = nsl_text(2000, None);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(text.as_bytes()).unwrap();
    let gz = enc.finish().unwrap();
    write(tmp.path(), "nsl-kdd/KDDTrain+.txt.gz", &gz[..gz.len() / 2]);
    let spec = ds(serde_json::json!({"source": "nsl_kdd", "files": "KDDTrain+.txt.gz"}));
    let e = load(&spec, &holdout(), &LoadContext::new(tmp.path())).unwrap_err();
    let DataError::TruncatedGzip { bytes, .. } = &e else {
        panic!("{e}")
    };
    assert!(*bytes < text.len() as u64);
    assert_eq!(
        e.to_string(),
        format!(
            "{}: truncated gzip stream (unexpected end of file after {bytes} bytes of uncompressed data); \
             the file is incomplete, download it again",
            tmp.path()
                .join("nsl-kdd")
                .join("KDDTrain+.txt.gz")
                .display()
        )
    );
    // the complete file loads, and the gzip name is found for the plain name too
    write(tmp.path(), "nsl-kdd/KDDTrain+.txt.gz", &gz);
    let spec = ds(serde_json::json!({"source": "nsl_kdd", "files": "KDDTrain+.txt"}));
    let d = load(&spec, &holdout(), &LoadContext::new(tmp.path())).unwrap();
    assert_eq!(d.train.n_rows(), 2000);
}

#[test]
fn spec_problems_are_all_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let mut spec = DatasetSpec::new(Source::Csv);
    spec.target = Target::Category;
    let split = SplitSpec {
        kind: Some(SplitKind::Kfold),
        folds: Some(1),
        ..SplitSpec::default()
    };
    let e = load(&spec, &split, &LoadContext::new(tmp.path())).unwrap_err();
    let DataError::Spec { problems } = &e else {
        panic!("{e}")
    };
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "dataset.target",
            "dataset.files",
            "dataset.label",
            "split.folds"
        ]
    );
}

#[test]
fn max_rows_subsamples_training_rows_by_class() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = String::from("x,label\n");
    for i in 0..1000 {
        s.push_str(&format!(
            "{i},{}\n",
            if i % 4 == 0 { "attack" } else { "normal" }
        ));
    }
    write(tmp.path(), "a.csv", s.as_bytes());
    let mut spec = csv_spec("a.csv", "label");
    spec.max_rows = Some(100);
    let mut ctx = LoadContext::new(tmp.path());
    ctx.seed = 11;
    let d = load(&spec, &holdout(), &ctx).unwrap();
    // 750 normal / 250 attack -> 75 / 25
    assert_eq!(d.train.class_counts(), [75, 25]);
    assert_eq!(d.train, load(&spec, &holdout(), &ctx).unwrap().train);
    assert!(
        d.description
            .ends_with("training rows subsampled to 100 of 1000 (stratified, seeded)"),
        "{}",
        d.description
    );
}
