//! The live app: its logic in real Bevy `App`s (no window), and its
//! rendering in a real window under Xvfb with Mesa's software Vulkan.

#[path = "../common/app.rs"]
mod app_common;
#[path = "../common/binary.rs"]
mod binary;
#[path = "../common/mod.rs"]
mod common;

mod drop;
mod export;
mod lessons;
mod record;
mod surface;
mod training;
mod window;
