//! Second-order information: exact Hessian-vector products (R-operator),
//! Lanczos for extreme eigenpairs, the dense Hessian and its eigensolver,
//! the trace, the whole spectrum (exact or stochastic Lanczos quadrature),
//! curvature per layer and the spectrum over the steps (waterfall).

pub mod condition;
pub mod dense;
pub mod hvp;
pub mod lanczos;
pub mod layers;
pub mod spectrum;
pub mod trace;
pub mod tridiagonal;
pub mod waterfall;
