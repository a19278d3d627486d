//! Throughput benchmark of the extractor (not a test): reads one capture, computes the
//! `cic2017` flows and writes the 85-column CSV to a sink (or to a file), then prints one
//! JSON line with packets, flows, CPU-independent wall time and packets/s. Peak memory is
//! measured from outside (`scripts/bench_extract.py` uses `/usr/bin/time -v` semantics via
//! `resource.getrusage`).
//!
//! `cargo run --release -p anomalab-flow --example extract_bench -- big.pcap [--no-csv] [--out flows.csv]`

use std::io::Write;
use std::time::Instant;

use anomalab_flow::{CsvLayout, CsvWriter, ExtractOptions, Extractor};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .ok_or("usage: extract_bench <capture> [--no-csv] [--out FILE]")?;
    let no_csv = args.iter().any(|a| a == "--no-csv");
    let out_path = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1));
    let sink: Box<dyn Write> = match out_path {
        Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p)?)),
        None => Box::new(std::io::sink()),
    };
    let mut csv = CsvWriter::new(sink, CsvLayout::Cic85)?;
    let mut flows = 0u64;
    let t0 = Instant::now();
    let mut ex = Extractor::with_sink(ExtractOptions::reference(), |f| {
        flows += 1;
        if !no_csv {
            csv.write(&f).expect("csv write");
        }
    });
    let file = std::fs::File::open(path)?;
    ex.feed_capture(file, path)?;
    let (_, summary) = ex.finish();
    let secs = t0.elapsed().as_secs_f64();
    csv.into_inner()?;
    eprintln!("{summary}");
    println!(
        "{{\"packets\": {}, \"flows\": {}, \"seconds\": {:.6}, \"packets_per_s\": {:.0}, \"csv\": {}}}",
        summary.packets_read,
        flows,
        secs,
        summary.packets_read as f64 / secs,
        !no_csv
    );
    Ok(())
}
