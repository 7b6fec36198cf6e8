//! How much memory an analysis may take, decided before anything large is
//! allocated: the Lanczos basis (one vector of P numbers per product, with
//! full reorthogonalization) is what grows with the problem, so its length
//! is capped to fit half of the memory the machine has available; a problem
//! whose passes alone would not fit is refused with the figures.

use crate::io::problem::Problem;
pub use crate::system::available_bytes;

/// The Lanczos basis may use at most this share of the available memory.
const BASIS_SHARE: f64 = 0.5;

/// Bytes of the forward and backward passes over all samples (activations,
/// derivatives and their directional parts, about eight arrays of N × Σ
/// widths) and of a few working vectors of P numbers.
pub fn pass_bytes(problem: &Problem) -> u64 {
    let widths: u64 = problem.architecture.layers.iter().map(|&w| w as u64).sum();
    let samples = problem.n_samples() as u64;
    8 * (8 * samples * widths + 16 * problem.n_params() as u64)
}

/// A size in MiB or GiB.
fn size(bytes: u64) -> String {
    let mib = bytes as f64 / (1u64 << 20) as f64;
    if mib < 1024.0 {
        format!("{mib:.0} MiB")
    } else {
        format!("{:.1} GiB", mib / 1024.0)
    }
}

/// A problem too large for this machine's memory.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "this problem needs about {} ({what}), more than the {} this machine has available",
    size(*needed), size(*available)
)]
pub struct TooLarge {
    /// Estimated need, in bytes.
    pub needed: u64,
    /// Available now, in bytes.
    pub available: u64,
    /// What the estimate is made of.
    pub what: String,
}

/// The most Lanczos products whose basis fits in memory, between `least`
/// (else the problem is refused) and `most`.
pub fn lanczos_steps(
    problem: &Problem,
    least: usize,
    most: usize,
    available: u64,
) -> Result<usize, TooLarge> {
    let passes = pass_bytes(problem) as f64;
    let vector = 8.0 * problem.n_params() as f64;
    let budget = BASIS_SHARE * available as f64 - passes;
    let fit = if budget > 0.0 {
        (budget / vector) as usize
    } else {
        0
    };
    if fit < least {
        return Err(TooLarge {
            needed: ((passes + least as f64 * vector) / BASIS_SHARE) as u64,
            available,
            what: format!(
                "passes over {} samples and at least {least} Lanczos vectors of {} parameters",
                problem.n_samples(),
                problem.n_params()
            ),
        });
    }
    Ok(fit.min(most))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine() -> Problem {
        Problem::from_json_str(crate::analysis::samples::SAMPLE_PROBLEMS[0].1).unwrap()
    }

    #[test]
    fn the_basis_is_capped_to_what_fits() {
        let p = sine();
        assert_eq!(lanczos_steps(&p, 10, 1000, 16 << 30), Ok(1000));
        let vector = 8 * p.n_params() as u64;
        let room = 2 * (pass_bytes(&p) + 50 * vector);
        assert_eq!(lanczos_steps(&p, 10, 1000, room), Ok(50));
    }

    #[test]
    fn a_problem_that_cannot_fit_is_refused_with_the_figures() {
        let p = sine();
        let e = lanczos_steps(&p, 10, 1000, 1000).unwrap_err();
        assert!(e.to_string().starts_with("this problem needs about"), "{e}");
        assert!(
            e.to_string()
                .contains("128 samples and at least 10 Lanczos vectors of 97 parameters"),
            "{e}"
        );
    }
}
