//! Honest CI: a test that cannot run here says so with a `SKIPPED:` line that
//! `.ci/count-tests` counts as skipped (not passed), and under `ZHAOSHANG_REQUIRE_ALL`
//! (set by `.ci/run`) it fails instead.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use std::process::{Command, Stdio};

/// Runs only when asked (`--ignored`): a test that cannot run.
#[test]
#[ignore = "run by the tests below, in a child process"]
fn probe_that_cannot_run() {
    common::skip("probe_that_cannot_run", "a tool it needs is missing");
}

/// Runs the probe in a child process of this test binary with `require_all`, and
/// returns whether it succeeded and the count `.ci/count-tests` prints for its output.
fn run_probe(require_all: bool) -> (bool, String) {
    let mut probe = Command::new(std::env::current_exe().unwrap());
    probe.args(["--ignored", "--exact", "probe_that_cannot_run", "--test-threads", "1"]);
    probe.env_remove(common::REQUIRE_ALL_ENV);
    if require_all {
        probe.env(common::REQUIRE_ALL_ENV, "1");
    }
    let output = probe.output().unwrap();
    let text = [output.stdout, output.stderr].concat();
    let mut count = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/count-tests"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut count.stdin.take().unwrap(), &text).unwrap();
    let counted = String::from_utf8(count.wait_with_output().unwrap().stdout).unwrap();
    (output.status.success(), counted.trim().to_string())
}

#[test]
fn a_test_that_cannot_run_is_counted_as_skipped_not_passed() {
    let (ok, count) = run_probe(false);
    assert!(ok);
    assert_eq!(count, "tests: 0 passed, 0 failed, 1 skipped");
}

#[test]
fn under_require_all_a_test_that_cannot_run_fails() {
    let (ok, count) = run_probe(true);
    assert!(!ok);
    assert_eq!(count, "tests: 0 passed, 1 failed, 0 skipped");
}
