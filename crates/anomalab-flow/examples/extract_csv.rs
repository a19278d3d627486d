//! Extracts flows from one capture (path or `-` for stdin) and writes the 85-column CSV to
//! stdout; the summary goes to stderr.
//!
//! `cargo run --release -p anomalab-flow --example extract_csv -- capture.pcap [--reference] [--mlcve]`
//! (`--reference`: padding off, as the flows-reference CSVs).

use std::io::Read;

use anomalab_flow::{CsvLayout, CsvWriter, ExtractOptions, Extractor};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .ok_or("usage: extract_csv <capture|-> [--reference] [--mlcve]")?;
    let opts = if args.iter().any(|a| a == "--reference") {
        ExtractOptions::reference()
    } else {
        ExtractOptions::default()
    };
    let layout = if args.iter().any(|a| a == "--mlcve") {
        CsvLayout::Mlcve79
    } else {
        CsvLayout::Cic85
    };
    let input: Box<dyn Read> = if path == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(path)?)
    };
    let mut out = CsvWriter::new(std::io::BufWriter::new(std::io::stdout().lock()), layout)?;
    let mut err = None;
    let mut ex = Extractor::with_sink(opts, |flow| {
        if let Err(e) = out.write(&flow) {
            err.get_or_insert(e);
        }
    });
    ex.feed_capture(input, path)?;
    let (_, summary) = ex.finish();
    eprintln!("{summary}");
    if let Some(e) = err {
        return Err(e.into());
    }
    out.into_inner()?;
    Ok(())
}
