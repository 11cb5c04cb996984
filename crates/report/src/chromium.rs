//! Headless Chromium, bounded in time: the DOM a browser builds from a
//! page (to check what it really parsed) and PNG screenshots of pages or
//! standalone SVG figures. Optional: callers check [`Chromium::find`].

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::{ReportError, Result};

/// Names tried on `PATH` after `$CHROMIUM` and `/usr/bin/chromium`.
const NAMES: [&str; 4] = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

#[derive(Debug, Clone)]
pub struct Chromium {
    pub binary: PathBuf,
    /// The browser is killed when a run takes longer.
    pub timeout: Duration,
}

impl Chromium {
    /// `$CHROMIUM`, `/usr/bin/chromium`, or a Chromium/Chrome on `PATH`.
    pub fn find() -> Option<Chromium> {
        let from_env = std::env::var_os("CHROMIUM").map(PathBuf::from);
        let on_path = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .flat_map(|dir| NAMES.iter().map(move |n| dir.join(n)));
        from_env
            .into_iter()
            .chain([PathBuf::from("/usr/bin/chromium")])
            .chain(on_path)
            .find(|p| p.is_file())
            .map(Chromium::at)
    }

    pub fn at(binary: impl Into<PathBuf>) -> Chromium {
        Chromium {
            binary: binary.into(),
            timeout: Duration::from_secs(60),
        }
    }

    /// The DOM after the page has loaded (and any script has run), as HTML.
    pub fn dump_dom(&self, file: &Path) -> Result<String> {
        let url = file_url(file)?;
        let (stdout, _) = self.run(&["--dump-dom".to_string(), url])?;
        Ok(stdout)
    }

    /// A PNG of `file` (an HTML page or an SVG) in a `width`×`height` window.
    pub fn screenshot(&self, file: &Path, png: &Path, width: u32, height: u32) -> Result<()> {
        let url = file_url(file)?;
        let png_abs = absolute(png)?;
        if let Some(dir) = png_abs.parent() {
            std::fs::create_dir_all(dir).map_err(|e| ReportError::Io {
                path: dir.to_path_buf(),
                source: e,
            })?;
        }
        self.run(&[
            format!("--screenshot={}", png_abs.display()),
            format!("--window-size={width},{height}"),
            "--hide-scrollbars".to_string(),
            url,
        ])?;
        if !png_abs.is_file() {
            return Err(ReportError::Chromium(format!(
                "exited without writing {}",
                png_abs.display()
            )));
        }
        Ok(())
    }

    /// Runs the browser headless with a fresh profile, no network chatter
    /// and no sandbox (root in containers has none); returns stdout/stderr.
    fn run(&self, args: &[String]) -> Result<(String, String)> {
        let profile = tempfile::tempdir().map_err(|e| ReportError::Io {
            path: std::env::temp_dir(),
            source: e,
        })?;
        let mut cmd = Command::new(&self.binary);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            "--mute-audio",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        // Its own process group, so a timeout can end the browser together
        // with the renderer and GPU processes it started.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd.spawn().map_err(|e| ReportError::Io {
            path: self.binary.clone(),
            source: e,
        })?;
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        let status = wait_bounded(&mut child, self.timeout);
        let out = stdout.join().unwrap_or_default();
        let err = stderr.join().unwrap_or_default();
        match status {
            Some(s) if s.success() => Ok((out, err)),
            Some(s) => Err(ReportError::Chromium(format!(
                "exited with {s}: {}",
                tail(&err)
            ))),
            None => Err(ReportError::Chromium(format!(
                "killed after {} s without finishing: {}",
                self.timeout.as_secs(),
                tail(&err)
            ))),
        }
    }
}

/// Reads a pipe to the end on a thread, so a full pipe never blocks the
/// browser while we wait for it.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut buf);
        }
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// The exit status, or `None` after killing the process group on timeout.
fn wait_bounded(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(50)),
            _ => break,
        }
    }
    #[cfg(unix)]
    {
        // The group we created above: this child and its descendants only.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

fn tail(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().rev().take(5).collect();
    let joined: Vec<&str> = lines.into_iter().rev().collect();
    if joined.is_empty() {
        "(no output on stderr)".to_string()
    } else {
        joined.join(" | ")
    }
}

fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).map_err(|e| ReportError::Io {
        path: path.to_path_buf(),
        source: e,
    })
}

/// `file://` URL of a local file, percent-encoding all but unreserved bytes.
pub fn file_url(path: &Path) -> Result<String> {
    let abs = absolute(path)?;
    let mut url = String::from("file://");
    for b in abs.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(url)
}
