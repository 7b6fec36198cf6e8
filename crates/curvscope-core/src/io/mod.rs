//! Files in and out: problem files (strict reader, bit-exact writer),
//! exports (glb, ply, grid CSV/JSON, series CSV), videos and PNG frames,
//! and atomic saves.

pub mod export;
pub mod fsutil;
pub mod json;
pub mod problem;
pub mod video;
