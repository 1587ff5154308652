//! `[oauth.NAME]`: OAuth 2 token sources the daemon runs itself, named so that inboxes and SMTP
//! can share one (`[[inbox]] oauth = NAME`, `[smtp] oauth = NAME`).
//!
//! Three providers:
//! - `microsoft`: client-credentials grant at
//!   `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`, scope
//!   `https://outlook.office365.com/.default` unless set;
//! - `google`: a service account's JWT bearer grant (RFC 7523) at
//!   `https://oauth2.googleapis.com/token`, acting as `subject` (domain-wide delegation), scope
//!   `https://mail.google.com/` unless set; the secret is the service account's JSON key;
//! - `generic`: client-credentials grant at `token_url`, scope as given (none when absent).
//!
//! Validation here is cross-table: a source named but not defined, a source nobody uses,
//! `auth = "xoauth2"` with nothing to get a token from, a source with no secret. Every message
//! says `file:line:col` where the table or key is.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use super::main_file::{AuthMethod, InboxConfig, Secret, SmtpConfig};
use crate::diag::{Problems, SourceFile};

/// Microsoft's default scope: every permission granted to the app on Exchange Online
/// (`IMAP.AccessAsApp`, `SMTP.SendAsApp`).
pub const MICROSOFT_SCOPE: &str = "https://outlook.office365.com/.default";
/// Google's scope for IMAP and SMTP.
pub const GOOGLE_SCOPE: &str = "https://mail.google.com/";
/// Google's token endpoint.
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";

/// Who issues the tokens, which decides the grant and the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Microsoft Entra ID (Microsoft 365): client-credentials grant.
    Microsoft,
    /// Google Workspace: service-account JWT bearer grant.
    Google,
    /// Any RFC 6749 server: client-credentials grant at `token_url`.
    Generic,
}

impl Provider {
    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Microsoft => "microsoft",
            Provider::Google => "google",
            Provider::Generic => "generic",
        }
    }
}

/// `[oauth.NAME]`: one token source.
#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthSourceConfig {
    /// `microsoft` | `google` | `generic`.
    pub provider: Provider,
    /// Microsoft: the tenant (`contoso.onmicrosoft.com` or its GUID); builds the token URL.
    pub tenant: Option<String>,
    /// The application (client) ID. Google: not used (the key file's `client_email` is the
    /// issuer of the assertion).
    pub client_id: Option<String>,
    /// File holding the client secret (Google: the service account's JSON key file).
    pub client_secret_file: Option<PathBuf>,
    /// Environment variable holding the client secret (Google: the JSON key itself).
    pub client_secret_env: Option<String>,
    /// Scope requested; the provider's default when absent.
    pub scope: Option<String>,
    /// Token endpoint; the provider's when absent (set it for sovereign clouds, and tests).
    pub token_url: Option<String>,
    /// Google: the mailbox the service account acts as.
    pub subject: Option<String>,
    /// Extra trusted root certificate (PEM) for a private token endpoint.
    pub ca_file: Option<PathBuf>,
    /// Seconds one token request may take.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_timeout() -> u64 {
    30
}

impl std::fmt::Debug for OAuthSourceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names where the secret lives, never the secret (it is not held here anyway).
        f.debug_struct("OAuthSourceConfig")
            .field("provider", &self.provider)
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("scope", &self.scope)
            .field("token_url", &self.token_url)
            .field("subject", &self.subject)
            .finish()
    }
}

impl OAuthSourceConfig {
    /// The client secret's location, as the redacting secret type.
    pub fn secret(&self) -> Secret {
        Secret {
            password_env: self.client_secret_env.clone(),
            password_file: self.client_secret_file.clone(),
        }
    }

    /// The token endpoint: `token_url`, else the provider's.
    pub fn token_url(&self) -> Option<String> {
        if let Some(u) = &self.token_url {
            return Some(u.clone());
        }
        match self.provider {
            Provider::Microsoft => self
                .tenant
                .as_ref()
                .map(|t| format!("https://login.microsoftonline.com/{t}/oauth2/v2.0/token")),
            Provider::Google => Some(GOOGLE_TOKEN_URL.to_string()),
            Provider::Generic => None,
        }
    }

    /// The scope requested: `scope`, else the provider's default (none for `generic`).
    pub fn scope(&self) -> Option<String> {
        match (&self.scope, self.provider) {
            (Some(s), _) => Some(s.clone()),
            (None, Provider::Microsoft) => Some(MICROSOFT_SCOPE.to_string()),
            (None, Provider::Google) => Some(GOOGLE_SCOPE.to_string()),
            (None, Provider::Generic) => None,
        }
    }
}

/// Byte span of the first match of `pattern` in the file, for `file:line:col`.
fn span_of(src: &SourceFile, pattern: &str) -> Option<std::ops::Range<usize>> {
    let re = regex::Regex::new(pattern).ok()?;
    re.find(&src.text).map(|m| m.range())
}

