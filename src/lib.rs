//! curvscope: the live app over the numerical core.
//!
//! The core (`curvscope-core`, in `crates/curvscope-core`) computes; this
//! crate shows: [`app`] is the Bevy app (one plugin per concern), and the
//! `curvscope` binary (`src/main.rs`, `src/cli/`) is the command line.
//! ARCHITECTURE.md at the repository root gives the whole picture.

pub mod app;
