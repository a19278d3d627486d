//! Train/test splits: `official` (training files -> official test files), a seeded
//! stratified hold-out, and seeded stratified k-fold cross-validation.
//!
//! Hold-out and k-fold split the *training* data only; an official test file is not loaded
//! for them (the loader records a warning when the spec named one). Every split is
//! returned as row indices ([`Fold`], sorted ascending so rows keep their file order) and
//! can be materialised into a named train/test [`Dataset`] pair ([`SplitPair`]).
//!
//! Allocation rules (the same as scikit-learn's, so per-class counts can be checked
//! against it):
//! * hold-out: `n_test = ceil(test_size * n)`; the training rows per class are the
//!   "approximate mode" of the class counts for `n - n_test` draws (floor of the
//!   proportional share, the remaining rows to the classes with the largest fractional
//!   parts, ties broken by the seeded RNG), as `StratifiedShuffleSplit`; the rest of each
//!   class goes to the test part. Which rows of a class are taken is seeded.
//! * k-fold: as `StratifiedKFold`: classes numbered in order of first appearance, the
//!   sorted class sequence dealt round-robin to the folds gives the per-fold counts, and
//!   each class's fold assignments are shuffled with the seeded RNG.
//!
//! All randomness comes from `anomalab_learn::rng` seeded from the spec seed, so the same
//! seed gives the same folds on every platform.

use anomalab_learn::rng::{Rng, derive_seed};
use serde::Serialize;

use super::spec::{SplitKind, SplitSpec};
use super::table::{Column, Dataset, Table};
use super::{DataError, LoadedData};

/// Stream of the spec seed used for splitting.
const SPLIT_STREAM: u64 = 0x5B17_0001;
/// Stream of a seed used for the repeats of a run.
const REPEAT_STREAM: u64 = 0x4E9E_A700;

/// The seed of repeat `repeat` of a run seeded with `seed`: the seed itself for repeat 0
/// (so a spec without repeats, and the first repeat of one with, give the results they
/// always gave), a derived one for the others. Used for the spec seed (splits,
/// preprocessing) and for each trial's seed alike.
pub fn repeat_seed(seed: u64, repeat: usize) -> u64 {
    if repeat == 0 {
        seed
    } else {
        derive_seed(seed, REPEAT_STREAM + repeat as u64)
    }
}

/// Which data a fold's `test` indices refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TestSource {
    /// Rows of the training data (hold-out, k-fold).
    Train,
    /// Rows of the official test data.
    Official,
}

/// One train/test split as row indices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fold {
    /// `official`, `holdout`, or `fold-1` .. `fold-k`.
    pub name: String,
    /// Rows of the training data used for training (ascending).
    pub train: Vec<usize>,
    /// Test rows (ascending), in the data named by `test_source`.
    pub test: Vec<usize>,
    pub test_source: TestSource,
}

/// A materialised split.
#[derive(Debug, Clone)]
pub struct SplitPair {
    pub name: String,
    pub train: Dataset,
    pub test: Dataset,
}

impl Fold {
    /// Copy the rows of this split out of the loaded data.
    pub fn materialise(&self, data: &LoadedData) -> Result<SplitPair, DataError> {
        let test = match self.test_source {
            TestSource::Train => data.train.take_rows(&self.test),
            TestSource::Official => data
                .test
                .as_ref()
                .ok_or_else(no_official)?
                .take_rows(&self.test),
        };
        let train = if self.train.len() == data.train.n_rows() {
            data.train.clone()
        } else {
            data.train.take_rows(&self.train)
        };
        Ok(SplitPair {
            name: self.name.clone(),
            train,
            test,
        })
    }

    /// Move the rows of this split out of the loaded data, column by column, so that the
    /// loaded table and the split's are never both whole in memory. The loaded datasets
    /// keep their column names and classes (`y`) but no cells and no raw labels; use it
    /// for the only split of a run, when nothing reads the loaded rows again.
    pub fn materialise_owned(&self, data: &mut LoadedData) -> Result<SplitPair, DataError> {
        let (train, test) = match self.test_source {
            TestSource::Official => {
                let test = data.test.as_mut().ok_or_else(no_official)?;
                let test = move_rows(test, &self.test);
                (move_rows(&mut data.train, &self.train), test)
            }
            TestSource::Train => split_rows(&mut data.train, &self.train, &self.test),
        };
        Ok(SplitPair {
            name: self.name.clone(),
            train,
            test,
        })
    }
}

