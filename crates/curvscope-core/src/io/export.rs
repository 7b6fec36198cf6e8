//! Exports of what the app shows: the loss surface as a 3D model (binary
//! glTF, ASCII PLY), its grid as CSV or JSON, and a training time series as
//! CSV.
//!
//! Every format is a pure function that returns the file's bytes or text;
//! [`save`] writes them atomically (a failed write leaves any earlier file
//! untouched).
//!
//! The 3D models are in real units: x is the first axis coordinate `a`, y
//! the loss and z the second axis coordinate `b`. Non-finite losses (an
//! overflow far from the current point) are drawn at the grid's largest
//! finite loss. Vertex `i·n + j` is grid point `(coords[i], coords[j])`.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use ndarray::Array2;
use serde_json::json;

use crate::colormap::{viridis, viridis_srgb8};
use crate::io::fsutil::write_atomically;
use crate::landscape::surface::Surface;

/// The `format` tag of [`grid_json`] documents.
pub const GRID_FORMAT: &str = "curvscope-grid/1";

/// A file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {cause}", path.display())]
pub struct ExportError {
    /// The file that was to be written.
    pub path: PathBuf,
    /// What the operating system said.
    pub cause: io::Error,
}

/// Writes `bytes` to `path` atomically (through a temporary file beside it),
/// replacing any file there; the error names the path and the OS cause.
pub fn save(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    write_atomically(path, bytes).map_err(|cause| ExportError {
        path: path.to_path_buf(),
        cause,
    })
}

/// The loss grid with every non-finite value replaced by the largest finite
/// one (0 if none is finite), and the finite range (lo, hi).
fn clamped(loss: &Array2<f64>) -> (Array2<f64>, f64, f64) {
    let (lo, hi) = loss
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (0.0, 0.0) };
    let grid = loss.mapv(|v| if v.is_finite() { v } else { hi });
    (grid, lo, hi)
}

/// The vertices of a surface: positions (a, loss, b), unit normals and the
/// normalized height in [0, 1] of each grid point, row-major.
struct Vertices {
    positions: Vec<[f32; 3]>,
    normals: Vec<[f32; 3]>,
    heights: Vec<f32>,
}

fn vertices(surface: &Surface) -> Vertices {
    let (grid, lo, hi) = clamped(&surface.loss);
    let (n, m) = grid.dim();
    let c = &surface.coords;
    let span = if hi > lo { hi - lo } else { 1.0 };
    let mut v = Vertices {
        positions: Vec::with_capacity(n * m),
        normals: Vec::with_capacity(n * m),
        heights: Vec::with_capacity(n * m),
    };
    for i in 0..n {
        for j in 0..m {
            let y = grid[(i, j)];
            v.positions.push([c[i] as f32, y as f32, c[j] as f32]);
            // Central differences (one-sided at the edges) of y = L(a, b).
            let (ip, im) = ((i + 1).min(n - 1), i.saturating_sub(1));
            let (jp, jm) = ((j + 1).min(m - 1), j.saturating_sub(1));
            let slope = |hi: f64, lo: f64, d: f64| if d > 0.0 { (hi - lo) / d } else { 0.0 };
            let da = slope(grid[(ip, j)], grid[(im, j)], c[ip] - c[im]);
            let db = slope(grid[(i, jp)], grid[(i, jm)], c[jp] - c[jm]);
            let len = (da * da + 1.0 + db * db).sqrt();
            v.normals
                .push([(-da / len) as f32, (1.0 / len) as f32, (-db / len) as f32]);
            v.heights.push(((y - lo) / span) as f32);
        }
    }
    v
}

/// Two triangles per grid cell, counter-clockwise seen from above (+y).
fn triangles(n: usize, m: usize) -> Vec<[u32; 3]> {
    let mut tris = Vec::with_capacity(2 * n.saturating_sub(1) * m.saturating_sub(1));
    for i in 0..n.saturating_sub(1) {
        for j in 0..m.saturating_sub(1) {
            let k = (i * m + j) as u32;
            let (right, down) = (k + 1, k + m as u32);
            tris.push([k, right, down]);
            tris.push([right, down + 1, down]);
        }
    }
    tris
}

/// Componentwise minimum and maximum of vec3s.
fn bounds(items: &[[f32; 3]]) -> ([f32; 3], [f32; 3]) {
    items.iter().fold(
        ([f32::INFINITY; 3], [f32::NEG_INFINITY; 3]),
        |(lo, hi), p| {
            (
                std::array::from_fn(|k| lo[k].min(p[k])),
                std::array::from_fn(|k| hi[k].max(p[k])),
            )
        },
    )
}

/// Pads `bytes` with `fill` to a multiple of 4.
fn pad4(bytes: &mut Vec<u8>, fill: u8) {
    while !bytes.len().is_multiple_of(4) {
        bytes.push(fill);
    }
}

