//! `anomalab predict` reads what the model's training source reads: a catalog dataset's
//! files as distributed, captures, Zeek logs; and models saved before the training source
//! was recorded still load.

use super::*;

/// `run` SPEC (written as `spec.yaml`) with `data` as the data directory; the model path.
fn train(p: &Project, data: &Path, name: &str, spec: &str) -> String {
    p.write("spec.yaml", spec);
    p.run(&[
        "run",
        "spec.yaml",
        "--quiet",
        "--data-dir",
        data.to_str().unwrap(),
    ])
    .expect(0);
    format!("models/{name}/best.model")
}

/// `predict --model MODEL --input INPUT EXTRA...`: the prediction rows (header left out).
fn predict(p: &Project, model: &str, input: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["predict", "--model", model, "--input", input];
    args.extend(extra);
    let out = p.run(&args);
    out.expect(0);
    let text = out.stdout();
    let mut lines = text.lines();
    assert!(
        lines.next().unwrap().starts_with("row,prediction,"),
        "{text}"
    );
    lines.map(String::from).collect()
}

fn count(rows: &[String], label: &str) -> usize {
    rows.iter()
        .filter(|r| r.split(',').nth(1) == Some(label))
        .count()
}

#[test]
fn an_nsl_kdd_model_scores_kdd_test_as_distributed() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let spec = "name: nsl\nseed: 1\ndataset:\n  source: nsl_kdd\n  files: KDDTrain+_20Percent.txt\n  \
                max_rows: 2000\nsplit: {kind: holdout, test_size: 0.3}\npreprocessing:\n  \
                - encode: {method: onehot, unseen: ignore}\nmodels:\n  - algorithm: decision_tree\n    \
                params: {max_depth: 6}\n";
    let model = train(&p, &data, "nsl", spec);
    let header: serde_json::Value = serde_json::from_str(&p.read("models/nsl/best.json")).unwrap();
    assert_eq!(header["dataset"]["source"], "nsl_kdd");

    // KDDTest+.txt as distributed: no header, 43 columns (label and difficulty included).
    let test = data.join("nsl-kdd/KDDTest+.txt");
    let text = std::fs::read_to_string(&test).unwrap();
    let distributed = predict(&p, &model, test.to_str().unwrap(), &[]);
    // Published size (Tavallaee et al. 2009): 22,544 test records, one per line.
    assert_eq!(text.lines().count(), 22_544);
    assert_eq!(distributed.len(), 22_544);
    assert!(
        count(&distributed, "attack") > 5_000,
        "a tree that learned something"
    );

    // The same rows as a CSV with a header line (the 41 model columns in file order, then
    // the label and the difficulty) give the same predictions.
    let mut names: Vec<String> = header["input_columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 41);
    names.extend(["label".into(), "difficulty".into()]);
    p.write("kdd_test.csv", &format!("{}\n{text}", names.join(",")));
    assert_eq!(predict(&p, &model, "kdd_test.csv", &[]), distributed);
    // Forced to the training source's header-less reader, the header line is a data row.
    let out = p.run(&[
        "predict",
        "--model",
        &model,
        "--input",
        "kdd_test.csv",
        "--input-format",
        "source",
    ]);
    out.expect(2);
    assert!(
        out.stderr()
            .contains("kdd_test.csv:1: column `duration`: expected a number, found `duration`"),
        "{}",
        out.stderr()
    );
}

