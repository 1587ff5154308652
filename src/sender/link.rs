//! SMTP connections opened by us rather than by lettre's pool, so the socket has `TCP_NODELAY`.
//!
//! lettre never sets `TCP_NODELAY`. An SMTP exchange ends with small writes (`.` after DATA, the
//! next command), and with Nagle's algorithm each waits for the peer's delayed ACK: about 40 ms
//! per email, which capped a sender at ~25 emails per connection per second. Here the TCP
//! socket is ours; lettre still speaks SMTP over it (EHLO, STARTTLS, AUTH, MAIL/RCPT/DATA).
//! Connections are kept idle between sends (NOOP-tested before reuse), one per concurrent send.
//!
//! Authentication: none, a password (AUTH PLAIN or LOGIN), or XOAUTH2 with a token from an
//! `[oauth.NAME]` source. A token the server refuses is replaced once (on a new connection, since
//! a refused AUTH can leave the exchange half-done) before the source is reported as failing
//! ([`LinkError::OAuth`]); an idle connection is not reused past its token's refresh point.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::config::{AuthMethod, SmtpConfig, TlsMode, is_loopback_host};
use crate::oauth::{OAuthError, Token, TokenSource, TokenSources};

/// Why a send failed: the server's answer (lettre classifies 4xx/5xx), the network, or the
/// OAuth token source (no token, or the server refused a fresh one).
#[derive(Debug)]
pub enum LinkError {
    Smtp(lettre::transport::smtp::Error),
    Io(String),
    OAuth(OAuthError),
}

/// How connections authenticate.
enum LinkAuth {
    None,
    Password(Credentials),
    OAuth { user: String, source: Arc<TokenSource> },
}

/// An open, authenticated connection and when its token must be renewed.
struct Link {
    conn: AsyncSmtpConnection,
    renew_at: Option<Instant>,
}

/// A TLS stream lettre can drive: implicit TLS (SMTPS) is set up before lettre sees the socket.
#[derive(Debug)]
struct TlsSocket {
    inner: tokio_rustls::client::TlsStream<TcpStream>,
    peer: SocketAddr,
}

impl AsyncRead for TlsSocket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsSocket {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for TlsSocket {
    fn peer_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.peer)
    }
}

/// Our SMTP connections to the `[smtp]` server.
pub struct Links {
    host: String,
    port: u16,
    mode: TlsMode,
    tls: Option<TlsParameters>,
    ca_file: Option<std::path::PathBuf>,
    auth: LinkAuth,
    hello: ClientId,
    timeout: Duration,
    idle: Mutex<Vec<Link>>,
}

