//! What the reference tests share: the committed reference files (each written by the
//! script its test names) and the matrices and label vectors inside them.

use ndarray::Array2;
use serde_json::Value;

/// `tests/reference/<name>`, parsed.
pub fn reference(name: &str) -> Value {
    let path = format!("{}/tests/reference/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path} (committed, see its script): {e}"));
    serde_json::from_str(&text).expect("valid JSON")
}

/// A JSON list of rows of numbers as a matrix.
pub fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).expect("rows of numbers");
    let (n, d) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((n, d), rows.into_iter().flatten().collect()).expect("equal rows")
}

/// A JSON list of class indices.
#[allow(dead_code)]
pub fn labels(v: &Value) -> Vec<u32> {
    serde_json::from_value(v.clone()).expect("class indices")
}
