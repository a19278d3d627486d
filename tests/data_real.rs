//! Loading the real public datasets (NSL-KDD, UNSW-NB15 82,332-row partition, CIC-IDS2017
//! head) and checking rows and class counts against the published counts / the shared
//! data MANIFEST.md.
//!
//! Data directory: env `ANOMALAB_DATA_DIR`, else `<repo>/../shared/datasets`. When it is
//! missing the tests fail with a message naming the path, unless
//! `ANOMALAB_ALLOW_MISSING_DATA=1` (then they print "skipped: ..." and pass).

use std::path::PathBuf;

use anomalab::data::spec::{Source, Target};
use anomalab::data::{
    ColumnData, DataError, DatasetSpec, LoadContext, ReadOptions, SplitKind, SplitSpec,
    VerifyStatus, load, make_splits, read_file, verify_catalog,
};

fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ANOMALAB_DATA_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets"));
    if dir.join("nsl-kdd").is_dir() {
        return Some(dir);
    }
    if std::env::var("ANOMALAB_ALLOW_MISSING_DATA").as_deref() == Ok("1") {
        println!(
            "skipped: real datasets not found at {} (ANOMALAB_DATA_DIR)",
            dir.display()
        );
        return None;
    }
    panic!(
        "real datasets not found at {} (expected its nsl-kdd/ folder): set ANOMALAB_DATA_DIR to the \
         shared datasets folder, or ANOMALAB_ALLOW_MISSING_DATA=1 to skip",
        dir.display()
    );
}

fn split(kind: SplitKind) -> SplitSpec {
    SplitSpec {
        kind: Some(kind),
        ..SplitSpec::default()
    }
}

fn levels(data: &ColumnData) -> &[String] {
    match data {
        ColumnData::Categorical { levels, .. } => levels,
        ColumnData::Numeric(_) => panic!("numeric column"),
    }
}

#[test]
fn nsl_kdd_binary_official_matches_published_counts() {
    let Some(dir) = data_dir() else { return };
    let spec = DatasetSpec::new(Source::NslKdd);
    let d = load(&spec, &SplitSpec::default(), &LoadContext::new(&dir)).unwrap();
    // Published sizes (Tavallaee et al. 2009) and MANIFEST.md class counts.
    assert_eq!(d.train.n_rows(), 125_973);
    assert_eq!(d.train.class_names, ["normal", "attack"]);
    assert_eq!(d.train.class_counts(), [67_343, 58_630]);
    let test = d.test.as_ref().unwrap();
    assert_eq!(test.n_rows(), 22_544);
    assert_eq!(test.class_counts(), [9_711, 12_833]);
    // 41 features: label and difficulty are not features
    assert_eq!(d.train.features.n_cols(), 41);
    assert_eq!(
        d.train.features.names()[..4],
        ["duration", "protocol_type", "service", "flag"]
    );
    assert_eq!(test.features.names(), d.train.features.names());
    // categorical columns share their levels between train and test
    let p = d.train.features.column("protocol_type").unwrap();
    assert_eq!(levels(&p.data), ["tcp", "udp", "icmp"]);
    assert_eq!(
        levels(&p.data),
        levels(&test.features.column("protocol_type").unwrap().data)
    );
    assert!(matches!(
        d.train.features.column("src_bytes").unwrap().data,
        ColumnData::Numeric(_)
    ));
    // first row of KDDTrain+: 0,tcp,ftp_data,SF,491,0,...,normal,20
    assert_eq!(d.train.raw_labels[0], "normal");
    if let ColumnData::Numeric(v) = &d.train.features.column("src_bytes").unwrap().data {
        assert_eq!(v[0], 491.0);
    }
    assert_eq!(d.files.len(), 2);
    assert!(
        d.files.iter().all(|f| f.sha256_matches == Some(true)),
        "{:?}",
        d.files
    );
    assert_eq!(d.files[0].uncompressed_bytes, 19_109_424);
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    let folds = make_splits(&d, SplitKind::Official, &SplitSpec::default(), 1).unwrap();
    assert_eq!(folds.len(), 1);
    assert_eq!(folds[0].name, "official");
    assert_eq!(folds[0].test.len(), 22_544);
}

