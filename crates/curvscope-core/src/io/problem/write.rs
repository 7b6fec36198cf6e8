//! Writing a problem: compact JSON whose floats read back bit-exactly, saved
//! through a temporary file so that a failed write leaves no half-written file.

use std::fmt;
use std::path::Path;

use serde_json::Value;

use super::{FORMAT_TAG, Problem, ProblemError};
use crate::io::fsutil::write_atomically;
use crate::model::dataset::Targets;

impl Problem {
    /// The problem as compact problem-file JSON.
    ///
    /// Floats are written in the shortest form that reads back to the same
    /// bits. A non-finite number (which no problem read from a file holds)
    /// is written as `null`, which the reader refuses.
    pub fn to_json_string(&self) -> String {
        Json(self).to_string()
    }

    /// Writes the problem to `path`, replacing any file there.
    ///
    /// The text goes to a temporary file in the same folder, which is then
    /// renamed over `path`, so a failed write (a full disk) never leaves a
    /// half-written file. A problem that would not read back (NaN
    /// parameters, a data row of the wrong width) is refused with the
    /// reader's error and nothing is written; I/O failures are errors on
    /// field `file` that name the path.
    pub fn save(&self, path: &Path) -> Result<(), ProblemError> {
        let text = self.to_json_string();
        Problem::from_json_str(&text).map_err(|e| {
            ProblemError::new(
                e.field,
                format!(
                    "{} (refusing to save a problem that would not read back)",
                    e.message
                ),
            )
        })?;
        write_atomically(path, text.as_bytes())
            .map_err(|e| ProblemError::new("file", format!("cannot write {}: {e}", path.display())))
    }
}

/// Formats a problem as problem-file JSON.
struct Json<'a>(&'a Problem);

