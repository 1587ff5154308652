//! Opening an IMAP session: TCP, TLS (implicit or STARTTLS, rustls with the system's roots plus an
//! optional `ca_file`), and login (LOGIN or XOAUTH2).
//!
//! Invariants: certificate verification is always on; plaintext is refused unless the host is
//! loopback; secrets and tokens never appear in errors or logs. With `oauth = NAME`, a refused
//! token is replaced once (a new one from the source) before the login counts as failed, and the
//! session reports when its token must be renewed ([`Connected::renew_at`]).

use std::fmt::Debug;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::config::{AuthMethod, InboxConfig, TlsMode, is_loopback_host};
use crate::oauth::{OAuthError, TokenSources};

/// A stream async-imap can drive: plain TCP or TLS over it.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Debug> Io for T {}

/// An authenticated IMAP session.
pub type Session = async_imap::Session<Box<dyn Io>>;

pub use crate::tls::tls_config;

/// Plaintext IMAP only to loopback: a password or token sent in the clear anywhere else is a
/// leak, so this is refused before any connection.
fn refuse_plaintext_to_remote(tls: TlsMode, host: &str) -> Result<()> {
    if tls == TlsMode::None && !is_loopback_host(host) {
        bail!(
            "plaintext IMAP (tls = \"none\") is allowed only to loopback, not {host}; use tls = \"tls\" or \"starttls\""
        );
    }
    Ok(())
}

/// Checks an inbox's connection settings as [`connect`] would, without connecting: plaintext
/// only to loopback, a host name TLS can verify, a `ca_file` that holds a certificate. An inbox
/// with no host is not checked (that `run` needs one is [`crate::daemon::check_runnable`]'s
/// concern). `run` refuses to start on any of these, and `check-config` reports them.
pub fn check_settings(inbox: &InboxConfig) -> Result<()> {
    let Some(host) = inbox.host.as_deref() else {
        return Ok(());
    };
    refuse_plaintext_to_remote(inbox.tls, host)?;
    if inbox.tls != TlsMode::None {
        server_name(host)?;
        if inbox.ca_file.is_some() {
            tls_config(inbox.ca_file.as_deref())?;
        }
    }
    Ok(())
}

fn server_name(host: &str) -> Result<ServerName<'static>> {
    ServerName::try_from(host.to_string()).map_err(|_| anyhow!("`{host}` is not a valid TLS server name"))
}

async fn tls_wrap(tcp: Box<dyn Io>, host: &str, ca_file: Option<&Path>) -> Result<Box<dyn Io>> {
    let connector = TlsConnector::from(tls_config(ca_file)?);
    let name = server_name(host)?;
    let tls = connector
        .connect(name, tcp)
        .await
        .with_context(|| format!("TLS handshake with {host}"))?;
    Ok(Box::new(tls))
}

/// A logged-in session and, when it was authenticated with a token from an `[oauth.NAME]`
/// source, when to close it and log in again with a fresh one.
pub struct Connected {
    pub session: Session,
    pub renew_at: Option<std::time::Instant>,
}

/// Why a connection could not be opened: the token source (an operator must act: ERROR), or
/// anything else (network, server, password: retried with backoff).
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Connects and logs in. Every step is bounded by `timeout`.
pub async fn connect(
    inbox: &InboxConfig,
    tokens: &TokenSources,
    timeout: Duration,
) -> Result<Connected, ConnectError> {
    let host = inbox
        .host
        .as_deref()
        .context("the inbox has no `host`; `run` needs one for every [[inbox]]")?;
    refuse_plaintext_to_remote(inbox.tls, host)?;
    let step =
        |what: &'static str| move |_| anyhow!("timed out after {}s {what} ({host})", timeout.as_secs());
    let tcp = tokio::time::timeout(timeout, TcpStream::connect((host, inbox.port)))
        .await
        .map_err(step("connecting"))?
        .with_context(|| format!("connecting to {host}:{}", inbox.port))?;
    tcp.set_nodelay(true).ok();
    let stream: Box<dyn Io> = Box::new(tcp);

    let client = match inbox.tls {
        TlsMode::Tls => {
            let tls = tokio::time::timeout(timeout, tls_wrap(stream, host, inbox.ca_file.as_deref()))
                .await
                .map_err(step("in the TLS handshake"))??;
            greeted(async_imap::Client::new(tls), timeout, host).await?
        }
        TlsMode::Starttls => {
            let mut plain = greeted(async_imap::Client::new(stream), timeout, host).await?;
            tokio::time::timeout(timeout, plain.run_command_and_check_ok("STARTTLS", None))
                .await
                .map_err(step("starting TLS"))?
                .context("the server refused STARTTLS")?;
            let tls = tokio::time::timeout(
                timeout,
                tls_wrap(plain.into_inner(), host, inbox.ca_file.as_deref()),
            )
            .await
            .map_err(step("in the TLS handshake"))??;
            // No second greeting after STARTTLS (RFC 3501 §6.2.1).
            async_imap::Client::new(tls)
        }
        TlsMode::None => greeted(async_imap::Client::new(stream), timeout, host).await?,
    };

    let user = inbox.username.clone().unwrap_or_else(|| inbox.address.clone());
    if let Some(name) = inbox
        .oauth
        .as_deref()
        .filter(|_| inbox.auth == AuthMethod::Xoauth2)
    {
        let source = tokens
            .get(name)
            .with_context(|| format!("oauth = \"{name}\" is not a configured [oauth.*] source"))?;
        let (token, fetched_now) = source.token_and_origin().await?;
        let first = tokio::time::timeout(
            timeout,
            client.authenticate(
                "XOAUTH2",
                XOAuth2 {
                    user: user.clone(),
                    token: token.secret().to_string(),
                },
            ),
        )
        .await
        .map_err(step("authenticating"))?;
        let (session, token) = match first {
            Ok(s) => (s, token),
            Err((e, _)) if fetched_now => {
                return Err(ConnectError::OAuth(OAuthError::Rejected {
                    name: name.to_string(),
                    server: "the IMAP server",
                    detail: format!("login as {user}: {e}"),
                }));
            }
            Err((e, client)) => {
                // A cached token refused: it may have been revoked or expired early. One more
                // try with a new one, on the same connection (a failed AUTHENTICATE leaves it in
                // the not-authenticated state).
                tracing::warn!(oauth = %name, error = %e, "XOAUTH2 login refused; fetching a new token and trying once more");
                let fresh = source.token_after_rejection(&token).await?;
                let auth = XOAuth2 {
                    user: user.clone(),
                    token: fresh.secret().to_string(),
                };
                match tokio::time::timeout(timeout, client.authenticate("XOAUTH2", auth))
                    .await
                    .map_err(step("authenticating"))?
                {
                    Ok(s) => (s, fresh),
                    Err((e, _)) => {
                        return Err(ConnectError::OAuth(OAuthError::Rejected {
                            name: name.to_string(),
                            server: "the IMAP server",
                            detail: format!("login as {user}: {e}"),
                        }));
                    }
                }
            }
        };
        return Ok(Connected {
            session,
            renew_at: Some(token.renew_at()),
        });
    }
    let session = match inbox.auth {
        AuthMethod::Login => {
            let password = inbox.secret.resolve().context("the inbox password")?;
            tokio::time::timeout(timeout, client.login(&user, &password))
                .await
                .map_err(step("logging in"))?
                .map_err(|(e, _)| anyhow!("login failed for {user}: {e}"))?
        }
        AuthMethod::Xoauth2 => {
            let token = oauth_token(inbox).await?;
            let auth = XOAuth2 {
                user: user.clone(),
                token,
            };
            tokio::time::timeout(timeout, client.authenticate("XOAUTH2", auth))
                .await
                .map_err(step("authenticating"))?
                .map_err(|(e, _)| anyhow!("XOAUTH2 authentication failed for {user}: {e}"))?
        }
    };
    Ok(Connected {
        session,
        renew_at: None,
    })
}

