//! Reading a problem: every rule of `docs/problem-format.md` checked on the
//! parsed JSON, in the order the format lists them (the same order, and
//! field names, as the JAX reference reader that the expected values in
//! `tests/data/` were made with). Sizes are checked from the counts before anything is allocated.

use std::path::Path;

use ndarray::{Array1, Array2};
use serde_json::{Map, Value};

use super::{
    FORMAT_TAG, MAX_ACTIVATIONS, MAX_FILE_BYTES, MAX_PARAMS, MAX_TRAJECTORY_POINTS, Problem,
    ProblemError, json,
};
use crate::model::activation::Activation;
use crate::model::architecture::{Architecture, checked_param_count};
use crate::model::dataset::{Dataset, Targets};
use crate::model::loss::LossKind;

/// The top-level fields of the format; any other key is refused.
const TOP_LEVEL_FIELDS: [&str; 7] = [
    "format",
    "model",
    "loss",
    "data",
    "params",
    "directions",
    "trajectory",
];

/// Longest quotation of a file's value inside a message.
const MAX_QUOTE: usize = 60;

impl Problem {
    /// Parses and checks a problem file's text.
    pub fn from_json_str(text: &str) -> Result<Problem, ProblemError> {
        validate(&json::parse(text)?)
    }

    /// Parses and checks a problem file's bytes (UTF-8 JSON).
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Problem, ProblemError> {
        let text = std::str::from_utf8(bytes)
            .map_err(|e| ProblemError::new("json", format!("not UTF-8: {e}")))?;
        Self::from_json_str(text)
    }

    /// Reads and checks the problem file at `path` (a regular file of at
    /// most [`MAX_FILE_BYTES`]).
    pub fn load(path: &Path) -> Result<Problem, ProblemError> {
        let bytes = crate::io::json::read_bytes(path, MAX_FILE_BYTES)
            .map_err(|message| ProblemError::new("file", message))?;
        Self::from_json_bytes(&bytes)
    }
}

/// Checks a parsed document and builds the problem it describes.
fn validate(doc: &Value) -> Result<Problem, ProblemError> {
    let Value::Object(doc) = doc else {
        return Err(ProblemError::new(
            "json",
            format!("top level must be a JSON object, got {}", kind(doc)),
        ));
    };
    let format = doc.get("format");
    if format.and_then(Value::as_str) != Some(FORMAT_TAG) {
        return Err(ProblemError::new(
            "format",
            format!("expected exactly \"{FORMAT_TAG}\", got {}", quote(format)),
        ));
    }
    if let Some(key) = doc.keys().find(|k| !TOP_LEVEL_FIELDS.contains(&k.as_str())) {
        return Err(ProblemError::new(key.as_str(), "unknown field"));
    }

    let model = object(doc.get("model"), "model", "\"layers\" and \"activation\"")?;
    known_keys(model, "model", &["layers", "activation"])?;
    let layers = layers(model.get("layers"))?;
    let activation = name_in(
        model.get("activation"),
        "model.activation",
        Activation::ALL.map(Activation::name),
        Activation::from_name,
    )?;
    let loss = name_in(
        doc.get("loss"),
        "loss",
        LossKind::ALL.map(LossKind::name),
        LossKind::from_name,
    )?;
    let (n_in, n_out) = (layers[0], layers[layers.len() - 1]);
    if loss == LossKind::BceLogits && n_out != 1 {
        return Err(ProblemError::new(
            "model.layers",
            format!("bce_logits needs output width 1, got {n_out}"),
        ));
    }
    let n_params = param_count(&layers)?;
    let params = params(doc.get("params"), n_params, &layers)?;

    let data = object(doc.get("data"), "data", "\"x\" and \"y\"")?;
    known_keys(data, "data", &["x", "y"])?;
    let xs = list(data.get("x"), "data.x", "a list of rows")?;
    let ys = list(data.get("y"), "data.y", "a list")?;
    check_sample_count(xs.len(), ys.len(), &layers)?;
    let x = inputs(xs, n_in)?;
    let y = match loss {
        LossKind::Mse => Targets::Regression(regression_targets(ys, n_out)?),
        LossKind::BceLogits => Targets::Binary(binary_targets(ys)?),
        LossKind::SoftmaxCe => Targets::Classes(class_targets(ys, n_out)?),
    };
    let directions = vectors(doc.get("directions"), "directions", n_params, usize::MAX)?;
    let trajectory = vectors(
        doc.get("trajectory"),
        "trajectory",
        n_params,
        MAX_TRAJECTORY_POINTS,
    )?;

    Ok(Problem {
        architecture: Architecture { layers, activation },
        loss,
        data: Dataset { x, y },
        params,
        directions,
        trajectory,
    })
}

