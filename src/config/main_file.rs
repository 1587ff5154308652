//! The main configuration file (`referral-intake.toml`): store, SMTP, inboxes, regions, limits.
//!
//! Every key has a default except the ones an operator must decide (hosts and credentials for
//! `run`). Defaults are documented in the shipped `config/referral-intake.toml`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::oauth::OAuthSourceConfig;
use crate::diag::{Problems, SourceFile};
use crate::limits::Limits;

/// The main file, with defaults applied and relative paths resolved.
#[derive(Debug, Clone)]
pub struct MainConfig {
    pub store: StoreConfig,
    pub smtp: Option<SmtpConfig>,
    pub inboxes: Vec<InboxConfig>,
    pub regions: BTreeMap<String, RegionConfig>,
    pub paths: PathsConfig,
    pub limits: LimitsConfig,
    pub outbound: OutboundConfig,
    pub screening: ScreeningConfig,
    pub imap: ImapConfig,
    pub filing: FilingConfig,
    pub daemon: DaemonConfig,
    pub http: super::http::HttpConfig,
    /// `[ocr]`: reading scanned forms.
    pub ocr: super::ocr::OcrConfig,
    /// `[oauth.NAME]` token sources, by name.
    pub oauth: BTreeMap<String, OAuthSourceConfig>,
}

/// `[imap]`: how inboxes are watched.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImapConfig {
    /// IDLE is re-issued after this many seconds (RFC 2177 asks for under 29 minutes; a short
    /// value also catches servers that silently stop notifying).
    pub idle_secs: u64,
    /// Polling interval when the server has no IDLE.
    pub poll_secs: u64,
    /// Timeout for any single IMAP command other than IDLE.
    pub command_timeout_secs: u64,
    /// Most messages fetched per batch.
    pub batch_size: u32,
    /// Longest wait between reconnection attempts (the wait doubles from 1 s, with jitter).
    pub reconnect_max_secs: u64,
}

impl Default for ImapConfig {
    fn default() -> Self {
        ImapConfig {
            idle_secs: 300,
            poll_secs: 60,
            command_timeout_secs: 60,
            batch_size: 100,
            reconnect_max_secs: 300,
        }
    }
}

/// `[filing]`: where processed messages go in the mailbox, by outcome.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FilingConfig {
    /// `move` (UID MOVE into the folders below, created when missing) or `flag` (leave the
    /// message where it is and set `keyword`).
    pub mode: FilingMode,
    pub accepted: String,
    pub needs_info: String,
    pub screened_out: String,
    pub redirected: String,
    pub review: String,
    pub ignored: String,
    /// The IMAP keyword set in `flag` mode.
    pub keyword: String,
}

/// How processed messages are marked in the mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FilingMode {
    Move,
    Flag,
}

impl Default for FilingConfig {
    fn default() -> Self {
        FilingConfig {
            mode: FilingMode::Move,
            accepted: "Referrals/Accepted".into(),
            needs_info: "Referrals/Needs info".into(),
            screened_out: "Referrals/Screened out".into(),
            redirected: "Referrals/Redirected".into(),
            review: "Referrals/Review".into(),
            ignored: "Referrals/Ignored".into(),
            keyword: "ReferralIntakeDone".into(),
        }
    }
}

/// `[daemon]`: life-cycle settings for `run`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DaemonConfig {
    /// Seconds given to tasks to finish the message in hand after SIGTERM.
    pub shutdown_grace_secs: u64,
    /// An inbox that has not completed a poll or IDLE cycle for this long is reported as stalled
    /// (ERROR log, and the systemd watchdog is no longer fed).
    pub stall_secs: u64,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            shutdown_grace_secs: 20,
            stall_secs: 900,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMain {
    #[serde(default)]
    store: StoreConfig,
    smtp: Option<SmtpConfig>,
    #[serde(default)]
    inbox: Vec<InboxConfig>,
    #[serde(default)]
    regions: BTreeMap<String, RawRegion>,
    #[serde(default)]
    paths: RawPaths,
    #[serde(default)]
    limits: LimitsConfig,
    #[serde(default)]
    outbound: OutboundConfig,
    #[serde(default)]
    screening: ScreeningConfig,
    #[serde(default)]
    imap: ImapConfig,
    #[serde(default)]
    filing: FilingConfig,
    #[serde(default)]
    daemon: DaemonConfig,
    #[serde(default)]
    http: super::http::HttpConfig,
    #[serde(default)]
    ocr: super::ocr::OcrConfig,
    #[serde(default)]
    oauth: BTreeMap<String, OAuthSourceConfig>,
}

