//! The command line (SPEC §7). JSON goes to stdout, logs to stderr. Exit codes: 0 success,
//! 1 bad input or configuration, 2 usage (clap's own).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::config::Config;
use crate::extract::{self, RawDoc};
use crate::pipeline::{self, Context};
use crate::profile::MapContext;
use crate::screen::NoLookups;

/// Medi-Cal ECM/CS/CHW referral email in; screened, routed, acknowledged referrals out.
#[derive(Debug, Parser)]
#[command(name = "referral-intake", version, about)]
pub struct Cli {
    /// Configuration file.
    #[arg(
        long,
        global = true,
        env = "REFERRAL_INTAKE_CONFIG",
        default_value = "config/referral-intake.toml"
    )]
    pub config: PathBuf,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

/// How `replay` prints its summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    /// A table when stdout is a terminal, JSON otherwise.
    Auto,
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The daemon: watch every configured inbox until SIGTERM/SIGINT; SIGHUP reloads rules,
    /// profiles, catalogues and templates.
    Run,
    /// Run the full pipeline over .eml files, mbox files or Maildir folders, offline.
    Replay {
        /// Files or folders to replay.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Write outbound mail here as .eml files (otherwise it is not sent).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Summary format.
        #[arg(long, value_enum, default_value_t = SummaryFormat::Auto)]
        format: SummaryFormat,
    },
    /// Print the program(s) a subject names.
    Classify {
        /// The subject line.
        subject: String,
    },
    /// Print the referral fields read from forms (PDF, spreadsheet, CSV).
    Extract {
        /// Form files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also list every label/field name and value found (for writing a profile).
        #[arg(long)]
        raw: bool,
    },
    /// Print the decision for one message, with no side effects.
    Explain {
        /// The message (.eml).
        message: PathBuf,
    },
    /// Load and validate all configuration: every file, every template rendered against sample
    /// decisions, and every setting `run` checks at start (which it refuses alike).
    CheckConfig,
    /// Clear raw messages (and the .eml of finished outbox rows) older than
    /// `[store] raw_retention_days`, keeping the metadata; writes a `purge` audit event.
    Purge {
        /// Only count what would be cleared.
        #[arg(long)]
        dry_run: bool,
    },
    /// Decide stored messages again with today's rules, profiles and catalogues; print one JSON
    /// line per message with the old and new outcome of each referral. Without --dry-run, apply
    /// each change: the new decision is recorded beside the old one, the reference numbers are
    /// kept, and the update email and forward it calls for are queued for the daemon to send.
    Reprocess {
        /// Only messages received this recently (30m, 24h, 7d, 2w).
        #[arg(long)]
        since: Option<String>,
        /// Only messages with a referral of this outcome (or, without referrals, this
        /// disposition: review, ignored). Repeatable.
        #[arg(long)]
        outcome: Vec<String>,
        /// Show what would change; write and send nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// What happened to one referral: received when, from which inbox, outcome and reasons,
    /// every email and its delivery state, the IMAP folder. Exit 1 when nothing matches.
    Status {
        /// A reference number (ECM-NCAL-2026-000123), a store id, or a Message-ID.
        reference: String,
        /// JSON instead of the table.
        #[arg(long)]
        json: bool,
    },
}

/// Runs the command; returns the process exit code.
pub fn main_with(cli: Cli) -> i32 {
    init_logging(cli.log_format);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    }
}

/// Dependencies whose DEBUG/TRACE output is the wire itself: async-imap traces every byte read
/// and written (whole messages with their attachments, and the LOGIN command with the password),
/// and the TLS and SMTP layers can do the same. They are capped at INFO whatever
/// `REFERRAL_INTAKE_LOG` asks for, so no log level exposes member data or secrets
/// (tests/it/privacy.rs runs the corpus at TRACE and checks).
pub const WIRE_CRATES: [&str; 6] = [
    "async_imap",
    "imap_proto",
    "lettre",
    "rustls",
    "tokio_rustls",
    "mail_parser",
];

