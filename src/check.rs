//! `anomalab check`: a CI regression gate comparing a run's results.json to a baseline.
//!
//! A baseline is a small YAML file of rules:
//!
//! ```yaml
//! experiment: nsl_kdd_binary
//! rules:
//!   - model: best            # `best` (the run's best trial) or a model name (its best trial)
//!     metric: f1_macro
//!     baseline: 0.80         # the reference value ...
//!     max_drop: 0.02         # ... and how far below it is still a pass
//!     relative: false        # max_drop as a fraction of the baseline instead (default false)
//!   - model: random_forest
//!     metric: accuracy
//!     minimum: 0.75          # or an absolute floor
//! ```
//!
//! A run with repeats (`repeats: N` in its spec) is judged on the mean over its repeats,
//! and the baseline can keep the per-repeat values of the run it was written from:
//!
//! ```yaml
//!   - model: best
//!     metric: f1_macro
//!     repeats: [0.912, 0.905, 0.917]  # the baseline run's value in each repeat
//!     not_worse: paired      # regression = significantly worse, paired t-test over the
//!                            # repeats (the same seeds), alpha 0.05
//!   - model: knn
//!     metric: f1_macro
//!     repeats: [0.88, 0.87, 0.89]     # without `not_worse`: the mean must not fall below
//!                            # the baseline mean by more than the tolerance: `max_drop`
//!                            # if given, else t(0.975, n-1) · sd · sqrt(1/n_base + 1/n_run)
//! ```
//!
//! Exit codes: 0 every rule passes, 1 a regression, 2 the check could not run.

use std::path::Path;

use anomalab_results::{ResultsError, RunResults, TrialResult};
use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// The experiment the baseline belongs to (checked against results.json).
    pub experiment: String,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// `best` or a model name of the spec.
    #[serde(default = "best")]
    pub model: String,
    pub metric: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_drop: Option<f64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub relative: bool,
    /// The baseline run's value in each of its repeats (written by --write-baseline from a
    /// run with repeats).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeats: Option<Vec<f64>>,
    /// `paired`: a regression is a run significantly worse than `repeats`, paired repeat
    /// by repeat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_worse: Option<NotWorse>,
}

/// How `not_worse` compares the run with the baseline's repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotWorse {
    /// The paired t-test over the repeats (same index = same seeds), alpha 0.05.
    Paired,
}

/// The significance level of `not_worse: paired`.
pub const ALPHA: f64 = 0.05;

fn best() -> String {
    "best".into()
}

#[derive(Debug, Error)]
pub enum CheckError {
    #[error("{path}: {message}")]
    Input { path: String, message: String },
}

/// The verdict on one rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleOutcome {
    pub model: String,
    pub trial: Option<String>,
    pub metric: String,
    pub value: Option<f64>,
    /// The lowest passing value.
    pub threshold: f64,
    pub passed: bool,
    pub detail: String,
    /// How many seeds (repeats) of the run the value is the mean of.
    pub seeds: usize,
}