/// The surface as a binary glTF 2.0 file (`.glb`): one mesh with one
/// triangle primitive holding `POSITION` (x = a, y = loss, z = b, in real
/// units, with min and max), `NORMAL`, `COLOR_0` (viridis of the normalized
/// height, linear RGB float vec3) and `u32` indices.
///
/// The grid should have at least 2×2 points (a smaller one has no triangles,
/// and its index accessor is empty).
pub fn surface_glb(surface: &Surface) -> Vec<u8> {
    let (n, m) = surface.loss.dim();
    let v = vertices(surface);
    let colors: Vec<[f32; 3]> = v.heights.iter().map(|&h| viridis(h)).collect();
    let indices: Vec<u32> = triangles(n, m).into_iter().flatten().collect();

    // The binary chunk: positions, normals, colours, indices (all 4-aligned).
    let mut bin = Vec::new();
    let mut views = Vec::new();
    let mut vec3_view = |bin: &mut Vec<u8>, items: &[[f32; 3]]| {
        let offset = bin.len();
        for x in items.iter().flatten() {
            bin.extend_from_slice(&x.to_le_bytes());
        }
        views.push(json!({
            "buffer": 0, "byteOffset": offset, "byteLength": bin.len() - offset, "target": 34962
        }));
    };
    vec3_view(&mut bin, &v.positions);
    vec3_view(&mut bin, &v.normals);
    vec3_view(&mut bin, &colors);
    let offset = bin.len();
    for i in &indices {
        bin.extend_from_slice(&i.to_le_bytes());
    }
    views.push(json!({
        "buffer": 0, "byteOffset": offset, "byteLength": bin.len() - offset, "target": 34963
    }));
    pad4(&mut bin, 0);

    let count = n * m;
    let (pmin, pmax) = bounds(&v.positions);
    let vec3 = |view: usize| json!({ "bufferView": view, "componentType": 5126, "count": count, "type": "VEC3" });
    let mut position = vec3(0);
    position["min"] = json!(pmin);
    position["max"] = json!(pmax);
    let doc = json!({
        "asset": { "version": "2.0", "generator": "curvscope" },
        "scene": 0,
        "scenes": [{ "nodes": [0] }],
        "nodes": [{ "mesh": 0, "name": "loss surface" }],
        "meshes": [{
            "name": format!("loss surface ({})", surface.kind.tag()),
            "primitives": [{
                "attributes": { "POSITION": 0, "NORMAL": 1, "COLOR_0": 2 },
                "indices": 3,
                "mode": 4
            }]
        }],
        "accessors": [
            position,
            vec3(1),
            vec3(2),
            { "bufferView": 3, "componentType": 5125, "count": indices.len(), "type": "SCALAR" }
        ],
        "bufferViews": views,
        "buffers": [{ "byteLength": bin.len() }]
    });
    let mut json_chunk = serde_json::to_vec(&doc).expect("JSON values serialize");
    pad4(&mut json_chunk, b' ');

    let total = 12 + 8 + json_chunk.len() + 8 + bin.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"glTF");
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&(json_chunk.len() as u32).to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(&json_chunk);
    out.extend_from_slice(&(bin.len() as u32).to_le_bytes());
    out.extend_from_slice(b"BIN\0");
    out.extend_from_slice(&bin);
    out
}

/// The surface as an ASCII PLY mesh: per vertex `x y z` (float; x = a,
/// y = loss, z = b) and `red green blue` (uchar, sRGB viridis of the
/// normalized height), then triangle faces (`vertex_indices`, a list of
/// uint with a uchar count).
pub fn surface_ply(surface: &Surface) -> String {
    let (n, m) = surface.loss.dim();
    let v = vertices(surface);
    let tris = triangles(n, m);
    let mut s = String::new();
    let _ = write!(
        s,
        "ply\nformat ascii 1.0\ncomment curvscope loss surface ({}): x = a, y = loss, z = b\n\
         element vertex {}\nproperty float x\nproperty float y\nproperty float z\n\
         property uchar red\nproperty uchar green\nproperty uchar blue\n\
         element face {}\nproperty list uchar uint vertex_indices\nend_header\n",
        surface.kind.tag(),
        v.positions.len(),
        tris.len()
    );
    for (p, &h) in v.positions.iter().zip(&v.heights) {
        let [r, g, b] = viridis_srgb8(h);
        let _ = writeln!(s, "{} {} {} {r} {g} {b}", p[0], p[1], p[2]);
    }
    for [a, b, c] in tris {
        let _ = writeln!(s, "3 {a} {b} {c}");
    }
    s
}

/// The loss grid as CSV: header `a,b,loss`, then one row per grid point
/// (`a` = `coords[i]`, `b` = `coords[j]`, row-major in i), every number in the
/// shortest form that reads back to the same float64. Non-finite losses are
/// written as `NaN`, `inf` or `-inf` (which Rust's `f64` parser reads).
pub fn grid_csv(surface: &Surface) -> String {
    let (n, m) = surface.loss.dim();
    let c = &surface.coords;
    let mut s = String::from("a,b,loss\n");
    for i in 0..n {
        for j in 0..m {
            let _ = writeln!(s, "{},{},{}", c[i], c[j], surface.loss[(i, j)]);
        }
    }
    s
}

