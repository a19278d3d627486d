//! Input a statistic is not defined for gets a typed error, not NaN.

use anomalab_stats::{
    StatsError, corrected_resampled_t, critical_difference, friedman, nemenyi, paired_t, summary,
    wilcoxon,
};

#[test]
fn fewer_than_two_blocks_is_an_error() {
    let one = vec![vec![0.9, 0.8, 0.7]];
    assert!(matches!(
        friedman(&one),
        Err(StatsError::TooFew {
            unit: "blocks",
            got: 1,
            ..
        })
    ));
    assert!(matches!(nemenyi(&one), Err(StatsError::TooFew { .. })));
    assert!(matches!(
        critical_difference(3, 1, 0.05),
        Err(StatsError::TooFew { unit: "blocks", .. })
    ));
}

#[test]
fn friedman_needs_three_treatments_and_untied_blocks() {
    let two = vec![vec![0.9, 0.8], vec![0.7, 0.6]];
    assert!(matches!(
        friedman(&two),
        Err(StatsError::TooFew {
            unit: "treatments",
            ..
        })
    ));
    let tied = vec![vec![1.0, 1.0, 1.0], vec![2.0, 2.0, 2.0]];
    assert!(matches!(friedman(&tied), Err(StatsError::AllTied { .. })));
    let ragged = vec![vec![1.0, 2.0, 3.0], vec![2.0, 3.0]];
    assert!(matches!(
        friedman(&ragged),
        Err(StatsError::RaggedBlocks { block: 1, .. })
    ));
}

#[test]
fn all_zero_differences_are_an_error() {
    let x = [0.9, 0.8, 0.7];
    assert!(matches!(wilcoxon(&x, &x), Err(StatsError::AllZero { .. })));
    assert!(matches!(paired_t(&x, &x), Err(StatsError::AllZero { .. })));
    let (x, shifted) = ([1.0, 0.75, 0.5], [1.5, 1.25, 1.0]);
    assert!(matches!(
        corrected_resampled_t(&shifted, &x, 90.0, 10.0),
        Err(StatsError::ZeroVariance { .. })
    ));
}

#[test]
fn bad_lengths_and_values_are_errors() {
    assert!(matches!(
        wilcoxon(&[1.0, 2.0], &[1.0]),
        Err(StatsError::LengthMismatch { .. })
    ));
    assert!(matches!(
        paired_t(&[1.0, f64::NAN], &[1.0, 2.0]),
        Err(StatsError::NotFinite { .. })
    ));
    assert!(matches!(
        paired_t(&[1.0], &[2.0]),
        Err(StatsError::TooFew { .. })
    ));
    assert!(matches!(summary(&[]), Err(StatsError::TooFew { .. })));
    assert!(matches!(
        critical_difference(3, 5, 1.5),
        Err(StatsError::BadParameter { name: "alpha", .. })
    ));
    let one = summary(&[0.5]).unwrap();
    assert_eq!((one.sd, one.ci95), (None, None));
}

#[test]
fn no_positive_difference_gives_a_plain_zero_statistic() {
    let w = wilcoxon(&[0.1, 0.2, 0.3], &[0.5, 0.6, 0.7]).unwrap();
    assert!(
        w.statistic == 0.0 && w.statistic.is_sign_positive(),
        "{}",
        w.statistic
    );
}
