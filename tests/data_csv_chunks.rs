//! CSV files read in chunks with their numeric columns typed chunk by chunk: the result
//! must be what reading every cell as text and typing the column afterwards gives (the
//! values, the categories with their text as written, the line of a bad cell). Fixtures
//! are written here; the expected values are computed from the rows the test writes.

use std::path::Path;

use anomalab::data::spec::{SplitKind, SplitSpec};
use anomalab::data::{ColumnData, DatasetSpec, LoadContext, load};

fn holdout() -> SplitSpec {
    SplitSpec {
        kind: Some(SplitKind::Holdout),
        ..SplitSpec::default()
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::create_dir_all(dir.join(name).parent().unwrap()).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
}

/// Rows of `x,port,label` with `x` = the row number and `port` = `f(row)`; over 16 MiB
/// (several chunks of the reader) when `rows` is 1,000,000.
fn table(rows: usize, port: impl Fn(usize) -> String) -> String {
    let mut s = String::from("x,port,label\n");
    for i in 0..rows {
        let label = if i % 3 == 0 { "attack" } else { "normal" };
        s.push_str(&format!("{i}.5,{},{label}\n", port(i)));
    }
    s
}

fn levels_and_codes(data: &ColumnData) -> (Vec<String>, Vec<u32>) {
    match data {
        ColumnData::Categorical { levels, codes } => (levels.clone(), codes.clone()),
        ColumnData::Numeric(_) => panic!("expected a categorical column"),
    }
}

#[test]
fn a_column_with_text_only_in_the_last_chunk_is_categorical_with_its_text_as_written() {
    let tmp = tempfile::tempdir().unwrap();
    let rows = 1_000_000;
    // "080" and "8.50" would read back as 80 and 8.5 from numbers: the text must survive
    let port = |i: usize| match i {
        0 => "080".to_string(),
        1 => "8.50".to_string(),
        i if i == rows - 1 => "http".to_string(),
        i => (i % 5).to_string(),
    };
    let text = table(rows, port);
    assert!(
        text.len() > 16 << 20,
        "{} bytes: one chunk only",
        text.len()
    );
    write(tmp.path(), "t.csv", &text);
    let spec: DatasetSpec = serde_json::from_value(serde_json::json!({
        "source": "csv", "files": "t.csv", "label": "label", "target": "multiclass"
    }))
    .unwrap();
    let d = load(&spec, &holdout(), &LoadContext::new(tmp.path())).unwrap();
    assert_eq!(d.train.n_rows(), rows);
    let x = match &d.train.features.columns[0].data {
        ColumnData::Numeric(v) => v,
        _ => panic!("x should be numeric"),
    };
    assert!(x.iter().enumerate().all(|(i, &v)| v == i as f64 + 0.5));
    let (levels, codes) = levels_and_codes(&d.train.features.columns[1].data);
    // levels in order of first appearance
    assert_eq!(levels, ["080", "8.50", "2", "3", "4", "0", "1", "http"]);
    for (i, &c) in codes.iter().enumerate() {
        assert_eq!(levels[c as usize], port(i), "row {i}");
    }
}

#[test]
fn a_column_numeric_in_one_file_and_text_in_another_keeps_the_numbers_text() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "a.csv",
        "x,port,label\n1,080,normal\n2,1.50,attack\n3,80,normal\n",
    );
    write(
        tmp.path(),
        "b.csv",
        "x,port,label\n4,http,attack\n5,080,normal\n6,1.5,attack\n",
    );
    let spec: DatasetSpec = serde_json::from_value(serde_json::json!({
        "source": "csv", "files": ["a.csv", "b.csv"], "label": "label"
    }))
    .unwrap();
    let d = load(&spec, &holdout(), &LoadContext::new(tmp.path())).unwrap();
    let (levels, codes) = levels_and_codes(&d.train.features.columns[1].data);
    assert_eq!(levels, ["080", "1.50", "80", "http", "1.5"]);
    assert_eq!(codes, [0, 1, 2, 3, 0, 4]);
}

#[test]
fn a_bad_number_far_into_a_large_file_names_its_line_after_blank_lines() {
    let tmp = tempfile::tempdir().unwrap();
    // NSL-KDD layout (no header): 41 features, label, difficulty; a blank line every
    // 100,000 records shifts the lines of the records after it.
    let rows = 200_000;
    let bad = 190_001;
    let mut s = String::new();
    let mut bad_line = 0;
    let mut line = 0;
    for i in 0..rows {
        if i % 100_000 == 99_999 {
            s.push('\n');
            line += 1;
        }
        line += 1;
        let src_bytes = if i == bad {
            bad_line = line;
            "12x".to_string()
        } else {
            i.to_string()
        };
        let label = if i % 2 == 0 { "normal" } else { "neptune" };
        let rest = vec!["0"; 36].join(",");
        s.push_str(&format!("0,tcp,http,SF,{src_bytes},{rest},{label},21\n"));
    }
    assert!(s.len() > 16 << 20, "{} bytes: one chunk only", s.len());
    write(tmp.path(), "nsl-kdd/KDDTrain+.txt", &s);
    let spec: DatasetSpec = serde_json::from_value(serde_json::json!({
        "source": "nsl_kdd", "files": "KDDTrain+.txt", "target": "binary"
    }))
    .unwrap();
    let e = load(&spec, &holdout(), &LoadContext::new(tmp.path())).unwrap_err();
    assert_eq!(bad_line, bad + 2);
    assert_eq!(
        e.to_string(),
        format!(
            "{}:{bad_line}: column `src_bytes`: expected a number, found `12x`",
            tmp.path().join("nsl-kdd").join("KDDTrain+.txt").display()
        )
    );
}
