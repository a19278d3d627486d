//! Scoring with a saved model, shared by `predict` (CSV in, CSV out) and live scoring of
//! flow records: load the model, match the input's columns to the model's
//! ([`ColumnPlan`]), run the fitted preprocessing and the model, and return typed
//! [`Predictions`].

mod error;
mod input;
pub mod plan;
mod predictions;
#[cfg(test)]
mod tests;

use std::path::Path;

use anomalab_flow::FlowRecord;

use crate::data::{FileTable, ReadOptions, Table};
use crate::models::Fitted;
use crate::persist::{ModelHeader, SavedModel};
use crate::preprocess::TransformStats;

pub use error::ScoreError;
pub use input::{InputFormat, InputTable};
pub use plan::{ColumnMismatch, ColumnPlan};
pub use predictions::{
    AnomalyPredictions, ClassPredictions, ClassScoreKind, ClusterPredictions, Predictions,
    RowPrediction,
};

/// A loaded model, ready to score tables or flow records.
pub struct Scorer {
    model_path: String,
    saved: SavedModel,
}

/// The predictions for a batch and what was noticed on the way.
#[derive(Debug, Clone)]
pub struct Scored {
    pub predictions: Predictions,
    /// Input columns that were present and ignored.
    pub ignored: Vec<String>,
    /// Counters of the preprocessing (unseen categories, imputed cells).
    pub stats: TransformStats,
}

impl Scorer {
    /// Load a model file written by `run`.
    pub fn load(path: &Path) -> Result<Self, ScoreError> {
        let saved = crate::persist::load(path)?;
        Self::new(saved, &path.display().to_string())
    }

    /// Wrap an already decoded model; `model_path` names it in errors.
    pub fn new(saved: SavedModel, model_path: &str) -> Result<Self, ScoreError> {
        if matches!(saved.model, Fitted::Clusterer(_)) && saved.header.cluster_classes.is_none() {
            return Err(ScoreError::NoClusterMapping {
                model: model_path.to_string(),
            });
        }
        Ok(Scorer {
            model_path: model_path.to_string(),
            saved,
        })
    }

    pub fn header(&self) -> &ModelHeader {
        &self.saved.header
    }

    /// The extraction settings the model was trained with (`source: pcap`'s `extract:`),
    /// so that a served capture gives exactly the training features; `None` for models of
    /// other sources or older files.
    pub fn extract_options(&self) -> Option<anomalab_flow::ExtractOptions> {
        let dataset = self.saved.header.dataset.as_ref()?;
        dataset.extract.clone().or_else(|| {
            matches!(dataset.source, Some(crate::data::source::Source::Pcap))
                .then(anomalab_flow::ExtractOptions::default)
        })
    }

    /// The fitted model (its role decides what a prediction means).
    pub fn fitted(&self) -> &Fitted {
        &self.saved.model
    }

    pub fn model_path(&self) -> &str {
        &self.model_path
    }

    /// The model's input column names, in the model's order.
    pub fn input_columns(&self) -> Vec<&str> {
        let cols = &self.saved.header.input_columns;
        cols.iter().map(|c| c.name.as_str()).collect()
    }

    /// Match `columns` (named `input` in errors) to the model's. Its non-feature columns
    /// and the `ignore` list may be present and are ignored.
    pub fn plan(
        &self,
        input: &str,
        columns: &[&str],
        ignore: &[String],
    ) -> Result<ColumnPlan, ScoreError> {
        let h = &self.saved.header;
        let skip: Vec<&str> = ignore
            .iter()
            .chain(&h.non_feature_columns)
            .map(String::as_str)
            .collect();
        ColumnPlan::new(&self.input_columns(), columns, &skip).map_err(|mismatch| {
            ScoreError::Columns {
                input: input.to_string(),
                model: self.model_path.clone(),
                mismatch,
            }
        })
    }

    /// Whether the model's input names carry no surrounding spaces: then the input's header
    /// names are trimmed (and a repeated name made `x.1`) before they are matched, the rule
    /// of the `cic_ids2017` loader, so CICFlowMeter's ` Flow Duration` matches a model
    /// trained on captures or on trimmed CIC-IDS2017 files. A model that kept spaces in its
    /// names is matched exactly.
    pub fn names_are_trimmed(&self) -> bool {
        let cols = &self.saved.header.input_columns;
        cols.iter().all(|c| c.name.trim() == c.name)
    }

