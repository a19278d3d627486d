"""Reference per-class counts of scikit-learn's stratified splits, for anomalab's split tests.

What it computes: for a few fixed label vectors (written into the JSON so that the Rust
test uses exactly the same labels),
  * StratifiedKFold(n_splits=k, shuffle=True, random_state=0): the class counts of every
    test fold (these counts do not depend on the shuffle; anomalab's k-fold must match them);
  * StratifiedShuffleSplit(n_splits=1, test_size=t, random_state=0): the class counts of the
    training and test parts (cases are chosen so that the allocation has no ties, which
    scikit-learn breaks at random);
  * KFold(n_splits=k, shuffle=True, random_state=0): the test fold sizes.

Run from the repository root:
    python3 scripts/data_split_reference.py > scripts/data_split_reference.json
Read by tests/data_split_reference.rs.
"""
import json

import numpy as np
import sklearn
from sklearn.model_selection import KFold, StratifiedKFold, StratifiedShuffleSplit


def labels(counts, order_seed):
    """Class c repeated counts[c] times, in a fixed pseudo-random order."""
    y = np.concatenate([np.full(n, c) for c, n in enumerate(counts)])
    rng = np.random.RandomState(order_seed)
    rng.shuffle(y)
    return y


def class_counts(y, idx, n_classes):
    return np.bincount(y[idx], minlength=n_classes).tolist()


cases = []
for counts, k, test_size, seed in [
    ([10, 7], 3, 0.3, 1),
    ([23, 11, 6], 4, 0.25, 2),
    ([613, 271, 97, 19], 5, 0.3, 3),
    ([5000, 1234, 321, 45, 12], 10, 0.2, 4),
]:
    y = labels(counts, seed)
    n_classes = len(counts)
    skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=0)
    kfold = [class_counts(y, test, n_classes) for _, test in skf.split(np.zeros(len(y)), y)]
    sss = StratifiedShuffleSplit(n_splits=1, test_size=test_size, random_state=0)
    train, test = next(sss.split(np.zeros(len(y)), y))
    kf = KFold(n_splits=k, shuffle=True, random_state=0)
    sizes = [len(test_idx) for _, test_idx in kf.split(np.zeros(len(y)))]
    cases.append(
        {
            "y": y.tolist(),
            "n_classes": n_classes,
            "folds": k,
            "kfold_test_counts": kfold,
            "kfold_unstratified_test_sizes": sizes,
            "test_size": test_size,
            "holdout_train_counts": class_counts(y, train, n_classes),
            "holdout_test_counts": class_counts(y, test, n_classes),
        }
    )

print(json.dumps({"sklearn_version": sklearn.__version__, "cases": cases}))
