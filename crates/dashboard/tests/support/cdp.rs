//! Headless Chromium driven over the DevTools protocol through a pipe
//! (`--remote-debugging-pipe`: JSON messages ending in NUL on fds 3 and 4),
//! so no websocket client is needed. `sh` maps our stdin/stdout pipes to
//! those fds. Every wait is bounded.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

/// The launch flags of issue 6: the browser reaches nothing beyond 127.0.0.1.
const FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// Chromium, or `None` after printing SKIPPED with what to install.
pub fn chromium_or_skip() -> Option<PathBuf> {
    let found = find_chromium();
    if found.is_none() {
        didymos_core::skipped!(
            "chromium not installed (apt-get install chromium, or set CHROMIUM=/path/to/chromium)"
        );
    }
    found
}

/// Where screenshots and browser logs go: target/test-artifacts/dashboard/.
pub fn artifacts() -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-artifacts/dashboard");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `$CHROMIUM`, `/usr/bin/chromium`, or `chromium` on PATH.
pub fn find_chromium() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|d| d.join("chromium"));
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .into_iter()
        .chain([PathBuf::from("/usr/bin/chromium")])
        .chain(on_path)
        .find(|p| p.is_file())
}

pub struct Browser {
    child: Child,
    input: ChildStdin,
    messages: Receiver<Value>,
    next_id: u64,
    session: Option<String>,
    /// Uncaught page exceptions and console errors, for failure messages.
    pub page_errors: Vec<String>,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub fn launch(exe: &Path, log: &Path) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let log_file = std::fs::File::create(log).unwrap();
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 </dev/null >/dev/null"#)
            .arg(exe)
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("--remote-debugging-pipe")
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log_file);
        // Its own process group, so Drop ends the renderers too.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd.spawn().unwrap();
        let input = child.stdin.take().unwrap();
        let output = child.stdout.take().unwrap();
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(output);
            let mut buf = Vec::new();
            while reader.read_until(0, &mut buf).unwrap_or(0) > 0 {
                if buf.last() == Some(&0) {
                    buf.pop();
                }
                if let Ok(v) = serde_json::from_slice::<Value>(&buf) {
                    if tx.send(v).is_err() {
                        return;
                    }
                }
                buf.clear();
            }
        });
        let mut b = Browser {
            child,
            input,
            messages,
            next_id: 0,
            session: None,
            page_errors: Vec::new(),
            _profile: profile,
        };
        let target = b.call("Target.createTarget", json!({"url": "about:blank"}));
        let id = target["targetId"].as_str().unwrap().to_string();
        let attached = b.call(
            "Target.attachToTarget",
            json!({"targetId": id, "flatten": true}),
        );
        b.session = Some(attached["sessionId"].as_str().unwrap().to_string());
        b.call("Page.enable", json!({}));
        b.call("Runtime.enable", json!({}));
        b
    }

    /// Sends a command (to the page once attached) and waits for its answer.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = &self.session {
            msg["sessionId"] = json!(s);
        }
        let mut bytes = msg.to_string().into_bytes();
        bytes.push(0);
        self.input.write_all(&bytes).unwrap();
        self.input.flush().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(m) if m["id"] == id => {
                    assert!(m["error"].is_null(), "{method}: {}", m["error"]);
                    return m["result"].clone();
                }
                Ok(m) => self.note_event(&m),
                Err(RecvTimeoutError::Timeout) => panic!("{method}: no answer in 60 s"),
                Err(RecvTimeoutError::Disconnected) => panic!("{method}: the browser exited"),
            }
        }
    }

    fn note_event(&mut self, m: &Value) {
        match m["method"].as_str() {
            Some("Runtime.exceptionThrown") => self
                .page_errors
                .push(m["params"]["exceptionDetails"].to_string()),
            Some("Runtime.consoleAPICalled") if m["params"]["type"] == "error" => {
                self.page_errors.push(m["params"]["args"].to_string())
            }
            _ => {}
        }
    }

    /// Evaluates `expr` in the page (promises awaited), returns its value.
    pub fn eval(&mut self, expr: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "awaitPromise": true, "returnByValue": true}),
        );
        assert!(
            r["exceptionDetails"].is_null(),
            "{expr}: {}",
            r["exceptionDetails"]
        );
        r["result"]["value"].clone()
    }

    /// Polls `expr` until it is true; panics with `what` after `limit`.
    pub fn wait_until(&mut self, what: &str, expr: &str, limit: Duration) {
        let start = Instant::now();
        while self.eval(expr) != json!(true) {
            if start.elapsed() >= limit {
                let text = self.eval("document.body.innerText.slice(0, 2000)");
                panic!(
                    "timed out after {limit:?} waiting for {what}; page errors: {:?}; page text: {text}",
                    self.page_errors
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn navigate(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url}));
    }

    pub fn viewport(&mut self, width: u32, height: u32) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        );
    }

    /// Opens `url`, waits for the page's script, and types `token` into
    /// the token form (never into the URL).
    pub fn open_with_token(&mut self, url: &str, token: &str) {
        self.navigate(url);
        self.wait_until(
            "the page's script to be ready",
            "!!document.documentElement && document.documentElement.dataset.app === 'ready'",
            Duration::from_secs(30),
        );
        self.type_into("#token-input", token);
        self.click("#token-form button[type=submit]");
    }

    /// A real mouse click at the centre of the first element matching `selector`.
    pub fn click(&mut self, selector: &str) {
        let sel = serde_json::to_string(selector).unwrap();
        let at = self.eval(&format!(
            "(() => {{ const e = document.querySelector({sel}); if (!e) return null;
               e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect();
               return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
        ));
        let (x, y) = match (at[0].as_f64(), at[1].as_f64()) {
            (Some(x), Some(y)) => (x, y),
            _ => panic!("nothing matches {selector}"),
        };
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            );
        }
    }

    /// Sets the value of the form control `selector` (a select, a date)
    /// and fires its `change` event, as a user's choice would.
    pub fn set_value(&mut self, selector: &str, value: &str) {
        self.eval(&format!(
            "(() => {{ const e = document.querySelector({}); e.value = {}; e.dispatchEvent(new Event('change')); }})()",
            json!(selector),
            json!(value)
        ));
    }

    /// Focuses `selector` and types `text` as keyboard input.
    pub fn type_into(&mut self, selector: &str, text: &str) {
        let sel = serde_json::to_string(selector).unwrap();
        self.eval(&format!(
            "(() => {{ const e = document.querySelector({sel}); e.focus(); if ('value' in e) e.value = ''; }})()"
        ));
        self.call("Input.insertText", json!({"text": text}));
    }

    /// Presses Enter on the focused element.
    pub fn press_enter(&mut self) {
        for kind in ["rawKeyDown", "keyUp"] {
            self.call(
                "Input.dispatchKeyEvent",
                json!({"type": kind, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}),
            );
        }
    }

    pub fn screenshot(&mut self, path: &Path) {
        let r = self.call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true}),
        );
        let png = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().unwrap_or(""))
            .unwrap();
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
