//! A detector on one fold: fit on the chosen training rows, fit its threshold, score the
//! test rows as normal vs attack.

use std::time::Instant;

use anomalab_learn::{Detector, FitContext, LearnError};
use anomalab_results::{Diagnostics, FoldResult, ScoreHistogram, Threshold};
use ndarray::Array2;

use super::{FoldOutcome, HISTOGRAM_BINS, TrainedModel, normal_class, rows};
use crate::eval;
use crate::models::Fitted;
use crate::runner::PreparedFold;
use crate::spec::{ThresholdSpec, TrainingMode};

/// Class names of a detector's verdicts.
pub(super) const VERDICTS: [&str; 2] = ["normal", "attack"];

pub(super) fn detector_fold(
    params: &dyn anomalab_learn::DetectorParams,
    fold: &PreparedFold,
    class_names: &[String],
    ctx: &FitContext,
    training: TrainingMode,
    threshold: &ThresholdSpec,
) -> FoldOutcome {
    let normal = normal_class(class_names)?;
    let (fit_rows, val) = detector_rows(fold, normal, ctx.seed, training, threshold)?;
    let x_fit = rows(&fold.x_train, &fit_rows);
    let t0 = Instant::now();
    let det = params.fit(x_fit.view(), ctx)?;
    let thr = fit_threshold(det.as_ref(), &x_fit, fold, &val, normal, threshold)?;
    let fit_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let s = det.score(fold.x_test.view());
    let predict_s = t1.elapsed().as_secs_f64();
    let mut fr = detector_metrics(fold, normal, &s, thr)?;
    let mut diag = Diagnostics::from_model(det.diagnostics());
    diag.threshold = Some(Threshold {
        value: thr,
        method: threshold_method(threshold).to_string(),
    });
    diag.score_histogram = Some(score_histogram(&s, &fold.y_test, class_names, thr));
    if training == TrainingMode::NormalOnly {
        diag.notes.push(format!(
            "fitted on the {} normal training rows only",
            fit_rows.len()
        ));
    }
    fr.diagnostics = diag;
    let trained = TrainedModel {
        fitted: Fitted::Detector(det),
        threshold: Some(thr),
        cluster_classes: None,
        class_names: Some(VERDICTS.map(String::from).to_vec()),
    };
    Ok((fr, fit_s, predict_s, Some(trained)))
}

/// The rows the detector is fitted on and the validation rows its threshold is chosen on
/// (none for a contamination threshold, which is read off the fitted rows' scores).
fn detector_rows(
    fold: &PreparedFold,
    normal: u32,
    seed: u64,
    training: TrainingMode,
    threshold: &ThresholdSpec,
) -> Result<(Vec<usize>, Vec<usize>), LearnError> {
    let all: Vec<usize> = (0..fold.y_train.len()).collect();
    let (fit_pool, val) = match threshold {
        ThresholdSpec::Contamination { .. } => (all, Vec::new()),
        ThresholdSpec::Percentile {
            validation_fraction,
            ..
        }
        | ThresholdSpec::BestF1 {
            validation_fraction,
        } => split_validation(fold.y_train.len(), *validation_fraction, seed),
    };
    let fit_rows: Vec<usize> = match training {
        TrainingMode::All => fit_pool,
        TrainingMode::NormalOnly => fit_pool
            .into_iter()
            .filter(|&i| fold.y_train[i] == normal)
            .collect(),
    };
    if fit_rows.is_empty() {
        return Err(LearnError::InvalidInput(format!(
            "{}: no training rows left to fit the detector on",
            fold.name
        )));
    }
    Ok((fit_rows, val))
}