/// `[store]`: where referrals, raw messages and the outbox live.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite://PATH` (relative to the config folder) or `postgres://user@host/db`.
    #[serde(default = "default_store_url")]
    pub url: String,
    /// Days a message's raw bytes (and the .eml of finished outbox rows, which carry the
    /// attachments) are kept; `referral-intake purge` clears older ones, keeping the metadata
    /// rows. `0` keeps them forever.
    #[serde(default = "default_raw_retention_days")]
    pub raw_retention_days: u32,
}

fn default_store_url() -> String {
    "sqlite://data/referral-intake.db".into()
}

fn default_raw_retention_days() -> u32 {
    365
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            url: default_store_url(),
            raw_retention_days: default_raw_retention_days(),
        }
    }
}

/// How a connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Implicit TLS from the first byte (IMAPS 993, SMTPS 465).
    Tls,
    /// Plain connection upgraded with STARTTLS.
    Starttls,
    /// No TLS: refused unless the host is loopback.
    None,
}

/// A secret read from an environment variable or a file, never from the config itself. Its
/// `Debug` output is `***`.
#[derive(Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Secret {
    /// Name of an environment variable holding the secret.
    pub password_env: Option<String>,
    /// Path of a file holding the secret (trailing newline ignored).
    pub password_file: Option<PathBuf>,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Secret {
    /// Reads the secret from its environment variable or file. The error names where it looked,
    /// never the value.
    pub fn resolve(&self) -> anyhow::Result<String> {
        self.resolve_as("password_env", "password_file")
    }

    /// [`Secret::resolve`] for a secret whose keys are spelt differently (`client_secret_env`,
    /// `client_secret_file`), so the error names the key the operator wrote.
    pub fn resolve_as(&self, env_key: &str, file_key: &str) -> anyhow::Result<String> {
        if let Some(var) = &self.password_env {
            return std::env::var(var)
                .map_err(|_| anyhow::anyhow!("environment variable {var} ({env_key}) is not set"));
        }
        if let Some(path) = &self.password_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read {file_key} {}: {e}", path.display()))?;
            return Ok(text.trim_end_matches(['\r', '\n']).to_string());
        }
        anyhow::bail!("no {env_key} or {file_key} is configured")
    }

    /// Whether any source is configured.
    pub fn is_set(&self) -> bool {
        self.password_env.is_some() || self.password_file.is_some()
    }
}

/// Whether a host name or address is the local machine (plaintext is allowed only there).
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `[smtp]`: the server outbound mail is handed to.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    #[serde(default = "default_starttls")]
    pub tls: TlsMode,
    pub username: Option<String>,
    #[serde(flatten)]
    pub secret: Secret,
    /// Extra trusted root certificate (PEM) for private servers.
    pub ca_file: Option<PathBuf>,
    /// Seconds a single send may take before it is abandoned and retried.
    #[serde(default = "default_smtp_timeout")]
    pub timeout_secs: u64,
    /// Attempts before a temporarily failing email is given up (recorded as failed, logged at
    /// ERROR). A permanent refusal (5xx) fails at once.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// First retry delay in seconds; doubles per attempt, with jitter, up to `retry_max_secs`.
    #[serde(default = "default_retry_base")]
    pub retry_base_secs: u64,
    #[serde(default = "default_retry_max")]
    pub retry_max_secs: u64,
    /// Emails sent at once over the connection pool.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// `login` (the password, by AUTH PLAIN or LOGIN as the server offers) or `xoauth2` (a
    /// bearer token from the `[oauth.NAME]` source named by `oauth`).
    #[serde(default)]
    pub auth: AuthMethod,
    /// XOAUTH2: the `[oauth.NAME]` token source.
    pub oauth: Option<String>,
}

