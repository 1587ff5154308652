//! The daemon run in-process, as `run` would start it, but steered by the test: shared by the
//! daemon, hostile-input and loop tests (the crash and outage tests run the real binary instead,
//! see `child`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use referral_intake::config::Config;
use referral_intake::daemon::{Control, serve};
use referral_intake::store::Store;
use tokio::sync::{Notify, oneshot};
use tokio_util::sync::CancellationToken;

use super::mailenv::MailEnv;

/// A private mail environment and a config for it, with its own SQLite store.
pub struct Setup {
    pub env: MailEnv,
    _dir: tempfile::TempDir,
    pub config: PathBuf,
    pub store_url: String,
}

/// Starts the mail servers and writes a config for them, with `extra` appended.
pub fn setup(extra: &str) -> Setup {
    let env = MailEnv::start();
    let dir = tempfile::tempdir().expect("tmp");
    let store_url = format!("sqlite://{}", dir.path().join("store.db").display());
    let config = dir.path().join("referral-intake.toml");
    std::fs::write(&config, format!("{}\n{extra}", env.config_toml(&store_url))).expect("config");
    Setup {
        env,
        _dir: dir,
        config,
        store_url,
    }
}

/// A daemon in its own runtime.
pub struct Daemon {
    pub rt: tokio::runtime::Runtime,
    pub shutdown: CancellationToken,
    /// SIGHUP.
    pub reload: Arc<Notify>,
    handle: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Daemon {
    /// Starts it and waits until it is ready (READY=1).
    pub fn start(config: &Path) -> Daemon {
        let (d, ready) = Daemon::launch(config);
        d.rt.block_on(async { tokio::time::timeout(Duration::from_secs(20), ready).await })
            .expect("the daemon got ready within 20 s")
            .expect("ready");
        d
    }

    /// Starts it without waiting for READY (which never comes while an inbox cannot log in).
    pub fn start_unready(config: &Path) -> Daemon {
        Daemon::launch(config).0
    }

    fn launch(config: &Path) -> (Daemon, oneshot::Receiver<()>) {
        let cfg = Config::load(config).unwrap_or_else(|e| panic!("config: {e}"));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("rt");
        let shutdown = CancellationToken::new();
        let reload = Arc::new(Notify::new());
        let (tx, rx) = oneshot::channel();
        let control = Control {
            shutdown: shutdown.clone(),
            reload: reload.clone(),
            ready: Some(tx),
        };
        let handle = rt.spawn(serve(Some(config.to_path_buf()), cfg, control));
        let d = Daemon {
            rt,
            shutdown,
            reload,
            handle: Some(handle),
        };
        (d, rx)
    }

    /// SIGTERM: finish what is in hand and stop.
    pub fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(h) = self.handle.take() {
            self.rt
                .block_on(async { tokio::time::timeout(Duration::from_secs(15), h).await })
                .expect("stopped within 15 s")
                .expect("join")
                .expect("serve returned Ok");
        }
    }

    /// A crash: every task is dropped wherever it is (an open transaction rolls back).
    pub fn crash(self) {
        self.rt.shutdown_background();
    }
}

/// Rows in a store table.
pub fn store_count(url: &str, table: &str) -> i64 {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    rt.block_on(async {
        Store::open(url)
            .await
            .expect("store")
            .count(table)
            .await
            .expect("count")
    })
}
