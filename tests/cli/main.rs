//! The real `curvscope` binary, end to end: `analyze` writes results that
//! follow `analysis-format.md` and agree with the expected files, its options
//! behave, every bad input fails with one clear line (never a panic), and
//! `bench` prints and writes its report.

#[path = "../common/binary.rs"]
mod binary;
#[path = "../common/mod.rs"]
mod common;

mod analyze;
mod app_options;
mod bench;
mod files;
mod lessons;
mod own_data;
mod refusals;
mod results;
mod spectrum;
