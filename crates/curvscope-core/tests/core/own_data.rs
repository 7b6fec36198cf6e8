//! Your own data and model: CSV data sets (loss chosen from the target,
//! splits, standardization, every malformed file refused with its line and
//! column), PyTorch MLPs from safetensors files made by the Python
//! `safetensors` package (loss and gradient against numpy's, from
//! `tests/data/safetensors/make.py`), the export back, and lessons and
//! sessions on a CSV file.

use curvscope_core::spec::{DataSource, ModelSpec};
use std::fs;
use std::path::{Path, PathBuf};

use curvscope_core::contiguous::Flat as _;
use curvscope_core::io::csv_data::{CsvData, CsvSpec, MAX_FILE_BYTES, Split};
use curvscope_core::io::import;
use curvscope_core::io::problem::Problem;
use curvscope_core::io::safetensors::{self, Mlp};
use curvscope_core::lesson::Lesson;
use curvscope_core::model::activation::Activation;
use curvscope_core::model::dataset::Targets;
use curvscope_core::model::loss::LossKind;
use curvscope_core::model::objective::Objective;
use curvscope_core::spec::SessionConfig;
use curvscope_core::train::session::Session;
use serde_json::Value;

use crate::common::{bad_inputs, root};

fn data(name: &str) -> PathBuf {
    root().join("tests/data/safetensors").join(name)
}

fn bad(name: &str) -> PathBuf {
    root().join("tests/data/bad").join(name)
}

