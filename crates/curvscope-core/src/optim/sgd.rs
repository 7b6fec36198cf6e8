//! SGD with heavy-ball momentum, as `torch.optim.SGD`: v ← βv + g,
//! θ ← θ − ηv (β = 0 is plain SGD, or gradient descent on the full batch).

use super::{Hyper, Rule};
use crate::defaults::{MOMENTUM, MOMENTUM_RULE};
use ndarray::Array1;

/// Heavy-ball SGD's hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sgd {
    /// Momentum β in [0, 1).
    pub momentum: f64,
}

/// Heavy-ball SGD's state: the velocity v.
#[derive(Debug, Clone, PartialEq)]
pub struct SgdState {
    /// The momentum buffer v.
    pub velocity: Array1<f64>,
}

impl Rule for Sgd {
    type State = SgdState;
    const NAME: &'static str = "sgd";
    const TITLE: &'static str = "SGD (heavy-ball momentum)";
    const HYPER: &'static [Hyper<Self>] = &[Hyper {
        key: "momentum",
        label: "momentum β",
        rule: MOMENTUM_RULE,
        slider: (0.0, 0.99),
        get: |s| s.momentum,
        set: |s, v| s.momentum = v,
    }];
    const DEFAULT: Self = Sgd { momentum: MOMENTUM };

    fn start(&self, n: usize) -> SgdState {
        SgdState {
            velocity: Array1::zeros(n),
        }
    }

    fn step(&self, eta: f64, state: &mut SgdState, theta: &mut Array1<f64>, grad: &Array1<f64>) {
        let beta = self.momentum;
        state.velocity.mapv_inplace(|v| v * beta);
        state.velocity += grad;
        theta.scaled_add(-eta, &state.velocity);
    }

    /// 2(1 + β): on a quadratic of curvature λ, heavy ball is stable while
    /// η·λ < 2(1 + β).
    fn stability_limit(&self) -> f64 {
        2.0 * (1.0 + self.momentum)
    }

    fn measure(&self) -> &'static str {
        "η·λmax"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn heavy_ball_on_a_quadratic_is_stable_below_its_limit_only() {
        // f(θ) = λθ²/2: gradient λθ.
        for beta in [0.0, 0.5, 0.9] {
            let rule = Sgd { momentum: beta };
            let lambda = 1.0;
            for (ratio, stable) in [(0.95, true), (1.05, false)] {
                let eta = ratio * rule.stability_limit() / lambda;
                let mut theta = array![1.0];
                let mut state = rule.start(1);
                for _ in 0..2000 {
                    let grad = theta.mapv(|t| lambda * t);
                    rule.step(eta, &mut state, &mut theta, &grad);
                }
                assert_eq!(theta[0].abs() < 1.0, stable, "β {beta}, η·λ/limit {ratio}");
            }
        }
    }
}
