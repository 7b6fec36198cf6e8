//! `bench` prints and writes its report, and `CURVSCOPE_SIMD` is checked.

use std::fs;
use std::process::Command;

use curvscope_core::io::problem::Problem;
use serde_json::Value;

use crate::binary::{fails_with, succeeds, text};
use crate::common::root;
use crate::results::{SAMPLES, expected, num};

#[test]
fn bench_prints_a_table_and_writes_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench.json");
    let stdout = succeeds(&[
        "bench",
        "--runs",
        "1",
        "--no-wide",
        "--json",
        out.to_str().unwrap(),
    ]);
    let header = stdout.lines().next().unwrap_or_default();
    for column in [
        "problem",
        "params",
        "samples",
        "grid 51²",
        "GFLOP/s",
        "top-5+min",
        "HVPs",
        "trace",
        "hutch-100",
    ] {
        assert!(
            header.contains(column),
            "header lacks `{column}`:\n{stdout}"
        );
    }
    for name in SAMPLES {
        let file = format!("{name}.json");
        assert!(
            stdout.lines().any(|l| l.starts_with(&file)),
            "no row for {file}:\n{stdout}"
        );
    }
    assert!(
        !stdout.contains("wide"),
        "--no-wide still ran it:\n{stdout}"
    );
    let v: Value = serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["runs"], 1);
    let rows = v["rows"].as_array().expect("rows");
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["problem"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sine.json", "moons.json", "spiral3.json"]);
    for (row, name) in rows.iter().zip(SAMPLES) {
        assert_eq!(row["params"], expected(name)["n_params"], "{name}");
        for key in ["grid_s", "eigen_s", "trace_s", "hutchinson100_s"] {
            assert!(num(&row[key], key) > 0.0, "{name}: {key}");
        }
    }
    // The instruction set that ran, the measured product rate, and the live run.
    let isa = v["isa"].as_str().expect("isa");
    assert!(
        ["avx512", "avx2", "baseline", "neon"].contains(&isa),
        "{isa}"
    );
    assert!(
        stdout.contains(&format!("instruction set {isa}")),
        "{stdout}"
    );
    assert!(v["gemm_backend"].is_string());
    for key in [
        "gemm_gflops",
        "kernel_matmul_gflops",
        "library_matmul_gflops",
    ] {
        assert!(num(&v[key], key) > 0.0, "{key}");
    }
    for key in [
        "refresh_hz",
        "steps_per_second",
        "measure_s",
        "lines_s",
        "seconds",
        "plane_change_s",
    ] {
        assert!(num(&v["live"][key], key) > 0.0, "live.{key}");
        assert!(
            num(&v["live_full_speed"][key], key) > 0.0,
            "live_full_speed.{key}"
        );
    }
    // Issue 12: the whole-curvature readouts on the default run.
    assert_eq!(v["spectrum"]["params"], 337);
    for key in ["inspection_s", "waterfall_s", "heatmap_s"] {
        assert!(num(&v["spectrum"][key], key) > 0.0, "spectrum.{key}");
    }
    assert!(
        stdout.contains("whole curvature on that run (337 parameters)"),
        "{stdout}"
    );
}

#[test]
fn a_bad_simd_variable_is_refused() {
    for (value, needle) in [("avx9", "expected avx512, avx2 or baseline"), ("", "")] {
        let out = Command::new(env!("CARGO_BIN_EXE_curvscope"))
            .args(["analyze", "assets/problems/sine.json"])
            .env("CURVSCOPE_SIMD", value)
            .current_dir(root())
            .output()
            .expect("the curvscope binary runs");
        let stderr = text(&out.stderr);
        if needle.is_empty() {
            assert!(out.status.success(), "empty means the default: {stderr}");
        } else {
            assert!(!out.status.success());
            assert!(
                stderr.contains("CURVSCOPE_SIMD=avx9") && stderr.contains(needle),
                "{stderr}"
            );
        }
    }
}

#[test]
fn bench_refuses_zero_runs() {
    fails_with(
        &["bench", "--runs", "0"],
        &["--runs", "at least 1", "got 0"],
    );
}

#[test]
fn bench_saves_the_wide_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wide.json");
    let stdout = succeeds(&["bench", "--save-wide", path.to_str().unwrap()]);
    assert!(stdout.contains("wrote"), "{stdout}");
    let problem = Problem::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(problem.architecture.layers, [2, 140, 140, 1]);
    let p = problem.n_params();
    assert!((20_000..21_000).contains(&p), "{p} parameters");
    assert_eq!(p, problem.params.len());
    assert!(problem.directions.as_ref().is_some_and(|d| d.len() == 2));
}

#[test]
fn bench_save_wide_into_a_missing_folder_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing").join("wide.json");
    let shown = path.to_str().unwrap();
    fails_with(&["bench", "--save-wide", shown], &[shown]);
}
