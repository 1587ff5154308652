//! The OCR engine: Tesseract, run as a child process, never in the daemon's address space.
//!
//! One page at a time: the page (already decoded and re-encoded by us as a plain greyscale PNG,
//! so Tesseract never parses what the sender sent) is written to a private temporary directory,
//! Tesseract reads it there and writes TSV (one row per word: box and confidence) beside it.
//!
//! The child is confined: one thread (`OMP_THREAD_LIMIT=1`; the machine's cores belong to every
//! inbox), a memory ceiling and a CPU-time ceiling (`setrlimit` between fork and exec), no core
//! files, an empty environment apart from what Tesseract needs, and a wall-clock limit after
//! which it is killed. Errors name what failed, never what the page says.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use image::GrayImage;

/// One recognised word: its box on the page (pixels, origin top-left), Tesseract's line it
/// belongs to, and the confidence (0–100) Tesseract gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
    /// (block, paragraph, line) as Tesseract numbered them: words of one line share it.
    pub line: (u32, u32, u32),
    pub conf: f32,
    pub text: String,
}

/// Why a page could not be read by the engine. Content-free.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("OCR engine took longer than the {0} s page limit and was stopped")]
    Timeout(u64),
    #[error("OCR engine failed on the page ({0})")]
    Failed(String),
    #[error("OCR engine could not be started: {0}")]
    Spawn(String),
}

/// How one engine run is confined.
#[derive(Debug, Clone)]
pub struct RunLimits {
    /// Wall-clock time before the child is killed.
    pub wall: Duration,
    /// Address-space ceiling of the child, in bytes.
    pub memory: u64,
}

/// Whether an engine is usable, probed once per (path, languages) and remembered: `Ok` holds
/// its version line, `Err` why it is not usable (for `check-config` and the review detail).
pub fn probe(engine: &Path, languages: &str) -> Result<String, String> {
    type Probes = Vec<((PathBuf, String), Result<String, String>)>;
    static PROBED: LazyLock<Mutex<Probes>> = LazyLock::new(|| Mutex::new(Vec::new()));
    let key = (engine.to_path_buf(), languages.to_string());
    if let Ok(seen) = PROBED.lock()
        && let Some((_, r)) = seen.iter().find(|(k, _)| *k == key)
    {
        return r.clone();
    }
    let r = probe_now(engine, languages);
    if let Ok(mut seen) = PROBED.lock() {
        seen.push((key, r.clone()));
    }
    r
}

fn probe_now(engine: &Path, languages: &str) -> Result<String, String> {
    let Some(program) = resolve(engine) else {
        return Err(format!(
            "OCR engine `{}` not found (install Debian's tesseract-ocr and tesseract-ocr-eng)",
            engine.display()
        ));
    };
    let limits = RunLimits {
        wall: Duration::from_secs(20),
        memory: 1 << 30,
    };
    let dir = tempfile::tempdir().map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let run = |args: &[&str]| -> Result<String, String> {
        let out = dir.path().join("out.txt");
        let mut cmd = command(&program, dir.path());
        cmd.args(args);
        run_confined(cmd, &out, &limits).map_err(|e| format!("`{}`: {e}", engine.display()))?;
        std::fs::read_to_string(&out).map_err(|e| e.to_string())
    };
    let version = run(&["--version"])?;
    let version = version.lines().next().unwrap_or("tesseract").trim().to_string();
    let langs = run(&["--list-langs"])?;
    let have: Vec<&str> = langs.lines().skip(1).map(str::trim).collect();
    let missing: Vec<&str> = languages.split('+').filter(|l| !have.contains(l)).collect();
    if !missing.is_empty() {
        return Err(format!(
            "OCR engine `{}` has no data for language(s) {} (Debian: tesseract-ocr-{})",
            engine.display(),
            missing.join(", "),
            missing.join(" tesseract-ocr-")
        ));
    }
    Ok(version)
}

/// The engine program: a path as given, or a bare name looked up on `PATH`.
fn resolve(engine: &Path) -> Option<PathBuf> {
    if engine.components().count() > 1 {
        return engine.is_file().then(|| engine.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(engine))
        .find(|p| p.is_file())
}

/// A command for the engine with a clean environment, run inside `dir`.
fn command(program: &Path, dir: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir)
        .env_clear()
        .env("OMP_THREAD_LIMIT", "1")
        .env("LC_ALL", "C");
    if let Some(p) = std::env::var_os("TESSDATA_PREFIX") {
        cmd.env("TESSDATA_PREFIX", p);
    }
    cmd
}

