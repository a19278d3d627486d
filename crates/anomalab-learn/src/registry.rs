//! The list of every algorithm this crate offers, by role.
//!
//! An entry ties a spec name (`random_forest`) and a backend (`native`, `smartcore`,
//! `linfa`) to its parameter schema, a builder from a resolved [`ParamMap`], and a loader
//! for saved models. The root crate's registry, `anomalab models` and the spec validator
//! read these lists; nothing else needs to know which algorithms exist.
//!
//! The first entry of a name is its default backend.

pub use crate::traits::{BuildFn, ClassifierEntry, ClustererEntry, DetectorEntry, LoadFn};

/// The registry as the ensembles' catalog of member algorithms.
pub struct Registry;

impl crate::ensemble::Catalog for Registry {
    fn classifier(name: &str, backend: Option<&str>) -> Option<ClassifierEntry> {
        classifiers()
            .into_iter()
            .find(|e| e.name == name && backend.is_none_or(|b| e.backend == b))
    }
}

/// Every supervised learner. Add new entries here; the first entry of a name is its
/// default backend, so native implementations come before the comparison backends.
pub fn classifiers() -> Vec<ClassifierEntry> {
    vec![
        ClassifierEntry {
            name: crate::dummy::NAME,
            backend: "native",
            summary: "prior baseline: predicts the most frequent training class (scikit-learn DummyClassifier)",
            params: crate::dummy::param_specs,
            build: crate::dummy::build,
            load: crate::dummy::load,
        },
        ClassifierEntry {
            name: crate::tree::NAME,
            backend: "native",
            summary: "CART decision tree (histogram split search on quantile bins)",
            params: crate::tree::DecisionTreeParams::specs,
            build: crate::tree::build,
            load: crate::tree::load,
        },
        ClassifierEntry {
            name: crate::forest::RANDOM_FOREST,
            backend: "native",
            summary: "random forest: bootstrap CART trees, averaged probabilities",
            params: crate::forest::random_forest_specs,
            build: crate::forest::build_random_forest,
            load: crate::forest::load_random_forest,
        },
        ClassifierEntry {
            name: crate::forest::EXTRA_TREES,
            backend: "native",
            summary: "extremely randomised trees: one random threshold per candidate feature",
            params: crate::forest::extra_trees_specs,
            build: crate::forest::build_extra_trees,
            load: crate::forest::load_extra_trees,
        },
        ClassifierEntry {
            name: crate::gbdt::KIND,
            backend: "native",
            summary: "histogram gradient boosting, XGBoost-style second order (logistic / softmax)",
            params: crate::gbdt::param_specs,
            build: crate::gbdt::build,
            load: crate::gbdt::load,
        },
        ClassifierEntry {
            name: crate::linear::logistic::NAME,
            backend: "native",
            summary: "L2 logistic regression (L-BFGS on scikit-learn's objective), binary or multinomial; probabilities",
            params: crate::linear::logistic::params,
            build: crate::linear::logistic::build,
            load: crate::linear::logistic::load,
        },
        ClassifierEntry {
            name: crate::adapters::linfa::GAUSSIAN_NB,
            backend: "linfa",
            summary: "Gaussian naive Bayes (linfa-bayes; var_smoothing as scikit-learn); probabilities",
            params: crate::adapters::linfa::gaussian_nb_params,
            build: crate::adapters::linfa::gaussian_nb_build,
            load: crate::adapters::linfa::gaussian_nb_load,
        },
        ClassifierEntry {
            name: crate::knn::NAME,
            backend: "native",
            summary: "exact k-nearest neighbours (brute force, parallel, blocked distances); probabilities = vote fractions",
            params: crate::knn::params,
            build: crate::knn::build,
            load: crate::knn::load,
        },
        ClassifierEntry {
            name: crate::linear::svm::NAME,
            backend: "native",
            summary: "linear SVM as scikit-learn LinearSVC (LIBLINEAR dual coordinate descent, or the primal by L-BFGS when dual=auto picks it), one-vs-rest; scores are decision values",
            params: crate::linear::svm::params,
            build: crate::linear::svm::build,
            load: crate::linear::svm::load,
        },
        ClassifierEntry {
            name: crate::svm::svc::NAME,
            backend: "native",
            summary: "kernel SVM as scikit-learn SVC (libsvm SMO: WSS3, shrinking, kernel cache), rbf/poly/linear/sigmoid, one-vs-one; decision values or Platt probabilities",
            params: crate::svm::svc::params,
            build: crate::svm::svc::build,
            load: crate::svm::svc::load,
        },
        ClassifierEntry {
            name: crate::adapters::smartcore::SVC_NAME,
            backend: "smartcore",
            summary: "RBF-kernel SVM (smartcore), one-vs-rest, for comparison; decision values; its solver is only tractable up to a few thousand rows (refuses more than max_train_rows; use the native backend)",
            params: crate::adapters::smartcore::svc_params,
            build: crate::adapters::smartcore::svc_build,
            load: crate::adapters::smartcore::svc_load,
        },
        crate::mlp::classifier_entry(),
        ClassifierEntry {
            name: crate::adapters::smartcore::DECISION_TREE,
            backend: "smartcore",
            summary: "CART decision tree (smartcore), for comparison; labels only: scores are one-hot predictions, not probabilities",
            params: crate::adapters::smartcore::decision_tree_params,
            build: crate::adapters::smartcore::decision_tree_build,
            load: crate::adapters::smartcore::decision_tree_load,
        },
        ClassifierEntry {
            name: crate::adapters::linfa::DECISION_TREE,
            backend: "linfa",
            summary: "CART decision tree (linfa-trees), for comparison; labels only: scores are one-hot predictions, not probabilities",
            params: crate::adapters::linfa::decision_tree_params,
            build: crate::adapters::linfa::decision_tree_build,
            load: crate::adapters::linfa::decision_tree_load,
        },
        ClassifierEntry {
            name: crate::adapters::smartcore::RANDOM_FOREST,
            backend: "smartcore",
            summary: "random forest (smartcore), for comparison; majority vote only: scores are one-hot predictions, not probabilities",
            params: crate::adapters::smartcore::random_forest_params,
            build: crate::adapters::smartcore::random_forest_build,
            load: crate::adapters::smartcore::random_forest_load,
        },
        crate::ensemble::voting::entry::<Registry>(),
        crate::ensemble::bagging::entry::<Registry>(),
        crate::ensemble::stacking::entry::<Registry>(),
    ]
}

/// Every anomaly detector.
pub fn detectors() -> Vec<DetectorEntry> {
    vec![
        crate::iforest::detector_entry(),
        crate::som::detector_entry(),
        crate::pca_detector::detector_entry(),
        crate::mlp::detector_entry(),
        crate::svm::one_class::detector_entry(),
        crate::lof::detector_entry(),
    ]
}

/// Every clusterer.
pub fn clusterers() -> Vec<ClustererEntry> {
    vec![
        crate::cluster::kmeans::clusterer_entry(),
        crate::cluster::gmm::clusterer_entry(),
        crate::cluster::dbscan::clusterer_entry(),
    ]
}
