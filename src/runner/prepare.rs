//! Load the data, split it into folds, and preprocess each fold once (every trial shares
//! the prepared folds).

use std::path::Path;

use anomalab_learn::DataCache;
use ndarray::Array2;
use rayon::prelude::*;

use super::error::RunError;
use super::events::{Observer, RunEvent};
use super::settings::RunSettings;
use crate::data::split::{SplitPair, repeat_seed};
use crate::data::{Dataset, Fold, LoadContext, LoadedData};
use crate::preprocess::{FittedPipeline, Pipeline};
use crate::spec::Experiment;

/// One fold, preprocessed once and shared by every trial.
pub(crate) struct PreparedFold {
    pub name: String,
    /// The repeat the fold belongs to, and its position within the repeat: together they
    /// seed the trials on it.
    pub repeat: usize,
    pub index: usize,
    pub pipeline: FittedPipeline,
    pub x_train: Array2<f64>,
    pub y_train: Vec<u32>,
    pub x_test: Array2<f64>,
    pub y_test: Vec<u32>,
    pub cache: DataCache,
    pub train_class_counts: Vec<usize>,
}

/// The loaded data and its prepared folds.
pub(crate) struct PreparedData {
    pub loaded: LoadedData,
    /// The unfitted pipeline (refitting the best trial on all rows fits it again).
    pub pipeline: Pipeline,
    pub folds: Vec<PreparedFold>,
    /// What preprocessing the first fold noticed (shown once as dataset warnings).
    pub notes: Vec<String>,
}

impl PreparedData {
    pub fn class_names(&self) -> &[String] {
        &self.loaded.train.class_names
    }
}

/// Load, split and preprocess (folds in parallel in `pool`).
pub(crate) fn load_and_prepare(
    exp: &Experiment,
    settings: &RunSettings,
    pool: &rayon::ThreadPool,
    observer: &dyn Observer,
) -> Result<PreparedData, RunError> {
    let (mut loaded, folds) = load_and_split(exp, settings, observer)?;
    observer.on_event(&RunEvent::Stage(format!(
        "preprocessing {} fold(s)",
        folds.len()
    )));
    let pipeline = Pipeline::new(exp.preprocessing.clone());
    let prepare = |f: &RepeatFold, pair: SplitPair| {
        let seed = repeat_seed(exp.seed, f.repeat) ^ f.index as u64;
        let (mut fold, notes) = prepare_fold(&pipeline, &pair.name, pair.train, pair.test, seed)?;
        (fold.repeat, fold.index) = (f.repeat, f.index);
        Ok::<_, RunError>((fold, notes))
    };
    let prepared: Vec<(PreparedFold, Vec<String>)> = if let [f] = folds.as_slice() {
        // The only split: its rows are moved out of the loaded table (which nothing reads
        // again: with one fold the best trial's model is kept, not refitted on all rows).
        vec![prepare(f, f.fold.materialise_owned(&mut loaded)?)?]
    } else {
        // Each fold's rows are copied out of the loaded data only while it is
        // preprocessed: at most one copy per thread.
        pool.install(|| {
            folds
                .par_iter()
                .map(|f| prepare(f, f.fold.materialise(&loaded)?))
                .collect::<Result<Vec<_>, RunError>>()
        })?
    };
    let notes = prepared.first().map(|(_, n)| n.clone()).unwrap_or_default();
    Ok(PreparedData {
        loaded,
        pipeline,
        folds: prepared.into_iter().map(|(f, _)| f).collect(),
        notes,
    })
}

/// Load the data alone (what a plan needs: the files' hashes).
pub(crate) fn load_only(exp: &Experiment, settings: &RunSettings) -> Result<LoadedData, RunError> {
    Ok(crate::data::loader::load(
        &exp.dataset,
        &exp.split,
        &load_context(exp, settings),
    )?)
}

fn load_context(exp: &Experiment, settings: &RunSettings) -> LoadContext {
    LoadContext {
        data_dir: settings.data_dir.clone(),
        base_dir: exp.source.path.parent().map(Path::to_path_buf),
        seed: exp.seed,
        strict: settings.strict,
    }
}

/// A fold of one repeat of the split.
struct RepeatFold {
    fold: Fold,
    repeat: usize,
    /// Position within the repeat.
    index: usize,
}

fn load_and_split(
    exp: &Experiment,
    settings: &RunSettings,
    observer: &dyn Observer,
) -> Result<(LoadedData, Vec<RepeatFold>), RunError> {
    observer.on_event(&RunEvent::Stage(format!(
        "loading dataset `{}`",
        exp.dataset.source.as_str()
    )));
    let loaded = crate::data::loader::load(&exp.dataset, &exp.split, &load_context(exp, settings))?;
    let kind = exp.split.kind_for(&exp.dataset);
    let mut folds = Vec::new();
    for repeat in 0..exp.repeats {
        let seed = repeat_seed(exp.seed, repeat);
        let split = crate::data::split::make_splits(&loaded, kind, &exp.split, seed)?;
        for (index, mut fold) in split.into_iter().enumerate() {
            if exp.repeats > 1 {
                fold.name = format!("r{repeat}/{}", fold.name);
            }
            folds.push(RepeatFold {
                fold,
                repeat,
                index,
            });
        }
    }
    Ok((loaded, folds))
}

/// Fit the pipeline on `train` and transform `test` (both taken: the pipeline works on
/// them in place); also returns notes on what the transform met (unseen categories,
/// imputed cells).
pub(crate) fn prepare_fold(
    pipeline: &Pipeline,
    name: &str,
    train: Dataset,
    test: Dataset,
    seed: u64,
) -> Result<(PreparedFold, Vec<String>), RunError> {
    let wrap = |source| RunError::Preprocess {
        fold: name.to_string(),
        source,
    };
    let n_classes = train.class_names.len();
    let fitted = pipeline.fit_owned(train, seed).map_err(wrap)?;
    let (x_test, stats) = fitted
        .pipeline
        .transform_owned(test.features)
        .map_err(wrap)?;
    let mut notes = fitted.notes.clone();
    for (col, n) in &stats.unseen_categories {
        notes.push(format!(
            "{n} test row(s) have a `{col}` category not seen in training (encoded as all zeros)"
        ));
    }
    if stats.imputed_cells > 0 {
        notes.push(format!(
            "{} non-finite test cell(s) replaced by training statistics",
            stats.imputed_cells
        ));
    }
    let mut counts = vec![0; n_classes];
    for &y in &fitted.y {
        counts[y as usize] += 1;
    }
    let fold = PreparedFold {
        name: name.to_string(),
        repeat: 0,
        index: 0,
        pipeline: fitted.pipeline,
        x_train: fitted.x,
        y_train: fitted.y,
        x_test,
        y_test: test.y,
        cache: DataCache::new(),
        train_class_counts: counts,
    };
    Ok((fold, notes))
}