pub fn read_baseline(path: &Path) -> Result<Baseline, CheckError> {
    let err = |message: String| CheckError::Input {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
    let node = crate::diag::yaml::Node::parse(&text)
        .map_err(|e| err(format!("line {}:{}: {}", e.pos.line, e.pos.col, e.message)))?;
    let json = node.to_json();
    let b: Baseline = serde_path_to_error::deserialize(&json).map_err(|e| {
        let at = e.path().to_string();
        err(format!("{at}: {}", e.inner()))
    })?;
    for (i, r) in b.rules.iter().enumerate() {
        if let Some(reps) = &r.repeats {
            check_repeat_rule(r, reps).map_err(|m| err(format!("rules[{i}]: {m}")))?;
        } else if r.not_worse.is_some() {
            return Err(err(format!(
                "rules[{i}]: `not_worse` needs `repeats` (the baseline run's value in each repeat)"
            )));
        } else {
            check_plain_rule(r).map_err(|m| err(format!("rules[{i}]: {m}")))?;
        }
        if !crate::eval::metric_names().contains(&r.metric.as_str()) {
            return Err(err(format!("rules[{i}]: unknown metric `{}`", r.metric)));
        }
    }
    Ok(b)
}

fn check_repeat_rule(r: &Rule, reps: &[f64]) -> Result<(), String> {
    if r.minimum.is_some() || r.baseline.is_some() {
        return Err("`repeats` takes the place of `minimum` and `baseline`: give one form".into());
    }
    if reps.len() < 2 {
        return Err(format!(
            "`repeats` has {} value(s): a spread needs at least 2",
            reps.len()
        ));
    }
    if r.not_worse.is_some() && r.max_drop.is_some() {
        return Err("`not_worse: paired` decides by a test: drop `max_drop`".into());
    }
    Ok(())
}

fn check_plain_rule(r: &Rule) -> Result<(), String> {
    match (r.minimum, r.baseline, r.max_drop) {
        (Some(_), None, None) | (None, Some(_), Some(_)) => Ok(()),
        (None, Some(_), None) => Err("`baseline` needs `max_drop` (use 0 for no drop)".into()),
        _ => Err("give either `minimum`, or `baseline` with `max_drop`, or `repeats`".into()),
    }
}

pub fn read_results(path: &Path) -> Result<RunResults, CheckError> {
    anomalab_results::load_results(path).map_err(|e| CheckError::Input {
        path: path.display().to_string(),
        message: match e {
            ResultsError::Io { source, .. } => format!("cannot read: {source}"),
            ResultsError::Parse {
                line,
                column,
                message,
                ..
            } => format!("not a results.json (line {line}, column {column}): {message}"),
            ResultsError::UnsupportedVersion {
                found, supported, ..
            } => format!(
                "format version {found}, this tool reads up to {supported}: re-run or re-check \
                 with a newer anomalab"
            ),
        },
    })
}

/// Evaluate every rule.
pub fn check(results: &RunResults, baseline: &Baseline) -> Result<Vec<RuleOutcome>, String> {
    if baseline.experiment != results.experiment {
        return Err(format!(
            "the baseline is for experiment `{}` but the results are of `{}`",
            baseline.experiment, results.experiment
        ));
    }
    Ok(baseline
        .rules
        .iter()
        .map(|r| check_rule(results, r))
        .collect())
}

/// One rule against the results: its trial, the value, the threshold and the verdict.
fn check_rule(results: &RunResults, r: &Rule) -> RuleOutcome {
    let higher = crate::eval::higher_is_better(&r.metric);
    let trial = rule_trial(results, r, higher);
    let value = trial.and_then(|t| t.mean.get(&r.metric).copied());
    let seeds = results.split.repeats;
    let outcome = |threshold: f64, passed: bool, detail: String| RuleOutcome {
        model: r.model.clone(),
        trial: trial.map(|t| t.label.clone()),
        metric: r.metric.clone(),
        value,
        threshold,
        passed,
        detail,
        seeds,
    };
    if let (Some(reps), Some(t), Some(_)) = (&r.repeats, trial, value) {
        let (threshold, passed, detail) = repeat_verdict(results, r, reps, t, higher);
        return outcome(threshold, passed, detail);
    }
    let threshold = match (r.minimum, r.baseline, r.max_drop, &r.repeats) {
        (Some(m), _, _, _) => m,
        (None, Some(b), Some(d), _) => {
            let drop = if r.relative { b.abs() * d } else { d };
            if higher { b - drop } else { b + drop }
        }
        _ => f64::NAN,
    };
    let passed = match value {
        Some(v) if higher => v >= threshold,
        Some(v) => v <= threshold,
        None => false,
    };
    let detail = rule_detail(r, trial.is_some(), value, threshold, higher);
    outcome(threshold, passed, detail)
}

/// A rule with the baseline's per-repeat values: the paired test (`not_worse: paired`) or
/// the mean against a tolerance from the baseline's spread. (threshold, passed, detail)
fn repeat_verdict(
    results: &RunResults,
    r: &Rule,
    reps: &[f64],
    t: &TrialResult,
    higher: bool,
) -> (f64, bool, String) {
    let run = anomalab_report::compare::repeat_values(t, &r.metric, results.split.repeats)
        .unwrap_or_default();
    let base = anomalab_stats::summary(reps).expect("validated: at least 2 finite values");
    let sign = if higher { 1.0 } else { -1.0 };
    let mean = run.iter().sum::<f64>() / run.len().max(1) as f64;
    if r.not_worse == Some(NotWorse::Paired) {
        return paired_verdict(&run, reps, base.mean, sign);
    }
    let tolerance = match r.max_drop {
        Some(d) if r.relative => base.mean.abs() * d,
        Some(d) => d,
        None => spread_tolerance(base.sd.unwrap_or(0.0), reps.len(), run.len()),
    };
    let threshold = base.mean - sign * tolerance;
    let passed = sign * (mean - threshold) >= 0.0;
    let cmp = if higher { ">=" } else { "<=" };
    let detail = format!(
        "mean over {} repeat(s) {mean:.4} {cmp} {threshold:.4} (baseline mean {:.4} over {} \
         repeats, tolerance {tolerance:.4}{}, change {:+.4})",
        run.len(),
        base.mean,
        reps.len(),
        if r.max_drop.is_some() {
            ""
        } else {
            " from the baseline's spread"
        },
        mean - base.mean
    );
    (threshold, passed, detail)
}

/// A 95 % margin for the difference of two means with the baseline's spread:
/// t(0.975, n_base - 1) · sd · sqrt(1/n_base + 1/n_run).
fn spread_tolerance(sd: f64, n_base: usize, n_run: usize) -> f64 {
    let t = anomalab_stats::dist::t_ppf(0.975, (n_base - 1) as f64);
    t * sd * (1.0 / n_base as f64 + 1.0 / n_run.max(1) as f64).sqrt()
}

/// Regression = worse on average and the paired t-test says so at [`ALPHA`].
fn paired_verdict(run: &[f64], reps: &[f64], base_mean: f64, sign: f64) -> (f64, bool, String) {
    if run.len() != reps.len() {
        let detail = format!(
            "the run has {} repeat(s), the baseline {}: pairing on the same seeds needs the \
             same number",
            run.len(),
            reps.len()
        );
        return (base_mean, false, detail);
    }
    let mean = run.iter().sum::<f64>() / run.len() as f64;
    let worse = sign * (mean - base_mean) < 0.0;
    let p = match anomalab_stats::paired_t(run, reps) {
        Ok(t) => t.p_value,
        Err(anomalab_stats::StatsError::AllZero { .. }) => 1.0,
        Err(_) => 0.0,
    };
    let passed = !(worse && p < ALPHA);
    let detail = format!(
        "mean over {} repeats {mean:.4} vs baseline {base_mean:.4} (change {:+.4}), paired \
         t-test p = {p:.4}: {}",
        run.len(),
        mean - base_mean,
        if passed {
            "not significantly worse"
        } else {
            "significantly worse"
        }
    );
    (base_mean, passed, detail)
}

/// The trial a rule judges: the run's best, or the named model's best trial by the rule's
/// metric.
fn rule_trial<'a>(results: &'a RunResults, r: &Rule, higher: bool) -> Option<&'a TrialResult> {
    if r.model == "best" {
        let best = results.best.as_ref()?;
        return results.trials.iter().find(|t| t.id == best.trial_id);
    }
    anomalab_results::rank::best_by(&results.trials, &r.metric, higher, |t| t.model == r.model)
}

