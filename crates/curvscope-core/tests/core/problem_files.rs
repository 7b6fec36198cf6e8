//! Problem files on disk: the public samples are read with the sizes their
//! `.expected.json` states, and every file in `tests/data/bad/` is refused
//! with the field its line in `tests/data/bad/README.md` names.

use crate::common;

use std::fs;
use std::path::PathBuf;

use curvscope_core::io::problem::Problem;
use serde_json::Value;

fn data_dir() -> PathBuf {
    crate::common::root().join("tests/data")
}

/// The sample problems ship in `assets/problems/`; their expected values in `tests/data/`.
fn sample(name: &str) -> PathBuf {
    crate::common::root().join(format!("assets/problems/{name}.json"))
}

#[test]
fn sample_problems_have_the_expected_sizes() {
    for name in ["sine", "moons", "spiral3"] {
        let problem =
            Problem::load(&sample(name)).unwrap_or_else(|e| panic!("{name}.json refused: {e}"));
        let text = fs::read_to_string(data_dir().join(format!("{name}.expected.json"))).unwrap();
        let expected: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            Some(problem.n_params() as u64),
            expected["n_params"].as_u64(),
            "{name}"
        );
        assert_eq!(
            Some(problem.n_samples() as u64),
            expected["n_samples"].as_u64(),
            "{name}"
        );
        let layers: Vec<u64> = problem
            .architecture
            .layers
            .iter()
            .map(|&w| w as u64)
            .collect();
        assert_eq!(Value::from(layers), expected["model"]["layers"], "{name}");
        assert_eq!(
            problem.architecture.activation.name(),
            expected["model"]["activation"],
            "{name}"
        );
        assert_eq!(problem.loss.name(), expected["loss_fn"], "{name}");
        assert_eq!(problem.directions.as_ref().map(Vec::len), Some(2), "{name}");
    }
}

#[test]
fn sample_problems_survive_save_and_load() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["sine", "moons", "spiral3"] {
        let problem = Problem::load(&sample(name)).unwrap();
        let path = dir.path().join(format!("{name}.json"));
        problem.save(&path).unwrap();
        let back = Problem::load(&path).unwrap();
        assert_eq!(problem, back, "{name}");
        let bits = |p: &Problem| p.params.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&problem), bits(&back), "{name}");
    }
}

/// File name -> field, from the `- `NAME`: ... (field `FIELD`)` lines of the README.
#[test]
fn every_bad_file_is_refused_with_its_documented_field() {
    let bad = data_dir().join("bad");
    for (name, field) in common::bad_files() {
        match Problem::load(&bad.join(&name)) {
            Ok(_) => panic!("{name} was accepted"),
            // The public README names the field without the index
            // (`data.x` for `data.x[4]`); our own lines give it exactly.
            Err(e) => assert!(
                e.field == *field || e.field.starts_with(&format!("{field}[")),
                "{name}: refused with `{e}`, README says field `{field}`"
            ),
        }
    }
}

#[test]
fn public_bad_files_give_the_reference_messages() {
    let bad = data_dir().join("bad");
    for (name, message) in [
        (
            "wrong_format_tag.json",
            r#"format: expected exactly "curvscope-problem/1", got "curvscope-problem/2""#,
        ),
        (
            "params_too_short.json",
            "params: expected 337 numbers for layers [2, 16, 16, 1], got 336",
        ),
        (
            "x_row_wrong_width.json",
            "data.x[4]: expected a row of 2 numbers, got 3",
        ),
        (
            "class_index_out_of_range.json",
            "data.y[0]: expected a class index in [0, 3), got 3",
        ),
        (
            "huge_layers.json",
            "model.layers: layers [1000000, 1000000, 1] have 1000002000001 parameters, more than the limit of 50000000",
        ),
        (
            "number_out_of_range.json",
            "json: a number is out of float64 range (magnitude above 1.8e308) at line 1 column 136",
        ),
    ] {
        let e = Problem::load(&bad.join(name)).unwrap_err();
        assert_eq!(e.to_string(), message, "{name}");
    }
}