/// Refuses a key of `object` (at `path`) that the format does not define.
fn known_keys(object: &Map<String, Value>, path: &str, known: &[&str]) -> Result<(), ProblemError> {
    match object.keys().find(|k| !known.contains(&k.as_str())) {
        Some(key) => Err(ProblemError::new(
            format!("{path}.{key}"),
            format!("unknown field (expected {})", known.join(", ")),
        )),
        None => Ok(()),
    }
}

/// `model.layers`: at least two integer widths, each at least 1.
fn layers(value: Option<&Value>) -> Result<Vec<usize>, ProblemError> {
    let widths = match value {
        Some(Value::Array(widths)) if widths.len() >= 2 => widths,
        other => {
            return Err(ProblemError::new(
                "model.layers",
                format!("expected a list of at least 2 widths, got {}", quote(other)),
            ));
        }
    };
    widths
        .iter()
        .enumerate()
        .map(|(i, w)| {
            w.as_u64()
                .and_then(|w| usize::try_from(w).ok())
                .filter(|&w| w >= 1)
                .ok_or_else(|| {
                    ProblemError::new(
                        format!("model.layers[{i}]"),
                        format!("expected an integer >= 1, got {}", quote(Some(w))),
                    )
                })
        })
        .collect()
}

/// The parameter count of `layers`, refused above [`MAX_PARAMS`].
fn param_count(layers: &[usize]) -> Result<usize, ProblemError> {
    match checked_param_count(layers) {
        Some(n) if n <= MAX_PARAMS => Ok(n),
        Some(n) => Err(ProblemError::new(
            "model.layers",
            format!(
                "layers {} have {n} parameters, more than the limit of {MAX_PARAMS}",
                clip(format!("{layers:?}"))
            ),
        )),
        None => Err(ProblemError::new(
            "model.layers",
            format!(
                "the parameter count of layers {} overflows a {}-bit integer (the limit is {MAX_PARAMS})",
                clip(format!("{layers:?}")),
                usize::BITS
            ),
        )),
    }
}

/// `params`: exactly `n_params` finite numbers.
fn params(
    value: Option<&Value>,
    n_params: usize,
    layers: &[usize],
) -> Result<Array1<f64>, ProblemError> {
    let values = list(value, "params", "a flat array of numbers")?;
    if values.len() != n_params {
        return Err(ProblemError::new(
            "params",
            format!(
                "expected {n_params} numbers for layers {}, got {}",
                clip(format!("{layers:?}")),
                values.len()
            ),
        ));
    }
    numbers(values, |i| format!("params[{i}]"))
}

/// At least one sample, one target per sample, and activations of a size
/// that fits [`MAX_ACTIVATIONS`].
fn check_sample_count(n: usize, n_targets: usize, layers: &[usize]) -> Result<(), ProblemError> {
    if n == 0 {
        return Err(ProblemError::new("data.x", "expected at least one sample"));
    }
    let widest = layers.iter().copied().max().unwrap_or(1);
    let size = n as u128 * widest as u128;
    if size > MAX_ACTIVATIONS as u128 {
        return Err(ProblemError::new(
            "data.x",
            format!(
                "{n} samples times the widest layer ({widest}) make {size} activations, more than the limit of {MAX_ACTIVATIONS}"
            ),
        ));
    }
    if n_targets != n {
        return Err(ProblemError::new(
            "data.y",
            format!("expected {n} entries (one per row of data.x), got {n_targets}"),
        ));
    }
    Ok(())
}

/// `data.x`: rows of `n_in` finite numbers.
fn inputs(rows: &[Value], n_in: usize) -> Result<Array2<f64>, ProblemError> {
    let mut x = Array2::zeros((rows.len(), n_in));
    for (r, (row, mut dst)) in rows.iter().zip(x.rows_mut()).enumerate() {
        let row = match row {
            Value::Array(row) if row.len() == n_in => row,
            other => {
                return Err(ProblemError::new(
                    format!("data.x[{r}]"),
                    format!(
                        "expected a row of {n_in} numbers, got {}",
                        length_or_kind(other)
                    ),
                ));
            }
        };
        for (c, (v, out)) in row.iter().zip(dst.iter_mut()).enumerate() {
            *out = number(v, || format!("data.x[{r}][{c}]"))?;
        }
    }
    Ok(x)
}

