//! What the `analyze` and `bench` commands compute, and the bundled sample
//! problems they default to.

pub mod analyze;
pub mod bench;
pub mod memory;
pub mod samples;
