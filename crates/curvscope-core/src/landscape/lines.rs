//! 1D views of the landscape: the loss along the straight line from the
//! starting point to the current one (Goodfellow et al. 2015), and along each
//! tracked eigenvector through the current point beside its quadratic model
//! L(θ) + (g·v)·a + ½λa², so that one sees where the quadratic picture
//! holds. Every loss is exact (the grid's evaluator along one direction).

use crate::landscape::grid::Slice;
use crate::model::objective::Objective;
use ndarray::{Array1, ArrayView1};

/// Points on each line.
pub const LINE_POINTS: usize = 65;

/// The quadratic model "holds" while it misses the loss by at most this
/// share of the loss's change from the centre.
pub const HOLDS_WITHIN: f64 = 0.1;

/// The interpolation line's coordinates: a = 0 is the start, a = 1 now.
pub const INTERPOLATION_RANGE: (f64, f64) = (-0.5, 1.5);

/// `n` evenly spaced coordinates from `lo` to `hi` (both included).
pub fn line_coordinates(n: usize, (lo, hi): (f64, f64)) -> Vec<f64> {
    match n {
        0 => Vec::new(),
        1 => vec![lo],
        _ => (0..n)
            .map(|k| lo + (hi - lo) * k as f64 / (n - 1) as f64)
            .collect(),
    }
}

/// The loss along a line: `L(origin + alphas[i]·direction)`.
#[derive(Debug, Clone, PartialEq)]
pub struct LossLine {
    /// Coordinates along the direction.
    pub alphas: Vec<f64>,
    /// The loss at each.
    pub loss: Vec<f64>,
}

/// The loss along a unit eigenvector v through θ, and its quadratic model.
#[derive(Debug, Clone, PartialEq)]
pub struct EigenLine {
    /// The eigenvalue λ.
    pub lambda: f64,
    /// L(θ).
    pub centre: f64,
    /// The slope g·v of the loss along v at θ.
    pub slope: f64,
    /// L(θ + a·v).
    pub line: LossLine,
    /// L(θ + a·v) at a = ±h/2, ±h/4, … ±h/2^[`PROBE_HALVINGS`] (h the line's
    /// half-width): where the quadratic picture holds, finer than the line.
    pub probe: LossLine,
}

/// Halvings of the half-width probed near the centre (down to h/4096).
pub const PROBE_HALVINGS: i32 = 12;

impl EigenLine {
    /// The quadratic model L(θ) + (g·v)·a + ½λa² (the second-order Taylor
    /// expansion along v).
    pub fn model(&self, a: f64) -> f64 {
        self.centre + self.slope * a + 0.5 * self.lambda * a * a
    }

    /// How far the quadratic picture holds: the largest r such that at
    /// every point (of the line and the probe) with |a| ≤ r the model
    /// misses the loss by at most `share` of the loss's change from the
    /// centre (0 when it misses at the point nearest the centre).
    pub fn model_holds_to(&self, share: f64) -> f64 {
        let mut points: Vec<(f64, f64)> = [&self.line, &self.probe]
            .into_iter()
            .flat_map(|l| l.alphas.iter().copied().zip(l.loss.iter().copied()))
            .collect();
        points.sort_by(|x, y| x.0.abs().total_cmp(&y.0.abs()));
        let mut reach = 0.0;
        for (a, loss) in points {
            let miss = (loss - self.model(a)).abs();
            let change = (loss - self.centre).abs();
            if !(miss <= share * change || a == 0.0) {
                break;
            }
            reach = a.abs();
        }
        reach
    }
}

/// The 1D views of a run at one measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct Lines {
    /// The step they were measured at.
    pub step: u64,
    /// From the start (a = 0) to now (a = 1) and a half beyond each.
    pub interpolation: LossLine,
    /// Along each tracked eigenvector, largest eigenvalue first.
    pub eigen: Vec<EigenLine>,
}

/// L(origin + a·direction) at each a of `alphas`.
pub fn loss_line(
    objective: &Objective,
    origin: ArrayView1<f64>,
    direction: ArrayView1<f64>,
    alphas: &[f64],
) -> LossLine {
    let zero = Array1::zeros(origin.len());
    let slice = Slice::new(objective, origin, direction, zero.view());
    LossLine {
        alphas: alphas.to_vec(),
        loss: slice.line(alphas),
    }
}

/// The interpolation line from `start` (a = 0) to `now` (a = 1), over
/// [`INTERPOLATION_RANGE`].
pub fn interpolation_line(
    objective: &Objective,
    start: ArrayView1<f64>,
    now: ArrayView1<f64>,
) -> LossLine {
    let direction = &now - &start;
    let alphas = line_coordinates(LINE_POINTS, INTERPOLATION_RANGE);
    loss_line(objective, start, direction.view(), &alphas)
}