/// `data.y` for `mse`: rows of `n_out` numbers, or bare numbers if `n_out` is 1.
fn regression_targets(ys: &[Value], n_out: usize) -> Result<Array2<f64>, ProblemError> {
    let mut y = Array2::zeros((ys.len(), n_out));
    for (r, (v, mut dst)) in ys.iter().zip(y.rows_mut()).enumerate() {
        match v {
            Value::Number(_) if n_out == 1 => {
                dst[0] = number(v, || format!("data.y[{r}]"))?;
            }
            Value::Array(row) if row.len() == n_out => {
                for (c, (u, out)) in row.iter().zip(dst.iter_mut()).enumerate() {
                    *out = number(u, || format!("data.y[{r}][{c}]"))?;
                }
            }
            other => {
                let bare = if n_out == 1 {
                    " (or a bare number)"
                } else {
                    ""
                };
                return Err(ProblemError::new(
                    format!("data.y[{r}]"),
                    format!(
                        "expected a row of {n_out} numbers{bare}, got {}",
                        quote(Some(other))
                    ),
                ));
            }
        }
    }
    Ok(y)
}

/// `data.y` for `bce_logits`: numbers in [0, 1].
fn binary_targets(ys: &[Value]) -> Result<Array1<f64>, ProblemError> {
    ys.iter()
        .enumerate()
        .map(|(r, v)| {
            let t = number(v, || format!("data.y[{r}]"))?;
            if (0.0..=1.0).contains(&t) {
                Ok(t)
            } else {
                Err(ProblemError::new(
                    format!("data.y[{r}]"),
                    format!("expected a target in [0, 1], got {}", quote(Some(v))),
                ))
            }
        })
        .collect()
}

/// `data.y` for `softmax_ce`: class indices in `[0, n_out)`; an integral
/// float such as `2.0` counts as the integer.
fn class_targets(ys: &[Value], n_out: usize) -> Result<Vec<usize>, ProblemError> {
    ys.iter()
        .enumerate()
        .map(|(r, v)| {
            let field = || format!("data.y[{r}]");
            let integral = match v {
                Value::Number(n) => {
                    n.is_u64() || n.is_i64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
                }
                _ => false,
            };
            if !integral {
                return Err(ProblemError::new(
                    field(),
                    format!("expected an integer class index, got {}", quote(Some(v))),
                ));
            }
            let index = v.as_u64().or_else(|| {
                v.as_f64()
                    .filter(|f| *f >= 0.0 && *f < n_out as f64)
                    .map(|f| f as u64)
            });
            index
                .and_then(|k| usize::try_from(k).ok())
                .filter(|&k| k < n_out)
                .ok_or_else(|| {
                    ProblemError::new(
                        field(),
                        format!(
                            "expected a class index in [0, {n_out}), got {}",
                            quote(Some(v))
                        ),
                    )
                })
        })
        .collect()
}

/// Optional `directions` or `trajectory` (named `field`): at most `most`
/// vectors of `n_params` finite numbers (`null` is the same as absent).
fn vectors(
    value: Option<&Value>,
    field: &str,
    n_params: usize,
    most: usize,
) -> Result<Option<Vec<Array1<f64>>>, ProblemError> {
    let vectors = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(vectors)) => vectors,
        Some(other) => {
            return Err(ProblemError::new(
                field,
                format!(
                    "expected a list of parameter-space vectors, got {}",
                    kind(other)
                ),
            ));
        }
    };
    if vectors.len() > most {
        return Err(ProblemError::new(
            field,
            format!(
                "expected at most {most} parameter vectors, got {}",
                vectors.len()
            ),
        ));
    }
    vectors
        .iter()
        .enumerate()
        .map(|(k, d)| match d {
            Value::Array(d) if d.len() == n_params => numbers(d, |i| format!("{field}[{k}][{i}]")),
            other => Err(ProblemError::new(
                format!("{field}[{k}]"),
                format!("expected {n_params} numbers, got {}", length_or_kind(other)),
            )),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// A field that must be an object.
fn object<'a>(
    value: Option<&'a Value>,
    field: &str,
    keys: &str,
) -> Result<&'a Map<String, Value>, ProblemError> {
    match value {
        Some(Value::Object(map)) => Ok(map),
        other => Err(ProblemError::new(
            field,
            format!("expected an object with {keys}, got {}", kind_of(other)),
        )),
    }
}

