//! The spectrum over training steps, for a waterfall picture: one column per
//! measured spectrum (its step, its spectral measure, its outliers and the
//! stability limit 2(1+β)/η in force), and a raster of them: x = step,
//! y = λ (linear or signed log |λ|), each cell the share of the
//! eigenvalues (the measure's mass) in that step range and λ row. The
//! columns are capped ([`WATERFALL_COLUMNS`]): past the cap every other
//! column is dropped, so a long run keeps its whole history at half the
//! resolution and the memory stays bounded.

use crate::curvature::spectrum::Spectrum;

/// Columns kept before every other one is dropped.
pub const WATERFALL_COLUMNS: usize = 256;

/// Rows of the app's waterfall picture (λ).
pub const RASTER_ROWS: usize = 128;

/// Cells per row of the app's waterfall picture (steps).
pub const RASTER_WIDTH: usize = 256;

/// The spectrum at one step.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The step it was measured at.
    pub step: u64,
    /// The spectral measure's nodes λ_i (all measures of the spectrum pooled).
    pub nodes: Vec<f64>,
    /// Their weights (summing to 1).
    pub weights: Vec<f64>,
    /// The largest eigenvalues, descending.
    pub outliers: Vec<f64>,
    /// The stability limit 2(1+β)/η at that step.
    pub limit: f64,
    /// Number of parameters (one eigenvalue's mass is 1/params).
    pub params: usize,
}

impl Column {
    /// The column of `spectrum` measured at `step` under the stability
    /// limit `limit`; the SLQ probes' measures are pooled, each weighing
    /// 1/probes.
    pub fn new(step: u64, spectrum: &Spectrum, limit: f64, params: usize) -> Self {
        let share = 1.0 / spectrum.measures.len().max(1) as f64;
        let mut nodes = Vec::new();
        let mut weights = Vec::new();
        for m in &spectrum.measures {
            nodes.extend_from_slice(&m.nodes);
            weights.extend(m.weights.iter().map(|w| w * share));
        }
        Self {
            step,
            nodes,
            weights,
            outliers: spectrum.outliers.clone(),
            limit,
            params,
        }
    }

    /// The largest |λ| with mass.
    fn reach(&self) -> f64 {
        self.nodes
            .iter()
            .zip(&self.weights)
            .filter(|(_, w)| **w > 0.0)
            .map(|(l, _)| l.abs())
            .fold(0.0, f64::max)
    }
}

/// The waterfall's vertical axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Axis {
    /// y = λ.
    Linear,
    /// y = sign(λ)·log10(1 + |λ|/scale): the bulk near zero and the
    /// outliers far out both show, negative eigenvalues below 0.
    SignedLog {
        /// Where the axis turns from linear to logarithmic (> 0).
        scale: f64,
    },
}

impl Axis {
    /// The axis coordinate of λ.
    pub fn to_axis(self, lambda: f64) -> f64 {
        match self {
            Axis::Linear => lambda,
            Axis::SignedLog { scale } => {
                lambda.signum() * (lambda.abs() / scale).ln_1p() / std::f64::consts::LN_10
            }
        }
    }

    /// The λ of an axis coordinate (the inverse of [`Axis::to_axis`]).
    pub fn to_lambda(self, y: f64) -> f64 {
        match self {
            Axis::Linear => y,
            Axis::SignedLog { scale } => {
                y.signum() * scale * (y.abs() * std::f64::consts::LN_10).exp_m1()
            }
        }
    }
}

/// A picture of the waterfall: `rows` × `width` cells, row 0 at the top
/// (the largest λ), each the mass of the eigenvalues in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Raster {
    /// Cells per row.
    pub width: usize,
    /// Rows.
    pub rows: usize,
    /// Row-major masses (each column of cells sums to 1, the share of the
    /// spectrum outside the rows aside).
    pub mass: Vec<f64>,
    /// The axis coordinates of the bottom and top edges.
    pub y_range: (f64, f64),
    /// The steps of the left and right edges.
    pub steps: (f64, f64),
    /// One eigenvalue's mass, 1/P (the faintest cell worth showing).
    pub one: f64,
}

