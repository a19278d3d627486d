use std::path::Path;

use super::*;

fn parse_ok(text: &str) -> Experiment {
    match parse(Path::new("t.yaml"), text) {
        Ok(e) => e,
        Err(e) => panic!("{e}"),
    }
}

fn problems(text: &str) -> SpecError {
    parse(Path::new("t.yaml"), text).expect_err("the spec should be invalid")
}

const BASE: &str = "name: t\ndataset: {source: synthetic}\n";

#[test]
fn minimal_spec_gets_defaults() {
    let e = parse_ok(&format!("{BASE}models:\n  - algorithm: dummy\n"));
    assert_eq!(e.seed, 42);
    assert_eq!(e.selection.metric, "f1_macro");
    assert_eq!(e.models[0].name, "dummy");
    assert_eq!(e.models[0].backend, "native");
    assert_eq!(e.n_trials(), 1);
    assert!(e.outputs.save_best && e.outputs.report);
}

#[test]
fn unknown_top_level_key_is_reported_at_the_key_with_a_suggestion() {
    let err = problems(&format!(
        "{BASE}modles:\n  - algorithm: dummy\nmodels: [{{algorithm: dummy}}]\n"
    ));
    let d = &err.diagnostics[0];
    assert_eq!(d.message, "unknown field `modles`");
    assert_eq!((d.pos.line, d.pos.col), (3, 1));
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .starts_with("did you mean `models`?"),
        "{d:?}"
    );
}

#[test]
fn every_problem_is_reported_together_in_line_order() {
    let text = "name: t\nseed: lots\ndataset: {source: synthetic}\nmodels:\n  - algorithm: dumy\n  - algorithm: dummy\n    parms: {}\nmetrics: [f1_macr]\n";
    let err = problems(text);
    let lines: Vec<usize> = err.diagnostics.iter().map(|d| d.pos.line).collect();
    assert_eq!(lines, vec![2, 5, 7, 8], "{err}");
    let msgs: Vec<&str> = err.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(msgs[1], "unknown algorithm `dumy`");
    assert_eq!(msgs[2], "unknown field `parms`");
    assert_eq!(msgs[3], "unknown metric `f1_macr`");
    assert!(err.diagnostics[3].help.as_deref() == Some("did you mean `f1_macro`?"));
    assert!(
        msgs[0].contains("non-negative integer") && msgs[0].contains("lots"),
        "{}",
        msgs[0]
    );
    let text = err.to_string();
    assert!(
        text.starts_with("invalid experiment spec t.yaml (4 problems)"),
        "{text}"
    );
    assert!(text.contains("  --> t.yaml:5:16\n"), "{text}");
}

#[test]
fn wrong_type_names_the_path_and_position() {
    let err = problems(&format!(
        "{BASE}models: [{{algorithm: dummy}}]\noutputs: {{save_best: maybe}}\n"
    ));
    let d = &err.diagnostics[0];
    assert_eq!(d.path, "outputs.save_best");
    assert_eq!((d.pos.line, d.pos.col), (4, 22));
    assert_eq!(d.message, "expected a boolean, found \"maybe\"");
}

#[test]
fn unknown_preprocessing_step_suggests_the_right_one() {
    let err = problems(&format!(
        "{BASE}preprocessing:\n  - scal: {{method: standard}}\nmodels: [{{algorithm: dummy}}]\n"
    ));
    let d = &err.diagnostics[0];
    assert_eq!(d.message, "unknown kind `scal`");
    assert_eq!(d.path, "preprocessing[0]");
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .starts_with("did you mean `scale`?"),
        "{d:?}"
    );
}

#[test]
fn yaml_syntax_errors_have_a_position() {
    let err = problems("name: t\nmodels: [\n");
    assert!(
        err.diagnostics[0].message.starts_with("YAML syntax:"),
        "{err}"
    );
}

#[test]
fn cartesian_helper_expands_in_order() {
    let axes = vec![
        (
            "a".to_string(),
            vec![ParamValue::Int(1), ParamValue::Int(2)],
        ),
        (
            "b".to_string(),
            vec![
                ParamValue::Bool(true),
                ParamValue::Bool(false),
                ParamValue::Null,
            ],
        ),
    ];
    let grid = cartesian(&axes);
    assert_eq!(grid.len(), 6);
    assert_eq!(grid[0]["a"], ParamValue::Int(1));
    assert_eq!(grid[1]["b"], ParamValue::Bool(false));
    assert_eq!(grid[3]["a"], ParamValue::Int(2));
}

#[test]
fn dotted_paths_parse() {
    assert_eq!(
        dotted_path("dataset.files.train[2]"),
        vec![
            Seg::Key("dataset".into()),
            Seg::Key("files".into()),
            Seg::Key("train".into()),
            Seg::Index(2)
        ]
    );
}