fn no_official() -> DataError {
    DataError::Split("split `official` needs the official test data, which was not loaded".into())
}

/// The rows `idx` of `data` (all of them in order: moved whole), its columns emptied.
fn move_rows(data: &mut Dataset, idx: &[usize]) -> Dataset {
    let all = idx.len() == data.n_rows() && idx.iter().enumerate().all(|(i, &r)| i == r);
    if !all {
        return split_rows(data, idx, &[]).0;
    }
    let mut out = Dataset {
        features: Table::default(),
        y: data.y.clone(),
        class_names: data.class_names.clone(),
        raw_labels: std::mem::take(&mut data.raw_labels),
    };
    for col in &mut data.features.columns {
        out.features.columns.push(Column {
            name: col.name.clone(),
            data: col.data.take_all(),
        });
    }
    out
}

/// The rows `a` and the rows `b` of `data`, one column at a time, each column of `data`
/// emptied once copied.
fn split_rows(data: &mut Dataset, a: &[usize], b: &[usize]) -> (Dataset, Dataset) {
    let (mut da, mut db) = (take_labels(data, a), take_labels(data, b));
    data.raw_labels = Vec::new();
    for col in &mut data.features.columns {
        let whole = col.data.take_all();
        for (d, idx) in [(&mut da, a), (&mut db, b)] {
            d.features.columns.push(Column {
                name: col.name.clone(),
                data: whole.take(idx),
            });
        }
    }
    (da, db)
}

/// The rows `idx` (each taken once) with no feature columns: their classes, and their
/// raw labels moved out of `data`.
fn take_labels(data: &mut Dataset, idx: &[usize]) -> Dataset {
    Dataset {
        features: Table::default(),
        y: idx.iter().map(|&i| data.y[i]).collect(),
        class_names: data.class_names.clone(),
        raw_labels: idx
            .iter()
            .map(|&i| std::mem::take(&mut data.raw_labels[i]))
            .collect(),
    }
}

/// The splits of a spec for loaded data (`kind` = `SplitSpec::kind_for(dataset)`).
pub fn make_splits(
    data: &LoadedData,
    kind: SplitKind,
    spec: &SplitSpec,
    seed: u64,
) -> Result<Vec<Fold>, DataError> {
    let y = &data.train.y;
    let n_classes = data.train.class_names.len();
    let seed = derive_seed(seed, SPLIT_STREAM);
    let folds = match kind {
        SplitKind::Official => {
            let test = data.test.as_ref().ok_or_else(|| {
                DataError::Split(
                    "split kind `official` needs an official test file, and none was loaded".into(),
                )
            })?;
            vec![Fold {
                name: "official".into(),
                train: (0..y.len()).collect(),
                test: (0..test.n_rows()).collect(),
                test_source: TestSource::Official,
            }]
        }
        SplitKind::Holdout => {
            let (train, test) =
                holdout_indices(y, n_classes, spec.test_size(), spec.stratify(), seed)?;
            vec![Fold {
                name: "holdout".into(),
                train,
                test,
                test_source: TestSource::Train,
            }]
        }
        SplitKind::Kfold => kfold_indices(
            y,
            n_classes,
            spec.folds(),
            spec.stratify(),
            seed,
            &data.train.class_names,
        )?,
    };
    for f in &folds {
        check_two_classes(&f.name, &f.train, y, &data.train.class_names)?;
    }
    Ok(folds)
}

/// Error when the training rows of a split have a single class.
fn check_two_classes(
    name: &str,
    train: &[usize],
    y: &[u32],
    class_names: &[String],
) -> Result<(), DataError> {
    let Some(&first) = train.first() else {
        return Err(DataError::Split(format!(
            "split `{name}`: the training part is empty"
        )));
    };
    let c0 = y[first];
    if train.iter().all(|&i| y[i] == c0) {
        return Err(DataError::OneClass {
            context: format!("training part of split `{name}`"),
            class: class_names
                .get(c0 as usize)
                .cloned()
                .unwrap_or_else(|| c0.to_string()),
            rows: train.len(),
        });
    }
    Ok(())
}

fn class_counts(y: &[u32], n_classes: usize) -> Vec<usize> {
    let n = n_classes.max(y.iter().map(|&c| c as usize + 1).max().unwrap_or(0));
    let mut c = vec![0usize; n];
    for &v in y {
        c[v as usize] += 1;
    }
    c
}

