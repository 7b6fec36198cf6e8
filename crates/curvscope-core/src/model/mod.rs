//! The network and its objective: layer shapes and the flat parameter
//! layout, activations, losses, data (and the synthetic data sets), and L(θ)
//! with its exact gradient.

pub mod activation;
pub mod architecture;
pub mod dataset;
pub mod finite;
pub mod loss;
pub mod objective;
pub mod synthetic;