async fn greeted(
    mut client: async_imap::Client<Box<dyn Io>>,
    timeout: Duration,
    host: &str,
) -> Result<async_imap::Client<Box<dyn Io>>> {
    tokio::time::timeout(timeout, client.read_response())
        .await
        .map_err(|_| anyhow!("timed out waiting for the IMAP greeting from {host}"))?
        .context("reading the IMAP greeting")?
        .ok_or_else(|| anyhow!("{host} closed the connection before greeting"))?;
    Ok(client)
}

/// The SASL XOAUTH2 initial response (RFC 7628 style, as Google and Microsoft expect).
struct XOAuth2 {
    user: String,
    token: String,
}

impl async_imap::Authenticator for XOAuth2 {
    type Response = String;
    fn process(&mut self, _challenge: &[u8]) -> String {
        format!("user={}\x01auth=Bearer {}\x01\x01", self.user, self.token)
    }
}

/// A fresh access token: read from `oauth_token_file` (kept current by an external refresher)
/// or printed by `oauth_token_command`. Read before every login, so a rotated token is used.
async fn oauth_token(inbox: &InboxConfig) -> Result<String> {
    if let Some(path) = &inbox.oauth_token_file {
        let t = tokio::fs::read_to_string(path)
            .await
            .with_context(|| format!("reading oauth_token_file {}", path.display()))?;
        let t = t.trim().to_string();
        if t.is_empty() {
            bail!("oauth_token_file {} is empty", path.display());
        }
        return Ok(t);
    }
    if let Some(cmd) = &inbox.oauth_token_command {
        let out = tokio::time::timeout(
            Duration::from_secs(30),
            tokio::process::Command::new("sh")
                .arg("-c")
                .arg(cmd)
                .kill_on_drop(true)
                .output(),
        )
        .await
        .map_err(|_| anyhow!("oauth_token_command timed out after 30s"))?
        .context("running oauth_token_command")?;
        if !out.status.success() {
            bail!("oauth_token_command exited with {}", out.status);
        }
        let t = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if t.is_empty() {
            bail!("oauth_token_command printed no token");
        }
        return Ok(t);
    }
    bail!("auth = \"xoauth2\" needs oauth_token_file or oauth_token_command")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoauth2_initial_response_format() {
        let mut a = XOAuth2 {
            user: "u@example.test".into(),
            token: "tok".into(),
        };
        assert_eq!(
            async_imap::Authenticator::process(&mut a, b""),
            "user=u@example.test\x01auth=Bearer tok\x01\x01"
        );
    }

    #[tokio::test]
    async fn plaintext_to_a_remote_host_is_refused() {
        let inbox: InboxConfig = toml::from_str(
            "region = \"ncal\"\naddress = \"a@b.c\"\nhost = \"imap.example.org\"\nport = 143\ntls = \"none\"\n",
        )
        .expect("inbox");
        let err = match connect(&inbox, &TokenSources::default(), Duration::from_secs(1)).await {
            Ok(_) => panic!("plaintext to a remote host must be refused"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("allowed only to loopback"), "{err}");
    }

    #[tokio::test]
    async fn oauth_token_comes_from_a_command() {
        let inbox: InboxConfig = toml::from_str(
            "region = \"ncal\"\naddress = \"a@b.c\"\nauth = \"xoauth2\"\noauth_token_command = \"echo tok123\"\n",
        )
        .expect("inbox");
        assert_eq!(oauth_token(&inbox).await.expect("token"), "tok123");
    }
}
