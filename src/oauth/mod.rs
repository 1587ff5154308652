//! OAuth 2 token sources the daemon runs itself (`[oauth.NAME]`), shared by the inboxes and
//! the SMTP sender that name them.
//!
//! Input: a source's configuration and its secret (client secret, or Google's service-account
//! key). Output: a bearer access token for SASL XOAUTH2, cached and refreshed.
//!
//! Invariants:
//! - One cached token per source. It is used until its refresh point, a margin before
//!   `expires_in` runs out (a quarter of the lifetime, at most 5 minutes), then fetched again
//!   on the next use; callers close connections authenticated with it at that point too
//!   ([`Token::renew_at`]), because Exchange Online ends an IMAP session whose token expired.
//! - Fetches are single-flight: concurrent callers wait for one request. A failed fetch is
//!   remembered for [`FAILURE_HOLD`], so a burst of callers does not hammer the endpoint.
//! - A server that refuses a token makes the caller ask once more
//!   ([`TokenSource::token_after_rejection`]): the cached token is dropped only if it is the one
//!   refused, so many connections refused at once cause one new fetch, not many.
//! - Errors ([`OAuthError`]) name the source and the provider's error code (`invalid_client`),
//!   never the secret or a token. [`Token`] and the secrets print `***` in `Debug`.
//! - A failing source affects only the connections that name it.
//!
//! Grants: client credentials (RFC 6749 §4.4) through the `oauth2` crate for `microsoft` and
//! `generic`; for `google`, the JWT bearer grant (RFC 7523) with an RS256 assertion signed by the
//! service account's key (`jsonwebtoken`), `sub` = the mailbox.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result};
use oauth2::basic::BasicErrorResponse;
use oauth2::{AuthType, ClientId, ClientSecret, RequestTokenError, Scope, TokenResponse, TokenUrl};

mod wire;

use wire::{CredentialsClient, GoogleClaims, LenientTokenResponse, ServiceAccountKey, sign_assertion};

use crate::config::{MainConfig, OAuthSourceConfig, Provider};

/// How long a failed fetch is answered from memory before the endpoint is asked again.
pub const FAILURE_HOLD: Duration = Duration::from_secs(1);
/// Lifetime assumed when the endpoint gives no `expires_in`.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);
/// Longest refresh margin.
const MAX_MARGIN: Duration = Duration::from_secs(300);
/// Lifetime of a Google JWT assertion (Google accepts at most one hour).
const ASSERTION_SECS: u64 = 3600;

/// Why no usable token could be had. Every variant names the source; none carries a secret.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OAuthError {
    /// The token endpoint answered with an OAuth error (`invalid_client`, `invalid_grant`, …).
    #[error("oauth source `{name}`: the token endpoint refused the request: {code}{}", describe(.description))]
    Refused {
        name: String,
        code: String,
        description: Option<String>,
    },
    /// The endpoint could not be reached, or timed out.
    #[error("oauth source `{name}`: cannot reach the token endpoint: {detail}")]
    Unreachable { name: String, detail: String },
    /// The endpoint answered something that is not a token response.
    #[error("oauth source `{name}`: unusable answer from the token endpoint: {detail}")]
    BadResponse { name: String, detail: String },
    /// The source cannot even ask: secret unreadable, key unparsable, URL invalid.
    #[error("oauth source `{name}`: {detail}")]
    Setup { name: String, detail: String },
    /// The mail server refused a freshly fetched token too.
    #[error("oauth source `{name}`: {server} refused a freshly fetched token: {detail}")]
    Rejected {
        name: String,
        server: &'static str,
        detail: String,
    },
}

fn describe(d: &Option<String>) -> String {
    match d {
        // Providers' descriptions are one line of prose, sometimes with trace ids; bounded.
        Some(d) => format!(
            " ({})",
            d.lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(200)
                .collect::<String>()
        ),
        None => String::new(),
    }
}

impl OAuthError {
    /// The source's name.
    pub fn source_name(&self) -> &str {
        match self {
            OAuthError::Refused { name, .. }
            | OAuthError::Unreachable { name, .. }
            | OAuthError::BadResponse { name, .. }
            | OAuthError::Setup { name, .. }
            | OAuthError::Rejected { name, .. } => name,
        }
    }
}

