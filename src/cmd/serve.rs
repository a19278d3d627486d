//! `anomalab serve`: the detector over captures or a Zeek log, and the HTTP API.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use super::args::ServeArgs;
use super::error::{CliError, Status};
use crate::serve::blocklist::BlocklistConfig;
use crate::serve::input::CaptureInput;
use crate::serve::sink::AlertsTarget;
use crate::serve::state::ServeState;
use crate::serve::{Flags, ServeOptions, ServeSummary, detect, load_model, watch_signals};

pub fn run(args: ServeArgs) -> Result<Status, CliError> {
    check_args(&args)?;
    let opts = options(&args);
    let served = load_model(&opts.model, opts.normal_class.as_deref())?;
    let state = Arc::new(ServeState::new(served.info.clone(), opts.ring));
    eprintln!("{}", start_line(&opts, &served.info));
    let flags = Flags::default();
    let http = super::serve_http::start(&args, &served, &state)?;
    let stopper = http.as_ref().map(|h| h.stopper());
    let signals = watch_signals(&flags, move || {
        if let Some(s) = &stopper {
            s();
        }
    })
    .map_err(|e| CliError::Usage(format!("cannot watch signals: {e}")))?;
    let has_inputs = !opts.captures.is_empty() || opts.zeek_log.is_some();
    let summary = if has_inputs {
        Some(detect(&opts, &served, &state, &flags)?)
    } else {
        state.set_ready(true);
        None
    };
    if let Some(s) = &summary {
        eprint!("{}", summary_text(s));
    }
    if let Some(h) = http {
        if has_inputs && !flags.stop.load(std::sync::atomic::Ordering::Relaxed) {
            eprintln!("serve: inputs done; the HTTP API stays up until SIGINT or SIGTERM");
        }
        h.wait()?;
    }
    signals.close();
    match summary {
        Some(s) if !s.failed.is_empty() => Err(CliError::Usage(format!(
            "could not read {}",
            s.failed.join(", ")
        ))),
        _ => Ok(Status::Ok),
    }
}

fn check_args(a: &ServeArgs) -> Result<(), CliError> {
    if a.captures.is_empty() && a.zeek_log.is_none() && a.http.is_none() && !live(a) {
        return Err(CliError::Usage(
            "nothing to serve: give capture files (or `-` for standard input), --zeek-log FILE, or --http ADDR".into(),
        ));
    }
    if a.replay_speed.is_some_and(|x| !(x > 0.0 && x.is_finite())) {
        return Err(CliError::Usage(
            "--replay-speed must be a positive number (e.g. 1 for real time, 10 for ten times faster)".into(),
        ));
    }
    if !(a.suppress >= 0.0 && a.suppress.is_finite()) {
        return Err(CliError::Usage(
            "--suppress must be 0 or more seconds".into(),
        ));
    }
    if a.captures.iter().filter(|c| c.as_os_str() == "-").count() > 1 {
        return Err(CliError::Usage(
            "standard input (`-`) can be read once".into(),
        ));
    }
    if a.max_active_flows == Some(0) {
        return Err(CliError::Usage(
            "--max-active-flows must be at least 1".into(),
        ));
    }
    Ok(())
}

/// Whether a live interface was asked for.
fn live(_a: &ServeArgs) -> bool {
    #[cfg(all(feature = "live", target_os = "linux"))]
    return !_a.interface.is_empty();
    #[cfg(not(all(feature = "live", target_os = "linux")))]
    false
}

