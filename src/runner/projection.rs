//! The 2-D projection the reports plot: PCA of a seeded sample of the first fold.

use anomalab_results::Projection2d;

use super::prepare::PreparedFold;

/// Test rows shown in the 2-D projection plots.
pub const PROJECTION_POINTS: usize = 2_000;

/// 2-D PCA of a seeded sample of the first fold's test rows (fitted on its training rows).
pub(crate) fn projection(fold: &PreparedFold, seed: u64) -> Option<Projection2d> {
    if fold.x_train.ncols() < 2 || fold.x_test.nrows() == 0 {
        return None;
    }
    let (fit_rows, show) = projection_samples(fold, seed);
    let xs = fold.x_train.select(ndarray::Axis(0), &fit_rows);
    let pca = crate::preprocess::pca::Pca::fit(xs.view(), |_| 2);
    let xt = fold.x_test.select(ndarray::Axis(0), &show);
    let p = pca.transform(xt.view());
    let ratio = [
        pca.explained_variance_ratio.first().copied().unwrap_or(0.0),
        pca.explained_variance_ratio.get(1).copied().unwrap_or(0.0),
    ];
    Some(Projection2d {
        explained_variance_ratio: ratio,
        points: show
            .iter()
            .enumerate()
            .map(|(i, &r)| {
                (
                    p[[i, 0]],
                    p.get([i, 1]).copied().unwrap_or(0.0),
                    fold.y_test[r],
                )
            })
            .collect(),
    })
}

/// Indices of the projection sample (the test rows the report plots).
pub(crate) fn projection_rows(fold: &PreparedFold, seed: u64) -> Vec<usize> {
    projection_samples(fold, seed).1
}

/// Seeded samples for the 2-D projection: training rows the PCA is fitted on, and the test
/// rows shown (sorted). One function, so plots and cluster colours use the same rows.
fn projection_samples(fold: &PreparedFold, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = anomalab_learn::Rng::new(anomalab_learn::rng::derive_seed(seed, 0x2D));
    let fit_rows = rng.sample_indices(fold.x_train.nrows(), 20_000.min(fold.x_train.nrows()));
    let mut show = rng.sample_indices(
        fold.x_test.nrows(),
        PROJECTION_POINTS.min(fold.x_test.nrows()),
    );
    show.sort_unstable();
    (fit_rows, show)
}
