//! Frame-locked training for recordings: every rendered frame advances the
//! runs a fixed number of steps and a fixed slice of simulated time, so the
//! same command gives the same frames on any machine, however slow.

use super::camera::{HomeView, Orbit};
use super::overlay::Caption;
use super::surface::ShowBowl;
use super::training::{LessonState, Live, RunView, TrainingLink, Update};
use crate::director::{Director, ViewChange};
use bevy::prelude::*;
use bevy::render::render_resource::{CachedPipelineState, PipelineCache};
use bevy::render::{Render, RenderApp, RenderSystems};
use bevy::time::TimeUpdateStrategy;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
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
    /// Still showing frame 0 uncaptured while the renderer sets up.
    warming: bool,
    /// Warm-up ticks in a row on which the renderer was ready.
    ready_ticks: u64,
}

/// Whether the render world has every render pipeline built (so nothing is
/// left out of a frame because a shader is still loading). Set by a system
/// in the render app; always true without one (headless tests).
#[derive(Resource, Clone)]
pub struct RenderReady(Arc<AtomicBool>);

impl RenderReady {
    /// Whether the last rendered frame had every pipeline ready.
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Reports, after each render, whether every pipeline is built.
fn report_render_ready(cache: Res<PipelineCache>, ready: Res<RenderReady>) {
    let mut pipelines = cache.pipelines().peekable();
    let any = pipelines.peek().is_some();
    let built = pipelines.all(|p| matches!(p.state, CachedPipelineState::Ok(_)));
    let waiting = cache.waiting_pipelines().next().is_some();
    ready.0.store(any && built && !waiting, Ordering::Release);
}

/// Frames rendered at least before the first captured one.
const WARMUP_FRAMES: u64 = 5;
/// Ticks in a row with every pipeline built before capturing starts.
const READY_TICKS: u64 = 3;
/// Give up waiting for the renderer after this many frames.
const MAX_WARMUP_FRAMES: u64 = 1000;

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
            warming: true,
            ready_ticks: 0,
        })
        .add_systems(PreUpdate, advance_script);
        let ready = RenderReady(Arc::new(AtomicBool::new(true)));
        if let Some(render_app) = app.get_sub_app_mut(RenderApp) {
            ready.0.store(false, Ordering::Release);
            render_app
                .insert_resource(ready.clone())
                .add_systems(Render, report_render_ready.in_set(RenderSystems::Cleanup));
        }
        app.insert_resource(ready);
    }
}

/// Frame k shows the runs after k·steps_per_frame steps and k/fps seconds.
/// Frame 0 is prepared on the first tick and shown, uncaptured and with the
/// bowl on, until the renderer is ready (every shader loaded and every
/// render pipeline built, for READY_TICKS ticks in a row, and at least
/// WARMUP_FRAMES ticks): shaders load asynchronously, so only then is the
/// first captured frame complete on any machine.
fn advance_script(
    mut script: ResMut<Script>,
    ready: Res<RenderReady>,
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
    // Frame 0 once at the start; then, after the warm-up, one per tick.
    let to_prepare = if script.warming {
        (tick == 0).then_some(0)
    } else {
        Some(script.frame)
    };
    if let Some(k) = to_prepare {
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
    if !script.warming {
        script.frame += 1;
        return;
    }
    if tick == 0 {
        // Every pipeline a recording may need gets built now.
        bowl.0 = true;
    }
    script.ready_ticks = if ready.is_ready() {
        script.ready_ticks + 1
    } else {
        0
    };
    let warm = tick >= WARMUP_FRAMES && script.ready_ticks >= READY_TICKS;
    if warm || tick >= MAX_WARMUP_FRAMES {
        if !warm {
            warn!("the renderer was not ready after {tick} frames; recording anyway");
        }
        script.warming = false;
        bowl.0 = script.director.view().bowl;
        script.frame = 1;
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
