//! The prior baseline (scikit-learn's `DummyClassifier(strategy="prior")`): scores every row
//! with the training class frequencies and predicts the most frequent class. It belongs in
//! every leaderboard as the floor a real model must beat.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::LearnError;
use crate::params::{ParamMap, ParamSpec};
use crate::traits::{Classifier, ClassifierParams, FitContext, TrainSet};

pub const NAME: &str = "dummy";

pub fn param_specs() -> Vec<ParamSpec> {
    Vec::new()
}

#[derive(Debug, Clone, Default)]
pub struct DummyParams;

pub fn build(_p: &ParamMap) -> Result<Box<dyn ClassifierParams>, LearnError> {
    Ok(Box::new(DummyParams))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dummy {
    priors: Vec<f64>,
    n_features: usize,
}

impl ClassifierParams for DummyParams {
    fn fit(
        &self,
        train: &TrainSet<'_>,
        _ctx: &FitContext,
    ) -> Result<Box<dyn Classifier>, LearnError> {
        train.validate()?;
        let n = train.y.len() as f64;
        let priors = train
            .class_counts()
            .into_iter()
            .map(|c| c as f64 / n)
            .collect();
        Ok(Box::new(Dummy {
            priors,
            n_features: train.x.ncols(),
        }))
    }
}

impl Classifier for Dummy {
    fn kind(&self) -> &'static str {
        NAME
    }
    fn n_classes(&self) -> usize {
        self.priors.len()
    }
    fn n_features(&self) -> usize {
        self.n_features
    }
    fn scores(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let mut out = Array2::zeros((x.nrows(), self.priors.len()));
        for mut row in out.rows_mut() {
            row.assign(&ndarray::ArrayView1::from(&self.priors));
        }
        out
    }
    fn save(&self) -> Result<Vec<u8>, LearnError> {
        Ok(postcard::to_allocvec(self)?)
    }
}

pub fn load(bytes: &[u8]) -> Result<Box<dyn Classifier>, LearnError> {
    Ok(Box::new(postcard::from_bytes::<Dummy>(bytes)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DataCache;

    #[test]
    fn scores_are_training_priors_and_predict_the_majority() {
        // DummyClassifier(strategy="prior").fit(X, [0,1,1,1]).predict_proba -> [[0.25, 0.75]]
        let x = ndarray::Array2::<f64>::zeros((4, 2));
        let y = [0u32, 1, 1, 1];
        let names = vec!["a".to_string(), "b".to_string()];
        let cache = DataCache::new();
        let train = TrainSet {
            x: x.view(),
            y: &y,
            n_classes: 2,
            class_names: &names,
            feature_names: &names,
            cache: &cache,
        };
        let m = DummyParams.fit(&train, &FitContext::default()).unwrap();
        let s = m.scores(x.view());
        assert_eq!(s.row(0).to_vec(), vec![0.25, 0.75]);
        assert_eq!(m.predict(x.view()), vec![1, 1, 1, 1]);
        let back = load(&m.save().unwrap()).unwrap();
        assert_eq!(back.scores(x.view()), s);
    }
}
