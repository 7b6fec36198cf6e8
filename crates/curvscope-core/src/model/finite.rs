//! The one finiteness check every entry point applies before it computes
//! (`analyze`, `--problem`, lessons, the panel's rebuild, `record`): the
//! loss and its gradient must be finite at the start, and when they are
//! not, the message names the likely cause (huge targets, huge inputs or
//! huge parameters), with numbers in scientific notation.

use crate::contiguous::Flat;
use crate::model::dataset::{Dataset, Targets};
use crate::model::objective::Objective;

/// The loss or its gradient is not finite at a point.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the {what} is not finite ({value:e}): {cause}")]
pub struct NotFinite {
    /// `loss` or `gradient`.
    pub what: &'static str,
    /// The value found (the loss, or the gradient's norm).
    pub value: f64,
    /// The likely cause, in words.
    pub cause: String,
}

/// Magnitudes past this square past float64's range (about 1.8e308).
const SQUARE_OVERFLOW: f64 = 1e154;

/// The largest magnitude in `values` (NaN counts as infinite).
fn largest(values: impl IntoIterator<Item = f64>) -> f64 {
    values.into_iter().fold(0.0, |m: f64, v| {
        if v.is_nan() {
            f64::INFINITY
        } else {
            m.max(v.abs())
        }
    })
}

/// Checks that the loss and its gradient are finite at `theta`.
pub fn check_finite(objective: &Objective, data: &Dataset, theta: &[f64]) -> Result<(), NotFinite> {
    let (loss, grad) = objective.loss_and_grad(theta);
    let grad_norm = grad.dot(&grad).sqrt();
    let (what, value) = if !loss.is_finite() {
        ("loss", loss)
    } else if !grad_norm.is_finite() {
        ("gradient", grad_norm)
    } else {
        return Ok(());
    };
    let y = match &data.y {
        Targets::Regression(y) => largest(y.iter().copied()),
        Targets::Binary(y) => largest(y.iter().copied()),
        Targets::Classes(_) => 0.0,
    };
    let x = largest(data.x.flat().iter().copied());
    let t = largest(theta.iter().copied());
    let cause = if y >= SQUARE_OVERFLOW {
        format!("data.y holds values up to {y:e}, whose squares overflow float64")
    } else if x >= SQUARE_OVERFLOW {
        format!("data.x holds values up to {x:e}, which overflow the network")
    } else {
        format!("the parameters (largest |θ| {t:e}) with inputs up to {x:e} overflow the network")
    };
    Err(NotFinite { what, value, cause })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::activation::Activation;
    use crate::model::architecture::Architecture;
    use crate::model::loss::LossKind;
    use ndarray::{Array2, array};

    fn problem(y: f64, theta_scale: f64) -> (Objective, Dataset, Vec<f64>) {
        let arch = Architecture::new(vec![1, 2, 1], Activation::Linear);
        let data = Dataset {
            x: array![[1.0], [2.0]],
            y: Targets::Regression(Array2::from_elem((2, 1), y)),
        };
        let objective = Objective::new(arch.clone(), LossKind::Mse, &data);
        let theta = vec![theta_scale; arch.n_params()];
        (objective, data, theta)
    }

    #[test]
    fn a_finite_start_passes() {
        let (o, d, t) = problem(1.0, 0.1);
        assert_eq!(check_finite(&o, &d, &t), Ok(()));
    }

    #[test]
    fn huge_targets_are_named_as_the_cause_in_scientific_notation() {
        let (o, d, t) = problem(1e300, 0.1);
        let e = check_finite(&o, &d, &t).unwrap_err();
        assert_eq!(e.what, "loss");
        assert_eq!(
            e.to_string(),
            "the loss is not finite (inf): data.y holds values up to 1e300, whose squares overflow float64"
        );
    }

    #[test]
    fn huge_parameters_are_named_as_the_cause() {
        let (o, d, t) = problem(1.0, 1e200);
        let e = check_finite(&o, &d, &t).unwrap_err().to_string();
        assert!(e.contains("the parameters (largest |θ| 1e200)"), "{e}");
    }
}