fn default_concurrency() -> usize {
    16
}

fn default_max_attempts() -> u32 {
    12
}
fn default_retry_base() -> u64 {
    30
}
fn default_retry_max() -> u64 {
    3600
}

fn default_smtp_port() -> u16 {
    587
}
fn default_starttls() -> TlsMode {
    TlsMode::Starttls
}
fn default_smtp_timeout() -> u64 {
    30
}

/// `[[inbox]]`: one regional mailbox the daemon watches.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxConfig {
    /// A key of `[regions]`.
    pub region: String,
    /// The inbox's address; replies go out from it.
    pub address: String,
    pub host: Option<String>,
    #[serde(default = "default_imap_port")]
    pub port: u16,
    #[serde(default = "default_tls")]
    pub tls: TlsMode,
    pub username: Option<String>,
    #[serde(flatten)]
    pub secret: Secret,
    #[serde(default = "default_folder")]
    pub folder: String,
    /// Extra trusted root certificate (PEM).
    pub ca_file: Option<PathBuf>,
    /// `login` (password) or `xoauth2` (OAuth 2 bearer token).
    #[serde(default)]
    pub auth: AuthMethod,
    /// XOAUTH2: a file holding the current access token (re-read before every login).
    pub oauth_token_file: Option<PathBuf>,
    /// XOAUTH2: a command printing a fresh access token on stdout (run before every login).
    pub oauth_token_command: Option<String>,
    /// XOAUTH2: the `[oauth.NAME]` token source the daemon runs itself.
    pub oauth: Option<String>,
}

/// How an inbox logs in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    #[default]
    Login,
    Xoauth2,
}

fn default_imap_port() -> u16 {
    993
}
fn default_tls() -> TlsMode {
    TlsMode::Tls
}
fn default_folder() -> String {
    "INBOX".into()
}

/// `[regions.<key>]`: a region's people and phone line.
#[derive(Debug, Clone)]
pub struct RegionConfig {
    /// Shown in emails ("Northern California").
    pub name: String,
    /// Where accepted referrals are forwarded.
    pub team_address: String,
    /// Where screened-out and review referrals are forwarded.
    pub review_address: String,
    /// Member phone line given in acknowledgements.
    pub phone: String,
    /// Opening hours of that line.
    pub hours: String,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegion {
    name: Option<String>,
    team_address: Option<String>,
    review_address: Option<String>,
    phone: Option<String>,
    hours: Option<String>,
}

fn builtin_region(key: &str) -> Option<RegionConfig> {
    let hours = "Monday through Friday, 8:30 a.m. to 5:00 p.m. (closed major holidays)".to_string();
    match key {
        "ncal" => Some(RegionConfig {
            name: "Northern California".into(),
            team_address: "ncal-care-coordination@kp-referrals.example".into(),
            review_address: "ncal-referral-review@kp-referrals.example".into(),
            phone: "1-833-721-6012 (TTY 711)".into(),
            hours,
        }),
        "scal" => Some(RegionConfig {
            name: "Southern California".into(),
            team_address: "scal-care-coordination@kp-referrals.example".into(),
            review_address: "scal-referral-review@kp-referrals.example".into(),
            phone: "1-866-551-9619 (TTY 711)".into(),
            hours,
        }),
        _ => None,
    }
}

/// `[paths]`: where the rule files are; missing files fall back to the built-in copies.
#[derive(Debug, Clone)]
pub struct PathsConfig {
    pub subjects: Option<PathBuf>,
    pub catalog: Option<PathBuf>,
    pub forms: Option<PathBuf>,
    pub templates: Option<PathBuf>,
    pub zip_table: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPaths {
    subjects: Option<PathBuf>,
    catalog: Option<PathBuf>,
    forms: Option<PathBuf>,
    templates: Option<PathBuf>,
    zip_table: Option<PathBuf>,
}

/// `[limits]`: bounds on the work one message may cause.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest attachment read, in bytes.
    pub max_attachment_bytes: usize,
    /// Most PDF pages read per attachment.
    pub max_pdf_pages: usize,
    /// Most decompressed bytes per attachment.
    pub max_decompressed_bytes: usize,
    /// Deepest nesting followed (forwards, PDF objects).
    pub max_depth: usize,
    /// Most spreadsheet cells read per attachment.
    pub max_cells: usize,
    /// Most referrals taken from one message (a batch spreadsheet).
    pub max_referrals_per_message: usize,
    /// Seconds one message may take to parse and read. Extraction loops stop at this deadline
    /// (the document becomes `unreadable_attachment`, "took longer than N s"); the daemon stops
    /// waiting for the whole decision at twice this (plus 5 s) and files the message for review.
    /// Fractions are allowed (tests use tiny values).
    pub max_parse_seconds: f64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        let l = Limits::default();
        LimitsConfig {
            max_attachment_bytes: l.max_bytes,
            max_pdf_pages: l.max_pages,
            max_decompressed_bytes: l.max_decompressed,
            max_depth: l.max_depth,
            max_cells: l.max_cells,
            max_referrals_per_message: 200,
            max_parse_seconds: 20.0,
        }
    }
}

