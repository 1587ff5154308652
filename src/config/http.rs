//! `[http]`: the local monitoring endpoint `run` serves (SPEC §8a).

use serde::Deserialize;

use crate::diag::{Problems, SourceFile};

/// `[http]`: where `/healthz` and `/metrics` are served.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// `host:port` to listen on, plain HTTP (default `127.0.0.1:9187`, the local monitoring
    /// agent's side of the machine); `""` turns the endpoint off. Nothing served holds member
    /// data, but keep it on loopback or a management network all the same.
    pub listen: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: "127.0.0.1:9187".into(),
        }
    }
}

impl HttpConfig {
    /// The socket address to bind, `None` when the endpoint is turned off.
    pub fn addr(&self) -> Option<std::result::Result<std::net::SocketAddr, std::net::AddrParseError>> {
        let l = self.listen.trim();
        (!l.is_empty()).then(|| l.parse())
    }

    /// Refuses a `listen` that is not `host:port` at load, not at the first bind.
    pub(super) fn validate(&self, src: &SourceFile, problems: &mut Problems) {
        if let Some(Err(e)) = self.addr() {
            problems.push(format!(
                "{}: [http] listen = \"{}\": {e}; expected an IP address and port such as \"127.0.0.1:9187\", or \"\" to turn the endpoint off",
                src.name, self.listen
            ));
        }
    }
}