/// What a rule's line says: the comparison made, or why none could be made.
fn rule_detail(
    r: &Rule,
    has_trial: bool,
    value: Option<f64>,
    threshold: f64,
    higher: bool,
) -> String {
    match (has_trial, value) {
        (false, _) if r.model == "best" => {
            "the run has no best trial (every trial failed?)".to_string()
        }
        (false, _) => format!("no successful trial of model `{}` in the results", r.model),
        (true, None) => format!("the trial has no `{}` value", r.metric),
        (true, Some(v)) => {
            let cmp = if higher { ">=" } else { "<=" };
            match r.baseline {
                Some(b) => format!(
                    "{v:.4} {cmp} {threshold:.4} (baseline {b:.4}, change {:+.4})",
                    v - b
                ),
                None => format!("{v:.4} {cmp} {threshold:.4}"),
            }
        }
    }
}

/// A baseline from a run: the best trial and each model's best trial on the selection metric,
/// allowing `max_drop`; from a run with repeats, each rule keeps the per-repeat values and
/// judges with `not_worse: paired` instead.
pub fn baseline_from(results: &RunResults, max_drop: f64) -> Baseline {
    let metric = results.selection.metric.clone();
    let higher = results.selection.higher_is_better;
    let mut picked: Vec<(String, &TrialResult)> = Vec::new();
    if let Some(b) = &results.best
        && let Some(t) = results.trials.iter().find(|t| t.id == b.trial_id)
    {
        picked.push(("best".into(), t));
    }
    let mut models: Vec<&str> = results.trials.iter().map(|t| t.model.as_str()).collect();
    models.dedup();
    for m in models {
        if let Some(t) =
            anomalab_results::rank::best_by(&results.trials, &metric, higher, |t| t.model == m)
        {
            picked.push((m.to_string(), t));
        }
    }
    let rules = picked
        .into_iter()
        .filter_map(|(model, t)| baseline_rule(results, model, t, &metric, max_drop))
        .collect();
    Baseline {
        experiment: results.experiment.clone(),
        rules,
    }
}

