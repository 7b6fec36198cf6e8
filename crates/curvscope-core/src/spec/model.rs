//! The network a fresh run builds: its hidden layers and activation (the
//! input and output widths come from the data).

use crate::defaults;
use crate::model::activation::Activation;
use crate::model::architecture::Architecture;

/// The hidden part of a network; the data gives its input and output
/// widths (see [`ModelSpec::architecture`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSpec {
    /// Hidden layer widths, input side first (each ≥ 1).
    pub hidden: Vec<usize>,
    /// The activation after every hidden layer.
    pub activation: Activation,
}

impl Default for ModelSpec {
    fn default() -> Self {
        Self {
            hidden: defaults::HIDDEN.to_vec(),
            activation: Activation::Tanh,
        }
    }
}

impl ModelSpec {
    /// The network from `n_in` inputs to `n_out` outputs.
    pub fn architecture(&self, n_in: usize, n_out: usize) -> Architecture {
        let mut layers = vec![n_in];
        layers.extend(self.hidden.iter().copied().filter(|&w| w > 0));
        layers.push(n_out);
        Architecture::new(layers, self.activation)
    }
}