impl Links {
    /// Checks the settings (plaintext only to loopback) and prepares TLS and credentials.
    pub fn new(cfg: &SmtpConfig, tls: Option<TlsParameters>, tokens: &TokenSources) -> Result<Links> {
        if cfg.tls == TlsMode::None && !is_loopback_host(&cfg.host) {
            bail!(
                "smtp: plaintext SMTP is allowed only to loopback (host {} is not); set tls = \"starttls\" or \"tls\"",
                cfg.host
            );
        }
        let auth = match (cfg.auth, &cfg.username) {
            (AuthMethod::Xoauth2, user) => {
                let name = cfg
                    .oauth
                    .as_deref()
                    .context("smtp: auth = \"xoauth2\" needs oauth = NAME, an [oauth.NAME] source")?;
                let source = tokens.get(name).with_context(|| {
                    format!("smtp: oauth = \"{name}\" is not a configured [oauth.*] source")
                })?;
                let user = user
                    .clone()
                    .context("smtp: auth = \"xoauth2\" needs username (the mailbox that sends)")?;
                LinkAuth::OAuth { user, source }
            }
            (AuthMethod::Login, Some(user)) => LinkAuth::Password(Credentials::new(
                user.clone(),
                cfg.secret.resolve().context("smtp: reading the password")?,
            )),
            (AuthMethod::Login, None) => LinkAuth::None,
        };
        Ok(Links {
            host: cfg.host.trim_start_matches('[').trim_end_matches(']').to_string(),
            port: cfg.port,
            mode: cfg.tls,
            tls,
            ca_file: cfg.ca_file.clone(),
            auth,
            hello: ClientId::default(),
            timeout: Duration::from_secs(cfg.timeout_secs.max(1)),
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Sends one email over an idle connection, or a new one.
    pub async fn send(&self, envelope: &Envelope, eml: &[u8]) -> Result<(), LinkError> {
        let mut link = match self.take_idle().await {
            Some(c) => c,
            None => self.open().await?,
        };
        match link.conn.send(envelope, eml).await {
            Ok(_) if !link.conn.has_broken() => {
                if let Ok(mut idle) = self.idle.lock() {
                    idle.push(link);
                }
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(e) => {
                link.conn.abort().await;
                Err(LinkError::Smtp(e))
            }
        }
    }

    /// An idle connection that still answers NOOP and whose token is not due for renewal.
    async fn take_idle(&self) -> Option<Link> {
        loop {
            let mut c = self.idle.lock().ok()?.pop()?;
            if c.renew_at.is_some_and(|r| Instant::now() >= r) {
                let _ = c.conn.quit().await;
                continue;
            }
            if c.conn.test_connected().await {
                return Some(c);
            }
            c.conn.abort().await;
        }
    }

    /// A new connection, authenticated as configured.
    async fn open(&self) -> Result<Link, LinkError> {
        let mut conn = self.connect().await?;
        let (user, source) = match &self.auth {
            LinkAuth::None => return Ok(Link { conn, renew_at: None }),
            LinkAuth::Password(creds) => {
                if let Err(e) = conn.auth(&[Mechanism::Plain, Mechanism::Login], creds).await {
                    conn.abort().await;
                    return Err(LinkError::Smtp(e));
                }
                return Ok(Link { conn, renew_at: None });
            }
            LinkAuth::OAuth { user, source } => (user, source),
        };
        let (token, fetched_now) = source.token_and_origin().await.map_err(LinkError::OAuth)?;
        let first = match xoauth2(&mut conn, user, &token).await {
            Ok(()) => {
                return Ok(Link {
                    conn,
                    renew_at: Some(token.renew_at()),
                });
            }
            Err(e) => e,
        };
        conn.abort().await;
        if !refused(&first) {
            return Err(LinkError::Smtp(first));
        }
        if fetched_now {
            // Fetched for this very login: another fetch would be refused the same way.
            return Err(LinkError::OAuth(OAuthError::Rejected {
                name: source.name().to_string(),
                server: "the SMTP server",
                detail: first.to_string(),
            }));
        }
        // Refused: revoked or expired early. Once more with a new token, on a new connection
        // (a refused XOAUTH2 may end in a challenge the client must answer first).
        tracing::debug!(oauth = %source.name(), error = %first, "SMTP XOAUTH2 refused; fetching a new token and trying once more");
        let fresh = source
            .token_after_rejection(&token)
            .await
            .map_err(LinkError::OAuth)?;
        let mut conn = self.connect().await?;
        match xoauth2(&mut conn, user, &fresh).await {
            Ok(()) => Ok(Link {
                conn,
                renew_at: Some(fresh.renew_at()),
            }),
            Err(e) => {
                conn.abort().await;
                if refused(&e) {
                    Err(LinkError::OAuth(OAuthError::Rejected {
                        name: source.name().to_string(),
                        server: "the SMTP server",
                        detail: e.to_string(),
                    }))
                } else {
                    Err(LinkError::Smtp(e))
                }
            }
        }
    }

    /// TCP, TLS as configured, EHLO; not yet authenticated.
    async fn connect(&self) -> Result<AsyncSmtpConnection, LinkError> {
        let io = |what: &str, e: std::io::Error| LinkError::Io(format!("{what}: {e}"));
        let tcp = tokio::time::timeout(self.timeout, TcpStream::connect((self.host.as_str(), self.port)))
            .await
            .map_err(|_| LinkError::Io("connecting: timed out".into()))?
            .map_err(|e| io("connecting", e))?;
        tcp.set_nodelay(true).map_err(|e| io("setting TCP_NODELAY", e))?;
        let peer = tcp.peer_addr().map_err(|e| io("reading the peer address", e))?;
        let stream: Box<dyn AsyncTokioStream> = if self.mode == TlsMode::Tls {
            let cfg = crate::tls::tls_config(self.ca_file.as_deref())
                .map_err(|e| LinkError::Io(format!("{e:#}")))?;
            let name = ServerName::try_from(self.host.clone())
                .map_err(|_| LinkError::Io("invalid TLS server name".into()))?;
            let tls = tokio::time::timeout(
                self.timeout,
                tokio_rustls::TlsConnector::from(cfg).connect(name, tcp),
            )
            .await
            .map_err(|_| LinkError::Io("TLS handshake: timed out".into()))?
            .map_err(|e| io("TLS handshake", e))?;
            Box::new(TlsSocket { inner: tls, peer })
        } else {
            Box::new(tcp)
        };
        let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &self.hello)
            .await
            .map_err(LinkError::Smtp)?;
        if self.mode == TlsMode::Starttls {
            let params = self
                .tls
                .clone()
                .ok_or_else(|| LinkError::Io("no TLS parameters for STARTTLS".into()))?;
            conn.starttls(params, &self.hello)
                .await
                .map_err(LinkError::Smtp)?;
            if !conn.is_encrypted() {
                conn.abort().await;
                return Err(LinkError::Io(
                    "the server does not offer STARTTLS (tls = \"starttls\" requires it)".into(),
                ));
            }
        }
        Ok(conn)
    }
}

/// AUTH XOAUTH2 with `token` (lettre sends `user=…^Aauth=Bearer …^A^A` as the initial response).
async fn xoauth2(
    conn: &mut AsyncSmtpConnection,
    user: &str,
    token: &Token,
) -> Result<(), lettre::transport::smtp::Error> {
    let creds = Credentials::new(user.to_string(), token.secret().to_string());
    conn.auth(&[Mechanism::Xoauth2], &creds).await.map(|_| ())
}

/// Whether an AUTH failure means "this token is not accepted" (5xx, or a challenge lettre cannot
/// answer, as Google sends before its 535) rather than a passing network or server problem.
fn refused(e: &lettre::transport::smtp::Error) -> bool {
    e.is_permanent() || e.is_client()
}
