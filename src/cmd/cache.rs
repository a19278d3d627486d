//! `anomalab cache ls|explain|gc`: what the trial cache holds, why a trial was not reused,
//! and removing what no spec references.

use std::collections::HashSet;
use std::path::PathBuf;

use super::args::{CacheCommand, CacheDirArgs, CacheGcArgs, SpecInput};
use super::error::{CliError, Status};
use super::output::print_out;
use crate::runner::TrialPlan;
use crate::runner::cache::{CacheEntry, TrialCache};
use crate::runner::plan::changed_parts;
use crate::runner::study::make_plan;

pub fn run(command: CacheCommand) -> Result<Status, CliError> {
    match command {
        CacheCommand::Ls(a) => ls(&a),
        CacheCommand::Explain(a) => explain(&a),
        CacheCommand::Gc(a) => gc(&a),
    }
}

fn open(dir: &CacheDirArgs) -> TrialCache {
    TrialCache::new(dir.project_dir.join(&dir.cache))
}

fn ls(args: &CacheDirArgs) -> Result<Status, CliError> {
    let cache = open(args);
    let mut text = String::new();
    let mut bad = 0;
    let files = cache.files();
    for path in &files {
        match cache.read(path) {
            Ok(e) => text.push_str(&entry_line(&e)),
            Err(why) => {
                bad += 1;
                text.push_str(&format!("unreadable  {why}\n"));
            }
        }
    }
    text.push_str(&format!(
        "{} stored trial(s) in {}{}\n",
        files.len() - bad,
        cache.dir().display(),
        if bad > 0 {
            format!(", {bad} unreadable")
        } else {
            String::new()
        }
    ));
    print_out(&text).map_err(CliError::Stdout)?;
    Ok(Status::Ok)
}

/// `3f2a9c0e11b2  2026-12-06T13:00:00Z  knn  {"n_neighbors":3}  f1_macro=0.9124`
fn entry_line(e: &CacheEntry) -> String {
    let params = serde_json::to_string(&e.trial.params).unwrap_or_default();
    let metric = e
        .trial
        .mean
        .iter()
        .next()
        .map(|(k, v)| format!("{k}={v:.4}"))
        .unwrap_or_default();
    format!(
        "{}  {}  {}  {params}  {metric}\n",
        &e.key[..12.min(e.key.len())],
        e.stored_at,
        e.trial.algorithm
    )
}

/// The trials of a spec as planned now (its data is loaded: keys hash the files).
fn planned(input: &SpecInput) -> Result<Vec<TrialPlan>, CliError> {
    let exp = crate::spec::load(&input.spec)?;
    Ok(make_plan(&exp, &input.settings(vec![]))?.trials)
}

fn explain(args: &SpecInput) -> Result<Status, CliError> {
    let cache = TrialCache::new(args.project_dir.join(&args.cache));
    let plans = planned(args)?;
    let entries: Vec<CacheEntry> = cache
        .files()
        .iter()
        .filter_map(|p| cache.read(p).ok())
        .collect();
    let mut text = String::new();
    let mut stored = 0;
    for p in &plans {
        if cache.get(p).is_some() {
            stored += 1;
            text.push_str(&format!("{}: stored ({})\n", p.label, &p.key[..12]));
        } else {
            text.push_str(&format!(
                "{}: not stored: {}\n",
                p.label,
                why_not(p, &entries)
            ));
        }
    }
    text.push_str(&format!("{stored} of {} trial(s) stored\n", plans.len()));
    print_out(&text).map_err(CliError::Stdout)?;
    Ok(Status::Ok)
}

/// What differs between `p` and the closest stored trial of the same algorithm.
fn why_not(p: &TrialPlan, entries: &[CacheEntry]) -> String {
    let closest = entries
        .iter()
        .filter(|e| e.trial.algorithm == p.algorithm)
        .map(|e| (changed_parts(&e.description, &p.description), e))
        .min_by_key(|(parts, e)| (parts.len(), e.key.clone()));
    match closest {
        None => format!("no stored trial of {}", p.algorithm),
        Some((parts, e)) => format!(
            "the closest stored trial ({}) differs in {}",
            &e.key[..12.min(e.key.len())],
            parts.join(", ")
        ),
    }
}

fn gc(args: &CacheGcArgs) -> Result<Status, CliError> {
    let cache = open(&args.dir);
    let mut keep = HashSet::new();
    for spec in &args.specs {
        let input = SpecInput {
            spec: spec.clone(),
            data: args.data.clone(),
            project_dir: args.dir.project_dir.clone(),
            cache: args.dir.cache.clone(),
        };
        keep.extend(planned(&input)?.into_iter().map(|p| p.key));
    }
    let unreferenced: Vec<PathBuf> = cache
        .files()
        .into_iter()
        .filter(|p| {
            let key = p.file_stem().map(|s| s.to_string_lossy().into_owned());
            !key.is_some_and(|k| keep.contains(&k))
        })
        .collect();
    let mut text = String::new();
    for path in &unreferenced {
        if !args.dry_run {
            std::fs::remove_file(path).map_err(|error| CliError::Write {
                path: path.clone(),
                error,
            })?;
        }
        text.push_str(&format!(
            "{} {}\n",
            if args.dry_run {
                "would remove"
            } else {
                "removed"
            },
            path.display()
        ));
    }
    text.push_str(&format!(
        "{} trial(s) kept, {} {}\n",
        cache.files().len() - if args.dry_run { unreferenced.len() } else { 0 },
        unreferenced.len(),
        if args.dry_run { "to remove" } else { "removed" }
    ));
    print_out(&text).map_err(CliError::Stdout)?;
    Ok(Status::Ok)
}