impl LimitsConfig {
    /// The extraction limits these settings describe.
    pub fn extract_limits(&self) -> Limits {
        Limits {
            max_bytes: self.max_attachment_bytes,
            max_pages: self.max_pdf_pages,
            max_decompressed: self.max_decompressed_bytes,
            max_depth: self.max_depth,
            max_cells: self.max_cells,
            deadline: None,
        }
    }

    /// The per-message processing time limit.
    pub fn parse_time(&self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(self.max_parse_seconds)
    }

    /// How long the daemon waits for a decision before giving up on it: twice the cooperative
    /// limit plus 5 s, so the extraction loops' own deadline normally fires first and names the
    /// document that was too slow.
    pub fn backstop_time(&self) -> std::time::Duration {
        self.parse_time().saturating_mul(2) + std::time::Duration::from_secs(5)
    }

    fn validate(&self, src: &SourceFile, problems: &mut Problems) {
        // Bounded above so `Duration::from_secs_f64` cannot panic and a typo (20000) is caught.
        if !(self.max_parse_seconds > 0.0 && self.max_parse_seconds <= 3600.0) {
            let at = src.text.find("max_parse_seconds");
            problems.push(src.at(
                at.map(|a| a..a),
                format!(
                    "[limits] max_parse_seconds = {} must be more than 0 and at most 3600",
                    self.max_parse_seconds
                ),
            ));
        }
    }
}

/// `[outbound]`: how replies and forwards are addressed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboundConfig {
    /// Display name on replies ("Kaiser Permanente Medi-Cal Referrals").
    pub from_name: String,
    /// An extra own address (besides the inboxes) whose mail is ignored.
    pub from_address: Option<String>,
    /// Forward destinations allowed: full addresses or `@domain`. Team and review addresses of
    /// every region are always allowed; nothing is forwarded anywhere else.
    pub forward_allow: Vec<String>,
    /// Domain used in the Message-IDs we generate; incoming mail whose Message-ID ends in it is
    /// our own coming back and is ignored.
    pub message_id_domain: String,
    /// Days a recipient whose mail bounced permanently (DSN `Action: failed`, `Status: 5.x.x`)
    /// gets no acknowledgement or redirect. Forwards to team and review addresses are never
    /// suppressed. `0` records no suppressions.
    pub bounce_suppress_days: u32,
    /// Most acknowledgements and redirects sent to one address per `ack_limit_window_minutes`;
    /// beyond it the referral is still stored and forwarded, only the reply is withheld. `0`
    /// means no limit.
    pub ack_limit_per_sender: u32,
    /// The window of `ack_limit_per_sender`, in minutes.
    pub ack_limit_window_minutes: u32,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        OutboundConfig {
            from_name: "Kaiser Permanente Medi-Cal Referrals".into(),
            from_address: None,
            forward_allow: Vec::new(),
            message_id_domain: "referral-intake.invalid".into(),
            bounce_suppress_days: 60,
            ack_limit_per_sender: 20,
            ack_limit_window_minutes: 60,
        }
    }
}

