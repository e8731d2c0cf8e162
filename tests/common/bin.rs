//! The installed binary as a user runs it: `zhaoshang …` in a folder of the test's own,
//! and `zhaoshang serve` as a child process on 127.0.0.1:0, stopped with SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The binary under test: the one cargo built for this run, or the one
/// `ZHAOSHANG_TEST_BIN` names (to replay a black-box test against another build, such as
/// the first release in `tests/findings.rs`).
pub fn binary() -> PathBuf {
    match std::env::var_os("ZHAOSHANG_TEST_BIN") {
        Some(other) => PathBuf::from(other),
        None => PathBuf::from(env!("CARGO_BIN_EXE_zhaoshang")),
    }
}

/// `zhaoshang ARGS` in `dir`, with no `ZHAOSHANG_*` variable of the caller's and a
/// non-terminal stderr; panics with both outputs when it fails.
pub fn run_ok(dir: &Path, args: &[&str]) -> Output {
    let output = run(dir, args);
    assert!(
        output.status.success(),
        "zhaoshang {} failed:\n{}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// `zhaoshang ARGS` in `dir`, whatever its outcome.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    command(dir).args(args).output().expect("run the zhaoshang binary")
}

fn command(dir: &Path) -> Command {
    let mut command = Command::new(binary());
    command.current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("ZHAOSHANG_") {
            command.env_remove(key);
        }
    }
    command
}

/// The text a command printed on stdout.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

/// A `zhaoshang serve` process.
pub struct Served {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    child: Child,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Served {
    /// Starts `zhaoshang --database-url URL serve --addr 127.0.0.1:0 EXTRA…` in `dir` and
    /// waits for the address it prints.
    pub fn start(dir: &Path, url: &str, extra: &[&str]) -> Served {
        let mut child = command(dir)
            .args(["--database-url", url, "serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start zhaoshang serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let stderr = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
        let mut base = None;
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let line = line.expect("read serve's output");
            if let Some(rest) = line.strip_prefix("GraphQL API: ") {
                base = Some(rest.trim().trim_end_matches("/graphql").to_string());
                break;
            }
        }
        // Keep reading: a closed pipe would make the server's next line fail.
        std::thread::spawn(move || lines.for_each(drop));
        match base {
            Some(base) => Served { base, child, stderr: Some(stderr) },
            None => panic!("serve printed no address: {}", stderr.join().unwrap_or_default()),
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM (as systemd does).
    pub fn terminate(&self) {
        let status = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status().expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits for the process to end; its exit status and its log (stderr).
    pub fn wait(mut self) -> (std::process::ExitStatus, String) {
        let status = self.child.wait().expect("wait for serve");
        let log = self.stderr.take().map(|h| h.join().unwrap_or_default()).unwrap_or_default();
        (status, log)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if self.stderr.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