/// A field that must be a list.
fn list<'a>(
    value: Option<&'a Value>,
    field: &str,
    what: &str,
) -> Result<&'a [Value], ProblemError> {
    match value {
        Some(Value::Array(items)) => Ok(items),
        other => Err(ProblemError::new(
            field,
            format!("expected {what}, got {}", kind_of(other)),
        )),
    }
}

/// A field that must be one of the `names`, parsed by `parse`.
fn name_in<T, const N: usize>(
    value: Option<&Value>,
    field: &str,
    names: [&str; N],
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, ProblemError> {
    value
        .and_then(Value::as_str)
        .and_then(parse)
        .ok_or_else(|| {
            ProblemError::new(
                field,
                format!("expected one of {}, got {}", names.join(", "), quote(value)),
            )
        })
}

/// Finite numbers, each checked by [`number`].
fn numbers(values: &[Value], field: impl Fn(usize) -> String) -> Result<Array1<f64>, ProblemError> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| number(v, || field(i)))
        .collect()
}

/// A number (always finite: the JSON reader refuses NaN, infinities and
/// numbers beyond float64 range); `field` is only built on error.
fn number(value: &Value, field: impl FnOnce() -> String) -> Result<f64, ProblemError> {
    value.as_f64().ok_or_else(|| {
        ProblemError::new(field(), format!("expected a number, got {}", kind(value)))
    })
}

/// What kind of JSON value this is, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// [`kind`], or "nothing" for a missing field.
fn kind_of(value: Option<&Value>) -> &'static str {
    value.map_or("nothing", kind)
}

/// A row's length, or its kind if it is not a list.
fn length_or_kind(value: &Value) -> String {
    match value {
        Value::Array(items) => items.len().to_string(),
        other => kind(other).to_owned(),
    }
}

/// The value as compact JSON (cut short if long), or "nothing" if missing.
fn quote(value: Option<&Value>) -> String {
    value.map_or_else(|| "nothing".to_owned(), |v| clip(v.to_string()))
}