#[test]
fn nsl_kdd_five_categories_on_the_test_file() {
    let Some(dir) = data_dir() else { return };
    let mut spec = DatasetSpec::new(Source::NslKdd);
    spec.target = Target::Category;
    let d = load(&spec, &SplitSpec::default(), &LoadContext::new(&dir)).unwrap();
    assert_eq!(
        d.train.class_names,
        ["normal", "dos", "probe", "r2l", "u2r"]
    );
    // Independent count with awk over the raw files, using the same table written as awk
    // arrays (run in shared/datasets/nsl-kdd):
    //   awk -F, 'BEGIN{split("back land neptune pod smurf teardrop apache2 mailbomb processtable udpstorm",d," ");
    //     for(i in d)c[d[i]]="dos"; split("ipsweep nmap portsweep satan mscan saint",p," ");for(i in p)c[p[i]]="probe";
    //     split("ftp_write guess_passwd imap multihop phf spy warezclient warezmaster named sendmail snmpgetattack
    //     snmpguess worm xlock xsnoop",r," ");for(i in r)c[r[i]]="r2l"; split("buffer_overflow loadmodule perl rootkit
    //     httptunnel ps sqlattack xterm",u," ");for(i in u)c[u[i]]="u2r";c["normal"]="normal"}
    //     {k=c[$42]; if(k=="")k="UNMAPPED:"$42; n[k]++} END{for(k in n)print k,n[k]}' KDDTest+.txt
    // -> dos 7458, normal 9711, probe 2421, r2l 2754, u2r 200 (no UNMAPPED line)
    // and for `zcat KDDTrain+.txt.gz | awk ...`: dos 45927, normal 67343, probe 11656, r2l 995, u2r 52.
    assert_eq!(
        d.test.as_ref().unwrap().class_counts(),
        [9_711, 7_458, 2_421, 2_754, 200]
    );
    assert_eq!(d.train.class_counts(), [67_343, 45_927, 11_656, 995, 52]);
}

#[test]
fn nsl_kdd_attack_names_include_test_only_attacks() {
    let Some(dir) = data_dir() else { return };
    let mut spec = DatasetSpec::new(Source::NslKdd);
    spec.target = Target::Attack;
    let d = load(&spec, &SplitSpec::default(), &LoadContext::new(&dir)).unwrap();
    // `cut -d, -f42 KDDTrain+ KDDTest+ | sort -u | wc -l` = 40 (23 in train, 38 in test)
    assert_eq!(d.train.class_names.len(), 40);
    assert_eq!(d.train.class_names[0], "normal");
    let mailbomb = d
        .train
        .class_names
        .iter()
        .position(|c| c == "mailbomb")
        .unwrap();
    assert_eq!(d.train.class_counts()[mailbomb], 0);
    assert_eq!(d.test.as_ref().unwrap().class_counts()[mailbomb], 293);
}

#[test]
fn unsw_nb15_partition_counts_and_swapped_name_warning() {
    let Some(dir) = data_dir() else { return };
    let mut spec = DatasetSpec::new(Source::UnswNb15);
    spec.target = Target::AttackCat;
    // the default training file name UNSW_NB15_training-set.csv is found as .csv.gz
    let d = load(&spec, &split(SplitKind::Holdout), &LoadContext::new(&dir)).unwrap();
    assert_eq!(d.train.n_rows(), 82_332);
    assert!(d.test.is_none());
    // MANIFEST.md attack_cat counts (= published testing partition)
    let expected = [
        ("Normal", 37_000),
        ("Analysis", 677),
        ("Backdoor", 583),
        ("DoS", 4_089),
        ("Exploits", 11_132),
        ("Fuzzers", 6_062),
        ("Generic", 18_871),
        ("Reconnaissance", 3_496),
        ("Shellcode", 378),
        ("Worms", 44),
    ];
    let names: Vec<&str> = expected.iter().map(|e| e.0).collect();
    assert_eq!(d.train.class_names, names);
    assert_eq!(
        d.train.class_counts(),
        expected.iter().map(|e| e.1).collect::<Vec<_>>()
    );
    // id, attack_cat and label are not features: 45 - 3
    assert_eq!(d.train.features.n_cols(), 42);
    assert_eq!(d.train.features.names()[0], "dur");
    for c in ["proto", "service", "state"] {
        assert!(matches!(
            d.train.features.column(c).unwrap().data,
            ColumnData::Categorical { .. }
        ));
    }
    assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
    assert!(d.warnings[0].contains("82,332 rows"), "{}", d.warnings[0]);
    assert!(d.warnings[0].contains("`testing-set`"), "{}", d.warnings[0]);
    assert!(d.warnings[0].contains("swapped"), "{}", d.warnings[0]);

    // binary: label 0/1, raw labels are the attack categories
    let d = load(
        &DatasetSpec::new(Source::UnswNb15),
        &split(SplitKind::Kfold),
        &LoadContext::new(&dir),
    )
    .unwrap();
    assert_eq!(d.train.class_counts(), [37_000, 45_332]);
    assert_eq!(d.train.raw_labels[0], "Normal");
    let folds = make_splits(&d, SplitKind::Kfold, &SplitSpec::default(), 3).unwrap();
    assert_eq!(folds.len(), 5);
    // 37,000 normal rows dealt to 5 folds: 7,400 each; 45,332 attacks: 9,067 x2 + 9,066 x3
    let normal_in_test: Vec<usize> = folds
        .iter()
        .map(|f| f.test.iter().filter(|&&i| d.train.y[i] == 0).count())
        .collect();
    assert_eq!(normal_in_test, [7_400; 5]);
    let sizes: Vec<usize> = folds.iter().map(|f| f.test.len()).collect();
    assert_eq!(sizes.iter().sum::<usize>(), 82_332);
}

