//! Running `didymos serve` from tests: a free port on 127.0.0.1, the
//! server started with an admin token, and a minimal HTTP client.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const TOKEN: &str = "durability-admin-token-0123456789";

/// A minimal HTTP/1.1 client (one request per connection).
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> std::io::Result<(u16, Value)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let body = body.unwrap_or("");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        req += &format!("{k}: {v}\r\n");
    }
    req += "\r\n";
    s.write_all(req.as_bytes())?;
    s.write_all(body.as_bytes())?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp)?;
    let text = String::from_utf8_lossy(&resp);
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or(std::io::ErrorKind::UnexpectedEof)?;
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or(std::io::ErrorKind::InvalidData)?;
    // Bodies here are small and sent with Content-Length (no chunking).
    Ok((status, serde_json::from_str(rest).unwrap_or(Value::Null)))
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `didymos serve`: SIGKILLed and reaped when dropped, so a
/// failing assertion leaves no server behind on the port.
pub struct Served(Child);

impl Served {
    /// SIGKILL (as a crash would) and wait for the process to end.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Served {
    /// SIGTERM (as an operator or systemd would stop it); waits up to 30 s
    /// for a graceful exit and returns whether it exited successfully.
    pub fn terminate(&mut self) -> bool {
        let pid = self.0.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(status)) = self.0.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the server did not stop within 30 s of SIGTERM");
    }
}

/// Runs `didymos serve` on `data` expecting it to refuse to start: returns
/// its stderr once it has exited with a failure (within 30 s).
pub fn refused(data: &Path, port: u16) -> String {
    let mut child = serve_command(data, port)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server started (or hung) on {}", data.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(!status.success(), "exit {status}: {err}");
    err
}

/// `didymos serve` on `data` at 127.0.0.1:`port`, with the folder's token file.
fn serve_command(data: &Path, port: u16) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_didymos"));
    c.args(["serve", "--data-dir"])
        .arg(data)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--admin-token-file",
        ])
        .arg(data.join("admin.token"));
    c
}

impl Drop for Served {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn start(data: &Path, port: u16) -> Served {
    let token_file = data.join("admin.token");
    if !token_file.exists() {
        std::fs::create_dir_all(data).unwrap();
        std::fs::write(&token_file, TOKEN).unwrap();
    }
    let child = serve_command(data, port)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let child = Served(child);
    let t = Instant::now();
    while http(port, "GET", "/health", None, &[]).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// The bundled 2020 admissions as ingest records for stream `hosp`, one
/// batch per day from `first` to `last` (ISO dates).
pub fn spain_days(first: &str, last: &str) -> Vec<(String, Vec<Value>)> {
    let path = super::repo().join("data/spain/spain_provinces_covid19_daily_by_age_2020.csv");
    let text = std::fs::read_to_string(path).unwrap();
    let mut days: Vec<(String, Vec<Value>)> = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let date = f[0];
        if date < first || date > last {
            continue;
        }
        let rec = json!({"stream": "hosp", "time": date, "location": f[1], "stratum": f[2], "value": f[4].parse::<f64>().unwrap_or(0.0)});
        match days.last_mut() {
            Some((d, v)) if d == date => v.push(rec),
            _ => days.push((date.to_string(), vec![rec])),
        }
    }
    days
}
