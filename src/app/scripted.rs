//! Frame-locked training for recordings: every rendered frame advances the
//! runs a fixed number of steps and a fixed slice of simulated time, so the
//! same command gives the same frames on any machine, however slow.

use super::camera::{HomeView, Orbit};
use super::overlay::Caption;
use super::surface::ShowBowl;
use super::training::{LessonState, Live, RunView, TrainingLink, Update};
use crate::director::{Director, ViewChange};
use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use std::sync::Mutex;
use std::time::Duration;

/// How a script advances.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    /// Frames per second of the recording (its simulated clock).
    pub fps: u32,
    /// Optimizer steps per frame.
    pub steps_per_frame: usize,
    /// Curvature and surfaces are recomputed every this many frames.
    pub measure_every_frames: usize,
    /// Frames to advance; the last frame index is `frames - 1`.
    pub frames: u64,
    /// Camera orbit speed, degrees per simulated second.
    pub orbit_deg_per_s: f32,
}

/// Drives a [`Director`] one step of the script per frame.
pub struct ScriptedPlugin {
    director: Mutex<Option<Director>>,
    pace: Pace,
}

impl ScriptedPlugin {
    /// A plugin that plays `director` at `pace`.
    pub fn new(director: Director, pace: Pace) -> Self {
        Self {
            director: Mutex::new(Some(director)),
            pace,
        }
    }
}

/// The script being played: the director and the frame it is at.
#[derive(Resource)]
pub struct Script {
    director: Director,
    /// How it advances.
    pub pace: Pace,
    /// Frames prepared for capture so far (frame `frame - 1` is shown now).
    pub frame: u64,
    /// Frames rendered so far, warm-up included.
    tick: u64,
}

/// Frames rendered before the first captured one.
const WARMUP_FRAMES: u64 = 5;

impl Script {
    /// Whether every frame was advanced.
    pub fn finished(&self) -> bool {
        self.frame >= self.pace.frames
    }
}

impl Plugin for ScriptedPlugin {
    fn build(&self, app: &mut App) {
        let director = self
            .director
            .lock()
            .ok()
            .and_then(|mut d| d.take())
            .expect("ScriptedPlugin is built once");
        let labels = director.labels();
        let runs = labels
            .iter()
            .map(|label| RunView {
                label: if labels.len() > 1 {
                    label.clone()
                } else {
                    String::new()
                },
                ..default()
            })
            .collect();
        let pace = self.pace;
        app.insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_secs_f64(
            1.0 / f64::from(pace.fps.max(1)),
        )))
        .insert_resource(TrainingLink::detached())
        .insert_resource(Live {
            runs,
            scripted: true,
            ..default()
        })
        .insert_resource(Script {
            director,
            pace,
            frame: 0,
            tick: 0,
        })
        .add_systems(PreUpdate, advance_script);
    }
}

/// Frame k shows the runs after k·steps_per_frame steps and k/fps seconds.
/// Frame 0 is prepared on the first tick and shown for WARMUP_FRAMES
/// uncaptured frames while the renderer sets itself up (meshes, pipelines,
/// egui's fonts), so that the first captured frame is complete.
fn advance_script(
    mut script: ResMut<Script>,
    mut live: ResMut<Live>,
    mut bowl: ResMut<ShowBowl>,
    mut caption: ResMut<Caption>,
    home: Option<Res<HomeView>>,
    mut camera: Query<(&mut Orbit, &mut Transform)>,
) {
    if script.finished() {
        return;
    }
    let tick = script.tick;
    script.tick += 1;
    let k = tick.saturating_sub(WARMUP_FRAMES);
    if tick == 0 || k > 0 {
        prepare(
            k,
            &mut script,
            &mut live,
            &mut bowl,
            &mut caption,
            home,
            &mut camera,
        );
    }
    if tick >= WARMUP_FRAMES {
        script.frame = k + 1;
    }
}

/// Sets up frame `k`: trains, measures, applies the timeline's view
/// changes, and turns the camera.
fn prepare(
    k: u64,
    script: &mut Script,
    live: &mut Live,
    bowl: &mut ShowBowl,
    caption: &mut Caption,
    home: Option<Res<HomeView>>,
    camera: &mut Query<(&mut Orbit, &mut Transform)>,
) {
    let Pace {
        fps,
        steps_per_frame,
        measure_every_frames,
        orbit_deg_per_s,
        ..
    } = script.pace;
    let dt = 1.0 / f64::from(fps.max(1));
    let changes = if k == 0 {
        script.director.advance(0, 0.0)
    } else {
        script.director.advance(steps_per_frame, dt)
    };
    if k > 0 && k.is_multiple_of(measure_every_frames.max(1) as u64) {
        script.director.measure();
    }
    if k == 0 {
        caption.0 = script.director.caption().to_string();
        bowl.0 = script.director.view().bowl;
    }
    for change in changes {
        match change {
            ViewChange::Bowl(b) => bowl.0 = b,
            ViewChange::Caption(c) => caption.0 = c,
        }
    }
    let labels = script.director.labels().to_vec();
    live.receive(Update {
        runs: script.director.snapshots(),
        labels,
        speed: steps_per_frame as f64 * f64::from(fps),
        lesson: LessonState {
            title: String::new(),
            caption: script.director.caption().to_string(),
            bowl: script.director.view().bowl,
        },
        notice: None,
        achieved_steps_per_second: steps_per_frame as f64 * f64::from(fps),
        measure_seconds: 0.0,
        measure_interval: measure_every_frames as f64 * dt,
    });
    if let Ok((mut orbit, mut transform)) = camera.single_mut() {
        let start = home
            .and_then(|h| h.0)
            .unwrap_or_else(|| Orbit::for_runs(live.runs.len()));
        orbit.yaw = start.yaw + (orbit_deg_per_s.to_radians() * k as f32) / fps.max(1) as f32;
        *transform = orbit.transform();
    }
}