/// The decision threshold (anomaly when score > threshold) the spec asks for.
fn fit_threshold(
    det: &dyn Detector,
    x_fit: &Array2<f64>,
    fold: &PreparedFold,
    val: &[usize],
    normal: u32,
    threshold: &ThresholdSpec,
) -> Result<f64, LearnError> {
    Ok(match threshold {
        ThresholdSpec::Contamination { rate } => {
            let mut s = det.score(x_fit.view());
            s.sort_by(f64::total_cmp);
            anomalab_learn::stats::quantile(&s, 1.0 - rate)
        }
        ThresholdSpec::Percentile { percentile, .. } => {
            let normal_val: Vec<usize> = val
                .iter()
                .copied()
                .filter(|&i| fold.y_train[i] == normal)
                .collect();
            if normal_val.is_empty() {
                return Err(LearnError::InvalidInput(
                    "the validation rows contain no normal row".into(),
                ));
            }
            let mut s = det.score(rows(&fold.x_train, &normal_val).view());
            s.sort_by(f64::total_cmp);
            anomalab_learn::stats::quantile(&s, percentile / 100.0)
        }
        ThresholdSpec::BestF1 { .. } => {
            let s = det.score(rows(&fold.x_train, val).view());
            let truth: Vec<bool> = val.iter().map(|&i| fold.y_train[i] != normal).collect();
            best_f1_threshold(&s, &truth)
        }
    })
}

fn threshold_method(threshold: &ThresholdSpec) -> &'static str {
    match threshold {
        ThresholdSpec::Contamination { .. } => "contamination",
        ThresholdSpec::Percentile { .. } => "percentile",
        ThresholdSpec::BestF1 { .. } => "best_f1",
    }
}

/// Metrics of the verdicts `score > thr` against normal vs attack, with the score as the
/// attack class's ranking for ROC/PR.
fn detector_metrics(
    fold: &PreparedFold,
    normal: u32,
    s: &[f64],
    thr: f64,
) -> Result<FoldResult, LearnError> {
    if let Some(i) = s.iter().position(|v| v.is_nan()) {
        return Err(LearnError::InvalidInput(format!(
            "anomaly score of test row {i} is NaN"
        )));
    }
    let bin_names = VERDICTS.map(String::from).to_vec();
    let y_bin = attack_truth(&fold.y_test, normal);
    let pred: Vec<u32> = s.iter().map(|&v| u32::from(v > thr)).collect();
    let scores = score_columns(s);
    let mut fr =
        eval::classification_fold(&fold.name, &bin_names, &y_bin, &pred, Some(scores.view()))?;
    insert_verdict_rates(&mut fr);
    Ok(fr)
}

/// `detection_rate` (attack rows flagged) and `false_alarm_rate` (normal rows flagged) of
/// a normal-vs-attack fold, read off its confusion matrix, so they describe exactly the
/// verdicts the other metrics score.
pub(super) fn insert_verdict_rates(fr: &mut FoldResult) {
    let flagged = |row: &[u64]| {
        let n = row.iter().sum::<u64>();
        if n > 0 { row[1] as f64 / n as f64 } else { 0.0 }
    };
    let (normal, attack) = (flagged(&fr.confusion[0]), flagged(&fr.confusion[1]));
    fr.metrics.insert("detection_rate".into(), attack);
    fr.metrics.insert("false_alarm_rate".into(), normal);
}

/// 1 for every row that is not of the normal class (the detectors' truth), else 0.
pub(super) fn attack_truth(y: &[u32], normal: u32) -> Vec<u32> {
    y.iter().map(|&c| u32::from(c != normal)).collect()
}

/// Two-column scores (normal, attack) from one anomaly score: `-s` and `s`, so the
/// ranking of the attack column is the score's.
pub(super) fn score_columns(s: &[f64]) -> Array2<f64> {
    let mut scores = Array2::zeros((s.len(), 2));
    for (i, &v) in s.iter().enumerate() {
        scores[[i, 0]] = -v;
        scores[[i, 1]] = v;
    }
    scores
}

/// Rows used for fitting and for choosing the threshold.
fn split_validation(n: usize, fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = anomalab_learn::Rng::new(anomalab_learn::rng::derive_seed(seed, 0x7A11));
    let mut idx: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut idx);
    let n_val = ((n as f64) * fraction).round().clamp(1.0, (n - 1) as f64) as usize;
    let mut val = idx[..n_val].to_vec();
    let mut fit = idx[n_val..].to_vec();
    val.sort_unstable();
    fit.sort_unstable();
    (fit, val)
}