#[test]
fn a_capture_model_scores_a_capture_as_extract_then_predict_does() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let pcap = |f: &str| data.join("pcap").join(f).display().to_string();
    let spec = format!(
        "name: cap\nseed: 7\ndataset:\n  source: pcap\n  files: [{}, {}]\n  extract: {{include_ipv6: true}}\n  \
         labels: {{default: BENIGN, files: {{chrissanders-synscan.pcapng: SYN scan}}}}\n\
         split: {{kind: holdout, test_size: 0.3}}\npreprocessing:\n  - clean: {{non_finite: zero}}\n\
         models:\n  - algorithm: decision_tree\n",
        pcap("chrissanders-synscan.pcapng"),
        pcap("hackeire2010-ipv6-loopback-http.pcap")
    );
    let model = train(&p, &data, "cap", &spec);
    // Another capture (FTP password guessing, ~2,800 flows), scored directly, gzipped, and
    // through `extract` (with the model's extraction options) and the CSV it writes.
    let ftp = pcap("ppa-ftp-crack.pcap");
    let direct = predict(&p, &model, &ftp, &[]);
    assert!(direct.len() > 1_000, "{} flows", direct.len());
    let gz = gzip(&std::fs::read(&ftp).unwrap());
    p.write_bytes("ftp.pcap.gz", &gz);
    assert_eq!(predict(&p, &model, "ftp.pcap.gz", &[]), direct);
    p.run(&[
        "extract",
        &ftp,
        "-o",
        "ftp.csv",
        "--include-ipv6",
        "--quiet",
    ])
    .expect(0);
    assert_eq!(predict(&p, &model, "ftp.csv", &[]), direct);
}

/// `bytes` gzip-compressed.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn a_zeek_model_scores_conn_logs_in_tsv_and_json() {
    let Some(data) = shared_data() else { return };
    let p = Project::new();
    let log = "zeek/rita-missing_host-2024-04-19-conn.00_00_00-01_00_00.log.gz";
    let spec = format!(
        "name: zeek\nseed: 42\ndataset:\n  source: zeek\n  files: {log}\n  normal_labels: [background]\n  \
         labels: {{default: background, rules: [{{label: beacon, host: 73.54.23.243, protocol: tcp}}]}}\n\
         split: {{kind: holdout, test_size: 0.3}}\npreprocessing:\n  - clean: {{non_finite: zero}}\n  \
         - encode: {{method: onehot, unseen: ignore, max_categories: 20}}\n\
         models:\n  - algorithm: decision_tree\n    params: {{max_depth: 6}}\n"
    );
    let model = train(&p, &data, "zeek", &spec);
    let rows = predict(&p, &model, data.join(log).to_str().unwrap(), &[]);
    // The log's 1,765 connections, in log order: the 12 of the beacon host are attacks.
    assert_eq!(rows.len(), 1_765);
    let beacon = [
        115, 174, 248, 384, 487, 607, 728, 824, 967, 1060, 1291, 1571,
    ];
    for row in beacon {
        assert_eq!(rows[row - 1].split(',').nth(1), Some("attack"), "row {row}");
    }
    assert!(count(&rows, "attack") <= beacon.len() + 3, "{rows:?}");
    // Another host's log in Zeek's JSON lines, found by its first line.
    let json = data.join("zeek/rita-json_with_all_fields-conn.log");
    let lines = std::fs::read_to_string(&json).unwrap().lines().count();
    assert_eq!(
        predict(&p, &model, json.to_str().unwrap(), &[]).len(),
        lines
    );
}

/// A model file whose header JSON is replaced by `header` (the sha256 trailer recomputed).
fn with_header(model: &[u8], header: &serde_json::Value) -> Vec<u8> {
    use sha2::Digest;
    let hlen = u32::from_le_bytes(model[12..16].try_into().unwrap()) as usize;
    let json = serde_json::to_vec(header).unwrap();
    let mut out = model[..12].to_vec();
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(&model[16 + hlen..model.len() - 32]);
    let digest = sha2::Sha256::digest(&out);
    out.extend_from_slice(&digest);
    out
}

