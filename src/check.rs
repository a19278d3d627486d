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
}

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
        match (r.minimum, r.baseline, r.max_drop) {
            (Some(_), None, None) | (None, Some(_), Some(_)) => {}
            (None, Some(_), None) => {
                return Err(err(format!(
                    "rules[{i}]: `baseline` needs `max_drop` (use 0 for no drop)"
                )));
            }
            _ => {
                return Err(err(format!(
                    "rules[{i}]: give either `minimum`, or `baseline` with `max_drop`"
                )));
            }
        }
        if !crate::eval::metric_names().contains(&r.metric.as_str()) {
            return Err(err(format!("rules[{i}]: unknown metric `{}`", r.metric)));
        }
    }
    Ok(b)
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
    let threshold = match (r.minimum, r.baseline, r.max_drop) {
        (Some(m), _, _) => m,
        (None, Some(b), Some(d)) => {
            let drop = if r.relative { b.abs() * d } else { d };
            if higher { b - drop } else { b + drop }
        }
        _ => f64::NAN,
    };
    let value = trial.and_then(|t| t.mean.get(&r.metric).copied());
    let passed = match value {
        Some(v) if higher => v >= threshold,
        Some(v) => v <= threshold,
        None => false,
    };
    RuleOutcome {
        model: r.model.clone(),
        trial: trial.map(|t| t.label.clone()),
        metric: r.metric.clone(),
        value,
        threshold,
        passed,
        detail: rule_detail(r, trial.is_some(), value, threshold, higher),
    }
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
/// allowing `max_drop`.
pub fn baseline_from(results: &RunResults, max_drop: f64) -> Baseline {
    let metric = results.selection.metric.clone();
    let mut rules = Vec::new();
    if let Some(b) = &results.best {
        rules.push(Rule {
            model: "best".into(),
            metric: metric.clone(),
            minimum: None,
            baseline: Some(round6(b.value)),
            max_drop: Some(max_drop),
            relative: false,
        });
    }
    let mut models: Vec<&str> = results.trials.iter().map(|t| t.model.as_str()).collect();
    models.dedup();
    for m in models {
        let higher = results.selection.higher_is_better;
        let best =
            anomalab_results::rank::best_by(&results.trials, &metric, higher, |t| t.model == m);
        if let Some(v) = best.and_then(|t| t.mean.get(&metric).copied()) {
            rules.push(Rule {
                model: m.to_string(),
                metric: metric.clone(),
                minimum: None,
                baseline: Some(round6(v)),
                max_drop: Some(max_drop),
                relative: false,
            });
        }
    }
    Baseline {
        experiment: results.experiment.clone(),
        rules,
    }
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
    }
    s
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
