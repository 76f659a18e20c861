//! A PTY pair made by socat, for tests that need a real serial device.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A socat process joining two PTYs; killed when dropped.
pub struct PtyPair {
    child: Child,
    pub paths: [String; 2],
}

impl Drop for PtyPair {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts socat, or says why not: fails under CI, skips loudly elsewhere.
pub fn pty_pair() -> Option<PtyPair> {
    let spawned = Command::new("socat")
        .args(["-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            let why = if e.kind() == std::io::ErrorKind::NotFound {
                "socat is not on PATH".to_string()
            } else {
                format!("socat could not be started ({e})")
            };
            let msg = format!("{why}; install socat to run the PTY tests of SerialLink");
            if std::env::var_os("CI").is_some() {
                panic!("{msg}");
            }
            // Straight to stderr: the test harness captures eprintln! of passing tests.
            let _ = writeln!(std::io::stderr(), "\n!!!!!!!! SKIPPED: {msg} !!!!!!!!\n");
            return None;
        }
    };
    // socat -d -d logs "... N PTY is /dev/pts/7" once per side, then "starting data
    // transfer loop"; read its stderr on a thread so a silent socat cannot hang us.
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut paths = Vec::new();
    let mut log = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while paths.len() < 2 {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                if let Some(p) = line.split("PTY is ").nth(1) {
                    paths.push(p.trim().to_string());
                }
                log.push(line);
            }
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "socat did not report two PTYs within 10 s; its log:\n{}",
                    log.join("\n")
                );
            }
        }
    }
    Some(PtyPair {
        child,
        paths: [paths[0].clone(), paths[1].clone()],
    })
}
