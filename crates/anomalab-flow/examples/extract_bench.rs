//! Throughput benchmark of the extractor (not a test): the library path of
//! `anomalab extract` without the root crate. Reads one capture through a 1 MiB
//! `BufReader`, computes the `cic2017` flows (reference options: padding off) and writes the
//! 85-column CSV through a 1 MiB `BufWriter` to a file (`--out`, as `anomalab extract`
//! does), to a sink (no `--out`), or not at all (`--no-csv`). Prints one JSON line with
//! packets, flows, wall time and packets/s. Peak memory is measured from outside
//! (`scripts/bench_extract.py` uses `os.wait4`).
//!
//! `cargo run --release -p anomalab-flow --example extract_bench -- big.pcap [--no-csv] [--out flows.csv]`

use std::io::{BufReader, BufWriter, Write};
use std::time::Instant;

use anomalab_flow::{CsvLayout, CsvWriter, ExtractOptions, Extractor, LabelSpec};

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
    let t0 = Instant::now();
    let sink: Box<dyn Write> = match out_path {
        Some(p) => Box::new(BufWriter::with_capacity(1 << 20, std::fs::File::create(p)?)),
        None => Box::new(std::io::sink()),
    };
    let mut csv = CsvWriter::new(sink, CsvLayout::Cic85)?;
    let mut flows = 0u64;
    let mut write_error = None;
    let mut ex = Extractor::with_sink(ExtractOptions::reference(), |f| {
        flows += 1;
        if !no_csv
            && write_error.is_none()
            && let Err(e) = csv.write(&f)
        {
            write_error = Some(e);
        }
    });
    let file = std::fs::File::open(path)?;
    ex.feed_capture_labeled(
        BufReader::with_capacity(1 << 20, file),
        path,
        &LabelSpec::default(),
    )?;
    let (_, summary) = ex.finish();
    if let Some(e) = write_error {
        return Err(e.into());
    }
    csv.into_inner()?.flush()?;
    let secs = t0.elapsed().as_secs_f64();
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