/// scikit-learn's `_approximate_mode`: split `n_draws` over classes in proportion to
/// `counts` (floor of the share, then one more to the largest fractional parts; ties
/// broken at random).
pub fn approximate_mode(counts: &[usize], n_draws: usize, rng: &mut Rng) -> Vec<usize> {
    let total: usize = counts.iter().sum();
    if total == 0 {
        return vec![0; counts.len()];
    }
    let cont: Vec<f64> = counts
        .iter()
        .map(|&c| c as f64 / total as f64 * n_draws as f64)
        .collect();
    let mut floored: Vec<usize> = cont.iter().map(|x| x.floor() as usize).collect();
    let mut need = n_draws.saturating_sub(floored.iter().sum());
    if need > 0 {
        let rem: Vec<f64> = cont
            .iter()
            .zip(&floored)
            .map(|(c, f)| c - *f as f64)
            .collect();
        let mut values = rem.clone();
        values.sort_by(|a, b| b.total_cmp(a));
        values.dedup();
        for v in values {
            let mut inds: Vec<usize> = (0..rem.len()).filter(|&i| rem[i] == v).collect();
            let add = need.min(inds.len());
            if add < inds.len() {
                rng.shuffle(&mut inds);
            }
            for &i in &inds[..add] {
                floored[i] += 1;
            }
            need -= add;
            if need == 0 {
                break;
            }
        }
    }
    floored
}

/// Row indices of each class, in order.
fn rows_by_class(y: &[u32], n: usize) -> Vec<Vec<usize>> {
    let mut by = vec![Vec::new(); n];
    for (i, &c) in y.iter().enumerate() {
        by[c as usize].push(i);
    }
    by
}