#[test]
fn cic_ids2017_head_leading_spaces_and_infinity() {
    let Some(dir) = data_dir() else { return };
    let path = dir.join(
        "cic-ids2017/GeneratedLabelledFlows_Friday-WorkingHours-Afternoon-DDos_first299rows.csv",
    );
    let t = read_file(
        &path,
        &ReadOptions {
            label: Some(" Label".into()),
            ..ReadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(t.info.rows, 299);
    assert_eq!(t.info.columns, 85);
    let labels = t.labels.unwrap();
    assert!(labels.iter().all(|l| l == "BENIGN"));
    // file line 67 = data row 66 = index 65: Infinity in Flow Bytes/s and Flow Packets/s
    for name in ["Flow Bytes/s", " Flow Packets/s"] {
        let ColumnData::Numeric(v) = &t.table.column(name).unwrap().data else {
            panic!("{name} is not numeric")
        };
        assert_eq!(v[65], f64::INFINITY, "{name}");
        assert_eq!(v.iter().filter(|x| x.is_infinite()).count(), 1, "{name}");
        assert!(v.iter().all(|x| !x.is_nan()));
    }
    // the duplicated " Fwd Header Length" header gets the pandas suffix
    assert!(t.table.column(" Fwd Header Length.1").is_some());

    // As a catalog dataset: names trimmed, identifiers dropped, and a single class is refused.
    let spec: DatasetSpec = serde_json::from_value(serde_json::json!({
        "source": "cic_ids2017",
        "files": path.file_name().unwrap().to_string_lossy(),
    }))
    .unwrap();
    let e = load(&spec, &SplitSpec::default(), &LoadContext::new(&dir)).unwrap_err();
    assert!(matches!(e, DataError::OneClass { .. }));
    assert!(
        e.to_string().ends_with(": the label has only one class (`normal`, 299 rows); at least two classes are needed to train and evaluate"),
        "{e}"
    );
}

#[test]
fn verify_reports_ok_swapped_and_missing() {
    let Some(dir) = data_dir() else { return };
    let r = verify_catalog(&dir, false).unwrap();
    let status = |ds: &str, id: &str| {
        r.rows
            .iter()
            .find(|x| x.dataset == ds && x.file == id)
            .unwrap()
            .status
    };
    for id in ["KDDTrain+", "KDDTest+", "KDDTest-21", "KDDTrain+_20Percent"] {
        assert_eq!(status("nsl_kdd", id), VerifyStatus::Ok, "{r}");
    }
    assert_eq!(
        status("unsw_nb15", "training-set"),
        VerifyStatus::Swapped,
        "{r}"
    );
    assert_eq!(
        status("unsw_nb15", "testing-set"),
        VerifyStatus::Missing,
        "{r}"
    );
    assert_eq!(
        status("cic_ids2017", "friday-ddos-head299"),
        VerifyStatus::Ok,
        "{r}"
    );
    assert_eq!(
        status("cic_ids2017", "monday"),
        VerifyStatus::Missing,
        "{r}"
    );
    assert!(r.is_ok(), "{r}");
    let text = r.to_string();
    assert!(
        text.contains("matches: sha256, 125973 rows, 43 columns, binary counts, category counts"),
        "{text}"
    );
    assert!(
        text.contains("missing cic_ids2017 files: Download"),
        "{text}"
    );
    // strict: missing distribution files and swapped names fail (UNSW-NB15 swapped and
    // missing, CIC-IDS2017's eight days, KDD Cup'99's three files)
    let strict = verify_catalog(&dir, true).unwrap();
    assert_eq!(strict.failures(), 1 + 1 + 8 + 3);
    for id in ["kddcup.data_10_percent", "kddcup.data", "corrected"] {
        assert_eq!(status("kdd99", id), VerifyStatus::Missing, "{r}");
    }
}