/// `[screening]`: optional checks beyond the form itself.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScreeningConfig {
    /// A file of member CINs (one per line, or the first CSV column); when set, a CIN not in it
    /// is `not_kp_member`.
    pub roster_file: Option<PathBuf>,
}

impl MainConfig {
    /// Parses and validates the main file; `dir` resolves relative paths.
    pub(super) fn parse(src: &SourceFile, dir: &Path, problems: &mut Problems) -> Option<MainConfig> {
        let raw: RawMain = src.parse_toml(problems)?;
        let resolve = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                dir.join(p)
            }
        };

        let mut regions = BTreeMap::new();
        for key in ["ncal", "scal"] {
            if let Some(r) = builtin_region(key) {
                regions.insert(key.to_string(), r);
            }
        }
        for (key, r) in raw.regions {
            let base = regions.remove(&key);
            let merged = match (base, r) {
                (Some(b), r) => RegionConfig {
                    name: r.name.unwrap_or(b.name),
                    team_address: r.team_address.unwrap_or(b.team_address),
                    review_address: r.review_address.unwrap_or(b.review_address),
                    phone: r.phone.unwrap_or(b.phone),
                    hours: r.hours.unwrap_or(b.hours),
                },
                (None, r) => {
                    let (Some(team), Some(review)) = (r.team_address, r.review_address) else {
                        problems.push(format!(
                            "{}: [regions.{key}] is a new region and needs team_address and review_address",
                            src.name
                        ));
                        continue;
                    };
                    RegionConfig {
                        name: r.name.unwrap_or_else(|| key.clone()),
                        team_address: team,
                        review_address: review,
                        phone: r.phone.unwrap_or_default(),
                        hours: r.hours.unwrap_or_default(),
                    }
                }
            };
            regions.insert(key, merged);
        }

        let mut inboxes = raw.inbox;
        if inboxes.is_empty() {
            inboxes = vec![
                default_inbox("ncal", "REGMCDURNS-KPNC@kp.org"),
                default_inbox("scal", "RegCareCoordCaseMgmt@kp.org"),
            ];
        }
        for inbox in &mut inboxes {
            inbox.ca_file = inbox.ca_file.as_deref().map(resolve);
            inbox.oauth_token_file = inbox.oauth_token_file.as_deref().map(resolve);
            inbox.secret.password_file = inbox.secret.password_file.as_deref().map(resolve);
            check_address(src, "[[inbox]]", "address", &inbox.address, problems);
        }
        let mut smtp = raw.smtp;
        if let Some(s) = &mut smtp {
            s.ca_file = s.ca_file.as_deref().map(resolve);
            s.secret.password_file = s.secret.password_file.as_deref().map(resolve);
        }
        let mut oauth = raw.oauth;
        for s in oauth.values_mut() {
            s.client_secret_file = s.client_secret_file.as_deref().map(resolve);
            s.ca_file = s.ca_file.as_deref().map(resolve);
        }
        super::oauth::validate(src, &oauth, &inboxes, smtp.as_ref(), problems);
        for (key, r) in &regions {
            let table = format!("[regions.{key}]");
            check_address(src, &table, "team_address", &r.team_address, problems);
            check_address(src, &table, "review_address", &r.review_address, problems);
        }

        let default_or = |p: Option<PathBuf>, d: &str| Some(resolve(p.as_deref().unwrap_or(Path::new(d))));
        let paths = PathsConfig {
            subjects: default_or(raw.paths.subjects, "subjects.toml"),
            catalog: default_or(raw.paths.catalog, "catalog.toml"),
            forms: default_or(raw.paths.forms, "forms"),
            templates: default_or(raw.paths.templates, "../templates"),
            zip_table: default_or(raw.paths.zip_table, "ca_zip_county.csv"),
        };

        raw.limits.validate(src, problems);
        raw.http.validate(src, problems);
        raw.ocr.validate(src, problems);
        let mut store = raw.store;
        store.url = resolve_sqlite_url(&store.url, dir);
        validate_limits(src, &store, &raw.outbound, problems);
        let mut screening = raw.screening;
        screening.roster_file = screening.roster_file.as_deref().map(resolve);

        Some(MainConfig {
            store,
            smtp,
            inboxes,
            regions,
            paths,
            limits: raw.limits,
            outbound: raw.outbound,
            screening,
            imap: raw.imap,
            filing: raw.filing,
            daemon: raw.daemon,
            http: raw.http,
            ocr: raw.ocr,
            oauth,
        })
    }

    /// The region's settings; regions are validated at load, so a missing key is a bug upstream.
    pub fn region(&self, key: &str) -> Option<&RegionConfig> {
        self.regions.get(key)
    }
}