/// The loss grid as JSON:
/// `{"format": "curvscope-grid/1", "kind": "eigen" | "random" | "eigen-random"
/// | "pca" | "shared", "coords": [...], "loss": [[...], ...], "axis_curvatures": [c0, c1]}`,
/// where `loss[i][j]` is the loss at (`coords[i]`, `coords[j]`). Floats read back
/// bit-exactly; a non-finite number is written as `null`.
pub fn grid_json(surface: &Surface) -> String {
    let rows: Vec<Vec<f64>> = surface
        .loss
        .rows()
        .into_iter()
        .map(|r| r.to_vec())
        .collect();
    json!({
        "format": GRID_FORMAT,
        "kind": surface.kind.tag(),
        "coords": surface.coords,
        "loss": rows,
        "axis_curvatures": surface.axis_curvatures,
    })
    .to_string()
}

/// One row of a training time series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesRow {
    /// Steps taken.
    pub step: u64,
    /// Loss on the whole training set.
    pub train_loss: f64,
    /// Loss on the test set, if there is one.
    pub test_loss: Option<f64>,
    /// Largest Hessian eigenvalue of the latest curvature measurement.
    pub lambda_max: Option<f64>,
    /// Smallest Hessian eigenvalue of the latest curvature measurement.
    pub lambda_min: Option<f64>,
    /// Hessian trace of the latest curvature measurement.
    pub trace: Option<f64>,
    /// Learning rate η in force.
    pub learning_rate: f64,
    /// Batch size in force; `None` for full batch.
    pub batch_size: Option<usize>,
    /// Momentum β in force.
    pub momentum: f64,
    /// The optimizer's stability limit on η·λ in force (not exported).
    pub limit: f64,
}

/// The header line of [`series_csv`] (without the newline).
pub const SERIES_HEADER: &str =
    "step,train_loss,test_loss,lambda_max,lambda_min,trace,learning_rate,batch_size,momentum";

/// A time series as CSV: the [`SERIES_HEADER`] line, then one line per row.
/// Floats are in the shortest form that reads back to the same float64; a
/// `None` is an empty field, except `batch_size`, which is `full` for full
/// batch.
pub fn series_csv(rows: &[SeriesRow]) -> String {
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let mut s = String::from(SERIES_HEADER);
    s.push('\n');
    for r in rows {
        let batch = r
            .batch_size
            .map_or_else(|| "full".to_string(), |b| b.to_string());
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{}",
            r.step,
            r.train_loss,
            opt(r.test_loss),
            opt(r.lambda_max),
            opt(r.lambda_min),
            opt(r.trace),
            r.learning_rate,
            batch,
            r.momentum
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landscape::plane::PlaneKind;
    use ndarray::array;

    fn surface() -> Surface {
        Surface {
            coords: vec![-1.0, 0.0, 1.0],
            loss: array![[2.0, 1.0, 2.0], [1.0, 0.0, f64::NAN], [2.0, 1.0, 2.0]],
            axis_curvatures: [2.0, 2.0],
            kind: PlaneKind::Eigen,
            path: Vec::new(),
            current: crate::landscape::surface::PathPoint::default(),
            shared: None,
            explained: None,
        }
    }

    #[test]
    fn glb_has_header_aligned_chunks_and_clamps_nan() {
        let glb = surface_glb(&surface());
        assert_eq!(&glb[0..4], b"glTF");
        assert_eq!(
            u32::from_le_bytes(glb[8..12].try_into().unwrap()) as usize,
            glb.len()
        );
        let json_len = u32::from_le_bytes(glb[12..16].try_into().unwrap()) as usize;
        assert_eq!(json_len % 4, 0);
        assert_eq!(&glb[16..20], b"JSON");
        let doc: serde_json::Value = serde_json::from_slice(&glb[20..20 + json_len]).unwrap();
        assert_eq!(doc["accessors"][0]["max"], json!([1.0, 2.0, 1.0]));
        assert_eq!(doc["accessors"][0]["min"], json!([-1.0, 0.0, -1.0]));
        assert_eq!(doc["accessors"][3]["count"], 24);
    }

    #[test]
    fn flat_grid_normals_point_up() {
        let mut s = surface();
        s.loss.fill(3.0);
        let v = vertices(&s);
        assert!(v.normals.iter().all(|n| *n == [0.0, 1.0, 0.0]));
        assert!(v.heights.iter().all(|&h| h == 0.0));
    }

    #[test]
    fn series_csv_marks_missing_values() {
        let row = SeriesRow {
            step: 3,
            train_loss: 0.5,
            test_loss: None,
            lambda_max: Some(2.0),
            lambda_min: None,
            trace: None,
            learning_rate: 0.1,
            batch_size: None,
            momentum: 0.0,
            limit: 2.0,
        };
        assert_eq!(
            series_csv(&[row]),
            format!("{SERIES_HEADER}\n3,0.5,,2,,,0.1,full,0\n")
        );
    }
}
