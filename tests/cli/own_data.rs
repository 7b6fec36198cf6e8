//! Your own data and model: `import`, `export-safetensors`, `--data FILE.csv`.

use std::fs;

use curvscope_core::io::problem::Problem;
use serde_json::Value;

use crate::binary::{curvscope, describe, fails_with, succeeds, text};
use crate::common::{self, root};
use crate::results::{analyze_json, num, rel_close};

fn own(name: &str) -> String {
    format!("tests/data/safetensors/{name}")
}

#[test]
fn import_writes_a_problem_that_analyze_reads_with_numpys_loss() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p.json");
    let out_s = out.to_str().unwrap();
    let args = [
        "import",
        &own("tanh_bce.safetensors"),
        "--data",
        &own("tanh_bce.csv"),
        "--target",
        "target",
        "--out",
        out_s,
    ];
    let printed = succeeds(&args);
    assert!(
        printed.contains("layers [2, 8, 8, 1] tanh, bce_logits on 40 samples, 105 parameters"),
        "{printed}"
    );
    let problem = Problem::load(&out).unwrap();
    assert_eq!(problem.n_samples(), 40);
    let want = num(
        &expected_own("tanh_bce")["loss"],
        "tanh_bce.expected.json loss",
    );
    let (_, result) = analyze_json(&out, &["--grid", "3"], dir.path(), "a");
    rel_close("loss", num(&result["loss"], "loss"), want, 1e-11);
    // Back to safetensors and in again: the same problem file.
    let model = dir.path().join("m.safetensors");
    let model_s = model.to_str().unwrap();
    let printed = succeeds(&["export-safetensors", out_s, "--out", model_s]);
    assert!(
        printed.contains("tensors 0.weight, 0.bias, 2.weight"),
        "{printed}"
    );
    let again = dir.path().join("q.json");
    let again_s = again.to_str().unwrap();
    let mut args2 = args;
    args2[1] = model_s;
    args2[7] = again_s;
    succeeds(&args2);
    assert_eq!(fs::read(&out).unwrap(), fs::read(&again).unwrap());
    // The names of the original with --like.
    let like = dir.path().join("like.safetensors");
    let gelu = dir.path().join("gelu.json");
    succeeds(&[
        "import",
        &own("gelu_softmax.safetensors"),
        "--data",
        &own("gelu_softmax.csv"),
        "--target",
        "target",
        "--activation",
        "gelu",
        "--out",
        gelu.to_str().unwrap(),
    ]);
    let printed = succeeds(&[
        "export-safetensors",
        gelu.to_str().unwrap(),
        "--like",
        &own("gelu_softmax.safetensors"),
        "--out",
        like.to_str().unwrap(),
    ]);
    assert!(
        printed.contains("tensors net.0.weight, net.0.bias, net.2.weight"),
        "{printed}"
    );
}

fn expected_own(name: &str) -> Value {
    let path = root().join(own(&format!("{name}.expected.json")));
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn import_refuses_every_bad_model_and_csv_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p.json");
    let out_s = out.to_str().unwrap();
    for (name, message) in common::bad_inputs(".safetensors") {
        let model = format!("tests/data/bad/{name}");
        let args = [
            "import",
            &model,
            "--data",
            &own("tanh_bce.csv"),
            "--target",
            "target",
            "--out",
            out_s,
        ];
        fails_with(&args, &[&model, &message]);
    }
    for (name, message) in common::bad_inputs(".csv") {
        let data = format!("tests/data/bad/{name}");
        let model = own("tanh_bce.safetensors");
        let args = [
            "import", &model, "--data", &data, "--target", "label", "--out", out_s,
        ];
        fails_with(&args, &[&data, &message]);
        // The app refuses it before opening a window.
        fails_with(&["--data", &data, "--target", "label"], &[&data, &message]);
    }
    assert!(!out.exists(), "nothing written");
}

#[test]
fn import_and_export_refuse_bad_options_and_outputs() {
    let model = own("tanh_bce.safetensors");
    let data = own("tanh_bce.csv");
    let base = ["import", &model, "--data", &data, "--target", "target"];
    let with = |extra: &[&'static str]| -> Vec<&str> {
        base.iter().copied().chain(extra.iter().copied()).collect()
    };
    let mut same = with(&["--out"]);
    same.push(&model);
    fails_with(&same, &["--out", "that is an input file"]);
    fails_with(
        &with(&["--out", "/no/such/folder/p.json"]),
        &["--out: cannot write /no/such/folder/p.json"],
    );
    let args = with(&["--activation", "swish", "--out", "x.json"]);
    let out = curvscope(&args);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&args, &out));
    assert!(text(&out.stderr).contains("invalid value 'swish'"));
    // Features chosen and ordered: x2 then x1 is another problem.
    let dir = tempfile::tempdir().unwrap();
    let swapped = dir.path().join("s.json");
    let mut args = with(&["--features", "x2,x1", "--out"]);
    args.push(swapped.to_str().unwrap());
    succeeds(&args);
    let x = Problem::load(&swapped).unwrap().data.x;
    let csv = fs::read_to_string(root().join(&data)).unwrap();
    let first: Vec<f64> = csv
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .map(|c| c.parse().unwrap())
        .collect();
    assert_eq!((x[(0, 0)], x[(0, 1)]), (first[1], first[0]));
    fails_with(
        &with(&["--features", "x1,nope", "--out", "x.json"]),
        &[r#"no feature column "nope""#],
    );
    // Two features for the one-input mse model.
    fails_with(
        &[
            "import",
            &own("sigmoid_mse.safetensors"),
            "--data",
            &data,
            "--target",
            "target",
            "--out",
            "x.json",
        ],
        &["the model takes 1 inputs", "2 feature columns (x1, x2)"],
    );
    let problem = "assets/problems/moons.json";
    fails_with(
        &["export-safetensors", problem, "--out", problem],
        &["that is an input file"],
    );
    fails_with(
        &[
            "export-safetensors",
            problem,
            "--like",
            &model,
            "--out",
            "x.safetensors",
        ],
        &["its layers [2, 8, 8, 1] are not the problem's [2, 16, 16, 1]"],
    );
    assert!(!root().join("x.json").exists() && !root().join("x.safetensors").exists());
}

#[test]
fn the_app_needs_a_target_for_csv_data_and_a_csv_for_its_options() {
    fails_with(
        &["--data", &own("tanh_bce.csv")],
        &["give the target column with --target COLUMN"],
    );
    fails_with(&["--target", "y"], &["--target: only for CSV data"]);
    fails_with(&["--features", "a,b"], &["--features: only for CSV data"]);
    fails_with(
        &[
            "--problem",
            "assets/problems/moons.json",
            "--data",
            &own("tanh_bce.csv"),
            "--target",
            "target",
        ],
        &["give --problem or --data FILE.csv, not both"],
    );
    let args = ["--data", "moonz"];
    let out = curvscope(args);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&args, &out));
    assert!(text(&out.stderr).contains("expected one of moons, circles"));
    fails_with(
        &[
            "--data",
            &own("tanh_bce.csv"),
            "--target",
            "target",
            "--test-fraction",
            "1",
        ],
        &["the test fraction must be in [0, 1), got 1"],
    );
}