fn options(a: &ServeArgs) -> ServeOptions {
    let alerts = match &a.alerts {
        Some(p) if p.as_os_str() == "-" => AlertsTarget::Stdout,
        Some(p) => AlertsTarget::File(p.clone()),
        None => AlertsTarget::Stdout,
    };
    #[allow(unused_mut)]
    let mut captures: Vec<CaptureInput> =
        a.captures.iter().map(|p| CaptureInput::parse(p)).collect();
    #[cfg(all(feature = "live", target_os = "linux"))]
    captures.extend(a.interface.iter().cloned().map(CaptureInput::Interface));
    ServeOptions {
        model: a.model.clone(),
        captures,
        zeek_log: a.zeek_log.clone(),
        follow: a.follow,
        alerts,
        flows: a.flows,
        max_active_flows: a.max_active_flows,
        replay_speed: a.replay_speed,
        suppress_secs: a.suppress,
        normal_class: a.normal_class.clone(),
        ring: a.alert_ring,
        blocklist: a.blocklist.as_ref().map(|path| BlocklistConfig {
            path: path.clone(),
            format: a.blocklist_format,
            severity: a.block_severity,
            ttl: std::time::Duration::from_secs(a.block_ttl.max(1)),
        }),
    }
}

/// What is served, from where, to where (standard error, at start).
fn start_line(opts: &ServeOptions, m: &crate::serve::state::ModelInfo) -> String {
    let mut inputs: Vec<String> = opts.captures.iter().map(|c| c.name()).collect();
    if let Some(z) = &opts.zeek_log {
        let follow = if opts.follow { " (followed)" } else { "" };
        inputs.push(format!("{}{follow}", z.display()));
    }
    let alerts = match &opts.alerts {
        AlertsTarget::File(p) => p.display().to_string(),
        AlertsTarget::Stdout => "standard output".into(),
    };
    let reading = if inputs.is_empty() {
        "no traffic (HTTP only)".to_string()
    } else {
        format!("reading {}; alerts to {alerts}", inputs.join(", "))
    };
    format!(
        "serve: model {} ({} {}, sha256 {}); {reading}",
        m.name,
        m.role,
        m.algorithm,
        &m.sha256[..12],
    )
}

/// What the run did, for standard error: packets, drops, flows, alerts by label,
/// suppressed alerts, evictions, scoring latency.
pub fn summary_text(s: &ServeSummary) -> String {
    let mut out = String::new();
    if let Some(c) = &s.capture {
        let _ = writeln!(
            out,
            "serve: {} packet(s) read, {} skipped{}; {} flow(s) ended ({} by FIN, {} timed out, {} at end of input, {} evicted)",
            c.packets_read,
            c.packets_skipped(),
            by_reason(c.skipped.iter().map(|(r, n)| (r.name().to_string(), *n))),
            c.flows_emitted,
            c.flows_closed,
            c.flows_timed_out,
            c.flows_flushed,
            c.flows_evicted,
        );
    }
    if s.zeek_records > 0 {
        let _ = writeln!(out, "serve: {} Zeek record(s) read", s.zeek_records);
    }
    let alerts: u64 = s.alerts.values().sum();
    let suppressed: u64 = s.suppressed.values().sum();
    let _ = writeln!(
        out,
        "serve: {} scored, {alerts} alert(s){}, {suppressed} suppressed{}",
        s.totals.scored,
        by_reason(s.alerts.iter().map(|(k, v)| (k.clone(), *v))),
        by_reason(s.suppressed.iter().map(|(k, v)| (k.clone(), *v))),
    );
    let q = |p| anomalab_learn::stats::quantile(&s.totals.latencies, p);
    if !s.totals.latencies.is_empty() {
        let (p50, p99) = (q(0.5), q(0.99));
        let _ = writeln!(
            out,
            "serve: latency from flow end to verdict written (flows ended before the end of input): p50 {:.3} ms, p99 {:.3} ms",
            p50 * 1e3,
            p99 * 1e3
        );
    }
    out
}

/// ` (a 3, b 1)`, or nothing when empty.
fn by_reason(items: impl Iterator<Item = (String, u64)>) -> String {
    let items: BTreeMap<String, u64> = items.filter(|(_, n)| *n > 0).collect();
    if items.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = items.iter().map(|(k, n)| format!("{k} {n}")).collect();
    format!(" ({})", parts.join(", "))
}
