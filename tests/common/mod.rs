//! Helpers shared by the integration tests (each test binary uses a subset).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// The repository root (the workspace's, whichever crate's tests run).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .expect("the workspace root holds Cargo.lock")
}

/// Every problem file (`.json`) in `tests/data/bad/` with the field its line in that folder's
/// README names, sorted by file name. Panics if a file has no line or a line
/// names no file, so a bad file cannot be added without saying what it tests.
pub fn bad_files() -> Vec<(String, String)> {
    let bad = root().join("tests/data/bad");
    let readme = fs::read_to_string(bad.join("README.md")).unwrap();
    let documented: BTreeMap<String, String> = readme
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("- `")?;
            let (name, rest) = rest.split_once('`')?;
            let (_, field) = rest.rsplit_once("(field `")?;
            Some((name.to_owned(), field.strip_suffix("`)")?.to_owned()))
        })
        .collect();
    let mut files: Vec<String> = fs::read_dir(&bad)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "only {} bad files", files.len());
    for name in documented.keys() {
        assert!(
            files.contains(name),
            "README.md documents {name}, which does not exist"
        );
    }
    files
        .into_iter()
        .map(|name| {
            let field = documented
                .get(&name)
                .unwrap_or_else(|| {
                    panic!("{name} has no `(field ...)` line in tests/data/bad/README.md")
                })
                .clone();
            (name, field)
        })
        .collect()
}

/// Every file in `tests/data/bad/` whose name ends in `ext` (`.csv`,
/// `.safetensors`) with the message its line in that folder's README gives
/// (`(message `...`)`), sorted by name. Panics if a file has no line, so a
/// bad file cannot be added without saying what it gives.
pub fn bad_inputs(ext: &str) -> Vec<(String, String)> {
    let bad = root().join("tests/data/bad");
    let readme = fs::read_to_string(bad.join("README.md")).unwrap();
    let documented: BTreeMap<String, String> = readme
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("- `")?;
            let (name, rest) = rest.split_once('`')?;
            let (_, message) = rest.rsplit_once("(message `")?;
            Some((name.to_owned(), message.strip_suffix("`)")?.to_owned()))
        })
        .collect();
    let mut files: Vec<String> = fs::read_dir(&bad)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(ext))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no {ext} files in tests/data/bad");
    files
        .into_iter()
        .map(|name| {
            let message = documented
                .get(&name)
                .unwrap_or_else(|| {
                    panic!("{name} has no `(message ...)` line in tests/data/bad/README.md")
                })
                .clone();
            (name, message)
        })
        .collect()
}

/// Makes a FIFO at `path` (Unix `mkfifo`).
pub fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", path.display());
}

/// Byte ranges of the JSON numbers in `text` (maximal runs of number
/// characters that start with a digit or a minus sign).
pub fn number_spans(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() || bytes[i] == b'-' {
            let start = i;
            while i < bytes.len() && b"0123456789+-.eE".contains(&bytes[i]) {
                i += 1;
            }
            out.push((start, i));
        } else {
            i += 1;
        }
    }
    out
}
