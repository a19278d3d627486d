//! What scoring returns, by kind of model.

use ndarray::Array2;

/// Whether a classifier's per-class numbers are probabilities or raw scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassScoreKind {
    Probability,
    Score,
}

/// Predictions for a batch of rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Predictions {
    Classes(ClassPredictions),
    Anomalies(AnomalyPredictions),
    Clusters(ClusterPredictions),
}

/// A classifier's output: per row the predicted class and every class's score.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassPredictions {
    /// Class names in index order.
    pub class_names: Vec<String>,
    pub score_kind: ClassScoreKind,
    /// Predicted class index of each row (the highest score).
    pub predicted: Vec<u32>,
    /// One row per input row, one column per class.
    pub scores: Array2<f64>,
}

/// A detector's output: an anomaly score per row and the stored threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct AnomalyPredictions {
    pub scores: Vec<f64>,
    /// Anomaly when score > threshold (infinite when the model stored none).
    pub threshold: f64,
}

/// A clusterer's output: per row the cluster, the class mapped to it, and the score.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterPredictions {
    pub clusters: Vec<usize>,
    /// Class index of each row's cluster (`None`: a cluster the mapping does not cover).
    pub classes: Vec<Option<u32>>,
    /// Anomaly score of each row (distance-like; larger is more unusual).
    pub scores: Vec<f64>,
    pub class_names: Vec<String>,
}

/// One row's prediction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RowPrediction<'a> {
    Class {
        class: &'a str,
        scores: &'a [f64],
    },
    Anomaly {
        anomaly: bool,
        score: f64,
        threshold: f64,
    },
    Cluster {
        cluster: usize,
        class: Option<&'a str>,
        score: f64,
    },
}

impl AnomalyPredictions {
    pub fn is_anomaly(&self, row: usize) -> bool {
        self.scores[row] > self.threshold
    }
}

impl ClusterPredictions {
    pub fn class_name(&self, row: usize) -> Option<&str> {
        self.classes[row].map(|c| self.class_names[c as usize].as_str())
    }
}

impl Predictions {
    pub fn len(&self) -> usize {
        match self {
            Predictions::Classes(c) => c.predicted.len(),
            Predictions::Anomalies(a) => a.scores.len(),
            Predictions::Clusters(c) => c.clusters.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The prediction of row `i` (panics when out of range).
    pub fn row(&self, i: usize) -> RowPrediction<'_> {
        match self {
            Predictions::Classes(c) => RowPrediction::Class {
                class: &c.class_names[c.predicted[i] as usize],
                scores: c
                    .scores
                    .row(i)
                    .to_slice()
                    .expect("a row of a standard-layout array"),
            },
            Predictions::Anomalies(a) => RowPrediction::Anomaly {
                anomaly: a.is_anomaly(i),
                score: a.scores[i],
                threshold: a.threshold,
            },
            Predictions::Clusters(c) => RowPrediction::Cluster {
                cluster: c.clusters[i],
                class: c.class_name(i),
                score: c.scores[i],
            },
        }
    }
}