/// A bearer access token and when to stop using it. `Debug` prints `***`.
#[derive(Clone)]
pub struct Token {
    value: Arc<str>,
    /// Which fetch produced it (to tell a refused token from its replacement).
    serial: u64,
    refresh_at: Instant,
    expires_at: Instant,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

impl Token {
    /// The token itself, for the SASL exchange only.
    pub fn secret(&self) -> &str {
        &self.value
    }

    /// When a connection authenticated with this token should be closed and opened again with
    /// a fresh one: the token's refresh point.
    pub fn renew_at(&self) -> Instant {
        self.refresh_at
    }

    /// When the provider said the token stops working.
    pub fn expires_at(&self) -> Instant {
        self.expires_at
    }
}

/// Every configured source, by name. Built once per daemon.
#[derive(Default)]
pub struct TokenSources {
    by_name: BTreeMap<String, Arc<TokenSource>>,
}

impl fmt::Debug for TokenSources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.by_name.keys()).finish()
    }
}

impl TokenSources {
    /// Prepares a source per `[oauth.NAME]` (HTTP clients, TLS roots). Nothing is fetched yet.
    pub fn from_config(cfg: &MainConfig) -> Result<TokenSources> {
        let mut by_name = BTreeMap::new();
        for (name, c) in &cfg.oauth {
            let src = TokenSource::new(name, c.clone()).with_context(|| format!("[oauth.{name}]"))?;
            by_name.insert(name.clone(), Arc::new(src));
        }
        Ok(TokenSources { by_name })
    }

    /// The source called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<TokenSource>> {
        self.by_name.get(name).cloned()
    }
}

#[derive(Default)]
struct State {
    current: Option<Token>,
    failure: Option<(Instant, OAuthError)>,
}

/// One `[oauth.NAME]` source: fetches, caches and refreshes its token.
pub struct TokenSource {
    name: String,
    cfg: OAuthSourceConfig,
    http: reqwest::Client,
    state: tokio::sync::Mutex<State>,
    fetches: AtomicU64,
}