/// `text`, cut to [`MAX_QUOTE`] characters.
fn clip(text: String) -> String {
    match text.char_indices().nth(MAX_QUOTE) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A valid `mse` problem: layers [2, 2, 1] (9 parameters), 3 samples.
    fn base() -> Value {
        json!({
            "format": "curvscope-problem/1",
            "model": {"layers": [2, 2, 1], "activation": "tanh"},
            "loss": "mse",
            "data": {"x": [[0.0, 1.0], [1.0, 0.0], [0.5, -0.5]], "y": [[1.0], [0.0], 0.5]},
            "params": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
        })
    }

    /// A valid `softmax_ce` problem: layers [2, 2, 3] (15 parameters).
    fn classes() -> Value {
        let mut doc = base();
        doc["model"]["layers"] = json!([2, 2, 3]);
        doc["loss"] = json!("softmax_ce");
        doc["params"] = json!(vec![0.25; 15]);
        doc["data"]["y"] = json!([0, 2, 1]);
        doc
    }

    /// A valid `bce_logits` problem.
    fn binary() -> Value {
        let mut doc = base();
        doc["loss"] = json!("bce_logits");
        doc["data"]["y"] = json!([1, 0, 0.5]);
        doc
    }

    fn read(doc: &Value) -> Result<Problem, ProblemError> {
        Problem::from_json_str(&doc.to_string())
    }

    /// The message a refused document gives, field included.
    fn refusal(doc: &Value) -> String {
        match read(doc) {
            Ok(_) => panic!("accepted {doc}"),
            Err(e) => e.to_string(),
        }
    }

    /// `doc` with the value at `pointer` replaced (or a top-level key added).
    fn with(mut doc: Value, pointer: &str, value: Value) -> Value {
        match doc.pointer_mut(pointer) {
            Some(slot) => *slot = value,
            None => doc[&pointer[1..]] = value,
        }
        doc
    }

    fn without(mut doc: Value, key: &str) -> Value {
        doc.as_object_mut().unwrap().remove(key);
        doc
    }

    #[test]
    fn a_valid_problem_is_read() {
        let p = read(&base()).unwrap();
        assert_eq!(p.architecture.layers, [2, 2, 1]);
        assert_eq!(p.architecture.activation, Activation::Tanh);
        assert_eq!(p.loss, LossKind::Mse);
        assert_eq!(
            p.data.x,
            ndarray::array![[0.0, 1.0], [1.0, 0.0], [0.5, -0.5]]
        );
        assert_eq!(
            p.data.y,
            Targets::Regression(ndarray::array![[1.0], [0.0], [0.5]])
        );
        assert_eq!(
            p.params.to_vec(),
            [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
        );
        assert_eq!(p.directions, None);
        assert_eq!(p.trajectory, None);
        assert_eq!((p.n_params(), p.n_samples()), (9, 3));
    }

    #[test]
    fn top_level_must_be_an_object() {
        assert_eq!(
            refusal(&json!([1, 2])),
            "json: top level must be a JSON object, got a list"
        );
    }

    #[test]
    fn format_tag_must_match_exactly() {
        assert_eq!(
            refusal(&with(base(), "/format", json!("curvscope-problem/2"))),
            r#"format: expected exactly "curvscope-problem/1", got "curvscope-problem/2""#
        );
        assert_eq!(
            refusal(&without(base(), "format")),
            r#"format: expected exactly "curvscope-problem/1", got nothing"#
        );
        assert_eq!(
            refusal(&with(base(), "/format", json!("x".repeat(100)))),
            format!(
                r#"format: expected exactly "curvscope-problem/1", got "{}..."#,
                "x".repeat(59)
            )
        );
    }

    #[test]
    fn unknown_top_level_fields_are_refused() {
        assert_eq!(
            refusal(&with(base(), "/weight_decay", json!(0.01))),
            "weight_decay: unknown field"
        );
    }

    #[test]
    fn model_must_be_an_object() {
        assert_eq!(
            refusal(&with(base(), "/model", json!("mlp"))),
            r#"model: expected an object with "layers" and "activation", got a string"#
        );
    }

    #[test]
    fn layers_are_at_least_two_positive_integers() {
        assert_eq!(
            refusal(&with(base(), "/model/layers", json!([2]))),
            "model.layers: expected a list of at least 2 widths, got [2]"
        );
        assert_eq!(
            refusal(&with(base(), "/model/layers", json!([2, 0, 1]))),
            "model.layers[1]: expected an integer >= 1, got 0"
        );
        assert_eq!(
            refusal(&with(base(), "/model/layers", json!([2.0, 2, 1]))),
            "model.layers[0]: expected an integer >= 1, got 2.0"
        );
        assert_eq!(
            refusal(&with(base(), "/model/layers", json!([2, 2, -1]))),
            "model.layers[2]: expected an integer >= 1, got -1"
        );
    }

    #[test]
    fn activation_and_loss_are_known_names() {
        assert_eq!(
            refusal(&with(base(), "/model/activation", json!("swish"))),
            r#"model.activation: expected one of tanh, relu, gelu, sigmoid, softplus, linear, got "swish""#
        );
        assert_eq!(
            refusal(&with(base(), "/loss", json!("hinge"))),
            r#"loss: expected one of mse, bce_logits, softmax_ce, got "hinge""#
        );
        assert_eq!(
            refusal(&without(base(), "loss")),
            "loss: expected one of mse, bce_logits, softmax_ce, got nothing"
        );
    }

    #[test]
    fn bce_logits_needs_one_output() {
        let doc = with(binary(), "/model/layers", json!([2, 2, 2]));
        assert_eq!(
            refusal(&doc),
            "model.layers: bce_logits needs output width 1, got 2"
        );
    }

    #[test]
    fn huge_models_are_refused_before_allocating() {
        assert_eq!(
            refusal(&with(
                base(),
                "/model/layers",
                json!([1_000_000, 1_000_000, 1])
            )),
            "model.layers: layers [1000000, 1000000, 1] have 1000002000001 parameters, more than the limit of 50000000"
        );
        assert_eq!(
            refusal(&with(
                base(),
                "/model/layers",
                json!([1u64 << 32, 1u64 << 32, 1u64 << 32])
            )),
            "model.layers: the parameter count of layers [4294967296, 4294967296, 4294967296] overflows a 64-bit integer (the limit is 50000000)"
        );
    }

    #[test]
    fn params_has_one_number_per_parameter() {
        assert_eq!(
            refusal(&with(base(), "/params", json!(vec![0.5; 8]))),
            "params: expected 9 numbers for layers [2, 2, 1], got 8"
        );
        assert_eq!(
            refusal(&without(base(), "params")),
            "params: expected a flat array of numbers, got nothing"
        );
        assert_eq!(
            refusal(&with(base(), "/params/3", json!("0.4"))),
            "params[3]: expected a number, got a string"
        );
    }

    #[test]
    fn data_is_an_object_of_lists() {
        assert_eq!(
            refusal(&without(base(), "data")),
            r#"data: expected an object with "x" and "y", got nothing"#
        );
        assert_eq!(
            refusal(&with(base(), "/data/x", json!({}))),
            "data.x: expected a list of rows, got an object"
        );
        assert_eq!(
            refusal(&with(base(), "/data/y", json!(1))),
            "data.y: expected a list, got a number"
        );
    }

    #[test]
    fn sample_counts_are_checked() {
        let doc = with(with(base(), "/data/x", json!([])), "/data/y", json!([]));
        assert_eq!(refusal(&doc), "data.x: expected at least one sample");
        assert_eq!(
            refusal(&with(base(), "/data/y", json!([1.0, 0.0]))),
            "data.y: expected 3 entries (one per row of data.x), got 2"
        );
        assert_eq!(
            check_sample_count(11, 11, &[1, 10_000_000, 1])
                .unwrap_err()
                .to_string(),
            "data.x: 11 samples times the widest layer (10000000) make 110000000 activations, more than the limit of 100000000"
        );
        assert_eq!(check_sample_count(10, 10, &[1, 10_000_000, 1]), Ok(()));
    }

    #[test]
    fn rows_of_x_have_the_input_width() {
        assert_eq!(
            refusal(&with(base(), "/data/x/1", json!([1.0, 0.0, 2.0]))),
            "data.x[1]: expected a row of 2 numbers, got 3"
        );
        assert_eq!(
            refusal(&with(base(), "/data/x/0", json!(1.0))),
            "data.x[0]: expected a row of 2 numbers, got a number"
        );
        assert_eq!(
            refusal(&with(base(), "/data/x/2/1", Value::Null)),
            "data.x[2][1]: expected a number, got null"
        );
    }

    #[test]
    fn mse_targets_are_rows_of_the_output_width() {
        assert_eq!(
            refusal(&with(base(), "/data/y/0", json!([1.0, 2.0]))),
            "data.y[0]: expected a row of 1 numbers (or a bare number), got [1.0,2.0]"
        );
        let two = with(
            with(base(), "/model/layers", json!([2, 2, 2])),
            "/params",
            json!(vec![0.5; 12]),
        );
        let doc = with(two.clone(), "/data/y", json!([[1.0, 0.0], 0.5, [0.0, 1.0]]));
        assert_eq!(
            refusal(&doc),
            "data.y[1]: expected a row of 2 numbers, got 0.5"
        );
        let doc = with(two.clone(), "/data/y", json!([[true, 0.0], [1, 1], [0, 0]]));
        assert_eq!(
            refusal(&doc),
            "data.y[0][0]: expected a number, got a boolean"
        );
        let doc = with(two, "/data/y", json!([[1.0, 0.0], [1, 1], [0, -2.5]]));
        let y = read(&doc).unwrap().data.y;
        assert_eq!(
            y,
            Targets::Regression(ndarray::array![[1.0, 0.0], [1.0, 1.0], [0.0, -2.5]])
        );
    }

    #[test]
    fn bce_targets_are_numbers_in_0_1() {
        assert_eq!(
            read(&binary()).unwrap().data.y,
            Targets::Binary(ndarray::array![1.0, 0.0, 0.5])
        );
        assert_eq!(
            refusal(&with(binary(), "/data/y/1", json!(1.5))),
            "data.y[1]: expected a target in [0, 1], got 1.5"
        );
        assert_eq!(
            refusal(&with(binary(), "/data/y/2", json!(-0.1))),
            "data.y[2]: expected a target in [0, 1], got -0.1"
        );
        assert_eq!(
            refusal(&with(binary(), "/data/y/0", json!([1]))),
            "data.y[0]: expected a number, got a list"
        );
    }

    #[test]
    fn class_indices_are_integers_below_the_output_width() {
        let p = read(&with(classes(), "/data/y/1", json!(2.0))).unwrap();
        assert_eq!(p.data.y, Targets::Classes(vec![0, 2, 1]));
        assert_eq!(
            refusal(&with(classes(), "/data/y/1", json!(3))),
            "data.y[1]: expected a class index in [0, 3), got 3"
        );
        assert_eq!(
            refusal(&with(classes(), "/data/y/1", json!(3.0))),
            "data.y[1]: expected a class index in [0, 3), got 3.0"
        );
        assert_eq!(
            refusal(&with(classes(), "/data/y/0", json!(-1))),
            "data.y[0]: expected a class index in [0, 3), got -1"
        );
        assert_eq!(
            refusal(&with(classes(), "/data/y/2", json!(1.5))),
            "data.y[2]: expected an integer class index, got 1.5"
        );
        assert_eq!(
            refusal(&with(classes(), "/data/y/2", json!("1"))),
            r#"data.y[2]: expected an integer class index, got "1""#
        );
    }

    #[test]
    fn directions_are_vectors_of_the_parameter_count() {
        let p = read(&with(
            base(),
            "/directions",
            json!([vec![1.0; 9], vec![-1.0; 9]]),
        ))
        .unwrap();
        assert_eq!(
            p.directions,
            Some(vec![Array1::from_elem(9, 1.0), Array1::from_elem(9, -1.0)])
        );
        assert_eq!(
            read(&with(base(), "/directions", Value::Null))
                .unwrap()
                .directions,
            None
        );
        assert_eq!(
            refusal(&with(
                base(),
                "/directions",
                json!([vec![1.0; 9], vec![1.0; 8]])
            )),
            "directions[1]: expected 9 numbers, got 8"
        );
        assert_eq!(
            refusal(&with(base(), "/directions", json!({"a": 1}))),
            "directions: expected a list of parameter-space vectors, got an object"
        );
        let mut d = vec![json!(1.0); 9];
        d[4] = json!("x");
        assert_eq!(
            refusal(&with(base(), "/directions", json!([d]))),
            "directions[0][4]: expected a number, got a string"
        );
    }

    #[test]
    fn a_trajectory_is_a_bounded_list_of_parameter_vectors() {
        let p = read(&with(base(), "/trajectory", json!([vec![0.5; 9]]))).unwrap();
        assert_eq!(p.trajectory, Some(vec![Array1::from_elem(9, 0.5)]));
        assert_eq!(
            refusal(&with(base(), "/trajectory", json!([vec![1.0; 10]]))),
            "trajectory[0]: expected 9 numbers, got 10"
        );
        let many = vec![vec![0.0; 9]; MAX_TRAJECTORY_POINTS + 1];
        assert_eq!(
            refusal(&with(base(), "/trajectory", json!(many))),
            "trajectory: expected at most 1024 parameter vectors, got 1025"
        );
        assert_eq!(
            refusal(&with(base(), "/trajectory", json!(1))),
            "trajectory: expected a list of parameter-space vectors, got a number"
        );
    }

    #[test]
    fn bytes_must_be_utf8() {
        assert_eq!(
            Problem::from_json_bytes(b"{\xff}").unwrap_err().to_string(),
            "json: not UTF-8: invalid utf-8 sequence of 1 bytes from index 1"
        );
    }

    #[test]
    fn non_json_is_refused_under_json() {
        let text = base().to_string().replace("0.5,-0.5", "0.5,NaN");
        let e = Problem::from_json_str(&text).unwrap_err();
        assert_eq!(e.field, "json");
        assert!(
            e.message
                .starts_with("non-JSON token NaN at line 1 column "),
            "{e}"
        );
    }

    #[test]
    fn unreadable_files_name_the_path() {
        let path = Path::new("/nonexistent-curvscope-dir/p.json");
        assert_eq!(
            Problem::load(path).unwrap_err().to_string(),
            "file: cannot read /nonexistent-curvscope-dir/p.json: No such file or directory (os error 2)"
        );
    }
}
