//! SMTP connections opened by us rather than by lettre's pool, so the socket has `TCP_NODELAY`.
//!
//! lettre never sets `TCP_NODELAY`. An SMTP exchange ends with small writes (`.` after DATA, the
//! next command), and with Nagle's algorithm each waits for the peer's delayed ACK: about 40 ms
//! per email, which capped a sender at ~25 emails per connection per second. Here the TCP
//! socket is ours; lettre still speaks SMTP over it (EHLO, STARTTLS, AUTH, MAIL/RCPT/DATA).
//! Connections are kept idle between sends (NOOP-tested before reuse), one per concurrent send.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::config::{SmtpConfig, TlsMode, is_loopback_host};

/// Why a send failed: the server's answer (lettre classifies 4xx/5xx), or the network.
#[derive(Debug)]
pub enum LinkError {
    Smtp(lettre::transport::smtp::Error),
    Io(String),
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
    credentials: Option<Credentials>,
    hello: ClientId,
    timeout: Duration,
    idle: Mutex<Vec<AsyncSmtpConnection>>,
}

impl Links {
    /// Checks the settings (plaintext only to loopback) and prepares TLS and credentials.
    pub fn new(cfg: &SmtpConfig, tls: Option<TlsParameters>) -> Result<Links> {
        if cfg.tls == TlsMode::None && !is_loopback_host(&cfg.host) {
            bail!(
                "smtp: plaintext SMTP is allowed only to loopback (host {} is not); set tls = \"starttls\" or \"tls\"",
                cfg.host
            );
        }
        let credentials = match &cfg.username {
            Some(user) => Some(Credentials::new(
                user.clone(),
                cfg.secret.resolve().context("smtp: reading the password")?,
            )),
            None => None,
        };
        Ok(Links {
            host: cfg.host.trim_start_matches('[').trim_end_matches(']').to_string(),
            port: cfg.port,
            mode: cfg.tls,
            tls,
            ca_file: cfg.ca_file.clone(),
            credentials,
            hello: ClientId::default(),
            timeout: Duration::from_secs(cfg.timeout_secs.max(1)),
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Sends one email over an idle connection, or a new one.
    pub async fn send(&self, envelope: &Envelope, eml: &[u8]) -> Result<(), LinkError> {
        let mut conn = match self.take_idle().await {
            Some(c) => c,
            None => self.open().await?,
        };
        match conn.send(envelope, eml).await {
            Ok(_) if !conn.has_broken() => {
                if let Ok(mut idle) = self.idle.lock() {
                    idle.push(conn);
                }
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(e) => {
                conn.abort().await;
                Err(LinkError::Smtp(e))
            }
        }
    }

    /// An idle connection that still answers NOOP.
    async fn take_idle(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let mut c = self.idle.lock().ok()?.pop()?;
            if c.test_connected().await {
                return Some(c);
            }
            c.abort().await;
        }
    }

    async fn open(&self) -> Result<AsyncSmtpConnection, LinkError> {
        let io = |what: &str, e: std::io::Error| LinkError::Io(format!("{what}: {e}"));
        let tcp = tokio::time::timeout(self.timeout, TcpStream::connect((self.host.as_str(), self.port)))
            .await
            .map_err(|_| LinkError::Io("connecting: timed out".into()))?
            .map_err(|e| io("connecting", e))?;
        tcp.set_nodelay(true).map_err(|e| io("setting TCP_NODELAY", e))?;
        let peer = tcp.peer_addr().map_err(|e| io("reading the peer address", e))?;
        let stream: Box<dyn AsyncTokioStream> = if self.mode == TlsMode::Tls {
            let cfg = crate::source::connect::tls_config(self.ca_file.as_deref())
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
        if let Some(creds) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], creds)
                .await
                .map_err(LinkError::Smtp)?;
        }
        Ok(conn)
    }
}