impl TokenSource {
    /// A source for `cfg`; its HTTP client trusts the system's roots plus `ca_file`.
    pub fn new(name: &str, cfg: OAuthSourceConfig) -> Result<TokenSource> {
        let tls = crate::tls::tls_config(cfg.ca_file.as_deref())?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls((*tls).clone())
            // A token endpoint that redirects is misconfigured (and following could send the
            // secret elsewhere): refuse, as the oauth2 crate advises.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(cfg.timeout_secs.max(1)))
            .user_agent(concat!("referral-intake/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the HTTP client")?;
        Ok(TokenSource {
            name: name.to_string(),
            cfg,
            http,
            state: tokio::sync::Mutex::new(State::default()),
            fetches: AtomicU64::new(0),
        })
    }

    /// The source's name (`[oauth.NAME]`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many tokens were fetched so far (successful requests).
    pub fn fetched(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// A token good until at least its refresh point: the cached one, or a new one.
    pub async fn token(&self) -> Result<Token, OAuthError> {
        self.token_and_origin().await.map(|(t, _)| t)
    }

    /// [`TokenSource::token`], and whether this call fetched it (`true`) or it came from the
    /// cache. A server refusing a token fetched a moment ago will refuse another fetched now:
    /// only a cached token is worth replacing and trying again.
    pub async fn token_and_origin(&self) -> Result<(Token, bool), OAuthError> {
        let mut st = self.state.lock().await;
        let now = Instant::now();
        if let Some(t) = &st.current
            && now < t.refresh_at
        {
            return Ok((t.clone(), false));
        }
        if let Some((at, e)) = &st.failure
            && now.duration_since(*at) < FAILURE_HOLD
        {
            return Err(e.clone());
        }
        match self.fetch().await {
            Ok(t) => {
                st.current = Some(t.clone());
                st.failure = None;
                Ok((t, true))
            }
            Err(e) => {
                st.current = None;
                st.failure = Some((Instant::now(), e.clone()));
                Err(e)
            }
        }
    }

    /// A server refused `rejected`: drop it (unless it was already replaced) and get another.
    pub async fn token_after_rejection(&self, rejected: &Token) -> Result<Token, OAuthError> {
        {
            let mut st = self.state.lock().await;
            if st.current.as_ref().is_some_and(|t| t.serial == rejected.serial) {
                st.current = None;
                st.failure = None;
            }
        }
        self.token().await
    }

    async fn fetch(&self) -> Result<Token, OAuthError> {
        let asked = Instant::now();
        let (value, lifetime) = match self.cfg.provider {
            Provider::Microsoft | Provider::Generic => self.client_credentials().await?,
            Provider::Google => self.jwt_bearer().await?,
        };
        let lifetime = lifetime.unwrap_or(DEFAULT_LIFETIME);
        let margin = (lifetime / 4).min(MAX_MARGIN);
        let serial = self.fetches.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::info!(
            oauth = %self.name,
            provider = self.cfg.provider.as_str(),
            expires_in_s = lifetime.as_secs(),
            "oauth: token fetched"
        );
        Ok(Token {
            value: value.into(),
            serial,
            refresh_at: asked + lifetime.saturating_sub(margin),
            expires_at: asked + lifetime,
        })
    }

    fn setup(&self, detail: impl fmt::Display) -> OAuthError {
        OAuthError::Setup {
            name: self.name.clone(),
            detail: detail.to_string(),
        }
    }

    fn token_url(&self) -> Result<String, OAuthError> {
        self.cfg
            .token_url()
            .ok_or_else(|| self.setup("no token_url (and the provider has no default)"))
    }

    fn secret(&self) -> Result<String, OAuthError> {
        self.cfg
            .secret()
            .resolve_as("client_secret_env", "client_secret_file")
            .map_err(|e| self.setup(format!("{e:#}")))
    }

    /// Client-credentials grant; the secret goes in the request body (`client_secret_post`),
    /// which Microsoft and most servers accept.
    async fn client_credentials(&self) -> Result<(String, Option<Duration>), OAuthError> {
        let url = TokenUrl::new(self.token_url()?).map_err(|e| self.setup(format!("token_url: {e}")))?;
        let client_id = self
            .cfg
            .client_id
            .clone()
            .ok_or_else(|| self.setup("no client_id"))?;
        let client = CredentialsClient::new(ClientId::new(client_id))
            .set_client_secret(ClientSecret::new(self.secret()?))
            .set_token_uri(url)
            .set_auth_type(AuthType::RequestBody);
        let mut req = client.exchange_client_credentials();
        if let Some(scope) = self.cfg.scope() {
            req = req.add_scope(Scope::new(scope));
        }
        let resp = req
            .request_async(&self.http)
            .await
            .map_err(|e| self.classify(e))?;
        Ok((resp.access_token().secret().clone(), resp.expires_in()))
    }

    fn classify(
        &self,
        e: RequestTokenError<oauth2::HttpClientError<reqwest::Error>, BasicErrorResponse>,
    ) -> OAuthError {
        let name = self.name.clone();
        match e {
            RequestTokenError::ServerResponse(r) => refused(name, &r),
            RequestTokenError::Request(e) => OAuthError::Unreachable {
                name,
                detail: error_chain(&e),
            },
            // The body may hold a token: only the JSON path of the problem is kept.
            RequestTokenError::Parse(e, _body) => OAuthError::BadResponse {
                name,
                detail: format!("not a token response (at `{}`)", e.path()),
            },
            RequestTokenError::Other(s) => OAuthError::BadResponse { name, detail: s },
        }
    }

    /// Google's service-account grant: a signed JWT asserting `iss` = the service account,
    /// `sub` = the mailbox, exchanged for an access token.
    async fn jwt_bearer(&self) -> Result<(String, Option<Duration>), OAuthError> {
        let key: ServiceAccountKey = serde_json::from_str(&self.secret()?).map_err(|e| {
            self.setup(format!(
                "the service account key is not Google's JSON key format (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        let url = self.cfg.token_url.clone().or(key.token_uri.clone());
        let url = match url {
            Some(u) => u,
            None => self.token_url()?,
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let claims = GoogleClaims {
            // The issuer is the service account's email, never the numeric client ID that the
            // Admin console's delegation page shows (Google refuses that as `iss`).
            iss: key.client_email.clone(),
            sub: self.cfg.subject.clone(),
            scope: self.cfg.scope().unwrap_or_default(),
            aud: url.clone(),
            iat: now,
            exp: now + ASSERTION_SECS,
        };
        let assertion = sign_assertion(&claims, &key).map_err(|d| self.setup(d))?;
        let resp = self
            .http
            .post(&url)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
            ])
            .send()
            .await
            .map_err(|e| OAuthError::Unreachable {
                name: self.name.clone(),
                detail: error_chain(&e),
            })?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| OAuthError::Unreachable {
            name: self.name.clone(),
            detail: error_chain(&e),
        })?;
        if !status.is_success() {
            return Err(match serde_json::from_slice::<BasicErrorResponse>(&body) {
                Ok(r) => refused(self.name.clone(), &r),
                Err(_) => OAuthError::BadResponse {
                    name: self.name.clone(),
                    detail: format!("HTTP {status} without an OAuth error body"),
                },
            });
        }
        let t: LenientTokenResponse = serde_json::from_slice(&body).map_err(|e| OAuthError::BadResponse {
            name: self.name.clone(),
            detail: format!("not a token response (line {}, column {})", e.line(), e.column()),
        })?;
        Ok((t.access_token().secret().clone(), t.expires_in()))
    }
}

fn refused(name: String, r: &BasicErrorResponse) -> OAuthError {
    OAuthError::Refused {
        name,
        code: r.error().to_string(),
        description: r.error_description().cloned(),
    }
}

/// An error and its causes on one line (reqwest's top-level message says little alone).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(provider: &str, extra: &str) -> OAuthSourceConfig {
        toml::from_str(&format!("provider = \"{provider}\"\n{extra}")).expect("source")
    }

    #[test]
    fn provider_defaults() {
        let m = source("microsoft", "tenant = \"contoso.onmicrosoft.com\"\n");
        assert_eq!(
            m.token_url().as_deref(),
            Some("https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token")
        );
        assert_eq!(
            m.scope().as_deref(),
            Some("https://outlook.office365.com/.default")
        );
        let g = source("google", "");
        assert_eq!(
            g.token_url().as_deref(),
            Some("https://oauth2.googleapis.com/token")
        );
        assert_eq!(g.scope().as_deref(), Some("https://mail.google.com/"));
        let x = source("generic", "scope = \"imap\"\n");
        assert_eq!(x.token_url(), None);
        assert_eq!(x.scope().as_deref(), Some("imap"));
    }

    #[test]
    fn debug_output_hides_tokens_and_secrets() {
        let t = Token {
            value: "tok-abc".into(),
            serial: 1,
            refresh_at: Instant::now(),
            expires_at: Instant::now(),
        };
        assert_eq!(format!("{t:?}"), "Token(***)");
        let c = source(
            "generic",
            "client_id = \"c\"\nclient_secret_env = \"SOME_VAR\"\ntoken_url = \"http://127.0.0.1:1/t\"\n",
        );
        assert!(!format!("{c:?}").contains("SOME_VAR"));
    }

    #[test]
    fn refused_error_names_source_and_code() {
        let r: BasicErrorResponse =
            serde_json::from_str(r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}"#)
                .expect("json");
        let e = refused("m365".into(), &r);
        assert_eq!(
            e.to_string(),
            "oauth source `m365`: the token endpoint refused the request: invalid_client (AADSTS7000215: Invalid client secret provided.)"
        );
    }

    #[tokio::test]
    async fn missing_secret_is_a_setup_error_naming_the_key() {
        let c = source(
            "generic",
            "client_id = \"c\"\nclient_secret_env = \"REFERRAL_INTAKE_TEST_UNSET_OAUTH\"\ntoken_url = \"http://127.0.0.1:9/t\"\n",
        );
        let s = TokenSource::new("x", c).expect("source");
        let e = s.token().await.expect_err("no secret");
        let msg = e.to_string();
        assert!(msg.contains("oauth source `x`"), "{msg}");
        assert!(msg.contains("client_secret_env"), "{msg}");
    }
}
