//! The numerical core, lessons and exports, tested without a window (one
//! test binary, so that the build links once).

#[path = "../../../../tests/common/mod.rs"]
mod common;

mod expected_values;
mod export;
mod fuzz;
mod layers;
mod lessons;
mod numerics;
mod own_data;
mod problem_files;
mod replay;
mod spectrum;
mod training;