/// The log filter: `REFERRAL_INTAKE_LOG` (default `info,sqlx=warn,lopdf=error`), then
/// [`WIRE_CRATES`] capped at INFO (added last, so they override the same targets given there).
pub fn log_filter(spec: Option<&str>) -> tracing_subscriber::EnvFilter {
    let default = "info,sqlx=warn,lopdf=error";
    let mut filter = spec
        .and_then(|s| tracing_subscriber::EnvFilter::try_new(s).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new(default));
    for krate in WIRE_CRATES {
        if let Ok(d) = format!("{krate}=info").parse() {
            filter = filter.add_directive(d);
        }
    }
    filter
}

fn init_logging(format: LogFormat) {
    let spec = std::env::var("REFERRAL_INTAKE_LOG").ok();
    let filter = log_filter(spec.as_deref());
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => b.json().try_init(),
        LogFormat::Human => b.with_target(false).try_init(),
    };
}

fn load(cli: &Cli) -> Result<Arc<Config>> {
    crate::daemon::load_config(&cli.config).map_err(|e| anyhow::anyhow!("{e}"))
}

fn print_json<T: Serialize>(v: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

fn run(cli: Cli) -> Result<i32> {
    match &cli.command {
        Command::Run => {
            let cfg = load(&cli)?;
            crate::daemon::check_runnable(&cfg)?;
            // One async worker thread: the async side only waits on sockets (IMAP, SMTP, HTTP,
            // the store driver's replies); reading a message runs on the blocking pool and
            // SQLite on its own thread, so both cores stay in use, and one worker spares the
            // thread switches a second one's work stealing costs (docs/BENCHMARKS.md, fourteenth
            // session: -6 % CPU a message, -4 % rate, still over the I/O floor). A
            // current_thread runtime was measured worse (255/s against 366/s): the blocking
            // pool's results then wait behind the thread that polls the sockets.
            // `TOKIO_WORKER_THREADS` still sets another number.
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            if std::env::var_os("TOKIO_WORKER_THREADS").is_none() {
                builder.worker_threads(1);
            }
            let rt = builder.enable_all().build()?;
            rt.block_on(crate::daemon::run(cli.config.clone(), cfg))?;
            Ok(0)
        }
        Command::CheckConfig => match crate::daemon::load_config(&cli.config) {
            Ok(cfg) => {
                // Everything `run` would refuse at start, by the same function `run` uses. A
                // setting `run` cannot use is an error here too; a part the file does not set up
                // (no [smtp], an inbox without host) is only listed: such a file serves replay,
                // explain and extract.
                let run = crate::daemon::run_check(&cfg);
                if !run.unusable.is_empty() {
                    eprintln!("{}", run.unusable.join("\n"));
                    return Ok(1);
                }
                // OCR is optional: a missing engine is a warning, never a failure.
                let ocr_problem = cfg.main.ocr.unavailable();
                if let Some(why) = &ocr_problem
                    && cfg.main.ocr.enabled
                {
                    eprintln!("warning: [ocr] {why}; scanned forms will go to review");
                }
                print_json(&serde_json::json!({
                    "ok": true,
                    "run": {"ready": run.missing.is_empty(), "missing": run.missing},
                    "ocr": {"available": ocr_problem.is_none(), "problem": ocr_problem},
                    "config": cli.config.display().to_string(),
                    "subject_rules": cfg.subjects.rules.len(),
                    "profiles": cfg.profiles.profiles.iter().map(|p| p.name.clone()).collect::<Vec<_>>(),
                    "regions": cfg.main.regions.keys().collect::<Vec<_>>(),
                    "inboxes": cfg.main.inboxes.iter().map(|i| i.address.clone()).collect::<Vec<_>>(),
                    "oauth_sources": cfg.main.oauth.keys().collect::<Vec<_>>(),
                    "zip_codes": cfg.zip_county.len(),
                    "templates": cfg.templates.sources.iter().map(|s| s.1.clone()).collect::<Vec<_>>(),
                }))?;
                Ok(0)
            }
            Err(e) => {
                eprintln!("{e}");
                Ok(1)
            }
        },
        Command::Classify { subject } => {
            let cfg = load(&cli)?;
            print_json(&cfg.subjects.classify(subject))?;
            Ok(0)
        }
        Command::Explain { message } => {
            let cfg = load(&cli)?;
            let raw = std::fs::read(message).with_context(|| format!("reading {}", message.display()))?;
            let ctx = Context {
                cfg: &cfg,
                lookups: &NoLookups,
                today: chrono::Local::now().date_naive(),
                inbox_region: None,
            };
            let (d, _) = pipeline::decide(&raw, &ctx);
            let mut out = serde_json::to_value(&d)?;
            // The specific, content-free detail behind `unreadable_attachment` and
            // `unsupported_attachment`: what was wrong with each document that could not be read.
            let problems: Vec<&str> = d
                .documents
                .iter()
                .filter_map(|doc| doc.error.as_deref())
                .collect();
            if let (false, Some(obj)) = (problems.is_empty(), out.as_object_mut()) {
                obj.insert("attachment_errors".into(), serde_json::json!(problems));
            }
            print_json(&out)?;
            Ok(0)
        }
        Command::Extract { files, raw } => {
            let cfg = load(&cli)?;
            let (out, failed) = extract_files(&cfg, files, *raw);
            print_json(&out)?;
            Ok(if failed { 1 } else { 0 })
        }
        Command::Purge { dry_run } => {
            let cfg = load(&cli)?;
            let days = cfg.main.store.raw_retention_days;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let report = rt.block_on(async {
                let store = crate::store::Store::open(&cfg.main.store.url).await?;
                store.purge_raw(days, *dry_run).await
            })?;
            tracing::info!(
                dry_run = report.dry_run,
                retention_days = report.retention_days,
                cutoff = %report.cutoff,
                messages = report.messages,
                outbox_emls = report.outbox_emls,
                "purge finished"
            );
            print_json(&report)?;
            Ok(0)
        }
        Command::Reprocess {
            since,
            outcome,
            dry_run,
        } => {
            const KNOWN: [&str; 6] = [
                "accepted",
                "needs_info",
                "screened_out",
                "redirected",
                "review",
                "ignored",
            ];
            if let Some(bad) = outcome.iter().find(|o| !KNOWN.contains(&o.as_str())) {
                eprintln!("error: --outcome {bad}: expected one of {}", KNOWN.join(", "));
                return Ok(1);
            }
            let cfg = load(&cli)?;
            let sel = crate::reprocess::Selection {
                since_ms: since
                    .as_deref()
                    .map(crate::reprocess::parse_duration_ms)
                    .transpose()?,
                outcomes: outcome.clone(),
            };
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            let failed = rt.block_on(async {
                let store = crate::store::Store::open(&cfg.main.store.url).await?;
                let roster = crate::store::Roster::load(cfg.main.screening.roster_file.as_deref())?;
                let mode = if *dry_run {
                    crate::reprocess::Mode::DryRun
                } else {
                    crate::reprocess::Mode::Apply
                };
                let mut stdout = std::io::stdout().lock();
                let (mut applied, mut pending, mut failed) = (0, 0, 0_usize);
                crate::reprocess::reprocess(cfg.clone(), &store, &roster, &sel, mode, |line| {
                    applied += usize::from(line.applied == Some(true));
                    failed += usize::from(line.failed);
                    pending += line.emails.iter().filter(|e| e.status == "pending").count();
                    serde_json::to_writer(&mut stdout, line)?;
                    writeln!(stdout)?;
                    Ok(())
                })
                .await?;
                if mode == crate::reprocess::Mode::Apply {
                    // The sender of a running daemon sends them; a second sender here could
                    // send the same row twice.
                    tracing::info!(
                        applied,
                        emails_queued = pending,
                        "reprocess applied; queued emails are sent by the daemon (`run`) from the outbox"
                    );
                }
                if failed > 0 {
                    tracing::error!(
                        failed,
                        "some changes could not be applied; see not_applied in their lines"
                    );
                }
                anyhow::Ok(failed)
            })?;
            Ok(if failed > 0 { 1 } else { 0 })
        }
        Command::Status { reference, json } => {
            let cfg = load(&cli)?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let found = rt.block_on(async {
                let store = crate::store::Store::open(&cfg.main.store.url).await?;
                crate::status::status(&store, reference).await
            });
            match found {
                Ok(s) if *json => print_json(&s)?,
                Ok(s) => print!("{}", crate::status::table(&s)),
                Err(e) if e.is::<crate::status::NotFound>() => {
                    eprintln!("error: {e}");
                    return Ok(1);
                }
                Err(e) => return Err(e),
            }
            Ok(0)
        }
        Command::Replay { paths, out, format } => {
            let cfg = load(&cli)?;
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            let summary = rt.block_on(crate::replay::replay(cfg, paths, out.as_deref()))?;
            let table = match format {
                SummaryFormat::Table => true,
                SummaryFormat::Json => false,
                SummaryFormat::Auto => std::io::stdout().is_terminal(),
            };
            if table {
                print!("{}", summary_table(&summary));
            } else {
                print_json(&summary)?;
            }
            Ok(0)
        }
    }
}

#[derive(Serialize)]
struct ExtractedFile {
    file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<String>,
    referrals: Vec<ExtractedReferral>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<Vec<RawRecordOut>>,
    /// With `--raw`: the document's text as the reader laid it out (for a scan, what OCR read,
    /// line by line), to see why a label was or was not found.
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
}

/// One record of `extract --raw`: every entry with where it went and why.
#[derive(Serialize)]
struct RawRecordOut {
    entries: Vec<RawEntryOut>,
}

#[derive(Serialize)]
struct RawEntryOut {
    #[serde(flatten)]
    entry: crate::extract::RawEntry,
    #[serde(flatten)]
    mapping: crate::profile::EntryMapping,
}

#[derive(Serialize)]
struct ExtractedReferral {
    fields: serde_json::Value,
    warnings: Vec<String>,
}

fn extract_files(cfg: &Config, files: &[PathBuf], with_raw: bool) -> (Vec<ExtractedFile>, bool) {
    let limits = cfg.main.limits.extract_limits();
    let ctx = MapContext {
        catalog: &cfg.catalog,
        today: chrono::Local::now().date_naive(),
    };
    let mut failed = false;
    // An email (`.eml`) stands for its attachments, or its body when it has none.
    let mut docs: Vec<(String, Result<RawDoc, String>)> = Vec::new();
    for f in files {
        let name = f.display().to_string();
        let bytes = match std::fs::read(f) {
            Ok(b) => b,
            Err(e) => {
                docs.push((name, Err(format!("cannot read: {e}"))));
                continue;
            }
        };
        let is_eml = f.extension().is_some_and(|e| e.eq_ignore_ascii_case("eml"));
        match is_eml.then(|| crate::message::parse(&bytes, &limits)) {
            Some(Ok(email)) => {
                // The same walk the daemon makes (TNEF unpacked, stray text parts skipped).
                let carried = extract::walk::attachments(&email);
                for (i, c) in carried.iter().enumerate() {
                    match c {
                        extract::walk::Carried::File {
                            name: file,
                            bytes,
                            kind,
                        } => {
                            let label = format!(
                                "{name}#{}",
                                file.clone().unwrap_or_else(|| format!("part{}", i + 1))
                            );
                            docs.push((
                                label,
                                extract::ocr::Ocr::new(&cfg.main.ocr)
                                    .read(bytes, *kind, &limits)
                                    .map_err(|e| e.to_string()),
                            ));
                        }
                        extract::walk::Carried::Failed(e) => {
                            docs.push((format!("{name}#part{}", i + 1), Err(e.to_string())));
                        }
                    }
                }
                if carried.is_empty() {
                    docs.push((
                        format!("{name}#body"),
                        Ok(extract::body::extract_email_body(&email)),
                    ));
                }
            }
            Some(Err(e)) => docs.push((name, Err(e.to_string()))),
            None => {
                let ft = extract::sniff(&bytes, f.file_name().and_then(|n| n.to_str()), None);
                docs.push((
                    name,
                    extract::ocr::Ocr::new(&cfg.main.ocr)
                        .read(&bytes, ft, &limits)
                        .map_err(|e| e.to_string()),
                ));
            }
        }
    }
    let out = docs
        .into_iter()
        .map(|(name, result)| {
            match result {
                Ok(doc) => {
                    let (profile, refs, traces) = cfg.profiles.map_traced(&doc, ctx);
                    let referrals = refs
                        .into_iter()
                        .flat_map(|r| {
                            let programs: Vec<Option<crate::model::Program>> = if r.programs.is_empty() {
                                vec![None]
                            } else {
                                r.programs.iter().copied().map(Some).collect()
                            };
                            programs.into_iter().map(move |p| {
                                let mut fields = serde_json::to_value(&r.fields).unwrap_or_default();
                                if let (Some(p), Some(map)) = (p, fields.as_object_mut()) {
                                    // `program` first, as SPEC §4 lists it.
                                    let mut with = serde_json::Map::new();
                                    with.insert("program".into(), serde_json::Value::String(p.code().into()));
                                    with.extend(std::mem::take(map));
                                    *map = with;
                                }
                                ExtractedReferral {
                                    fields,
                                    warnings: r.warnings.clone(),
                                }
                            })
                        })
                        .collect();
                    ExtractedFile {
                        file: name,
                        kind: Some(doc.kind.code()),
                        profile: Some(profile),
                        referrals,
                        error: None,
                        raw: with_raw.then(|| {
                            doc.records
                                .iter()
                                .zip(traces)
                                .map(|(rec, trace)| RawRecordOut {
                                    entries: rec
                                        .entries
                                        .iter()
                                        .cloned()
                                        .zip(trace)
                                        .map(|(entry, mapping)| RawEntryOut { entry, mapping })
                                        .collect(),
                                })
                                .collect()
                        }),
                        text: with_raw.then(|| doc.text.clone()),
                    }
                }
                Err(e) => {
                    failed = true;
                    ExtractedFile {
                        file: name,
                        kind: None,
                        profile: None,
                        referrals: Vec::new(),
                        error: Some(e),
                        raw: None,
                        text: None,
                    }
                }
            }
        })
        .collect();
    (out, failed)
}

/// A readable table of what happened to each message.
pub fn summary_table(s: &crate::replay::ReplaySummary) -> String {
    let mut out = String::new();
    let w = s
        .rows
        .iter()
        .map(|r| r.file.len())
        .max()
        .unwrap_or(4)
        .clamp(4, 48);
    out.push_str(&format!("{:<w$}  {:<9}  {}\n", "FILE", "RESULT", "DETAIL"));
    for r in &s.rows {
        let file: String = r.file.chars().take(w).collect();
        if r.referrals.is_empty() {
            out.push_str(&format!(
                "{file:<w$}  {:<9}  {}\n",
                r.disposition,
                r.reasons.join(", ")
            ));
        }
        for (i, x) in r.referrals.iter().enumerate() {
            let left = if i == 0 { file.as_str() } else { "" };
            let reasons = if x.reasons.is_empty() {
                String::new()
            } else {
                format!(" ({})", x.reasons.join(", "))
            };
            out.push_str(&format!(
                "{left:<w$}  {:<9}  {} {}{reasons}\n",
                "referral", x.reference, x.outcome
            ));
        }
        if !r.emails.is_empty() {
            out.push_str(&format!("{:<w$}  {:<9}  {}\n", "", "emails", r.emails.join("; ")));
        }
    }
    out.push_str(&format!(
        "\n{} messages, {} referrals, {} emails written\n",
        s.messages, s.referrals, s.emails_written
    ));
    out
}
