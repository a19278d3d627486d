//! scikit-learn's `StratifiedKFold(n_splits, shuffle=False)` fold assignment, reproduced
//! exactly so that stacking's out-of-fold predictions are made from the same rows as
//! scikit-learn's `StackingClassifier(cv=k)`.

use crate::LearnError;

/// The test fold of every row.
///
/// The algorithm (scikit-learn `_make_test_folds`): classes are numbered in order of first
/// appearance; the sorted encoded labels are dealt round-robin to the folds, which gives
/// each fold's count per class; then each class's rows, in row order, take fold 0 for its
/// first count, fold 1 for the next, and so on.
pub fn stratified_test_folds(y: &[u32], k: usize) -> Result<Vec<usize>, LearnError> {
    if k < 2 {
        return Err(LearnError::param("cv", "needs at least 2 folds"));
    }
    if y.len() < k {
        return Err(LearnError::InvalidInput(format!(
            "cv: {k} folds need at least {k} training rows, found {}",
            y.len()
        )));
    }
    let encoded = encode_by_first_appearance(y);
    let n_classes = encoded.iter().max().map_or(0, |&m| m + 1);
    let mut counts = vec![0usize; n_classes];
    for &c in &encoded {
        counts[c] += 1;
    }
    if counts.iter().all(|&c| c < k) {
        return Err(LearnError::InvalidInput(format!(
            "cv: {k} folds cannot be greater than the number of rows in every class (largest class: {})",
            counts.iter().max().copied().unwrap_or(0)
        )));
    }
    let mut sorted = encoded.clone();
    sorted.sort_unstable();
    // allocation[f][c]: rows of class c in fold f.
    let mut allocation = vec![vec![0usize; n_classes]; k];
    for (i, &c) in sorted.iter().enumerate() {
        allocation[i % k][c] += 1;
    }
    let mut next_fold = vec![(0usize, 0usize); n_classes]; // (fold, taken in that fold)
    let mut out = Vec::with_capacity(y.len());
    for &c in &encoded {
        let (mut f, mut taken) = next_fold[c];
        while taken == allocation[f][c] {
            f += 1;
            taken = 0;
        }
        out.push(f);
        next_fold[c] = (f, taken + 1);
    }
    Ok(out)
}

/// Class labels renumbered 0, 1, ... in the order each first appears.
fn encode_by_first_appearance(y: &[u32]) -> Vec<usize> {
    let mut code = std::collections::HashMap::new();
    y.iter()
        .map(|&c| {
            let next = code.len();
            *code.entry(c).or_insert(next)
        })
        .collect()
}

/// Rows of each fold: (training rows, test rows), both in row order.
pub fn split_rows(test_fold: &[usize], k: usize) -> Vec<(Vec<usize>, Vec<usize>)> {
    (0..k)
        .map(|f| {
            let (test, train): (Vec<usize>, Vec<usize>) =
                (0..test_fold.len()).partition(|&r| test_fold[r] == f);
            (train, test)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_scikit_learn_on_a_small_case() {
        // StratifiedKFold(3).split(np.zeros(10), [1,1,0,0,0,1,0,2,2,0]) test indices:
        // [0 2 3 7], [1 4 6], [5 8 9]
        let y = [1u32, 1, 0, 0, 0, 1, 0, 2, 2, 0];
        let folds = stratified_test_folds(&y, 3).unwrap();
        assert_eq!(folds, vec![0, 1, 0, 0, 1, 2, 1, 0, 2, 2]);
        let split = split_rows(&folds, 3);
        assert_eq!(split[2].1, vec![5, 8, 9]);
        assert_eq!(split[2].0, vec![0, 1, 2, 3, 4, 6, 7]);
    }

    #[test]
    fn too_many_folds_is_an_error() {
        assert!(stratified_test_folds(&[0, 1, 0, 1], 3).is_err());
        assert!(stratified_test_folds(&[0, 1], 3).is_err());
    }
}