    /// Read a CSV or Parquet file, with the model's text columns read as categories.
    pub fn read_table(&self, path: &Path) -> Result<FileTable, ScoreError> {
        let categorical = self
            .saved
            .header
            .input_columns
            .iter()
            .filter(|c| c.categorical)
            .map(|c| c.name.clone())
            .collect();
        let opts = ReadOptions {
            categorical,
            trim_column_names: self.names_are_trimmed(),
            ..Default::default()
        };
        Ok(crate::data::read_file(path, &opts)?)
    }

    /// Score every row of `table` (named `input` in errors).
    pub fn score_table(
        &self,
        input: &str,
        table: &Table,
        ignore: &[String],
    ) -> Result<Scored, ScoreError> {
        let model = &self.saved.header.input_columns;
        let in_model_order = table.columns.len() == model.len()
            && table
                .columns
                .iter()
                .zip(model)
                .all(|(c, m)| c.name == m.name);
        if in_model_order {
            // Already the model's columns in its order (the HTTP API lays them out so).
            let (predictions, stats) = self.score_model_table(input, table)?;
            return Ok(Scored {
                predictions,
                ignored: Vec::new(),
                stats,
            });
        }
        let names = table.names();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let plan = self.plan(input, &names, ignore)?;
        let (predictions, stats) = self.score_model_table(input, &plan.select(table))?;
        Ok(Scored {
            predictions,
            ignored: plan.ignored,
            stats,
        })
    }

    /// Score a batch of flow records, each mapped to a row by
    /// [`FlowRecord::push_model_row`] under [`anomalab_flow::model_feature_names`].
    pub fn score_flows(
        &self,
        flows: &[FlowRecord],
        ignore: &[String],
    ) -> Result<Scored, ScoreError> {
        const INPUT: &str = "flow records";
        let names = anomalab_flow::model_feature_names();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let plan = self.plan(INPUT, &refs, ignore)?;
        // Straight into the model's columns: no row vector per flow.
        let mut columns: Vec<Vec<f64>> = (0..plan.positions.len())
            .map(|_| Vec::with_capacity(flows.len()))
            .collect();
        let mut row = Vec::with_capacity(names.len());
        for flow in flows {
            row.clear();
            flow.push_model_row(&mut row);
            for (col, &i) in columns.iter_mut().zip(&plan.positions) {
                col.push(row[i]);
            }
        }
        let table = Table {
            columns: self
                .input_columns()
                .into_iter()
                .zip(columns)
                .map(|(name, data)| crate::data::Column {
                    name: name.to_string(),
                    data: crate::data::ColumnData::Numeric(data),
                })
                .collect(),
        };
        let (predictions, stats) = self.score_model_table(INPUT, &table)?;
        Ok(Scored {
            predictions,
            ignored: plan.ignored,
            stats,
        })
    }

    /// Preprocess and score a table that holds exactly the model's input columns.
    fn score_model_table(
        &self,
        input: &str,
        table: &Table,
    ) -> Result<(Predictions, TransformStats), ScoreError> {
        let (x, stats) =
            self.saved
                .pipeline
                .transform(table)
                .map_err(|error| ScoreError::Preprocess {
                    input: input.to_string(),
                    error,
                })?;
        let h = &self.saved.header;
        let predictions = match &self.saved.model {
            Fitted::Classifier(m) => {
                let scores = m.scores(x.view()).as_standard_layout().into_owned();
                Predictions::Classes(ClassPredictions {
                    class_names: h.class_names.clone(),
                    score_kind: if m.scores_are_probabilities() {
                        ClassScoreKind::Probability
                    } else {
                        ClassScoreKind::Score
                    },
                    predicted: anomalab_learn::traits::argmax_rows(&scores),
                    scores,
                })
            }
            Fitted::Detector(d) => Predictions::Anomalies(AnomalyPredictions {
                scores: d.score(x.view()),
                threshold: h.threshold.unwrap_or(f64::INFINITY),
            }),
            Fitted::Clusterer(c) => {
                let mapping = h.cluster_classes.as_deref().unwrap_or_default();
                let clusters = c.assign(x.view());
                Predictions::Clusters(ClusterPredictions {
                    classes: clusters.iter().map(|&k| mapping.get(k).copied()).collect(),
                    clusters,
                    scores: c.score(x.view()),
                    class_names: h.class_names.clone(),
                })
            }
        };
        Ok((predictions, stats))
    }
}
