//! Files in and out: problem files (strict reader, bit-exact writer),
//! your own data (CSV) and models (safetensors), exports (glb, ply, grid
//! CSV/JSON, series CSV), videos and PNG frames (with their lesson inside),
//! and atomic saves.

pub mod csv_data;
pub mod export;
pub mod fsutil;
pub mod import;
pub mod json;
pub mod png_text;
pub mod problem;
pub mod safetensors;
pub mod video;
