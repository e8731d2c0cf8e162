//! Feeds arbitrary bytes to the ledger reader, as a workbook (first byte even) or as a
//! CSV file (odd), the rest being the file: it must answer with a ledger or errors,
//! never panic, never exceed the memory of `-rss_limit_mb`. Seed the corpus with the
//! fixtures for deeper coverage (see README, "Tests and CI").
#![no_main]

use libfuzzer_sys::fuzz_target;
use zhaoshang::ledger::{Known, read_ledger};

fuzz_target!(|data: &[u8]| {
    let Some((kind, bytes)) = data.split_first() else { return };
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = if kind % 2 == 0 {
        let path = dir.path().join("ledger.xlsx");
        if std::fs::write(&path, bytes).is_err() {
            return;
        }
        path
    } else {
        if std::fs::write(dir.path().join("projects.csv"), bytes).is_err() {
            return;
        }
        dir.path().to_path_buf()
    };
    if let Err(errors) = read_ledger(&path, &Known::default()) {
        assert!(!errors.0.is_empty());
    }
});
