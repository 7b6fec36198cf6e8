//! Frame statistics: frames drawn, frames per second (shown in the panel),
//! and, when `CURVSCOPE_STATS` names a file, one JSON line per second
//! appended to it (`seconds`, `frames`, `fps`, `step`, `generation`,
//! `latency_ms`) for the soak harness and for timing the app by hand.

use super::state::{Live, ensure_state};
use bevy::prelude::*;
use std::io::Write;
use std::time::Instant;

/// The environment variable naming the statistics file.
pub const STATS_VARIABLE: &str = "CURVSCOPE_STATS";

/// Counts frames and measures the frame rate over about a second.
pub struct StatsPlugin;

/// Frames drawn and the rate over the last second.
#[derive(Resource, Debug)]
pub struct FrameStats {
    /// Frames drawn since the app started.
    pub frames: u64,
    /// Frames per second over the last full second.
    pub fps: f64,
    started: Instant,
    window: (Instant, u64),
    file: Option<std::fs::File>,
}

impl Default for FrameStats {
    fn default() -> Self {
        let file = std::env::var_os(STATS_VARIABLE).and_then(|path| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .inspect_err(|e| {
                    warn!("{STATS_VARIABLE}: cannot open {}: {e}", path.display());
                })
                .ok()
        });
        Self {
            frames: 0,
            fps: 0.0,
            started: Instant::now(),
            window: (Instant::now(), 0),
            file,
        }
    }
}

impl Plugin for StatsPlugin {
    fn build(&self, app: &mut App) {
        ensure_state(app);
        app.init_resource::<FrameStats>()
            .add_systems(Last, count_frame);
    }
}

fn count_frame(mut stats: ResMut<FrameStats>, live: Res<Live>) {
    stats.frames += 1;
    let (since, frames) = stats.window;
    let seconds = since.elapsed().as_secs_f64();
    if seconds < 1.0 {
        return;
    }
    stats.fps = (stats.frames - frames) as f64 / seconds;
    stats.window = (Instant::now(), stats.frames);
    let line = format!(
        "{{\"seconds\":{:.3},\"frames\":{},\"fps\":{:.2},\"step\":{},\"generation\":{},\"latency_ms\":{}}}\n",
        stats.started.elapsed().as_secs_f64(),
        stats.frames,
        stats.fps,
        live.latest().map_or(0, |s| s.step),
        live.generation,
        live.input_latency
            .map_or("null".to_string(), |l| format!("{:.1}", 1e3 * l)),
    );
    if let Some(file) = stats.file.as_mut()
        && let Err(e) = file.write_all(line.as_bytes())
    {
        warn!("{STATS_VARIABLE}: cannot write: {e}");
        stats.file = None;
    }
}