/// One seeded hold-out split: (train rows, test rows), both ascending.
pub fn holdout_indices(
    y: &[u32],
    n_classes: usize,
    test_size: f64,
    stratify: bool,
    seed: u64,
) -> Result<(Vec<usize>, Vec<usize>), DataError> {
    let n = y.len();
    if !(test_size > 0.0 && test_size < 1.0) {
        return Err(DataError::Split(format!(
            "hold-out: test_size {test_size} is outside (0, 1)"
        )));
    }
    let n_test = (test_size * n as f64).ceil() as usize;
    if n_test == 0 || n_test >= n {
        return Err(DataError::Split(format!(
            "hold-out: {n} rows with test_size {test_size} leave {n_test} test rows and {} training rows; both parts need rows",
            n.saturating_sub(n_test)
        )));
    }
    let n_train = n - n_test;
    let mut rng = Rng::new(seed);
    let (mut train, mut test) = (Vec::with_capacity(n_train), Vec::with_capacity(n_test));
    if stratify {
        let counts = class_counts(y, n_classes);
        let alloc = approximate_mode(&counts, n_train, &mut rng);
        for (c, mut rows) in rows_by_class(y, counts.len()).into_iter().enumerate() {
            rng.shuffle(&mut rows);
            train.extend_from_slice(&rows[..alloc[c]]);
            test.extend_from_slice(&rows[alloc[c]..]);
        }
    } else {
        let mut rows: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut rows);
        test.extend_from_slice(&rows[..n_test]);
        train.extend_from_slice(&rows[n_test..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    Ok((train, test))
}

/// Seeded k-fold: `k` folds named `fold-1`.. whose test parts are disjoint and cover
/// every row. Stratified: every class with rows needs at least `k` rows.
pub fn kfold_indices(
    y: &[u32],
    n_classes: usize,
    k: usize,
    stratify: bool,
    seed: u64,
    class_names: &[String],
) -> Result<Vec<Fold>, DataError> {
    let n = y.len();
    if k < 2 {
        return Err(DataError::Split(format!(
            "k-fold needs at least 2 folds, got {k}"
        )));
    }
    if n < k {
        return Err(DataError::Split(format!(
            "k-fold with {k} folds needs at least {k} rows, got {n}"
        )));
    }
    let mut rng = Rng::new(seed);
    let test_fold = if stratify {
        let counts = class_counts(y, n_classes);
        for (c, &cnt) in counts.iter().enumerate() {
            if cnt > 0 && cnt < k {
                let name = class_names.get(c).cloned().unwrap_or_else(|| c.to_string());
                return Err(DataError::Split(format!(
                    "stratified k-fold with {k} folds: class `{name}` has only {cnt} row(s); every class needs at least {k} \
                     (use fewer folds, a coarser target, or `stratify: false`)"
                )));
            }
        }
        stratified_folds(y, &counts, k, &mut rng)
    } else {
        shuffled_folds(n, k, &mut rng)
    };
    Ok((0..k)
        .map(|f| {
            let (test, train): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| test_fold[i] == f);
            Fold {
                name: format!("fold-{}", f + 1),
                train,
                test,
                test_source: TestSource::Train,
            }
        })
        .collect())
}

/// The test fold of every row, stratified as scikit-learn's `StratifiedKFold` with
/// shuffling: each class's rows spread over the folds as evenly as its count allows.
fn stratified_folds(y: &[u32], counts: &[usize], k: usize, rng: &mut Rng) -> Vec<usize> {
    let mut test_fold = vec![0usize; y.len()];
    // classes in order of first appearance (scikit-learn's encoding)
    let mut order: Vec<u32> = Vec::new();
    let mut enc = vec![usize::MAX; counts.len()];
    for &c in y {
        if enc[c as usize] == usize::MAX {
            enc[c as usize] = order.len();
            order.push(c);
        }
    }
    let m = order.len();
    let enc_counts: Vec<usize> = order.iter().map(|&c| counts[c as usize]).collect();
    // y_order = sorted encoded labels; allocation[f][e] = count of e in y_order[f::k]
    let mut y_order: Vec<usize> = Vec::with_capacity(y.len());
    for (e, &cnt) in enc_counts.iter().enumerate() {
        y_order.extend(std::iter::repeat_n(e, cnt));
    }
    let mut alloc = vec![vec![0usize; m]; k];
    for (i, &e) in y_order.iter().enumerate() {
        alloc[i % k][e] += 1;
    }
    let by = rows_by_class(y, counts.len());
    for (e, &c) in order.iter().enumerate() {
        let mut folds_for_class: Vec<usize> = Vec::with_capacity(enc_counts[e]);
        for (f, a) in alloc.iter().enumerate() {
            folds_for_class.extend(std::iter::repeat_n(f, a[e]));
        }
        rng.shuffle(&mut folds_for_class);
        for (&row, &f) in by[c as usize].iter().zip(&folds_for_class) {
            test_fold[row] = f;
        }
    }
    test_fold
}

/// The test fold of every row as scikit-learn's `KFold(shuffle=True)`: the first `n % k`
/// folds get one extra row.
fn shuffled_folds(n: usize, k: usize, rng: &mut Rng) -> Vec<usize> {
    let mut test_fold = vec![0usize; n];
    let mut rows: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut rows);
    let mut start = 0;
    for f in 0..k {
        let size = n / k + usize::from(f < n % k);
        for &r in &rows[start..start + size] {
            test_fold[r] = f;
        }
        start += size;
    }
    test_fold
}