/// A spec that reads every row as training data, in the file's scale.
fn whole(path: &Path, target: &str) -> CsvSpec {
    CsvSpec {
        split: Split::Fraction(0.0),
        standardize: false,
        ..CsvSpec::new(path, target)
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-11 * (1.0 + a.abs().max(b.abs()))
}

/// Imports a test model with its CSV and checks loss and gradient against
/// numpy's, raw and standardized.
fn check_import(name: &str, activation: Option<Activation>) -> Problem {
    let expected: Value =
        serde_json::from_str(&fs::read_to_string(data(&format!("{name}.expected.json"))).unwrap())
            .unwrap();
    let mut last = None;
    for (standardize, values) in [(false, &expected), (true, &expected["standardized"])] {
        let model = Mlp::load(&data(&format!("{name}.safetensors")), activation).unwrap();
        let spec = CsvSpec {
            standardize,
            ..whole(&data(&format!("{name}.csv")), "target")
        };
        let csv = CsvData::load(spec).unwrap();
        let problem = import::problem(model, &csv).unwrap();
        let layers: Vec<usize> = serde_json::from_value(expected["layers"].clone()).unwrap();
        assert_eq!(problem.architecture.layers, layers, "{name}");
        assert_eq!(
            problem.architecture.activation.name(),
            expected["activation"],
            "{name}"
        );
        assert_eq!(problem.loss.name(), expected["loss_kind"], "{name}");
        let objective = Objective::new(problem.architecture.clone(), problem.loss, &problem.data);
        let (loss, grad) = objective.loss_and_grad(problem.params.flat());
        let want = values["loss"].as_f64().unwrap();
        assert!(
            close(loss, want),
            "{name} (standardize {standardize}): loss {loss} vs numpy {want}"
        );
        let want: Vec<f64> = serde_json::from_value(values["grad"].clone()).unwrap();
        assert_eq!(grad.len(), want.len());
        for (i, (g, w)) in grad.iter().zip(&want).enumerate() {
            assert!(close(*g, *w), "{name}: grad[{i}] {g} vs numpy {w}");
        }
        last = Some(problem);
    }
    last.unwrap()
}

#[test]
fn imported_models_give_numpys_loss_and_gradient() {
    // float32, activation from the metadata, labels 0/1: bce_logits.
    let problem = check_import("tanh_bce", None);
    // What `curvscope --problem` starts: a live session from the file.
    let config = SessionConfig {
        data: DataSource::Problem(std::sync::Arc::new(problem.clone().into())),
        ..SessionConfig::default()
    };
    let mut session = Session::new(config).unwrap();
    session.train(50);
    session.measure();
    assert!(session.snapshot().surface.is_some());
    // float64 under a module prefix, named classes: softmax_ce.
    check_import("gelu_softmax", Some(Activation::Gelu));
    // PyTorch's spelling "Sigmoid" in the metadata, numbers: mse.
    check_import("sigmoid_mse", None);
}

#[test]
fn an_exported_model_reads_back_bit_for_bit_with_its_names() {
    let model = Mlp::load(&data("gelu_softmax.safetensors"), Some(Activation::Gelu)).unwrap();
    assert_eq!(model.names, ["net.0", "net.2"]);
    let arch = &model.architecture;
    let bytes = safetensors::to_bytes(arch, model.params.flat(), &model.names, None).unwrap();
    let back = Mlp::from_bytes(&bytes, None).unwrap();
    assert_eq!(back, model, "names, widths, activation and parameters");
    let names = safetensors::sequential_names(arch.n_layers());
    assert_eq!(names, ["0", "2"]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.safetensors");
    let scaling = curvscope_core::io::csv_data::Scaling {
        mean: vec![1.0, 2.0, 3.0],
        scale: vec![0.5, 1.0, 2.0],
    };
    safetensors::save(arch, model.params.flat(), &names, Some(&scaling), &out).unwrap();
    let back = Mlp::load(&out, None).unwrap();
    assert_eq!((back.params, back.names), (model.params.clone(), names));
    let text = String::from_utf8_lossy(&fs::read(&out).unwrap()).into_owned();
    assert!(text.contains(r#""feature_mean":"[1.0,2.0,3.0]""#), "{text}");
    // The wrong number of parameters is refused, nothing written.
    let e = safetensors::to_bytes(arch, &model.params.flat()[1..], &model.names, None);
    assert!(e.unwrap_err().contains("parameters"));
}

#[test]
fn every_bad_model_is_refused_with_its_line() {
    for (name, message) in bad_inputs(".safetensors") {
        let e = Mlp::load(&bad(&name), None).unwrap_err().to_string();
        assert!(e.contains(&message), "{name}: {e}");
        assert!(!e.contains('\n'), "{name}: {e}");
    }
}

#[test]
fn every_bad_csv_is_refused_with_its_line_and_column() {
    for (name, message) in bad_inputs(".csv") {
        let e = CsvData::load(CsvSpec::new(bad(&name), "label")).unwrap_err();
        let e = e.to_string();
        assert!(e.starts_with(&bad(&name).display().to_string()), "{e}");
        assert!(e.contains(&message), "{name}: {e}");
        assert!(!e.contains('\n'), "{name}: {e}");
    }
}

#[test]
fn files_beyond_the_limit_are_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge.csv");
    // A sparse 1 GiB file: nothing is written to disk, nothing read.
    fs::File::create(&huge).unwrap().set_len(1 << 30).unwrap();
    let e = CsvData::load(CsvSpec::new(&huge, "y"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!(
            "1073741824 bytes, more than the limit of {MAX_FILE_BYTES}"
        )),
        "{e}"
    );
    let e = CsvData::load(CsvSpec::new(dir.path().join("none.csv"), "y")).unwrap_err();
    assert!(e.to_string().contains("No such file"), "{e}");
    // Too many rows for a live run.
    let rows = 2 * curvscope_core::defaults::MAX_SAMPLES + 1;
    let text: String = std::iter::once("a,y\n".to_string())
        .chain((0..rows).map(|i| format!("{i},{}\n", i % 2)))
        .collect();
    let many = dir.path().join("many.csv");
    fs::write(&many, text).unwrap();
    let e = CsvData::load(CsvSpec::new(&many, "y"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 20002: more than 20000 data rows"), "{e}");
}

#[test]
fn the_target_chooses_the_loss_unless_one_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.csv");
    let load = |text: &str, loss: Option<LossKind>| {
        fs::write(&file, text).unwrap();
        CsvData::load(CsvSpec {
            loss,
            ..whole(&file, "y")
        })
    };
    let d = load("a,b,y\n1,2,x\n3,4,z\n5,6,y\n", None).unwrap();
    assert_eq!((d.loss, d.n_outputs), (LossKind::SoftmaxCe, 3));
    assert_eq!(d.classes.unwrap(), ["x", "y", "z"]);
    assert_eq!(d.train.y, Targets::Classes(vec![0, 2, 1]));
    assert_eq!(d.features, ["a", "b"]);
    // Soft labels with bce_logits given; out of [0, 1] refused at its line.
    let d = load("a,y\n1,0.25\n2,1\n", Some(LossKind::BceLogits)).unwrap();
    assert_eq!(d.train.y, Targets::Binary(vec![0.25, 1.0].into()));
    let e = load("a,y\n1,0.25\n2,1.5\n", Some(LossKind::BceLogits)).unwrap_err();
    assert!(
        e.to_string()
            .ends_with(r#"line 3, column "y": expected a number in [0, 1] (the target of bce_logits), got "1.5""#),
        "{e}"
    );
    // Class indices with softmax_ce given: K from the largest.
    let d = load("a,y\n1,0\n2,3\n", Some(LossKind::SoftmaxCe)).unwrap();
    assert_eq!((d.n_outputs, d.train.y), (4, Targets::Classes(vec![0, 3])));
    let e = load("a,y\n1,0\n2,cat\n", Some(LossKind::SoftmaxCe)).unwrap_err();
    assert!(
        e.to_string()
            .contains(r#"line 3, column "y": expected a class index"#),
        "{e}"
    );
    // Integers with many values are numbers.
    let text: String = std::iter::once("a,y\n".to_string())
        .chain((0..40).map(|i| format!("{i},{i}\n")))
        .collect();
    assert_eq!(load(&text, None).unwrap().loss, LossKind::Mse);
}

#[test]
fn a_split_column_and_chosen_features_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.csv");
    fs::write(
        &file,
        "id,a,b,part,y\n1,0.5,2,train,0\n2,1.5,4,TEST,1\n3,2.5,6,train,1\n",
    )
    .unwrap();
    let spec = CsvSpec {
        features: Some(vec!["b".into(), "a".into()]),
        split: Split::Column("part".into()),
        ..CsvSpec::new(&file, "y")
    };
    let d = CsvData::load(spec.clone()).unwrap();
    assert_eq!(d.features, ["b", "a"]);
    let s = d.scaling.as_ref().unwrap();
    assert_eq!(
        (s.mean.clone(), s.scale.clone()),
        (vec![4.0, 1.5], vec![2.0, 1.0])
    );
    assert_eq!(d.train.x, ndarray::array![[-1.0, -1.0], [1.0, 1.0]]);
    let test = d.test.unwrap();
    assert_eq!(
        test.x,
        ndarray::array![[0.0, 0.0]],
        "scaled as the training rows"
    );
    // Every other column is a feature, the split column not.
    let all = CsvData::load(CsvSpec {
        features: None,
        ..spec.clone()
    })
    .unwrap();
    assert_eq!(all.features, ["id", "a", "b"]);
    let wrong = |features: Vec<&str>| {
        CsvData::load(CsvSpec {
            features: Some(features.into_iter().map(String::from).collect()),
            ..spec.clone()
        })
        .unwrap_err()
        .to_string()
    };
    assert!(wrong(vec!["a", "y"]).contains(r#"feature column "y": it is the target"#));
    assert!(wrong(vec!["a", "a"]).contains("it is listed twice"));
    assert!(wrong(vec!["c"]).contains(r#"no feature column "c""#));
    let spec = CsvSpec {
        features: None,
        ..spec
    };
    fs::write(&file, "a,part,y\n1,train,0\n2,later,1\n").unwrap();
    let e = CsvData::load(spec.clone()).unwrap_err().to_string();
    assert!(
        e.contains(r#"line 3, column "part": expected train or test, got "later""#),
        "{e}"
    );
    fs::write(&file, "a,part,y\n1,test,0\n2,test,1\n").unwrap();
    let e = CsvData::load(spec).unwrap_err();
    assert!(e.to_string().contains("no training rows"), "{e}");
}

#[test]
fn data_that_does_not_fit_the_model_is_refused() {
    let model = || Mlp::load(&data("tanh_bce.safetensors"), None).unwrap();
    // Three features for a two-input model.
    let three = CsvData::load(whole(&data("gelu_softmax.csv"), "target")).unwrap();
    let e = import::problem(model(), &three).unwrap_err();
    assert!(e.starts_with("the model takes 2 inputs"), "{e}");
    // Three classes for one output; --loss reads them as numbers.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.csv");
    fs::write(&file, "a,b,y\n1,2,0\n3,4,1\n5,6,2\n").unwrap();
    let e = import::problem(model(), &CsvData::load(whole(&file, "y")).unwrap()).unwrap_err();
    assert!(
        e.contains(r#"the target column "y" holds 3 classes, but the model has 1 output"#),
        "{e}"
    );
    let mse = CsvSpec {
        loss: Some(LossKind::Mse),
        ..whole(&file, "y")
    };
    let p = import::problem(model(), &CsvData::load(mse).unwrap()).unwrap();
    assert_eq!(p.loss, LossKind::Mse);
}

#[test]
fn a_session_trains_on_a_csv_file() {
    let csv = CsvData::load(CsvSpec::new(data("gelu_softmax.csv"), "target")).unwrap();
    assert_eq!((csv.train.len(), csv.test.as_ref().unwrap().len()), (24, 6));
    let config = SessionConfig {
        data: DataSource::Csv(csv.into()),
        model: ModelSpec {
            hidden: vec![8],
            ..ModelSpec::default()
        },
        ..SessionConfig::default()
    };
    assert_eq!(config.n_params(), 3 * 8 + 8 + 8 * 3 + 3);
    assert_eq!(config.train_samples(), 24);
    let mut session = Session::new(config.clone()).unwrap();
    let first = session.snapshot().train_loss;
    session.train(200);
    let snap = session.snapshot();
    assert!(snap.train_loss < first, "{} -> {}", first, snap.train_loss);
    assert!(snap.test_loss.is_some());
    let problem = session.to_problem();
    assert_eq!(problem.architecture.layers, [3, 8, 3]);
    // The same configuration starts the same run.
    let mut again = Session::new(config).unwrap();
    again.train(200);
    assert_eq!(again.to_problem().params, problem.params);
}

#[test]
fn a_lesson_reads_its_csv_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(data("tanh_bce.csv"), dir.path().join("moons.csv")).unwrap();
    let lesson = |data: &str| {
        let text = format!(
            r#"{{"format": "curvscope-lesson/1", "name": "mine", "run": {{"data": {data}, "hidden": [4]}}}}"#
        );
        let path = dir.path().join("mine.json");
        fs::write(&path, text).unwrap();
        Lesson::load(&path)
    };
    let l = lesson(
        r#"{"csv": "moons.csv", "target": "target", "test_fraction": 0.25, "standardize": false}"#,
    )
    .unwrap();
    let csv = l.runs[0].config.data.csv().unwrap();
    assert_eq!((csv.loss, csv.train.len()), (LossKind::BceLogits, 30));
    assert!(csv.scaling.is_none());
    assert!(Session::new(l.runs[0].config.clone()).is_ok());
    let e = lesson(r#"{"csv": "moons.csv", "target": "label"}"#).unwrap_err();
    assert_eq!(e.field, "run.data.csv");
    assert!(
        e.message.contains(r#"moons.csv: no target column "label""#),
        "{e}"
    );
    let e = lesson(r#"{"csv": "moons.csv"}"#).unwrap_err();
    assert_eq!(e.field, "run.data.target");
    let e = lesson(r#"{"csv": "moons.csv", "target": "target", "test_fraction": 1}"#).unwrap_err();
    assert_eq!(e.field, "run.data.test_fraction");
    let e = lesson(r#"{"csv": "moons.csv", "target": "target", "shuffle": true}"#).unwrap_err();
    assert_eq!(e.field, "run.data.shuffle");
}
