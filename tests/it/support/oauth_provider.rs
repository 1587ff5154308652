//! A small OAuth 2 provider for the tests: client-credentials grant at `/token` and RFC 7662
//! introspection at `/introspect`, on a free loopback port, in its own thread.
//!
//! Every token is bound to the client that asked for it (`username` in the introspection answer
//! is the client_id, which the tests make equal to the mailbox login) and lives `lifetime`
//! seconds. A client can be revoked: its tokens keep being issued, but introspection says
//! `active: false`, as when an admin withdraws consent. Dovecot's `oauth2` passdb and the SMTP
//! sink both check tokens here, so both refuse a revoked client's tokens.
//!
//! It also plays Google's token endpoint: the JWT bearer grant (RFC 7523) with an RS256
//! assertion signed by `tests/data/oauth-test-key.pem`, checked against its public key, with
//! `aud` = this token URL; the token is bound to the assertion's `sub` (the mailbox).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The client secret every client must present.
pub const SECRET: &str = "test-client-secret-5f2c";

#[derive(Default)]
struct State {
    /// token -> (client_id, expires at)
    tokens: HashMap<String, (String, Instant)>,
    issued: HashMap<String, u32>,
    revoked: Vec<String>,
    /// Introspections answered `active: true`, per client.
    accepted: HashMap<String, u32>,
    bad_requests: u32,
    seq: u64,
}

/// The running provider. Dropping it leaves the thread parked on `accept`, harmless in a test.
pub struct Provider {
    pub port: u16,
    lifetime: Duration,
    state: Arc<Mutex<State>>,
}

impl Provider {
    /// Starts a provider whose tokens live `lifetime`.
    pub fn start(lifetime: Duration) -> Provider {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind provider");
        let port = listener.local_addr().expect("addr").port();
        let state = Arc::new(Mutex::new(State::default()));
        let (st, life) = (state.clone(), lifetime);
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let st = st.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, &st, life);
                });
            }
        });
        Provider {
            port,
            lifetime,
            state,
        }
    }

    pub fn token_url(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.port)
    }

    pub fn introspection_url(&self) -> String {
        format!("http://127.0.0.1:{}/introspect", self.port)
    }

    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// Tokens issued to `client` so far.
    pub fn issued(&self, client: &str) -> u32 {
        self.lock().issued.get(client).copied().unwrap_or(0)
    }

    /// Tokens of `client` that a server checked and found good.
    pub fn accepted(&self, client: &str) -> u32 {
        self.lock().accepted.get(client).copied().unwrap_or(0)
    }

    /// Token requests refused (bad secret, grant or client).
    pub fn bad_requests(&self) -> u32 {
        self.lock().bad_requests
    }

    /// Makes introspection refuse (or accept again) every token of `client`.
    pub fn revoke(&self, client: &str, revoked: bool) {
        let mut st = self.lock();
        st.revoked.retain(|c| c != client);
        if revoked {
            st.revoked.push(client.to_string());
        }
    }

    /// Every token issued so far (to check that none was logged).
    pub fn all_tokens(&self) -> Vec<String> {
        self.lock().tokens.keys().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn serve(conn: TcpStream, st: &Mutex<State>, lifetime: Duration) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let path = request_line.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut length = 0usize;
    let mut bearer = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            if k == "content-length" {
                length = v.parse().unwrap_or(0);
            } else if k == "authorization" && v.to_ascii_lowercase().starts_with("bearer ") {
                bearer = v.get(7..).map(str::to_string);
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    let form = parse_form(&String::from_utf8_lossy(&body));
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let mut st = st.lock().unwrap_or_else(|e| e.into_inner());
    let port = conn.local_addr().map(|a| a.port()).unwrap_or(0);
    let (status, json) = if path.starts_with("/token") {
        let jwt = get("grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer";
        let client = if jwt {
            google_subject(&get("assertion"), port).unwrap_or_default()
        } else {
            get("client_id")
        };
        let good = if jwt {
            !client.is_empty()
        } else {
            get("grant_type") == "client_credentials" && !client.is_empty() && get("client_secret") == SECRET
        };
        if !good {
            st.bad_requests += 1;
            (
                "400 Bad Request",
                r#"{"error":"invalid_client","error_description":"bad client credentials"}"#.to_string(),
            )
        } else {
            st.seq += 1;
            let token = format!(
                "tt-{:016x}{:08x}",
                st.seq.wrapping_mul(0x9e37_79b9_7f4a_7c15),
                std::process::id()
            );
            st.tokens
                .insert(token.clone(), (client.clone(), Instant::now() + lifetime));
            *st.issued.entry(client).or_default() += 1;
            (
                "200 OK",
                format!(
                    r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":{}}}"#,
                    lifetime.as_secs()
                ),
            )
        }
    } else if path.starts_with("/introspect") {
        let token = form.get("token").cloned().or(bearer).unwrap_or_default();
        let found = st.tokens.get(&token).cloned();
        match found {
            Some((client, exp)) if Instant::now() < exp && !st.revoked.contains(&client) => {
                *st.accepted.entry(client.clone()).or_default() += 1;
                ("200 OK", format!(r#"{{"active":true,"username":"{client}"}}"#))
            }
            _ => ("200 OK", r#"{"active":false}"#.to_string()),
        }
    } else {
        ("404 Not Found", r#"{"error":"not_found"}"#.to_string())
    };
    drop(st);
    let mut out = conn;
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
        json.len()
    )?;
    out.flush()
}

/// The `sub` of a valid Google-style assertion: RS256 by the test key, `aud` = our token URL,
/// not expired, with the mail scope.
fn google_subject(assertion: &str, port: u16) -> Option<String> {
    let pem = include_bytes!("../../data/oauth-test-key.pub.pem");
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(pem).ok()?;
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&[format!("http://127.0.0.1:{port}/token")]);
    let claims = jsonwebtoken::decode::<serde_json::Value>(assertion, &key, &v)
        .ok()?
        .claims;
    let field = |k: &str| claims.get(k).and_then(|v| v.as_str()).map(str::to_string);
    if field("scope").as_deref() != Some("https://mail.google.com/")
        || field("iss").as_deref() != Some("svc@project.iam.gserviceaccount.com")
    {
        return None;
    }
    field("sub")
}

/// `application/x-www-form-urlencoded` into a map.
fn parse_form(body: &str) -> HashMap<String, String> {
    body.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'+') => out.push(b' '),
            Some(b'%') => {
                let hex = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            Some(b) => out.push(*b),
            None => {}
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