#[test]
fn unknown_nested_field_points_at_its_key_with_the_path_once() {
    // inside a section (dataset) and deeper (a labelling rule of one capture)
    let err = problems(
        "name: t\ndataset:\n  source: synthetic\n  lable: x\nmodels: [{algorithm: dummy}]\n",
    );
    let d = &err.diagnostics[0];
    assert_eq!(d.path, "dataset.lable");
    assert_eq!((d.pos.line, d.pos.col), (4, 3));
    let err = problems(
        "name: t\ndataset:\n  source: pcap\n  files: [a.pcap]\n  labels:\n    files:\n      a.pcap:\n        rules:\n          - {label: x, hots: 10.0.0.1}\nmodels: [{algorithm: dummy}]\n",
    );
    let d = &err.diagnostics[0];
    assert_eq!(d.path, "dataset.labels.files.a.pcap.rules[0].hots");
    assert_eq!(d.message, "unknown field `hots`");
    assert_eq!((d.pos.line, d.pos.col), (9, 24));
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .starts_with("did you mean `host`?")
    );
}

#[test]
fn an_option_of_another_source_points_at_its_key_and_says_where_it_applies() {
    let err = problems(
        "name: t\ndataset:\n  source: csv\n  files: a.csv\n  label: y\n  rows: 500\nmodels: [{algorithm: dummy}]\n",
    );
    let d = &err.diagnostics[0];
    assert_eq!(d.path, "dataset.rows");
    assert_eq!((d.pos.line, d.pos.col), (6, 3));
    assert_eq!(
        d.message,
        "unknown field `rows` for source `csv` (it applies to source synthetic)"
    );
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .starts_with("expected one of: source, target, max_rows"),
        "{d:?}"
    );
}

const ENSEMBLE: &str = "name: t\ndataset: {source: synthetic}\nmodels:\n  - algorithm: dummy\n  - algorithm: voting\n    params:\n      voting: soft\n      estimators:\n        - algorithm: logistic_regression\n          params: {C: 2}\n        - algorithm: decision_tree\n          params: {max_depth: MD}\n";

#[test]
fn ensemble_members_are_resolved_like_model_entries() {
    let e = parse_ok(&ENSEMBLE.replace("MD", "4"));
    let grid = &e.models[1].grid;
    assert_eq!(grid.len(), 1);
    let ParamValue::List(members) = grid[0].get("estimators").unwrap() else {
        panic!("a member list")
    };
    let ParamValue::Map(tree) = &members[1] else {
        panic!("a member entry")
    };
    assert_eq!(tree["algorithm"], ParamValue::Str("decision_tree".into()));
    assert_eq!(tree["backend"], ParamValue::Str("native".into()));
    let ParamValue::Map(params) = &tree["params"] else {
        panic!("resolved params")
    };
    // Every parameter of the member is filled in, so results.json shows the whole member.
    assert_eq!(params["max_depth"], ParamValue::Int(4));
    assert!(params.contains_key("min_samples_leaf"), "{params:?}");
}

#[test]
fn a_member_problem_names_its_nested_field() {
    let err = problems(&ENSEMBLE.replace("MD", "deep"));
    let d = &err.diagnostics[0];
    assert_eq!(d.path, "models[1].params.estimators[1].params.max_depth");
    assert!(d.message.contains("found a string `deep`"), "{}", d.message);
    assert_eq!(d.pos.line, 12);

    let err = problems(&ENSEMBLE.replace("MD", "[2, 4]"));
    let d = &err.diagnostics[0];
    assert_eq!(d.path, "models[1].params.estimators[1].params.max_depth");
    assert!(
        d.message
            .contains("grids over a member's parameters are not supported")
    );

    let err = problems(&ENSEMBLE.replace("decision_tree", "isolation_forest"));
    let d = &err.diagnostics[0];
    assert_eq!(d.path, "models[1].params.estimators[1].algorithm");
    assert!(d.message.contains("must be classifiers"), "{}", d.message);

    let err = problems(&ENSEMBLE.replace("decision_tre", "decision_tee"));
    assert_eq!(
        err.diagnostics[0].path,
        "models[1].params.estimators[1].algorithm"
    );
    assert_eq!(
        err.diagnostics[0].message,
        "unknown algorithm `decision_teee`"
    );
}

#[test]
fn ensemble_defaults_and_required_members() {
    let e = parse_ok(&format!("{BASE}models:\n  - algorithm: bagging\n"));
    let ParamValue::Map(est) = e.models[0].grid[0].get("estimator").unwrap() else {
        panic!("the default estimator is an entry")
    };
    assert_eq!(est["algorithm"], ParamValue::Str("decision_tree".into()));
    let err = problems(&format!("{BASE}models:\n  - algorithm: stacking\n"));
    assert!(
        err.diagnostics[0].message.contains("estimators"),
        "{}",
        err.diagnostics[0].message
    );
    // A list of whole members is a grid, as for any parameter.
    let e = parse_ok(&format!(
        "{BASE}models:\n  - algorithm: bagging\n    params:\n      estimator: [{{algorithm: gaussian_nb}}, {{algorithm: knn}}]\n"
    ));
    assert_eq!(e.models[0].grid.len(), 2);
    assert_eq!(e.models[0].varied, vec!["estimator".to_string()]);
}