#[test]
fn a_model_saved_without_its_training_source_still_scores_tables() {
    let p = Project::new();
    p.write("d.csv", &flows_csv(120));
    p.write("s.yaml", &csv_spec("t", "d.csv", ""));
    p.run(&["run", "s.yaml", "--quiet"]).expect(0);
    let model = "models/t/best.model";
    // A CSV without the label column: read by the training source (csv) reader.
    let rows: String = flows_csv(12)
        .lines()
        .map(|l| l.rsplit_once(',').map_or(l, |(a, _)| a).to_string() + "\n")
        .collect();
    p.write("unlabelled.csv", &rows);
    let current = predict(&p, model, "unlabelled.csv", &[]);
    assert_eq!(current.len(), 12);
    // Header names with CICFlowMeter's leading spaces match the model's trimmed names.
    let spaced = rows.replacen(
        "proto,bytes,packets,rate",
        " proto, bytes, packets, rate",
        1,
    );
    p.write("spaced.csv", &spaced);
    assert_eq!(predict(&p, model, "spaced.csv", &[]), current);

    // The header as models were saved before `dataset` was recorded.
    let mut header: serde_json::Value =
        serde_json::from_str(&p.read("models/t/best.json")).unwrap();
    assert_eq!(header["dataset"]["source"], "csv");
    header.as_object_mut().unwrap().remove("dataset");
    let bytes = std::fs::read(p.path(model)).unwrap();
    p.write_bytes("old.model", &with_header(&bytes, &header));
    assert_eq!(predict(&p, "old.model", "unlabelled.csv", &[]), current);
    let out = p.run(&[
        "predict",
        "-m",
        "old.model",
        "-i",
        "unlabelled.csv",
        "--input-format",
        "source",
    ]);
    out.expect(2);
    assert!(
        out.stderr()
            .contains("saved without its training source (by an older anomalab)")
            && out.stderr().contains("--input-format table"),
        "{}",
        out.stderr()
    );
    // A capture gives flow features only, which this model does not read.
    p.write_bytes("x.pcap", &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]);
    let out = p.run(&["predict", "-m", "old.model", "-i", "x.pcap"]);
    out.expect(2);
    assert!(
        out.stderr().contains(
            "a packet capture gives the flow features of `anomalab extract`, but the model old.model \
             needs 4 column(s) that are not flow features: `proto`, `bytes`, `packets`, `rate`"
        ),
        "{}",
        out.stderr()
    );
}

/// A model trained on a header-less csv (names from a file of names) scores another
/// header-less file: `predict` reads it with the same names, the names file found in the
/// data directory.
#[test]
fn a_headerless_csv_model_scores_a_headerless_file() {
    let p = Project::new();
    let rows = |n: usize, offset: usize| -> String {
        (0..n)
            .map(|i| {
                let k = i + offset;
                let attack = k.is_multiple_of(3);
                let proto = if attack { "udp" } else { "tcp" };
                let bytes = if attack { 40 + k % 9 } else { 600 + k % 300 };
                format!(
                    "{proto},{bytes},{}\n",
                    if attack { "attack." } else { "normal." }
                )
            })
            .collect()
    };
    p.write("train.csv", &rows(90, 0));
    p.write("score.csv", &rows(12, 1000));
    p.write(
        "names.csv",
        "proto,symbolic\nbytes,continuous\nlabel,symbolic\n",
    );
    p.write(
        "hl.yaml",
        "name: hl\nseed: 1\ndataset:\n  source: csv\n  files: train.csv\n  columns: names.csv\n  label: label\n  \
         normal_labels: [normal.]\nsplit: {kind: holdout, test_size: 0.3}\npreprocessing:\n  - encode: {method: onehot}\n\
         models:\n  - algorithm: decision_tree\nmetrics: [f1_macro]\nselection: {metric: f1_macro}\n",
    );
    p.run(&["run", "hl.yaml", "--quiet"]).expect(0);
    p.run(&[
        "predict",
        "--model",
        "models/hl/best.model",
        "--input",
        "score.csv",
        "-o",
        "out.csv",
    ])
    .expect(0);
    let out = p.read("out.csv");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 13, "{out}");
    // rows 1000.. : k % 3 == 0 is an attack (udp, small)
    let predicted: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    let expected: Vec<&str> = (1000usize..1012)
        .map(|k| {
            if k.is_multiple_of(3) {
                "attack"
            } else {
                "normal"
            }
        })
        .collect();
    assert_eq!(predicted, expected);
}