/// The loss along the eigenvector `vector` (normalized here) of eigenvalue
/// `lambda` through `theta`, over [−half_width, half_width]; `loss` and
/// `gradient` are L and ∇L at θ.
pub fn eigen_line(
    objective: &Objective,
    theta: ArrayView1<f64>,
    (loss, gradient): (f64, ArrayView1<f64>),
    (lambda, vector): (f64, ArrayView1<f64>),
    half_width: f64,
) -> EigenLine {
    let norm = vector.dot(&vector).sqrt();
    let v = if norm > 0.0 {
        &vector / norm
    } else {
        vector.to_owned()
    };
    let alphas = line_coordinates(LINE_POINTS, (-half_width, half_width));
    let probes: Vec<f64> = (1..=PROBE_HALVINGS)
        .map(|k| half_width * 0.5f64.powi(k))
        .flat_map(|a| [-a, a])
        .collect();
    // One slice for the line and the probes.
    let both: Vec<f64> = alphas.iter().chain(&probes).copied().collect();
    let mut values = loss_line(objective, theta, v.view(), &both).loss;
    let probe_loss = values.split_off(alphas.len());
    EigenLine {
        lambda,
        centre: loss,
        slope: gradient.dot(&v),
        line: LossLine {
            alphas,
            loss: values,
        },
        probe: LossLine {
            alphas: probes,
            loss: probe_loss,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curvature::lanczos::{LanczosOptions, lanczos};
    use crate::model::activation::Activation;
    use crate::model::architecture::Architecture;
    use crate::model::loss::LossKind;
    use crate::model::synthetic::{DataKind, init_params};
    use rand::SeedableRng;

    fn problem() -> (Objective, Array1<f64>, Array1<f64>) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let data = DataKind::Moons.generate(64, 0.1, &mut rng);
        let arch = Architecture::new(vec![2, 6, 1], Activation::Tanh);
        let start = init_params(&arch, &mut rng);
        let now = init_params(&arch, &mut rng);
        (Objective::new(arch, LossKind::BceLogits, &data), start, now)
    }

    #[test]
    fn the_interpolation_line_passes_through_the_start_and_now() {
        let (objective, start, now) = problem();
        let line = interpolation_line(&objective, start.view(), now.view());
        assert_eq!(line.alphas.len(), LINE_POINTS);
        let at = |a: f64| {
            line.alphas
                .iter()
                .position(|&x| x == a)
                .expect("on the grid")
        };
        let (l0, l1) = (
            objective.loss(start.as_slice().unwrap()),
            objective.loss(now.as_slice().unwrap()),
        );
        assert!((line.loss[at(0.0)] - l0).abs() < 1e-12 * l0.abs().max(1.0));
        assert!((line.loss[at(1.0)] - l1).abs() < 1e-12 * l1.abs().max(1.0));
        let half = &start + &((&now - &start) * 0.5);
        let lh = objective.loss(half.as_slice().unwrap());
        assert!((line.loss[at(0.5)] - lh).abs() < 1e-12 * lh.abs().max(1.0));
    }

    #[test]
    fn the_model_holds_until_the_cubic_term_is_a_tenth_of_the_change() {
        // L(a) = 1 + a² + a³ against the model 1 + a²: the miss a³ is a
        // tenth of the change a² + a³ up to a = 1/9 on the right; on the
        // left, the change a² − |a|³ up to |a| = 1/11.
        let alphas = line_coordinates(201, (-1.0, 1.0));
        let loss = alphas.iter().map(|a| 1.0 + a * a + a * a * a).collect();
        let cubic = |a: f64| 1.0 + a * a + a * a * a;
        let mut line = EigenLine {
            lambda: 2.0,
            centre: 1.0,
            slope: 0.0,
            line: LossLine { alphas, loss },
            probe: LossLine {
                alphas: Vec::new(),
                loss: Vec::new(),
            },
        };
        let reach = line.model_holds_to(0.1);
        assert!((reach - 0.09).abs() < 1e-12, "{reach}");
        assert_eq!(line.model_holds_to(0.0), 0.0);
        // A probe point between the line's points that misses ends it there.
        line.probe = LossLine {
            alphas: vec![0.045],
            loss: vec![cubic(0.045) + 1.0],
        };
        assert!((line.model_holds_to(0.1) - 0.04).abs() < 1e-12);
    }

    /// Along an eigenvector the quadratic model agrees with the loss to
    /// second order: the gap shrinks like a³ (eight times per halving).
    #[test]
    fn the_quadratic_model_agrees_with_the_line_to_second_order() {
        let (objective, _, theta) = problem();
        let op = objective.hessian_at(theta.as_slice().unwrap());
        let eig = lanczos(
            &op,
            &LanczosOptions {
                top_k: 1,
                want_min: false,
                ..Default::default()
            },
            &[],
        );
        let top = &eig.top[0];
        let gap = |h: f64| {
            let line = eigen_line(
                &objective,
                theta.view(),
                (op.loss(), op.grad().view()),
                (top.value, top.vector.view()),
                h,
            );
            let last = line.line.alphas.len() - 1;
            let (a, l) = (line.line.alphas[last], line.line.loss[last]);
            assert_eq!(a, h);
            // The probe halves towards the centre, on the same line.
            assert_eq!(line.probe.alphas[..2], [-h / 2.0, h / 2.0]);
            let half = (0..LINE_POINTS)
                .min_by(|&i, &j| {
                    let off = |k: usize| (line.line.alphas[k] - h / 2.0).abs();
                    off(i).total_cmp(&off(j))
                })
                .unwrap();
            assert!((line.probe.loss[1] - line.line.loss[half]).abs() < 1e-12);
            (l - line.model(a)).abs()
        };
        let (g1, g2, g3) = (gap(0.02), gap(0.01), gap(0.005));
        assert!(g1 > 0.0 && g1 < 1e-4, "{g1}");
        for (coarse, fine) in [(g1, g2), (g2, g3)] {
            let ratio = coarse / fine;
            assert!((6.0..10.0).contains(&ratio), "{coarse} / {fine} = {ratio}");
        }
    }
}