/// Recognises one page. `psm` is Tesseract's page segmentation mode.
pub fn recognise(
    engine: &Path,
    languages: &str,
    page: &GrayImage,
    psm: u8,
    limits: &RunLimits,
) -> Result<Vec<Word>, EngineError> {
    let program = resolve(engine).ok_or_else(|| EngineError::Spawn("engine not found".into()))?;
    let dir = tempfile::tempdir().map_err(|e| EngineError::Spawn(format!("temporary directory: {e}")))?;
    let input = dir.path().join("page.png");
    page.save_with_format(&input, image::ImageFormat::Png)
        .map_err(|e| EngineError::Spawn(format!("writing the page image: {e}")))?;
    let mut cmd = command(&program, dir.path());
    cmd.args([
        "page.png",
        "page",
        "-l",
        languages,
        "--psm",
        &psm.to_string(),
        "tsv",
    ]);
    run_confined(cmd, &dir.path().join("engine.log"), limits)?;
    let tsv = std::fs::read_to_string(dir.path().join("page.tsv"))
        .map_err(|_| EngineError::Failed("no TSV output".into()))?;
    Ok(parse_tsv(&tsv))
}

/// Runs a confined child to completion, its stdout and stderr going to `out`.
fn run_confined(mut cmd: Command, out: &Path, limits: &RunLimits) -> Result<(), EngineError> {
    let log = std::fs::File::create(out).map_err(|e| EngineError::Spawn(e.to_string()))?;
    let log2 = log.try_clone().map_err(|e| EngineError::Spawn(e.to_string()))?;
    cmd.stdin(Stdio::null()).stdout(log).stderr(log2);
    let memory = limits.memory;
    // CPU seconds as a second line of defence behind the wall clock (a stopped clock, a
    // suspended parent): one more than the wall limit, at least 2.
    let cpu = limits.wall.as_secs().saturating_add(1).max(2);
    // SAFETY: between fork and exec only async-signal-safe calls are made (setrlimit), on
    // values computed before the fork; nothing is allocated.
    #[allow(unsafe_code)]
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(move || {
            let set = |what, n: u64| {
                let lim = libc::rlimit {
                    rlim_cur: n as libc::rlim_t,
                    rlim_max: n as libc::rlim_t,
                };
                if libc::setrlimit(what, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            };
            set(libc::RLIMIT_AS, memory)?;
            set(libc::RLIMIT_CPU, cpu)?;
            set(libc::RLIMIT_CORE, 0)?;
            Ok(())
        });
    }
    let mut child = cmd.spawn().map_err(|e| EngineError::Spawn(e.to_string()))?;
    let started = Instant::now();
    let mut nap = Duration::from_millis(5);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                use std::os::unix::process::ExitStatusExt;
                let why = match (status.code(), status.signal()) {
                    (_, Some(libc::SIGXCPU)) => "CPU time limit reached".to_string(),
                    (_, Some(s)) => format!("killed by signal {s}; over the memory limit?"),
                    (Some(c), _) => format!("exit status {c}"),
                    _ => "unknown status".to_string(),
                };
                return Err(EngineError::Failed(why));
            }
            Ok(None) if started.elapsed() >= limits.wall => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(EngineError::Timeout(limits.wall.as_secs()));
            }
            Ok(None) => {
                std::thread::sleep(nap);
                nap = (nap * 2).min(Duration::from_millis(50));
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(EngineError::Failed(e.to_string()));
            }
        }
    }
}

/// Parses Tesseract's TSV: `level page block par line word left top width height conf text`.
/// Only word rows (level 5) with text are kept; malformed rows are skipped.
pub fn parse_tsv(tsv: &str) -> Vec<Word> {
    tsv.lines()
        .skip(1)
        .filter_map(|row| {
            let cols: Vec<&str> = row.split('\t').collect();
            let [
                level,
                _page,
                block,
                par,
                line,
                _word,
                left,
                top,
                width,
                height,
                conf,
                text,
            ] = cols.as_slice()
            else {
                return None;
            };
            if *level != "5" || text.trim().is_empty() {
                return None;
            }
            let n = |s: &str| s.trim().parse::<u32>().ok();
            Some(Word {
                left: n(left)?,
                top: n(top)?,
                width: n(width)?,
                height: n(height)?,
                line: (n(block)?, n(par)?, n(line)?),
                conf: conf.trim().parse::<f32>().ok()?.clamp(0.0, 100.0),
                text: text.trim().to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_word_rows_of_tesseract_tsv() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
                   1\t1\t0\t0\t0\t0\t0\t0\t1700\t2200\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t100\t200\t80\t30\t96.5\tName:\n\
                   5\t1\t1\t1\t1\t2\t200\t200\t90\t30\t41.2\tSkye\n\
                   5\t1\t1\t1\t1\t3\t300\t200\t90\t30\t95\t \n\
                   5\tbroken\n";
        let words = parse_tsv(tsv);
        assert_eq!(words.len(), 2);
        assert_eq!(words[1].text, "Skye");
        assert_eq!(words[1].line, (1, 1, 1));
        assert!((words[1].conf - 41.2).abs() < 0.01);
    }

    #[test]
    fn a_missing_engine_is_reported_not_run() {
        let r = probe(Path::new("/nonexistent/tesseract"), "eng");
        assert!(r.as_ref().is_err_and(|e| e.contains("not found")), "{r:?}");
    }
}