impl fmt::Display for Json<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.0;
        // The tag and all names are plain ASCII: no escaping needed.
        write!(f, r#"{{"format":"{FORMAT_TAG}","model":{{"layers":"#)?;
        list(f, &p.architecture.layers, |f, w| write!(f, "{w}"))?;
        write!(
            f,
            r#","activation":"{}"}},"loss":"{}","data":{{"x":"#,
            p.architecture.activation.name(),
            p.loss.name()
        )?;
        list(f, p.data.x.rows(), numbers)?;
        f.write_str(r#","y":"#)?;
        match &p.data.y {
            Targets::Regression(y) => list(f, y.rows(), numbers)?,
            Targets::Binary(y) => numbers(f, y)?,
            Targets::Classes(y) => list(f, y, |f, k| write!(f, "{k}"))?,
        }
        f.write_str(r#"},"params":"#)?;
        numbers(f, &p.params)?;
        if let Some(directions) = &p.directions {
            f.write_str(r#","directions":"#)?;
            list(f, directions, numbers)?;
        }
        if let Some(trajectory) = &p.trajectory {
            f.write_str(r#","trajectory":"#)?;
            list(f, trajectory, numbers)?;
        }
        f.write_str("}")
    }
}

/// A JSON list of `items`, each written by `item`.
fn list<T>(
    f: &mut fmt::Formatter<'_>,
    items: impl IntoIterator<Item = T>,
    mut item: impl FnMut(&mut fmt::Formatter<'_>, T) -> fmt::Result,
) -> fmt::Result {
    f.write_str("[")?;
    for (i, x) in items.into_iter().enumerate() {
        if i > 0 {
            f.write_str(",")?;
        }
        item(f, x)?;
    }
    f.write_str("]")
}

/// A JSON list of floats, each in its shortest round-trip form.
fn numbers<'a>(f: &mut fmt::Formatter<'_>, xs: impl IntoIterator<Item = &'a f64>) -> fmt::Result {
    list(f, xs, |f, &x| write!(f, "{}", Value::from(x)))
}

#[cfg(test)]
mod tests {
    use ndarray::Array1;
    use serde_json::json;
    use std::fs;

    use super::*;

    /// A problem read from `doc`.
    fn problem(doc: serde_json::Value) -> Problem {
        Problem::from_json_str(&doc.to_string()).unwrap()
    }

    /// Awkward floats, then pseudo-random ones, `n` in all.
    fn floats(n: usize, seed: u64) -> Vec<f64> {
        let special = [
            0.1,
            -0.0,
            1.0 / 3.0,
            5e-324,
            f64::MIN_POSITIVE,
            f64::MAX,
            -1e300,
            0.9546673224167055,
        ];
        let mut state = seed;
        (0..n)
            .map(|i| {
                special.get(i).copied().unwrap_or_else(|| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    let unit = f64::from_bits(state >> 12 | 0x3ff0_0000_0000_0000) - 1.0;
                    (unit - 0.5) * 10f64.powi((state % 13) as i32 - 6)
                })
            })
            .collect()
    }

    fn bits(xs: impl IntoIterator<Item = f64>) -> Vec<u64> {
        xs.into_iter().map(f64::to_bits).collect()
    }

    /// Problems of all three losses, with directions, a trajectory and awkward floats.
    fn samples() -> Vec<Problem> {
        let x: Vec<Vec<f64>> = floats(8, 1).chunks(2).map(<[f64]>::to_vec).collect();
        vec![
            problem(json!({
                "format": FORMAT_TAG,
                "model": {"layers": [2, 3, 2], "activation": "gelu"},
                "loss": "mse",
                "data": {"x": x, "y": [[0.1, 0.2], [1e-7, -3.5], [0.0, 1.0], [2.0, 2.5]]},
                "params": floats(17, 2),
                "directions": [floats(17, 3), floats(17, 4)],
                "trajectory": [floats(17, 7), floats(17, 8), floats(17, 9)],
            })),
            problem(json!({
                "format": FORMAT_TAG,
                "model": {"layers": [2, 3, 1], "activation": "softplus"},
                "loss": "bce_logits",
                "data": {"x": x, "y": [0.0, 1.0, 0.25, 0.7]},
                "params": floats(13, 5),
                "directions": [],
            })),
            problem(json!({
                "format": FORMAT_TAG,
                "model": {"layers": [2, 4], "activation": "relu"},
                "loss": "softmax_ce",
                "data": {"x": x, "y": [3, 0, 1, 2]},
                "params": floats(12, 6),
            })),
        ]
    }

    fn assert_same(a: &Problem, b: &Problem) {
        assert_eq!(a, b);
        assert_eq!(
            bits(a.params.iter().copied()),
            bits(b.params.iter().copied())
        );
        assert_eq!(
            bits(a.data.x.iter().copied()),
            bits(b.data.x.iter().copied())
        );
        let dirs = |p: &Problem| {
            p.directions
                .iter()
                .flatten()
                .flat_map(|d| d.to_vec())
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(dirs(a)), bits(dirs(b)));
        let path = |p: &Problem| {
            p.trajectory
                .iter()
                .flatten()
                .flat_map(|d| d.to_vec())
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(path(a)), bits(path(b)));
    }

    #[test]
    fn json_is_compact_in_spec_order() {
        let p = problem(json!({
            "params": [1.0, -0.0],
            "loss": "mse",
            "data": {"y": [2], "x": [[0.5]]},
            "model": {"activation": "linear", "layers": [1, 1]},
            "format": FORMAT_TAG,
        }));
        assert_eq!(
            p.to_json_string(),
            r#"{"format":"curvscope-problem/1","model":{"layers":[1,1],"activation":"linear"},"loss":"mse","data":{"x":[[0.5]],"y":[[2.0]]},"params":[1.0,-0.0]}"#
        );
    }

    #[test]
    fn json_round_trip_is_bit_exact() {
        for p in samples() {
            let back = Problem::from_json_str(&p.to_json_string()).unwrap();
            assert_same(&p, &back);
        }
        assert_eq!(samples()[0].params[5].to_bits(), f64::MAX.to_bits());
    }

    #[test]
    fn save_then_load_gives_the_same_problem() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.json");
        let [first, second, ..] = &samples()[..] else {
            unreachable!()
        };
        first.save(&path).unwrap();
        assert_same(first, &Problem::load(&path).unwrap());
        second.save(&path).unwrap();
        assert_same(second, &Problem::load(&path).unwrap());
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["p.json"], "no temporary file is left behind");
    }

    #[test]
    fn save_into_a_missing_folder_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("p.json");
        let e = samples()[0].save(&path).unwrap_err();
        assert_eq!(e.field, "file");
        assert_eq!(
            e.message,
            format!(
                "cannot write {}: No such file or directory (os error 2)",
                path.display()
            )
        );
    }

    #[test]
    fn a_failed_save_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("taken");
        fs::create_dir(&path).unwrap();
        let e = samples()[0].save(&path).unwrap_err();
        assert_eq!(e.field, "file");
        assert!(
            e.message
                .starts_with(&format!("cannot write {}: ", path.display())),
            "{e}"
        );
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["taken"]);
    }

    #[test]
    fn problems_that_would_not_read_back_are_not_saved() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.json");
        let mut p = samples().remove(2);
        p.params[1] = f64::NAN;
        assert_eq!(
            p.save(&path).unwrap_err().to_string(),
            "params[1]: expected a number, got null (refusing to save a problem that would not read back)"
        );
        p.params = Array1::zeros(3);
        assert_eq!(
            p.save(&path).unwrap_err().to_string(),
            "params: expected 12 numbers for layers [2, 4], got 3 (refusing to save a problem that would not read back)"
        );
        assert!(!path.exists());
    }
}