/// Span of the `[oauth.NAME]` header (quoted or bare).
fn table_span(src: &SourceFile, name: &str) -> Option<std::ops::Range<usize>> {
    let n = regex::escape(name);
    span_of(src, &format!(r#"(?m)^\s*\[\s*oauth\s*\.\s*(?:{n}|"{n}")\s*\]"#))
}

/// Span of `oauth = "NAME"`, or of the inbox's address (for an inbox), as the best place.
fn use_span(src: &SourceFile, name: &str) -> Option<std::ops::Range<usize>> {
    span_of(src, &format!(r#"(?m)^\s*oauth\s*=\s*"{}""#, regex::escape(name)))
}

/// Cross-checks `[oauth.*]` against the inboxes and `[smtp]`, pushing every problem.
pub(super) fn validate(
    src: &SourceFile,
    sources: &BTreeMap<String, OAuthSourceConfig>,
    inboxes: &[InboxConfig],
    smtp: Option<&SmtpConfig>,
    problems: &mut Problems,
) {
    let names = || {
        if sources.is_empty() {
            "none is defined".to_string()
        } else {
            format!(
                "defined: {}",
                sources.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        }
    };
    for (name, s) in sources {
        let at = table_span(src, name);
        let mut need = |ok: bool, msg: String| {
            if !ok {
                problems.push(src.at(at.clone(), format!("[oauth.{name}] {msg}")));
            }
        };
        let secrets =
            usize::from(s.client_secret_file.is_some()) + usize::from(s.client_secret_env.is_some());
        let what = if s.provider == Provider::Google {
            "the service account's JSON key"
        } else {
            "the client secret"
        };
        need(
            secrets > 0,
            format!("needs client_secret_file or client_secret_env ({what})"),
        );
        need(
            secrets < 2,
            "sets both client_secret_file and client_secret_env; keep one".into(),
        );
        match s.provider {
            Provider::Microsoft => {
                need(
                    s.client_id.is_some(),
                    "needs client_id (the app registration's application ID)".into(),
                );
                need(
                    s.tenant.is_some() || s.token_url.is_some(),
                    "needs tenant (e.g. contoso.onmicrosoft.com) or token_url".into(),
                );
            }
            Provider::Google => need(
                s.subject.as_deref().is_some_and(|x| x.contains('@')),
                "needs subject = the mailbox the service account acts as (an email address)".into(),
            ),
            Provider::Generic => {
                need(s.client_id.is_some(), "needs client_id".into());
                need(
                    s.token_url.is_some(),
                    "needs token_url (provider = \"generic\" has no default)".into(),
                );
            }
        }
        if s.provider != Provider::Google && s.subject.is_some() {
            need(false, "subject is only used by provider = \"google\"".into());
        }
        if let Some(u) = s.token_url.as_deref() {
            let ok = u.starts_with("https://")
                || u.strip_prefix("http://").is_some_and(|rest| {
                    let host = rest.split(['/', '?']).next().unwrap_or("");
                    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
                    super::main_file::is_loopback_host(host)
                });
            need(
                ok,
                format!("token_url `{u}` must be https:// (plain http only to loopback)"),
            );
        }
        need(
            (1..=600).contains(&s.timeout_secs),
            "timeout_secs must be between 1 and 600".into(),
        );
        let used = inboxes.iter().any(|i| i.oauth.as_deref() == Some(name))
            || smtp.is_some_and(|s| s.oauth.as_deref() == Some(name));
        need(
            used,
            "is not used: no [[inbox]] or [smtp] has oauth = \"".to_string() + name + "\"",
        );
    }

    for inbox in inboxes {
        let where_ = |name: Option<&str>| {
            name.and_then(|n| use_span(src, n))
                .or_else(|| span_of(src, &regex::escape(&format!("\"{}\"", inbox.address))))
        };
        let who = format!("[[inbox]] {}", inbox.address);
        check_use(
            src,
            &who,
            inbox.auth,
            inbox.oauth.as_deref(),
            inbox.oauth_token_file.is_some() || inbox.oauth_token_command.is_some(),
            "oauth = NAME, oauth_token_file or oauth_token_command",
            sources,
            &names,
            where_(inbox.oauth.as_deref()),
            problems,
        );
        if inbox.oauth.is_some() && (inbox.oauth_token_file.is_some() || inbox.oauth_token_command.is_some())
        {
            problems.push(src.at(
                where_(inbox.oauth.as_deref()),
                format!("{who} sets oauth and oauth_token_file/oauth_token_command; keep one"),
            ));
        }
    }
    if let Some(s) = smtp {
        let at = s
            .oauth
            .as_deref()
            .and_then(|n| use_span(src, n))
            .or_else(|| span_of(src, r"(?m)^\s*\[smtp\]"));
        check_use(
            src,
            "[smtp]",
            s.auth,
            s.oauth.as_deref(),
            false,
            "oauth = NAME",
            sources,
            &names,
            at.clone(),
            problems,
        );
        if s.auth == AuthMethod::Xoauth2 && s.username.is_none() {
            problems.push(src.at(
                at,
                "[smtp] auth = \"xoauth2\" needs username (the mailbox the token sends as)",
            ));
        }
    }
}

/// One user of a source: `auth` and `oauth` agree, and the name exists.
#[allow(clippy::too_many_arguments)]
fn check_use(
    src: &SourceFile,
    who: &str,
    auth: AuthMethod,
    oauth: Option<&str>,
    other_token: bool,
    choices: &str,
    sources: &BTreeMap<String, OAuthSourceConfig>,
    names: &dyn Fn() -> String,
    at: Option<std::ops::Range<usize>>,
    problems: &mut Problems,
) {
    match (auth, oauth) {
        (AuthMethod::Xoauth2, None) if !other_token => problems.push(src.at(
            at,
            format!("{who} has auth = \"xoauth2\" but no token source; set {choices}"),
        )),
        (AuthMethod::Login, Some(n)) => problems.push(src.at(
            at,
            format!("{who} names oauth = \"{n}\" but auth is \"login\"; set auth = \"xoauth2\""),
        )),
        (_, Some(n)) if !sources.contains_key(n) => problems.push(src.at(
            at,
            format!(
                "{who} names oauth = \"{n}\", which is not an [oauth.*] table ({})",
                names()
            ),
        )),
        _ => {}
    }
}
