//! The committed fixtures (`tests/fixtures/*.json`) are exactly what the documented
//! generator in `tests/common/mod.rs` produces. Run with `UPDATE_FIXTURES=1` to rewrite
//! them after changing the generator or the results model.

mod common;

#[test]
fn committed_fixtures_match_the_generator() {
    let update = std::env::var_os("UPDATE_FIXTURES").is_some_and(|v| v == "1");
    for name in common::FIXTURES {
        let generated = common::fixture(name);
        let mut text = serde_json::to_string_pretty(&generated).unwrap();
        text.push('\n');
        let path = common::fixture_path(name);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run with UPDATE_FIXTURES=1 to create it)",
                path.display()
            )
        });
        assert!(
            committed == text,
            "{} differs from the generator's output: run UPDATE_FIXTURES=1 cargo test -p anomalab-report --test fixtures",
            path.display()
        );
        // And it round-trips through the public loader unchanged.
        assert_eq!(common::load(name), generated);
    }
}

#[test]
fn generator_curves_match_a_hand_computation() {
    // Scores 0.9 (pos), 0.8 (neg), 0.7 (pos), 0.1 (neg).
    // ROC points: (0,0) -> (0,0.5) -> (0.5,0.5) -> (0.5,1) -> (1,1); trapezoid area = 0.75
    // (scikit-learn: roc_auc_score([1,0,1,0], [0.9,0.8,0.7,0.1]) == 0.75).
    // AP = 0.5 * 1 + 0.5 * (2/3) = 0.833333 (average_precision_score gives 0.8333333).
    let c = common::curves("attack", &[0.9, 0.8, 0.7, 0.1], &[true, false, true, false]);
    assert_eq!(c.roc_auc, Some(0.75));
    assert_eq!(c.average_precision, Some(0.833333));
    assert_eq!(
        c.roc,
        vec![(0.0, 0.0), (0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (1.0, 1.0)]
    );
}
