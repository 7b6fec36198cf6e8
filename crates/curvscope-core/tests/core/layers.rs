//! The core's layers: each top-level module may use only the modules below
//! it in [`LAYERS`] (and itself), so the folders cannot import each other in
//! a circle. ARCHITECTURE.md shows the same order; a new module gets its
//! place here.
//!
//! Unit tests (`#[cfg(test)]` blocks, which the convention puts at the end
//! of a file) may use any layer: they are not part of the library.

use std::path::{Path, PathBuf};

/// The core's top-level modules, lowest first.
const LAYERS: &[&str] = &[
    "display",
    "system",
    "contiguous",
    "colormap",
    "defaults",
    "kernels",
    "model",
    "curvature",
    "landscape",
    "optim",
    "io",
    "spec",
    "lesson",
    "train",
    "analysis",
];

/// An import that goes up the order.
#[derive(Debug, PartialEq)]
struct Upward {
    file: String,
    line: usize,
    from: String,
    to: String,
}

/// The layer of `module`, if it has one.
fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|&m| m == module)
}

/// The imports in `text` (the file `file` of module `from`) that go up.
fn upward_in(file: &str, from: &str, text: &str) -> Vec<Upward> {
    let Some(own) = rank(from) else {
        return vec![Upward {
            file: file.into(),
            line: 0,
            from: from.into(),
            to: "(a module missing from LAYERS)".into(),
        }];
    };
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("#[cfg(test)]") {
            break;
        }
        if code.starts_with("//") {
            continue;
        }
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let module: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if rank(&module).is_none_or(|r| r > own) {
                found.push(Upward {
                    file: file.into(),
                    line: i + 1,
                    from: from.into(),
                    to: module,
                });
            }
        }
        if code.contains("super::super") {
            found.push(Upward {
                file: file.into(),
                line: i + 1,
                from: from.into(),
                to: "super::super (name the module instead)".into(),
            });
        }
    }
    found
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// Every upward import of the core's sources.
fn upward_imports() -> Vec<Upward> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for path in rust_files(&src) {
        let relative = path.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap();
        let from = first.as_os_str().to_string_lossy();
        let from = from.trim_end_matches(".rs");
        if from == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        found.extend(upward_in(&relative.display().to_string(), from, &text));
    }
    found
}

#[test]
fn every_import_goes_down_the_layers() {
    let found = upward_imports();
    assert!(
        found.is_empty(),
        "imports that go up the layer order {LAYERS:?}:\n{}",
        found
            .iter()
            .map(|u| format!("{}:{}: {} uses {}", u.file, u.line, u.from, u.to))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn every_module_has_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs");
    let lib = std::fs::read_to_string(src).unwrap();
    let modules: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';'))
        .collect();
    let mut sorted_layers: Vec<&str> = LAYERS.to_vec();
    sorted_layers.sort_unstable();
    let mut sorted_modules = modules.clone();
    sorted_modules.sort_unstable();
    assert_eq!(sorted_modules, sorted_layers, "lib.rs and LAYERS differ");
}

#[test]
fn the_check_finds_an_upward_import_and_skips_comments_and_tests() {
    let text = "use crate::kernels::gemm;\n\
                // see crate::train::runner\n\
                fn f() { crate::train::session::Session::new(); }\n\
                #[cfg(test)]\n\
                mod tests { use crate::analysis::samples; }\n";
    let found = upward_in("model/x.rs", "model", text);
    assert_eq!(
        found,
        vec![Upward {
            file: "model/x.rs".into(),
            line: 3,
            from: "model".into(),
            to: "train".into(),
        }]
    );
    assert_eq!(upward_in("io/a.rs", "io", "use crate::spec::X;").len(), 1);
    assert!(upward_in("spec/a.rs", "spec", "use crate::io::X;").is_empty());
}
