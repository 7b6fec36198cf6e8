//! PyTorch MLPs in safetensors files: a `torch.nn.Sequential` of `Linear`
//! layers and activations, its tensors named `0.weight`, `0.bias`,
//! `2.weight`, … (optionally under a common module prefix, `net.0.weight`).
//! Read into the problem format's flat layout (per layer W (out, in)
//! row-major, then b) and written back with the same names.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use ::safetensors::tensor::{Dtype, SafeTensorError, SafeTensors, TensorView};
use ndarray::Array1;

use crate::io::csv_data::Scaling;
use crate::io::fsutil::write_atomically;
use crate::model::activation::Activation;
use crate::model::architecture::{Architecture, checked_param_count};

/// Largest safetensors file read, in bytes (the problem files' limit).
pub const MAX_FILE_BYTES: u64 = crate::io::problem::MAX_FILE_BYTES;
/// The metadata key that names the hidden activation.
pub const ACTIVATION_KEY: &str = "activation";
/// Metadata keys of the feature standardization a run trained with (JSON
/// lists: `x' = (x − mean) / scale`).
pub const SCALING_KEYS: [&str; 2] = ["feature_mean", "feature_scale"];

/// A safetensors file that cannot be imported or written, in one line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ModelError {
    /// The file as given.
    pub file: String,
    /// What is wrong.
    pub message: String,
}

/// An MLP read from a safetensors file.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    /// Layer widths (from the shapes) and the hidden activation.
    pub architecture: Architecture,
    /// All parameters in the problem format's order.
    pub params: Array1<f64>,
    /// Each layer's name prefix, e.g. `0` or `net.2` (`.weight` and `.bias`
    /// follow it).
    pub names: Vec<String>,
}