fn baseline_rule(
    results: &RunResults,
    model: String,
    t: &TrialResult,
    metric: &str,
    max_drop: f64,
) -> Option<Rule> {
    let value = t.mean.get(metric).copied()?;
    let repeats = (results.split.repeats > 1)
        .then(|| anomalab_report::compare::repeat_values(t, metric, results.split.repeats))
        .flatten()
        .map(|v| v.into_iter().map(round6).collect::<Vec<_>>());
    Some(Rule {
        model,
        metric: metric.to_string(),
        minimum: None,
        baseline: repeats.is_none().then_some(round6(value)),
        max_drop: repeats.is_none().then_some(max_drop),
        relative: false,
        not_worse: repeats.as_ref().map(|_| NotWorse::Paired),
        repeats,
    })
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The baseline as YAML (written by `--write-baseline`).
pub fn baseline_yaml(b: &Baseline) -> String {
    let mut s = format!(
        "# Regression baseline for `anomalab check` (written by --write-baseline).\nexperiment: {}\nrules:\n",
        b.experiment
    );
    for r in &b.rules {
        s.push_str(&format!(
            "  - model: {}\n    metric: {}\n",
            r.model, r.metric
        ));
        if let Some(m) = r.minimum {
            s.push_str(&format!("    minimum: {m}\n"));
        }
        if let Some(v) = r.baseline {
            s.push_str(&format!("    baseline: {v}\n"));
        }
        if let Some(d) = r.max_drop {
            s.push_str(&format!("    max_drop: {d}\n"));
        }
        if r.relative {
            s.push_str("    relative: true\n");
        }
        if let Some(reps) = &r.repeats {
            let values: Vec<String> = reps.iter().map(|v| v.to_string()).collect();
            s.push_str(&format!("    repeats: [{}]\n", values.join(", ")));
        }
        if r.not_worse == Some(NotWorse::Paired) {
            s.push_str("    not_worse: paired\n");
        }
    }
    s
}

/// The sentence saying how many seeds the decisions rest on.
fn seeds_sentence(results: &RunResults) -> String {
    match results.split.repeats {
        1 => "Each value comes from a single run (one seed): a difference within the noise \
              between seeds can decide a rule."
            .to_string(),
        n => format!("Each value is the mean over {n} repeats (seeds) of the run."),
    }
}

/// Markdown for a pull-request comment.
pub fn markdown(results: &RunResults, outcomes: &[RuleOutcome]) -> String {
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    let mut s = format!(
        "### anomalab check: {} — {}\n\n| | model | trial | metric | value | threshold | detail |\n|---|---|---|---|---|---|---|\n",
        results.experiment,
        if failed == 0 {
            "passed".to_string()
        } else {
            format!("{failed} regression(s)")
        }
    );
    s = s.replacen("\n\n", &format!("\n\n{}\n\n", seeds_sentence(results)), 1);
    for o in outcomes {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {:.4} | {} |\n",
            if o.passed { "✅" } else { "❌" },
            o.model,
            o.trial.as_deref().unwrap_or("—"),
            o.metric,
            o.value.map_or("—".to_string(), |v| format!("{v:.4}")),
            o.threshold,
            o.detail.replace('|', "\\|")
        ));
    }
    s
}

/// JUnit XML (one test case per rule).
pub fn junit(results: &RunResults, outcomes: &[RuleOutcome]) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"anomalab check {}\" tests=\"{}\" failures=\"{failed}\">\n",
        esc(&results.experiment),
        outcomes.len()
    );
    s.push_str(&format!(
        "    <properties>\n      <property name=\"seeds\" value=\"{}\"/>\n    </properties>\n",
        results.split.repeats
    ));
    for o in outcomes {
        s.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{} {}\">",
            esc(&results.experiment),
            esc(&o.model),
            esc(&o.metric)
        ));
        if o.passed {
            s.push_str("</testcase>\n");
        } else {
            s.push_str(&format!(
                "\n      <failure message=\"{}\"/>\n    </testcase>\n",
                esc(&o.detail)
            ));
        }
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    s
}