/// The threshold with the best F1 on (scores, truth): a cut between consecutive distinct
/// scores, predicting anomaly for score > threshold.
pub(crate) fn best_f1_threshold(scores: &[f64], truth: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let positives = truth.iter().filter(|&&t| t).count() as f64;
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut best = (f64::NEG_INFINITY, f64::INFINITY);
    for (k, &i) in idx.iter().enumerate() {
        if truth[i] {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        let next = idx.get(k + 1).map(|&j| scores[j]);
        if next == Some(scores[i]) {
            continue;
        }
        let f1 = if tp > 0.0 {
            2.0 * tp / (2.0 * tp + fp + (positives - tp))
        } else {
            0.0
        };
        if f1 > best.0 {
            let thr = match next {
                Some(n) => (scores[i] + n) / 2.0,
                None => scores[i] - 1e-12_f64.max(scores[i].abs() * 1e-12),
            };
            best = (f1, thr);
        }
    }
    best.1
}

/// Histogram of the test scores per class. A long tail (the 99.5th percentile below the
/// middle of the range) gets one overflow bin of its own, so the other bins resolve the
/// bulk of the scores instead of lumping them into the first bin.
fn score_histogram(s: &[f64], y: &[u32], class_names: &[String], thr: f64) -> ScoreHistogram {
    let mut finite: Vec<f64> = s.iter().copied().filter(|v| v.is_finite()).collect();
    finite.sort_by(f64::total_cmp);
    if let Some(h) = log_histogram(&finite, s, y, class_names, thr) {
        return h;
    }
    let lo = finite.first().copied().unwrap_or(f64::INFINITY).min(thr);
    let hi = finite.last().copied().unwrap_or(f64::NEG_INFINITY).max(thr);
    let (lo, hi) = if lo.is_finite() && hi > lo {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let q = finite
        .get(((finite.len().max(1) - 1) as f64 * 0.995).round() as usize)
        .map_or(hi, |&q| q.max(thr));
    let tail = q > lo && q - lo < 0.5 * (hi - lo);
    let (top, bins) = if tail {
        (q, HISTOGRAM_BINS - 1)
    } else {
        (hi, HISTOGRAM_BINS)
    };
    let width = (top - lo) / bins as f64;
    let mut edges: Vec<f64> = (0..=bins).map(|i| lo + width * i as f64).collect();
    if tail {
        edges.push(hi);
    }
    let mut counts = vec![vec![0u64; HISTOGRAM_BINS]; class_names.len()];
    for (&v, &c) in s.iter().zip(y) {
        if v.is_finite() {
            let b = if v > top {
                HISTOGRAM_BINS - 1
            } else {
                (((v - lo) / width) as usize).min(bins - 1)
            };
            counts[c as usize][b] += 1;
        }
    }
    ScoreHistogram {
        edges,
        log_bins: false,
        counts: by_class(class_names, counts),
    }
}

/// Each class's bin counts under its name, classes with no scored row left out.
fn by_class(class_names: &[String], counts: Vec<Vec<u64>>) -> Vec<(String, Vec<u64>)> {
    class_names
        .iter()
        .cloned()
        .zip(counts)
        .filter(|(_, c)| c.iter().any(|&n| n > 0))
        .collect()
}

/// Log-spaced bins, when the scores are positive and their bulk (0.5th to 99.5th
/// percentile, threshold included) spans more than two decades: linear bins would put
/// nearly every row in the first one (reconstruction errors, distances).
fn log_histogram(
    sorted: &[f64],
    s: &[f64],
    y: &[u32],
    class_names: &[String],
    thr: f64,
) -> Option<ScoreHistogram> {
    let q = |p: f64| sorted[((sorted.len() - 1) as f64 * p).round() as usize];
    let (lo, hi) = (sorted.first()?.min(thr), sorted.last()?.max(thr));
    if !(lo > 0.0 && hi.is_finite() && q(0.995).max(thr) > 100.0 * q(0.005).min(thr)) {
        return None;
    }
    let (a, b) = (lo.log10(), hi.log10());
    let step = (b - a) / HISTOGRAM_BINS as f64;
    let mut edges: Vec<f64> = (0..=HISTOGRAM_BINS)
        .map(|i| 10f64.powf(a + step * i as f64))
        .collect();
    (edges[0], edges[HISTOGRAM_BINS]) = (lo, hi);
    let mut counts = vec![vec![0u64; HISTOGRAM_BINS]; class_names.len()];
    for (&v, &c) in s.iter().zip(y) {
        if v.is_finite() {
            let b = ((v.log10() - a) / step) as usize;
            counts[c as usize][b.min(HISTOGRAM_BINS - 1)] += 1;
        }
    }
    Some(ScoreHistogram {
        edges,
        log_bins: true,
        counts: by_class(class_names, counts),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positive_scores_over_decades_get_log_bins() {
        // 1,000 scores from 0.001 to 1,000 (six decades, evenly in log): linear bins would
        // hold 99.9 % of them in the first bin; log bins hold about 50 each.
        let s: Vec<f64> = (0..1000)
            .map(|i| 10f64.powf(-3.0 + 6.0 * i as f64 / 999.0))
            .collect();
        let y = vec![0u32; 1000];
        let h = score_histogram(&s, &y, &["normal".to_string()], 1.0);
        assert!(h.log_bins);
        assert_eq!(h.edges.len(), HISTOGRAM_BINS + 1);
        assert!((h.edges[0] - 0.001).abs() < 1e-15 && h.edges[HISTOGRAM_BINS] == 1000.0);
        let counts = &h.counts[0].1;
        assert_eq!(counts.iter().sum::<u64>(), 1000);
        let per_bin = 1000 / HISTOGRAM_BINS as u64;
        assert!(
            counts.iter().all(|&c| c.abs_diff(per_bin) <= 1),
            "{counts:?}"
        );
        // Scores that reach zero or stay within two decades keep linear bins.
        let narrow: Vec<f64> = (0..1000).map(|i| 1.0 + i as f64 / 10.0).collect();
        assert!(!score_histogram(&narrow, &y, &["normal".to_string()], 2.0).log_bins);
        let mut zero = s.clone();
        zero[0] = 0.0;
        assert!(!score_histogram(&zero, &y, &["normal".to_string()], 1.0).log_bins);
    }

    #[test]
    fn a_long_tail_gets_an_overflow_bin() {
        // 999 scores in [0, 1) and one at 100: 39 bins over [0, q99.5] and one to 100.
        let mut s: Vec<f64> = (0..999).map(|i| i as f64 / 999.0).collect();
        s.push(100.0);
        let y = vec![0u32; s.len()];
        let h = score_histogram(&s, &y, &["normal".to_string()], 0.5);
        assert_eq!(h.edges.len(), HISTOGRAM_BINS + 1);
        assert_eq!(*h.edges.last().unwrap(), 100.0);
        let q = s[(999.0 * 0.995_f64).round() as usize];
        assert!((h.edges[HISTOGRAM_BINS - 1] - q).abs() < 1e-12);
        assert_eq!(h.counts[0].1.iter().sum::<u64>(), 1000);
        // Above the 99.5th percentile (994/999): 995/999 to 998/999, and 100.
        assert_eq!(h.counts[0].1[HISTOGRAM_BINS - 1], 5);
        // Spread evenly: equal bins over the whole range.
        let s: Vec<f64> = (0..1000).map(f64::from).collect();
        let h = score_histogram(&s, &vec![0; 1000], &["normal".to_string()], 10.0);
        assert_eq!(h.edges.len(), HISTOGRAM_BINS + 1);
        assert!((h.edges[1] - 999.0 / HISTOGRAM_BINS as f64).abs() < 1e-9);
    }
}
