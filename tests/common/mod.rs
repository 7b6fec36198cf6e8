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
    let files = documented_bad_files(".json", "field");
    assert!(files.len() >= 20, "only {} bad files", files.len());
    files
}

/// Every file in `tests/data/bad/` whose name ends in `ext` (`.csv`,
/// `.safetensors`) with the message its line in that folder's README gives
/// (`(message `...`)`), sorted by name. Panics if a file has no line, so a
/// bad file cannot be added without saying what it gives.
pub fn bad_inputs(ext: &str) -> Vec<(String, String)> {
    let files = documented_bad_files(ext, "message");
    assert!(!files.is_empty(), "no {ext} files in tests/data/bad");
    files
}

/// The files of `tests/data/bad/` ending in `ext`, each with what its README
/// line says in `(key `...`)`; panics on a file without a line, and on a
/// line (of this key and extension) without a file.
fn documented_bad_files(ext: &str, key: &str) -> Vec<(String, String)> {
    let bad = root().join("tests/data/bad");
    let readme = fs::read_to_string(bad.join("README.md")).unwrap();
    let opening = format!("({key} `");
    let documented: BTreeMap<String, String> = readme
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("- `")?;
            let (name, rest) = rest.split_once('`')?;
            let (_, said) = rest.rsplit_once(opening.as_str())?;
            Some((name.to_owned(), said.strip_suffix("`)")?.to_owned()))
        })
        .filter(|(name, _)| name.ends_with(ext))
        .collect();
    let mut files: Vec<String> = fs::read_dir(&bad)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(ext))
        .collect();
    files.sort();
    for name in documented.keys() {
        assert!(
            files.contains(name),
            "README.md documents {name}, which does not exist"
        );
    }
    files
        .into_iter()
        .map(|name| {
            let said = documented.get(&name).unwrap_or_else(|| {
                panic!("{name} has no `({key} ...)` line in tests/data/bad/README.md")
            });
            (name.clone(), said.clone())
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
