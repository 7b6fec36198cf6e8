//! Frame statistics: frames drawn, frames per second (shown in the panel),
//! and, when `CURVSCOPE_STATS` names a file, one JSON line per second
//! appended to it (`seconds`, `frames`, `fps`, `refresh_hz`, `measure_ms`,
//! `steps_per_second`, `step`, `generation`, `latency_ms`) for the soak harness and for timing the app by hand.

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
    /// Surface and curvature refreshes per second over the last full
    /// second (the runner's measurements taken back).
    pub refresh_hz: f64,
    started: Instant,
    /// Start of the current window: when, frames, (generation, measurements).
    window: (Instant, u64, (u64, u64)),
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
            refresh_hz: 0.0,
            started: Instant::now(),
            window: (Instant::now(), 0, (0, 0)),
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

/// Refreshes per second between two (generation, measurements) counts
/// `seconds` apart; 0 across a restart, which starts the count over.
fn refresh_rate(from: (u64, u64), to: (u64, u64), seconds: f64) -> f64 {
    if from.0 == to.0 && seconds > 0.0 {
        to.1.saturating_sub(from.1) as f64 / seconds
    } else {
        0.0
    }
}

fn count_frame(mut stats: ResMut<FrameStats>, live: Res<Live>) {
    stats.frames += 1;
    let (since, frames, measured) = stats.window;
    let seconds = since.elapsed().as_secs_f64();
    if seconds < 1.0 {
        return;
    }
    stats.fps = (stats.frames - frames) as f64 / seconds;
    let now = (live.generation, live.measurements);
    stats.refresh_hz = refresh_rate(measured, now, seconds);
    stats.window = (Instant::now(), stats.frames, now);
    let line = format!(
        "{{\"seconds\":{:.3},\"frames\":{},\"fps\":{:.2},\"refresh_hz\":{:.2},\"measure_ms\":{:.1},\"steps_per_second\":{:.0},\"step\":{},\"generation\":{},\"latency_ms\":{}}}\n",
        stats.started.elapsed().as_secs_f64(),
        stats.frames,
        stats.fps,
        stats.refresh_hz,
        1e3 * live.measure_seconds,
        live.achieved_steps_per_second,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_rate_counts_within_a_generation_only() {
        assert_eq!(refresh_rate((3, 10), (3, 22), 1.2), 10.0);
        assert_eq!(refresh_rate((3, 10), (4, 2), 1.0), 0.0);
        assert_eq!(refresh_rate((3, 10), (3, 10), 1.0), 0.0);
        assert_eq!(refresh_rate((3, 10), (3, 12), 0.0), 0.0);
    }
}
