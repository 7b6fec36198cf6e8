//! Hidden-layer activations, and their scalar reference forms (libm's
//! functions): the slice kernels in [`crate::kernels::activation`] are what
//! the network runs, and are tested against these.

use crate::kernels::activation as act;

/// A hidden-layer activation function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activation {
    /// Hyperbolic tangent.
    Tanh,
    /// max(0, z); derivative 0 at 0, second derivative 0.
    Relu,
    /// Exact GELU, z Φ(z) with the erf form.
    Gelu,
    /// Logistic sigmoid.
    Sigmoid,
    /// log(1 + e^z).
    Softplus,
    /// Identity.
    Linear,
}

impl Activation {
    /// All activations, in the order of the spec.
    pub const ALL: [Activation; 6] = [
        Activation::Tanh,
        Activation::Relu,
        Activation::Gelu,
        Activation::Sigmoid,
        Activation::Softplus,
        Activation::Linear,
    ];

    /// The name used in problem files.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::Gelu => "gelu",
            Activation::Sigmoid => "sigmoid",
            Activation::Softplus => "softplus",
            Activation::Linear => "linear",
        }
    }

    /// Parses a problem-file name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// Standard normal density φ(z), with the rounding error of z² carried
/// into a second factor so that the exponent is exact.
pub(crate) fn normal_pdf(z: f64) -> f64 {
    let zz = z * z;
    let lo = if zz < f64::INFINITY {
        z.mul_add(z, -zz)
    } else {
        0.0
    };
    (-0.5 * zz).exp() * (-0.5 * lo).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Standard normal distribution function Φ(z), exact erf form.
fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z * std::f64::consts::FRAC_1_SQRT_2)
}

/// Numerically stable logistic function.
pub(crate) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Numerically stable log(1 + e^z).
pub(crate) fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

impl Activation {
    /// σ(z) for one value (the scalar reference).
    pub fn value(self, z: f64) -> f64 {
        match self {
            Activation::Tanh => z.tanh(),
            Activation::Relu => z.max(0.0),
            Activation::Gelu => z * normal_cdf(z),
            Activation::Sigmoid => sigmoid(z),
            Activation::Softplus => softplus(z),
            Activation::Linear => z,
        }
    }

    /// First and second derivatives σ'(z), σ''(z), given z and a = σ(z)
    /// (the scalar reference).
    ///
    /// relu uses the almost-everywhere derivatives: σ'(0) = 0, σ'' = 0.
    pub fn derivatives(self, z: f64, a: f64) -> (f64, f64) {
        match self {
            Activation::Tanh => {
                let d1 = 1.0 - a * a;
                (d1, -2.0 * a * d1)
            }
            Activation::Relu => (if z > 0.0 { 1.0 } else { 0.0 }, 0.0),
            Activation::Gelu => {
                let pdf = normal_pdf(z);
                (normal_cdf(z) + z * pdf, pdf * (2.0 - z * z))
            }
            Activation::Sigmoid => {
                let d1 = a * (1.0 - a);
                (d1, d1 * (1.0 - 2.0 * a))
            }
            Activation::Softplus => {
                let s = sigmoid(z);
                (s, s * (1.0 - s))
            }
            Activation::Linear => (1.0, 0.0),
        }
    }
}

/// The slice kernels of each activation ([`crate::kernels::activation`]).
impl Activation {
    /// Replaces each pre-activation in `z` by σ(z).
    pub fn apply_in_place(self, z: &mut [f64]) {
        match self {
            Activation::Tanh => act::tanh_in_place(z),
            Activation::Relu => act::relu_in_place(z),
            Activation::Gelu => act::gelu_in_place(z),
            Activation::Sigmoid => act::sigmoid_in_place(z),
            Activation::Softplus => act::softplus_in_place(z),
            Activation::Linear => {}
        }
    }

    /// σ'(z) into `d1` and σ''(z) into `d2`, given z and a = σ(z) (all four
    /// slices the same length).
    pub fn derivatives_into(self, z: &[f64], a: &[f64], d1: &mut [f64], d2: &mut [f64]) {
        assert!(
            a.len() == z.len() && d1.len() == z.len() && d2.len() == z.len(),
            "slice lengths"
        );
        match self {
            Activation::Tanh => act::tanh_derivatives(a, d1, d2),
            Activation::Sigmoid => act::sigmoid_derivatives(a, d1, d2),
            Activation::Softplus => act::softplus_derivatives(z, d1, d2),
            Activation::Gelu => act::gelu_derivatives(z, d1, d2),
            Activation::Relu => {
                for (d, &z) in d1.iter_mut().zip(z) {
                    *d = if z > 0.0 { 1.0 } else { 0.0 };
                }
                d2.fill(0.0);
            }
            Activation::Linear => {
                d1.fill(1.0);
                d2.fill(0.0);
            }
        }
    }

    /// g ⊙= σ'(z) (backpropagation through the activation), given z and a = σ(z).
    pub fn scale_by_derivative(self, g: &mut [f64], z: &[f64], a: &[f64]) {
        assert!(a.len() == g.len() && z.len() == g.len(), "slice lengths");
        match self {
            Activation::Tanh => act::scale_by_derivative_of_value(g, a, true),
            Activation::Sigmoid => act::scale_by_derivative_of_value(g, a, false),
            Activation::Softplus => act::scale_by_derivative_of_input(g, z, true),
            Activation::Gelu => act::scale_by_derivative_of_input(g, z, false),
            Activation::Relu => {
                for (g, &z) in g.iter_mut().zip(z) {
                    *g *= if z > 0.0 { 1.0 } else { 0.0 };
                }
            }
            Activation::Linear => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in Activation::ALL {
            assert_eq!(Activation::from_name(a.name()), Some(a));
        }
        assert_eq!(Activation::from_name("swish"), None);
    }

    #[test]
    fn derivatives_match_finite_differences() {
        let h = 1e-5;
        for act in Activation::ALL {
            for &z in &[-3.1, -0.7, -0.05, 0.2, 1.3, 4.0] {
                let (d1, d2) = act.derivatives(z, act.value(z));
                let fd1 = (act.value(z + h) - act.value(z - h)) / (2.0 * h);
                let fd2 = {
                    let g = |x: f64| act.derivatives(x, act.value(x)).0;
                    (g(z + h) - g(z - h)) / (2.0 * h)
                };
                assert!((d1 - fd1).abs() < 1e-8, "{act:?} σ'({z}) {d1} vs {fd1}");
                assert!((d2 - fd2).abs() < 1e-8, "{act:?} σ''({z}) {d2} vs {fd2}");
            }
        }
    }

    #[test]
    fn stable_forms_do_not_overflow() {
        assert_eq!(softplus(1000.0), 1000.0);
        assert!(softplus(-1000.0) >= 0.0 && softplus(-1000.0) < 1e-300);
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert_eq!(sigmoid(1000.0), 1.0);
        assert!((Activation::Gelu.value(1.0) - 0.841_344_746_068_542_9).abs() < 1e-15);
    }
}
