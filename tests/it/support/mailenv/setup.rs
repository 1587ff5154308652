//! Building one mail environment: ports, the mail user, certificates and Dovecot's config.
//!
//! Kept apart from `mailenv.rs` (the API tests call) because none of it is needed to use the
//! harness, only to change how the servers are set up.

use std::collections::HashSet;
use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// Who owns the mail files and runs Dovecot's unprivileged processes.
#[derive(Debug, Clone)]
pub(super) struct Owner {
    pub root: bool,
    pub uid: u32,
    pub gid: u32,
    pub user: String,
    pub group: String,
}

/// Three distinct free loopback ports. The OS picks them (bind :0); a process-wide set keeps
/// parallel tests in this binary from being handed the same port twice.
pub(super) fn free_ports() -> [u16; 3] {
    static GIVEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    let mut given = GIVEN.lock().unwrap_or_else(|p| p.into_inner());
    let given = given.get_or_insert_with(HashSet::new);
    let mut pick = || loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("bind :0")
            .port();
        if given.insert(port) {
            return port;
        }
    };
    [pick(), pick(), pick()]
}

/// Root runs mail as `nobody`; anyone else as themselves. `probe` was just created by us.
pub(super) fn owner(probe: &Path) -> Owner {
    static NOBODY: OnceLock<Owner> = OnceLock::new();
    let meta = fs::metadata(probe).expect("stat temp dir");
    if meta.uid() != 0 {
        return Owner {
            root: false,
            uid: meta.uid(),
            gid: meta.gid(),
            user: id(&["-un"]),
            group: id(&["-gn"]),
        };
    }
    NOBODY
        .get_or_init(|| Owner {
            root: true,
            uid: id(&["-u", "nobody"]).parse().expect("uid of nobody"),
            gid: id(&["-g", "nobody"]).parse().expect("gid of nobody"),
            user: "nobody".into(),
            group: id(&["-gn", "nobody"]),
        })
        .clone()
}

fn id(args: &[&str]) -> String {
    let out = Command::new("id").args(args).output().expect("run id");
    assert!(out.status.success(), "id {args:?} failed");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Dovecot's binaries live in /usr/sbin, which a non-root PATH may lack.
pub(super) fn sbin(name: &str) -> PathBuf {
    ["/usr/sbin", "/usr/bin", "/usr/local/sbin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from(name))
}

/// The interpreter with aiosmtpd: `$AIOSMTPD_PYTHON`, else the repo's `.venv-test`.
pub(super) fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("AIOSMTPD_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = crate::support::root().join(".venv-test/bin/python");
    assert!(
        venv.exists(),
        "no SMTP sink: AIOSMTPD_PYTHON is unset and {} is missing; run scripts/test.sh once \
         (or: /usr/bin/python3 -m venv .venv-test && .venv-test/bin/pip install aiosmtpd)",
        venv.display()
    );
    venv
}

pub(super) fn run_checked(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{cmd:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// A CA and a leaf for `localhost`/`127.0.0.1` signed by it. P-256 keys: much faster to make
/// than RSA, and both rustls and Dovecot take them.
pub(super) fn make_certs(tls: &Path) -> Result<(), String> {
    let ext = "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n\
               keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n";
    fs::write(tls.join("leaf.ext"), ext).map_err(|e| format!("write leaf.ext: {e}"))?;
    let openssl = |args: &str| {
        run_checked(
            Command::new("openssl")
                .current_dir(tls)
                .args(args.split_whitespace()),
        )
    };
    let key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    openssl(&format!(
        "req -x509 {key} -keyout ca.key -out ca.pem -days 3650 -subj /CN=mailenv-test-CA \
         -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
    ))?;
    openssl(&format!(
        "req {key} -keyout server.key -out server.csr -subj /CN=localhost"
    ))?;
    openssl(
        "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem \
         -days 3650 -extfile leaf.ext",
    )
}

/// The private instance's configuration (STACK §2): nothing from /etc, plaintext LOGIN allowed
/// (loopback only), no auth delays, no per-user connection cap worth hitting.
pub(super) fn dovecot_conf(d: &Path, o: &Owner, imap_port: u16, imaps_port: u16) -> String {
    let d = d.display();
    let (u, g) = (&o.user, &o.group);
    format!(
        "base_dir = {d}/run
state_dir = {d}/state
instance_name = mailenv-{imap_port}
protocols = imap
listen = 127.0.0.1
log_path = {d}/dovecot.log
ssl = yes
ssl_cert = <{d}/tls/server.pem
ssl_key = <{d}/tls/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
# Dovecot refuses uid 0 whatever this says; 1 admits low-uid CI users.
first_valid_uid = 1
auth_failure_delay = 0
protocol imap {{
  mail_max_userip_connections = 1000
}}
default_internal_user = {u}
default_internal_group = {g}
default_login_user = {u}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
    ssl = yes
  }}
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {d}/users
  default_fields = uid={u} gid={g} home={d}/mail/%u
}}
"
    )
}

/// The OAuth variant of [`dovecot_conf`]: an `oauth2` passdb for XOAUTH2/OAUTHBEARER checking
/// tokens at `url` (its args file written beside the config), the password file kept for PLAIN
/// and LOGIN, and no failed-login penalty (see `MailEnv::start_oauth`).
pub(super) fn with_oauth2(conf: &str, d: &Path, o: &Owner, url: &str) -> String {
    let ext = d.join("dovecot-oauth2.conf.ext");
    let args = format!(
        "introspection_mode = post\nintrospection_url = {url}\nusername_attribute = username\n\
         active_attribute = active\nactive_value = true\n"
    );
    if let Err(e) = std::fs::write(&ext, args) {
        panic!("write {}: {e}", ext.display());
    }
    let u = &o.user;
    conf.replacen(
        "auth_mechanisms = plain login",
        "auth_mechanisms = plain login xoauth2 oauthbearer",
        1,
    )
    .replacen(
        "passdb {\n  driver = passwd-file\n",
        &format!(
            "passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {}\n}}\n\
             passdb {{\n  driver = passwd-file\n  mechanisms = plain login\n",
            ext.display()
        ),
        1,
    )
    .replacen(
        "service anvil {\n  chroot =\n}\n",
        &format!(
            "service anvil {{\n  chroot =\n  unix_listener anvil-auth-penalty {{\n    mode = 0\n  }}\n}}\n\
             service auth {{\n  user = {u}\n}}\n"
        ),
        1,
    )
}
