//! Property tests of the ledger reader on hostile input: random bytes, valid workbooks
//! and CSV files with random damage (to the zip, or to the XML inside it, re-zipped),
//! text in wrong encodings. Whatever comes in, the reader answers with a ledger or with
//! located, non-empty errors — never a panic. A bounded run (64 cases per property; set
//! `PROPTEST_CASES` for more); `fuzz/` has a cargo-fuzz target for long runs.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use std::io::Write;
use std::path::Path;

use proptest::prelude::*;
use zhaoshang::ledger::{Known, read_ledger};

/// Reads `path` and checks the answer is a ledger or clear errors.
fn read_is_clear(path: &Path) {
    match read_ledger(path, &Known::default()) {
        Ok((ledger, _)) => assert!(!ledger.projects.is_empty() || ledger.row_count() == 0),
        Err(errors) => {
            assert!(!errors.0.is_empty(), "a refusal lists its errors");
            for error in &errors.0 {
                assert!(!error.sheet.is_empty() && !error.reason.trim().is_empty(), "unclear error {error:?}");
                assert!(error.reason.len() < 2_000, "an error echoes too much: {} bytes", error.reason.len());
            }
        }
    }
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// The sample workbook's parts, by name.
fn sample_parts() -> Vec<(String, Vec<u8>)> {
    common::zip_entries(&std::fs::read(common::sample_xlsx()).unwrap()).into_iter().collect()
}

fn zip_parts(parts: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in parts {
        writer.start_file(name.as_str(), options).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// One kind of damage to a byte string.
#[derive(Clone, Debug)]
enum Damage {
    /// Replace the byte at (position modulo length).
    Set(usize, u8),
    /// Cut at (position modulo length).
    Truncate(usize),
    /// Insert bytes at (position modulo length).
    Insert(usize, Vec<u8>),
    /// Remove a run of bytes.
    Remove(usize, usize),
    /// Repeat a run of bytes many times (towards huge cells and rows).
    Repeat(usize, usize, usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Damage::Set(p, b)),
        any::<usize>().prop_map(Damage::Truncate),
        (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..64)).prop_map(|(p, b)| Damage::Insert(p, b)),
        (any::<usize>(), 1..256usize).prop_map(|(p, n)| Damage::Remove(p, n)),
        (any::<usize>(), 1..64usize, 1..2_000usize).prop_map(|(p, n, k)| Damage::Repeat(p, n, k)),
    ]
}

fn apply(bytes: &mut Vec<u8>, damages: &[Damage]) {
    for d in damages {
        if bytes.is_empty() {
            return;
        }
        let at = |p: usize| p % bytes.len();
        match d {
            Damage::Set(p, b) => {
                let i = at(*p);
                bytes[i] = *b;
            }
            Damage::Truncate(p) => bytes.truncate(at(*p)),
            Damage::Insert(p, b) => {
                let i = at(*p);
                bytes.splice(i..i, b.iter().copied());
            }
            Damage::Remove(p, n) => {
                let i = at(*p);
                let end = (i + n).min(bytes.len());
                bytes.drain(i..end);
            }
            Damage::Repeat(p, n, k) => {
                let i = at(*p);
                let end = (i + n).min(bytes.len());
                let run = bytes[i..end].to_vec();
                let copies: Vec<u8> = run.iter().copied().cycle().take(run.len() * k).collect();
                bytes.splice(end..end, copies);
            }
        }
    }
}

fn sample_projects_csv() -> String {
    let bytes = std::fs::read(common::sample_csv().join("projects.csv")).unwrap();
    zhaoshang::ledger::source::decode(&bytes).unwrap()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_bytes_as_a_workbook_are_refused_clearly(bytes in proptest::collection::vec(any::<u8>(), 0..4_096)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("random.xlsx");
        std::fs::write(&path, &bytes).unwrap();
        read_is_clear(&path);
    }

    #[test]
    fn random_bytes_as_a_csv_file_are_read_or_refused_clearly(bytes in proptest::collection::vec(any::<u8>(), 0..4_096)) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("projects.csv"), &bytes).unwrap();
        read_is_clear(dir.path());
    }

    #[test]
    fn a_damaged_workbook_file_is_read_or_refused_clearly(damages in proptest::collection::vec(damage(), 1..6)) {
        let mut bytes = std::fs::read(common::sample_xlsx()).unwrap();
        apply(&mut bytes, &damages);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("damaged.xlsx");
        std::fs::write(&path, &bytes).unwrap();
        read_is_clear(&path);
    }

    #[test]
    fn damaged_xml_inside_a_valid_zip_is_read_or_refused_clearly(
        part in any::<prop::sample::Index>(),
        damages in proptest::collection::vec(damage(), 1..6),
    ) {
        let mut parts = sample_parts();
        let i = part.index(parts.len());
        apply(&mut parts[i].1, &damages);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rezipped.xlsx");
        std::fs::write(&path, zip_parts(&parts)).unwrap();
        read_is_clear(&path);
    }

    #[test]
    fn a_damaged_csv_file_in_any_encoding_is_read_or_refused_clearly(
        damages in proptest::collection::vec(damage(), 0..6),
        encoding in 0..5u8,
    ) {
        let text = sample_projects_csv();
        let mut bytes = match encoding {
            0 => text.into_bytes(),
            1 => [&b"\xEF\xBB\xBF"[..], text.as_bytes()].concat(),
            2 => encoding_rs::GB18030.encode(&text).0.into_owned(),
            3 => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            _ => encoding_rs::SHIFT_JIS.encode(&text).0.into_owned(),
        };
        apply(&mut bytes, &damages);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("projects.csv"), &bytes).unwrap();
        read_is_clear(dir.path());
    }
}