impl Raster {
    /// The cell's shade in [0, 1] on a log scale from one eigenvalue's mass
    /// (0) to the whole spectrum (1); None for an empty cell.
    pub fn shade(&self, row: usize, col: usize) -> Option<f32> {
        let m = self.mass[row * self.width + col];
        (m > 0.0).then(|| (1.0 - m.log10() / self.one.log10()).clamp(0.0, 1.0) as f32)
    }
}

/// The spectra of one run over its steps (bounded, see the module).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Waterfall {
    columns: Vec<Column>,
}

impl Waterfall {
    /// Adds a column; one at the step of the newest replaces it, and past
    /// [`WATERFALL_COLUMNS`] every other older column is dropped.
    pub fn push(&mut self, column: Column) {
        if self.columns.last().is_some_and(|c| c.step == column.step) {
            self.columns.pop();
        }
        if self.columns.len() >= WATERFALL_COLUMNS {
            self.columns = self.columns.iter().step_by(2).cloned().collect();
        }
        self.columns.push(column);
    }

    /// The columns, oldest first.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Drops every column (a new run).
    pub fn clear(&mut self) {
        self.columns.clear();
    }

    /// The signed-log axis that resolves three decades below the largest
    /// |λ| seen (linear below 10⁻³ of it).
    pub fn signed_log_axis(&self) -> Axis {
        let reach = self.columns.iter().map(Column::reach).fold(0.0, f64::max);
        Axis::SignedLog {
            scale: if reach > 0.0 { 1e-3 * reach } else { 1.0 },
        }
    }

    /// The range of the axis to draw: every eigenvalue seen, and the
    /// stability limit where it is within twice the largest one; 3% spare
    /// at each end. None without columns.
    pub fn y_range(&self, axis: Axis) -> Option<(f64, f64)> {
        let top = self
            .columns
            .iter()
            .flat_map(|c| c.outliers.first())
            .fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for c in &self.columns {
            for (l, w) in c.nodes.iter().zip(&c.weights) {
                if *w > 0.0 {
                    lo = lo.min(axis.to_axis(*l));
                    hi = hi.max(axis.to_axis(*l));
                }
            }
            if c.limit.is_finite() && c.limit <= 2.0 * top.max(0.0) {
                hi = hi.max(axis.to_axis(c.limit));
            }
        }
        if !(lo.is_finite() && hi.is_finite()) {
            return None;
        }
        let pad = 0.03 * (hi - lo).max(1e-12);
        Some((lo - pad, hi + pad))
    }