/// An address we send from or to must be one lettre takes: the outbox parses inbox addresses
/// as `From:` and region addresses as recipients with it, and the sender parses both again for
/// the SMTP envelope. Anything else would fail every email that uses it, so it is refused here,
/// at the `key = "..."` that holds it (or the file, for a built-in default).
fn check_address(src: &SourceFile, table: &str, key: &str, address: &str, problems: &mut Problems) {
    let Err(e) = address.parse::<lettre::Address>() else {
        return;
    };
    let at = regex::Regex::new(&format!(
        r#"(?m)^\s*{key}\s*=\s*["']{}["']"#,
        regex::escape(address)
    ))
    .ok()
    .and_then(|re| re.find(&src.text))
    .map(|m| m.start() + m.as_str().len() - m.as_str().trim_start().len());
    problems.push(src.at(
        at.map(|a| a..a),
        format!("{table} {key} `{address}` is not an email address mail can be sent with ({e})"),
    ));
}

/// Range checks for the retention and loop-protection keys.
fn validate_limits(src: &SourceFile, store: &StoreConfig, out: &OutboundConfig, problems: &mut Problems) {
    let mut check = |ok: bool, what: &str| {
        if !ok {
            problems.push(format!("{}: {what}", src.name));
        }
    };
    check(
        store.raw_retention_days <= 36_500,
        "[store] raw_retention_days must be at most 36500 (0 keeps raw messages forever)",
    );
    check(
        out.bounce_suppress_days <= 3_650,
        "[outbound] bounce_suppress_days must be at most 3650 (0 turns bounce suppression off)",
    );
    check(
        (1..=10_080).contains(&out.ack_limit_window_minutes),
        "[outbound] ack_limit_window_minutes must be between 1 and 10080 (one week)",
    );
    check(
        out.ack_limit_per_sender <= 100_000,
        "[outbound] ack_limit_per_sender must be at most 100000 (0 means no limit)",
    );
    if let Some(d) =
        Some(out.message_id_domain.trim()).filter(|d| d.is_empty() || d.contains(['@', ' ', '<', '>']))
    {
        problems.push(format!(
            "{}: [outbound] message_id_domain `{d}` must be a bare domain name",
            src.name
        ));
    }
}

fn default_inbox(region: &str, address: &str) -> InboxConfig {
    InboxConfig {
        region: region.into(),
        address: address.into(),
        host: None,
        port: default_imap_port(),
        tls: default_tls(),
        username: None,
        secret: Secret::default(),
        folder: default_folder(),
        ca_file: None,
        auth: AuthMethod::Login,
        oauth_token_file: None,
        oauth_token_command: None,
        oauth: None,
    }
}

/// Makes a relative `sqlite://` path absolute against the config folder.
fn resolve_sqlite_url(url: &str, dir: &Path) -> String {
    let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        return url.to_string();
    };
    if rest.starts_with('/') || rest.starts_with("file:") || rest.starts_with(":memory:") {
        return url.to_string();
    }
    format!("sqlite://{}", dir.join(rest).display())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reload compares configurations as values: a changed secret source is a change even
    /// though both print as `Secret(***)`.
    #[test]
    fn secrets_compare_by_value_not_by_their_hidden_debug_form() {
        let a = Secret {
            password_env: None,
            password_file: Some("/etc/a".into()),
        };
        let b = Secret {
            password_env: None,
            password_file: Some("/etc/b".into()),
        };
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_ne!(a, b);
    }
}