/// The tensors of one `Linear` layer.
#[derive(Default)]
struct Layer<'a> {
    weight: Option<(String, TensorView<'a>)>,
    bias: Option<(String, TensorView<'a>)>,
}

impl Mlp {
    /// Reads the file at `path` (at most [`MAX_FILE_BYTES`]); `activation`
    /// overrides the file's metadata key [`ACTIVATION_KEY`].
    pub fn load(path: &Path, activation: Option<Activation>) -> Result<Mlp, ModelError> {
        let file = path.display().to_string();
        let fail = |message: String| ModelError {
            file: file.clone(),
            message,
        };
        let bytes = crate::io::json::read_bytes_or_why(path, MAX_FILE_BYTES).map_err(fail)?;
        Self::from_bytes(&bytes, activation).map_err(fail)
    }

    /// Reads the file at `path` with the activation of its metadata, or
    /// `default` when it names none (a model dropped onto the window takes
    /// the run's).
    pub fn load_or(path: &Path, default: Activation) -> Result<Mlp, ModelError> {
        let fail = |message: String| ModelError {
            file: path.display().to_string(),
            message,
        };
        let bytes = crate::io::json::read_bytes_or_why(path, MAX_FILE_BYTES).map_err(fail)?;
        let (_, meta) = SafeTensors::read_metadata(&bytes).map_err(|e| fail(format_error(&e)))?;
        let stored = meta
            .metadata()
            .as_ref()
            .is_some_and(|m| m.contains_key(ACTIVATION_KEY));
        Self::from_bytes(&bytes, (!stored).then_some(default)).map_err(fail)
    }

    /// Reads a safetensors file's bytes (errors without the file name).
    pub fn from_bytes(bytes: &[u8], activation: Option<Activation>) -> Result<Mlp, String> {
        let tensors = SafeTensors::deserialize(bytes).map_err(|e| format_error(&e))?;
        let (_, meta) = SafeTensors::read_metadata(bytes).map_err(|e| format_error(&e))?;
        if tensors.is_empty() {
            return Err("holds no tensors".into());
        }
        let mut prefix: Option<String> = None;
        let mut layers: BTreeMap<u64, Layer> = BTreeMap::new();
        let mut names = tensors.names();
        names.sort();
        for name in names {
            let view = tensors.tensor(name).map_err(|e| format_error(&e))?;
            let (module, kind) = name
                .rsplit_once('.')
                .filter(|(_, k)| *k == "weight" || *k == "bias")
                .ok_or_else(|| not_linear(name))?;
            let (outer, index) = match module.rsplit_once('.') {
                Some((outer, index)) => (format!("{outer}."), index),
                None => (String::new(), module),
            };
            let index: u64 = index.parse().map_err(|_| not_linear(name))?;
            match &prefix {
                None => prefix = Some(outer),
                Some(p) if *p == outer => {}
                Some(p) => {
                    return Err(format!(
                        "tensor {name:?} is not under the module prefix {p:?} of the others (one Sequential only)"
                    ));
                }
            }
            let layer = layers.entry(index).or_default();
            let slot = if kind == "weight" {
                &mut layer.weight
            } else {
                &mut layer.bias
            };
            *slot = Some((name.to_string(), view));
        }
        let prefix = prefix.unwrap_or_default();
        let mut widths = Vec::new();
        let mut params = Vec::new();
        let mut layer_names = Vec::new();
        let mut previous: Option<String> = None;
        for (index, layer) in &layers {
            let module = format!("{prefix}{index}");
            let (w_name, w) = layer.weight.as_ref().ok_or_else(|| {
                format!("layer {module:?} has a bias but no weight \"{module}.weight\"")
            })?;
            let (b_name, b) = layer.bias.as_ref().ok_or_else(|| {
                format!(
                    "layer {module:?} has no bias \"{module}.bias\" (Linear(bias=False) cannot be imported: every layer of the problem format has a bias)"
                )
            })?;
            let [out, inp] = <[usize; 2]>::try_from(w.shape()).map_err(|_| {
                format!(
                    "tensor {w_name:?} has shape {:?}; a Linear weight has shape [out, in]",
                    w.shape()
                )
            })?;
            if b.shape() != [out] {
                return Err(format!(
                    "tensor {b_name:?} has shape {:?}; expected [{out}] to match {w_name:?} of shape [{out}, {inp}]",
                    b.shape()
                ));
            }
            match (&previous, widths.last()) {
                (Some(before), Some(&width)) if width != inp => {
                    return Err(format!(
                        "shapes do not chain: {w_name:?} takes {inp} inputs (shape [{out}, {inp}]) but {before:?} gives {width} outputs"
                    ));
                }
                (None, _) => widths.push(inp),
                _ => {}
            }
            if out == 0 || inp == 0 {
                return Err(format!(
                    "tensor {w_name:?} has an empty shape [{out}, {inp}]"
                ));
            }
            widths.push(out);
            values(w_name, w, &mut params)?;
            values(b_name, b, &mut params)?;
            previous = Some(w_name.clone());
            layer_names.push(module);
        }
        if checked_param_count(&widths).is_none_or(|n| n > crate::io::problem::MAX_PARAMS) {
            return Err(format!(
                "layers {widths:?} have more than {} parameters",
                crate::io::problem::MAX_PARAMS
            ));
        }
        let activation = match activation {
            Some(a) => a,
            None => match meta.metadata().as_ref().and_then(|m| m.get(ACTIVATION_KEY)) {
                Some(name) => parse_activation(name).ok_or_else(|| {
                    format!(
                        "unknown activation {name:?} in the metadata key {ACTIVATION_KEY:?} (expected one of {})",
                        Activation::ALL.map(Activation::name).join(", ")
                    )
                })?,
                // One layer has no hidden activation.
                None if widths.len() == 2 => Activation::Linear,
                None => {
                    return Err(format!(
                        "no activation: give one (--activation {}) or store it in the file's metadata as {ACTIVATION_KEY:?}",
                        Activation::ALL.map(Activation::name).join("|")
                    ));
                }
            },
        };
        Ok(Mlp {
            architecture: Architecture::new(widths, activation),
            params: Array1::from(params),
            names: layer_names,
        })
    }
}

/// An activation's name as PyTorch or curvscope spells it (`GELU`, `ReLU`,
/// `Tanh`, `Identity` and the problem format's names, any case).
pub fn parse_activation(name: &str) -> Option<Activation> {
    let name = name.trim().to_ascii_lowercase();
    match name.as_str() {
        "identity" => Some(Activation::Linear),
        other => Activation::from_name(other),
    }
}

/// Default layer names: the `Linear` layers of `Sequential(Linear, act,
/// Linear, act, …, Linear)`, numbered 0, 2, 4, ….
pub fn sequential_names(n_layers: usize) -> Vec<String> {
    (0..n_layers).map(|l| (2 * l).to_string()).collect()
}

/// The network as safetensors bytes: float64 tensors `NAME.weight`
/// (out, in) and `NAME.bias` per layer, `names` one per layer (e.g.
/// [`sequential_names`]); the metadata holds the activation and, when
/// given, the feature standardization ([`SCALING_KEYS`]).
pub fn to_bytes(
    architecture: &Architecture,
    params: &[f64],
    names: &[String],
    scaling: Option<&Scaling>,
) -> Result<Vec<u8>, String> {
    if params.len() != architecture.n_params() || names.len() != architecture.n_layers() {
        return Err(format!(
            "{} parameters and {} names for layers {:?}",
            params.len(),
            names.len(),
            architecture.layers
        ));
    }
    let bytes: Vec<u8> = params.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut tensors = Vec::new();
    for (span, name) in architecture.spans().iter().zip(names) {
        let w = &bytes[8 * span.weight_offset..8 * span.bias_offset];
        let b = &bytes[8 * span.bias_offset..8 * span.end()];
        let view = |shape: Vec<usize>, data| {
            TensorView::new(Dtype::F64, shape, data).map_err(|e| e.to_string())
        };
        tensors.push((
            format!("{name}.weight"),
            view(vec![span.fan_out, span.fan_in], w)?,
        ));
        tensors.push((format!("{name}.bias"), view(vec![span.fan_out], b)?));
    }
    let mut meta = HashMap::new();
    meta.insert(
        ACTIVATION_KEY.to_string(),
        architecture.activation.name().to_string(),
    );
    if let Some(s) = scaling {
        let list = |v: &[f64]| serde_json::to_string(v).expect("finite numbers");
        meta.insert(SCALING_KEYS[0].to_string(), list(&s.mean));
        meta.insert(SCALING_KEYS[1].to_string(), list(&s.scale));
    }
    ::safetensors::serialize(tensors, Some(meta)).map_err(|e| e.to_string())
}

/// Writes the network to `path` (see [`to_bytes`]) through a temporary
/// file, so a failed write leaves an earlier file as it was.
pub fn save(
    architecture: &Architecture,
    params: &[f64],
    names: &[String],
    scaling: Option<&Scaling>,
    path: &Path,
) -> Result<(), ModelError> {
    let fail = |message: String| ModelError {
        file: path.display().to_string(),
        message,
    };
    let bytes = to_bytes(architecture, params, names, scaling).map_err(fail)?;
    write_atomically(path, &bytes).map_err(|e| fail(format!("cannot write: {e}")))
}

/// Appends a tensor's values (F32 or F64, little-endian) to `out`.
fn values(name: &str, view: &TensorView, out: &mut Vec<f64>) -> Result<(), String> {
    let start = out.len();
    match view.dtype() {
        Dtype::F64 => out.extend(
            view.data()
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))),
        ),
        Dtype::F32 => out.extend(
            view.data()
                .chunks_exact(4)
                .map(|c| f64::from(f32::from_le_bytes(c.try_into().expect("4 bytes")))),
        ),
        other => {
            return Err(format!(
                "tensor {name:?} has dtype {other:?}; only F32 and F64 can be imported"
            ));
        }
    }
    if let Some(i) = out[start..].iter().position(|v| !v.is_finite()) {
        return Err(format!(
            "tensor {name:?} holds a non-finite number ({}) at flat index {i}",
            out[start + i]
        ));
    }
    Ok(())
}

fn not_linear(name: &str) -> String {
    format!(
        "tensor {name:?} is not a Linear layer's weight or bias (expected names like \"0.weight\", \"0.bias\", \"2.weight\": a Sequential of Linear layers and activations)"
    )
}

/// The safetensors crate's error as a user reads it.
fn format_error(e: &SafeTensorError) -> String {
    format!("not a valid safetensors file (truncated, damaged, or another kind of file): {e}")
}
