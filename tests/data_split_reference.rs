//! anomalab's stratified splits against scikit-learn's per-class counts.
//!
//! Reference: `scripts/data_split_reference.json`, made by
//! `python3 scripts/data_split_reference.py > scripts/data_split_reference.json`
//! (StratifiedKFold / StratifiedShuffleSplit / KFold, scikit-learn 1.9.1). The counts do
//! not depend on the random state, so they must match exactly whatever our seed.

use anomalab::data::split::{holdout_indices, kfold_indices};
use serde_json::Value;

fn counts(y: &[u32], rows: &[usize], n: usize) -> Vec<u64> {
    let mut c = vec![0u64; n];
    for &r in rows {
        c[y[r] as usize] += 1;
    }
    c
}

fn as_u64s(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

#[test]
fn split_counts_match_scikit_learn() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scripts/data_split_reference.json"
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let y: Vec<u32> = as_u64s(&case["y"]).into_iter().map(|v| v as u32).collect();
        let n = case["n_classes"].as_u64().unwrap() as usize;
        let k = case["folds"].as_u64().unwrap() as usize;
        let names: Vec<String> = (0..n).map(|c| format!("c{c}")).collect();
        for seed in [0u64, 1, 99] {
            let folds = kfold_indices(&y, n, k, true, seed, &names).unwrap();
            let got: Vec<Vec<u64>> = folds.iter().map(|f| counts(&y, &f.test, n)).collect();
            let want: Vec<Vec<u64>> = case["kfold_test_counts"]
                .as_array()
                .unwrap()
                .iter()
                .map(as_u64s)
                .collect();
            assert_eq!(got, want, "stratified k-fold, k={k}, seed {seed}");
            let sizes: Vec<u64> = kfold_indices(&y, n, k, false, seed, &names)
                .unwrap()
                .iter()
                .map(|f| f.test.len() as u64)
                .collect();
            assert_eq!(sizes, as_u64s(&case["kfold_unstratified_test_sizes"]));
            let t = case["test_size"].as_f64().unwrap();
            let (train, test) = holdout_indices(&y, n, t, true, seed).unwrap();
            assert_eq!(
                counts(&y, &train, n),
                as_u64s(&case["holdout_train_counts"]),
                "holdout {t}"
            );
            assert_eq!(
                counts(&y, &test, n),
                as_u64s(&case["holdout_test_counts"]),
                "holdout {t}"
            );
        }
    }
}