/// A seeded subsample of `k` rows with the class proportions of `y` (approximate mode),
/// ascending. All rows when `k >= y.len()`.
pub fn stratified_subsample(y: &[u32], n_classes: usize, k: usize, seed: u64) -> Vec<usize> {
    if k >= y.len() {
        return (0..y.len()).collect();
    }
    let mut rng = Rng::new(seed);
    let counts = class_counts(y, n_classes);
    let alloc = approximate_mode(&counts, k, &mut rng);
    let mut out = Vec::with_capacity(k);
    for (c, rows) in rows_by_class(y, counts.len()).into_iter().enumerate() {
        let pick = rng.sample_indices(rows.len(), alloc[c]);
        out.extend(pick.into_iter().map(|i| rows[i]));
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(counts: &[usize]) -> Vec<u32> {
        // interleaved so that classes are not in blocks
        let mut y = Vec::new();
        let mut left = counts.to_vec();
        while left.iter().any(|&c| c > 0) {
            for (c, l) in left.iter_mut().enumerate() {
                if *l > 0 {
                    y.push(c as u32);
                    *l -= 1;
                }
            }
        }
        y
    }

    fn per_class(y: &[u32], rows: &[usize], n: usize) -> Vec<usize> {
        let mut c = vec![0; n];
        for &r in rows {
            c[y[r] as usize] += 1;
        }
        c
    }

    #[test]
    fn approximate_mode_hand_computed() {
        let mut rng = Rng::new(1);
        // 70/20/10 of 100, 70 draws: shares 49, 14, 7 exactly
        assert_eq!(approximate_mode(&[70, 20, 10], 70, &mut rng), [49, 14, 7]);
        // 50/33/17, 75 draws: shares 37.5, 24.75, 12.75 -> floors 37, 24, 12 (73),
        // 2 more: 0.75 and 0.75 tie -> classes 1 and 2
        assert_eq!(approximate_mode(&[50, 33, 17], 75, &mut rng), [37, 25, 13]);
        // 3 classes of 1 row, 2 draws: shares 2/3 each, the 2 extra rows go to 2 of the 3
        let a = approximate_mode(&[1, 1, 1], 2, &mut rng);
        assert_eq!(a.iter().sum::<usize>(), 2);
        assert!(a.iter().all(|&x| x <= 1));
    }

    #[test]
    fn holdout_is_stratified_disjoint_covering_and_seeded() {
        let y = labels(&[700, 200, 100]);
        let (tr, te) = holdout_indices(&y, 3, 0.3, true, 9).unwrap();
        // n_test = ceil(0.3 * 1000) = 300; training shares of 700: 490, 140, 70 (exact)
        assert_eq!(per_class(&y, &tr, 3), [490, 140, 70]);
        assert_eq!(per_class(&y, &te, 3), [210, 60, 30]);
        let mut all: Vec<usize> = tr.iter().chain(&te).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
        assert_eq!(
            holdout_indices(&y, 3, 0.3, true, 9).unwrap(),
            (tr.clone(), te.clone())
        );
        assert_ne!(holdout_indices(&y, 3, 0.3, true, 10).unwrap().1, te);
        // unstratified: only the total is fixed
        let (tr2, te2) = holdout_indices(&y, 3, 0.25, false, 9).unwrap();
        assert_eq!((tr2.len(), te2.len()), (750, 250));
    }

    #[test]
    fn kfold_counts_follow_round_robin_allocation() {
        // 10 rows of class 0, 7 of class 1, 3 folds. Sorted encoded labels dealt
        // round-robin: positions 0..17, fold f gets positions f, f+3, ...
        // class 0 = positions 0..10 -> folds 0,1,2,0,1,2,0,1,2,0 -> [4, 3, 3]
        // class 1 = positions 10..17 -> folds 1,2,0,1,2,0,1 -> [2, 3, 2]
        let y = labels(&[10, 7]);
        let names = vec!["a".to_string(), "b".to_string()];
        let folds = kfold_indices(&y, 2, 3, true, 5, &names).unwrap();
        let counts: Vec<Vec<usize>> = folds.iter().map(|f| per_class(&y, &f.test, 2)).collect();
        assert_eq!(counts, [[4, 2], [3, 3], [3, 2]]);
        let mut all: Vec<usize> = folds.iter().flat_map(|f| f.test.clone()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..17).collect::<Vec<_>>());
        for f in &folds {
            assert_eq!(f.train.len() + f.test.len(), 17);
            assert!(f.train.iter().all(|r| !f.test.contains(r)));
        }
        assert_eq!(folds, kfold_indices(&y, 2, 3, true, 5, &names).unwrap());
        assert_ne!(folds, kfold_indices(&y, 2, 3, true, 6, &names).unwrap());
        assert_eq!(folds[2].name, "fold-3");
    }

    #[test]
    fn kfold_refuses_a_class_smaller_than_the_folds() {
        let y = labels(&[20, 3]);
        let names = vec!["normal".to_string(), "u2r".to_string()];
        let e = kfold_indices(&y, 2, 5, true, 0, &names)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("class `u2r` has only 3 row(s); every class needs at least 5"),
            "{e}"
        );
    }

    #[test]
    fn one_class_training_part_names_the_fold() {
        let y = vec![0u32, 0, 0, 1];
        let e = check_two_classes(
            "fold-2",
            &[0, 1, 2],
            &y,
            &["normal".into(), "attack".into()],
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "training part of split `fold-2`: the label has only one class (`normal`, 3 rows); \
             at least two classes are needed to train and evaluate"
        );
    }

    #[test]
    fn subsample_keeps_proportions() {
        let y = labels(&[600, 300, 100]);
        let s = stratified_subsample(&y, 3, 100, 3);
        assert_eq!(per_class(&y, &s, 3), [60, 30, 10]);
        assert!(s.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(s, stratified_subsample(&y, 3, 100, 3));
    }
}
