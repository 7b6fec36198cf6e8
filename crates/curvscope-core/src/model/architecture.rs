//! Network shape and the flat parameter layout of `problem-format.md`.

use crate::model::activation::Activation;

/// A multilayer perceptron's shape: widths (input first) and hidden activation.
///
/// Parameters live in one flat vector, layer by layer: the weight matrix
/// `W_l` of shape (out, in) in row-major order, then the bias `b_l` (out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Architecture {
    /// Layer widths, input first, output last (at least two entries).
    pub layers: Vec<usize>,
    /// Activation applied after every layer but the last.
    pub activation: Activation,
}

/// Where one layer's weights and bias sit in the flat parameter vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerSpan {
    /// Input width of the layer.
    pub fan_in: usize,
    /// Output width of the layer.
    pub fan_out: usize,
    /// Offset of `W` (fan_out × fan_in, row-major).
    pub weight_offset: usize,
    /// Offset of `b` (fan_out entries), right after `W`.
    pub bias_offset: usize,
}

impl LayerSpan {
    /// One past the last parameter of this layer.
    pub fn end(&self) -> usize {
        self.bias_offset + self.fan_out
    }
}

/// Number of parameters of `layers`, or `None` if it overflows `usize`.
///
/// Pure integer arithmetic, so a file can be checked before anything big is
/// allocated.
pub fn checked_param_count(layers: &[usize]) -> Option<usize> {
    layers.windows(2).try_fold(0usize, |acc, w| {
        let weights = w[1].checked_mul(w[0])?;
        acc.checked_add(weights)?.checked_add(w[1])
    })
}

impl Architecture {
    /// Creates an architecture; `layers` must have ≥ 2 entries, each ≥ 1.
    pub fn new(layers: Vec<usize>, activation: Activation) -> Self {
        assert!(layers.len() >= 2 && layers.iter().all(|&w| w >= 1));
        Self { layers, activation }
    }

    /// Total number of parameters.
    pub fn n_params(&self) -> usize {
        checked_param_count(&self.layers).expect("parameter count overflows usize")
    }

    /// Input width.
    pub fn n_inputs(&self) -> usize {
        self.layers[0]
    }

    /// Output width.
    pub fn n_outputs(&self) -> usize {
        *self.layers.last().expect("at least two layers")
    }

    /// Number of affine layers (one less than the number of widths).
    pub fn n_layers(&self) -> usize {
        self.layers.len() - 1
    }

    /// The spans of every layer in the flat parameter vector.
    pub fn spans(&self) -> Vec<LayerSpan> {
        let mut offset = 0;
        self.layers
            .windows(2)
            .map(|w| {
                let span = LayerSpan {
                    fan_in: w[0],
                    fan_out: w[1],
                    weight_offset: offset,
                    bias_offset: offset + w[0] * w[1],
                };
                offset = span.end();
                span
            })
            .collect()
    }
}

/// One layer's weights (fan_out × fan_in) and bias, viewed inside a flat vector.
pub type LayerView<'a> = (ndarray::ArrayView2<'a, f64>, ndarray::ArrayView1<'a, f64>);

impl Architecture {
    /// Views every layer's (W, b) inside the flat vector `theta`.
    ///
    /// Panics if `theta.len() != self.n_params()` (a programming error: every
    /// public entry point checks the length first).
    pub fn layer_views<'a>(&self, theta: &'a [f64]) -> Vec<LayerView<'a>> {
        assert_eq!(theta.len(), self.n_params(), "parameter vector length");
        self.spans()
            .into_iter()
            .map(|s| {
                let w = ndarray::ArrayView2::from_shape(
                    (s.fan_out, s.fan_in),
                    &theta[s.weight_offset..s.bias_offset],
                )
                .expect("span shape");
                let b = ndarray::ArrayView1::from(&theta[s.bias_offset..s.end()]);
                (w, b)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_follow_the_spec_layout() {
        let arch = Architecture::new(vec![2, 16, 16, 1], Activation::Tanh);
        assert_eq!(arch.n_params(), 337);
        let s = arch.spans();
        assert_eq!(s[0].weight_offset, 0);
        assert_eq!(s[0].bias_offset, 32);
        assert_eq!(s[1].weight_offset, 48);
        assert_eq!(s[2].bias_offset, 48 + 272 + 16);
        assert_eq!(s[2].end(), 337);
    }

    #[test]
    fn param_count_overflow_is_detected() {
        assert_eq!(checked_param_count(&[usize::MAX, 2]), None);
        assert_eq!(checked_param_count(&[1, 32, 1]), Some(97));
    }
}