    /// The raster of `rows` rows and `width` columns on `axis`: the cells
    /// span the steps from the first column's to one mean spacing past the
    /// newest's (so the newest has its width too), and cell column x shows
    /// the newest spectrum measured at or before its middle. None without
    /// columns.
    pub fn raster(&self, axis: Axis, rows: usize, width: usize) -> Option<Raster> {
        let (lo, hi) = self.y_range(axis)?;
        let (rows, width) = (rows.max(1), width.max(1));
        let first = self.columns[0].step as f64;
        let last = self.columns[self.columns.len() - 1].step as f64;
        let n = self.columns.len();
        let span = if n > 1 {
            (last - first) * n as f64 / (n - 1) as f64
        } else {
            1.0
        }
        .max(1.0);
        // Each spectrum binned once into rows.
        let binned: Vec<Vec<f64>> = self
            .columns
            .iter()
            .map(|c| {
                let mut m = vec![0.0; rows];
                for (l, w) in c.nodes.iter().zip(&c.weights) {
                    let t = (hi - axis.to_axis(*l)) / (hi - lo);
                    if (0.0..1.0).contains(&t) {
                        m[(t * rows as f64) as usize] += w;
                    }
                }
                m
            })
            .collect();
        let mut mass = vec![0.0; rows * width];
        let mut k = 0;
        for x in 0..width {
            let step = first + span * (x as f64 + 0.5) / width as f64;
            while k + 1 < self.columns.len() && self.columns[k + 1].step as f64 <= step {
                k += 1;
            }
            for (row, m) in binned[k].iter().enumerate() {
                mass[row * width + x] = *m;
            }
        }
        let params = self.columns.iter().map(|c| c.params).max().unwrap_or(1);
        Some(Raster {
            width,
            rows,
            mass,
            y_range: (lo, hi),
            steps: (first, first + span),
            one: 1.0 / params.max(2) as f64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curvature::spectrum::{SpectrumOptions, exact_spectrum_of};
    use ndarray::Array2;

    /// The exact spectrum of diag(values).
    fn spectrum(values: &[f64]) -> Spectrum {
        let h = Array2::from_diag(&ndarray::arr1(values));
        exact_spectrum_of(
            h.view(),
            &SpectrumOptions {
                outliers: 1,
                ..SpectrumOptions::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn an_outlier_climbing_out_of_the_bulk_shows_in_the_top_rows_late() {
        let mut w = Waterfall::default();
        // Four eigenvalues: three in a bulk near 0, one climbing to 10.
        for (step, top) in [(0, 0.1), (100, 5.0), (200, 10.0)] {
            w.push(Column::new(
                step,
                &spectrum(&[-0.1, 0.0, 0.05, top]),
                20.0,
                4,
            ));
        }
        let r = w.raster(Axis::Linear, 50, 30).unwrap();
        // The limit 20 is within twice the top (10): the axis reaches it.
        assert!(r.y_range.1 > 20.0 && r.y_range.0 < -0.1);
        let mass = |row: usize, x: usize| r.mass[row * r.width + x];
        for x in 0..r.width {
            let total: f64 = (0..r.rows).map(|row| mass(row, x)).sum();
            assert!((total - 1.0).abs() < 1e-12, "column {x} holds {total}");
        }
        // The steps run to 300 (one spacing past the newest): the row of
        // λ = 10 is lit in the last third only, the row of 5 in the middle.
        let row_of = |l: f64| ((r.y_range.1 - l) / (r.y_range.1 - r.y_range.0) * 50.0) as usize;
        let lit =
            |l: f64| -> Vec<usize> { (0..30).filter(|&x| mass(row_of(l), x) > 0.0).collect() };
        assert_eq!(lit(10.0), (20..30).collect::<Vec<_>>());
        assert_eq!(lit(5.0), (10..20).collect::<Vec<_>>());
        assert_eq!(r.steps, (0.0, 300.0));
        assert_eq!(
            r.shade(row_of(10.0), 29),
            Some(0.0),
            "one eigenvalue: faintest"
        );
        assert_eq!(r.shade(row_of(20.0), 29), None);
    }

    #[test]
    fn the_signed_log_axis_keeps_negative_eigenvalues_below_zero_and_inverts() {
        let mut w = Waterfall::default();
        w.push(Column::new(0, &spectrum(&[-2.0, 0.0, 1e-3, 50.0]), 1e6, 4));
        let axis = w.signed_log_axis();
        assert_eq!(axis, Axis::SignedLog { scale: 0.05 });
        for l in [-2.0, 0.0, 1e-3, 50.0] {
            assert!((axis.to_lambda(axis.to_axis(l)) - l).abs() < 1e-12 * (1.0 + l.abs()));
        }
        assert!(axis.to_axis(-2.0) < 0.0 && axis.to_axis(50.0) > 0.0);
        // The limit, far beyond twice the top, is left off the range.
        let (lo, hi) = w.y_range(axis).unwrap();
        assert!(lo < axis.to_axis(-2.0) && hi < axis.to_axis(1e6));
    }

    #[test]
    fn columns_are_capped_by_dropping_every_other_one() {
        let mut w = Waterfall::default();
        let s = spectrum(&[0.0, 1.0]);
        for step in 0..=WATERFALL_COLUMNS as u64 {
            w.push(Column::new(step, &s, 4.0, 2));
        }
        assert_eq!(w.columns().len(), WATERFALL_COLUMNS / 2 + 1);
        assert_eq!(w.columns()[0].step, 0);
        assert_eq!(w.columns()[1].step, 2);
        assert_eq!(w.columns().last().unwrap().step, WATERFALL_COLUMNS as u64);
        // A second spectrum at the newest step replaces it.
        w.push(Column::new(
            WATERFALL_COLUMNS as u64,
            &spectrum(&[0.0, 3.0]),
            4.0,
            2,
        ));
        assert_eq!(w.columns().len(), WATERFALL_COLUMNS / 2 + 1);
        assert_eq!(w.columns().last().unwrap().outliers, vec![3.0]);
        w.clear();
        assert!(w.raster(Axis::Linear, 4, 4).is_none());
    }
}
