//! Frame-locked training for recordings: every rendered frame advances the
//! runs a fixed number of steps and a fixed slice of simulated time, so the
//! same command gives the same frames on any machine, however slow.

use super::camera::Orbit;
use super::state::{AppSet, HomeView, Live, ShowBowl, TrainingLink, ensure_state};
use bevy::prelude::*;
use bevy::render::render_resource::{CachedPipelineState, PipelineCache};
use bevy::render::{Render, RenderApp, RenderSystems};
use bevy::time::TimeUpdateStrategy;
use curvscope_core::io::video::Pace;
use curvscope_core::train::runner::Runner;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Drives a [`Runner`] one frame of the script per rendered frame.
pub struct ScriptedPlugin {
    runner: Mutex<Option<Runner>>,
    pace: Pace,
}

impl ScriptedPlugin {
    /// A plugin that plays `runner` at `pace`.
    pub fn new(runner: Runner, pace: Pace) -> Self {
        Self {
            runner: Mutex::new(Some(runner)),
            pace,
        }
    }
}

/// The script being played: the runner and the frame it is at.
#[derive(Resource)]
pub struct Script {
    runner: Runner,
    /// How it advances.
    pub pace: Pace,
    /// Frames ready for capture so far (frame `frame - 1` is shown now).
    pub frame: u64,
    /// Frames rendered so far, warm-up included.
    tick: u64,
    /// Still showing frame 0 uncaptured while the renderer sets up.
    warming: bool,
    /// The frame `frame` is prepared and shown once, to be captured on the
    /// next tick.
    shown: bool,
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
        ensure_state(app);
        let runner = self
            .runner
            .lock()
            .ok()
            .and_then(|mut d| d.take())
            .expect("ScriptedPlugin is built once");
        let pace = self.pace;
        // The runs appear in `Live` with frame 0's update.
        app.world_mut().resource_mut::<Live>().scripted = true;
        app.insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_secs_f64(
            1.0 / f64::from(pace.fps.max(1)),
        )))
        .insert_resource(TrainingLink::detached())
        .insert_resource(Script {
            runner,
            pace,
            frame: 0,
            tick: 0,
            warming: true,
            shown: false,
            ready_ticks: 0,
        })
        .add_systems(PreUpdate, advance_script)
        .add_systems(Update, warm_up_with_the_bowl.after(AppSet::View));
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
/// bowl on (so that its pipelines are built too), until the renderer is
/// ready (every shader loaded and every render pipeline built, for
/// READY_TICKS ticks in a row, and at least WARMUP_FRAMES ticks): shaders
/// load asynchronously, so only then is the first captured frame complete on
/// any machine.
fn advance_script(
    mut script: ResMut<Script>,
    ready: Res<RenderReady>,
    mut live: ResMut<Live>,
    home: Res<HomeView>,
    mut camera: Query<(&mut Orbit, &mut Transform)>,
) {
    if script.finished() {
        return;
    }
    let tick = script.tick;
    script.tick += 1;
    // Frame 0 once at the start; then, after the warm-up, each frame is
    // prepared on one tick and captured on the next: text new in a frame
    // (digits at a new sub-pixel offset) is rasterized into egui's font
    // atlas on the first tick, whose upload a capture on that same tick
    // would miss (letters were missing from frame 1 of every recording).
    if script.warming {
        if tick == 0 {
            prepare(0, &mut script, &mut live, &home, &mut camera);
        }
    } else {
        if script.shown {
            script.frame += 1;
        } else {
            let k = script.frame;
            prepare(k, &mut script, &mut live, &home, &mut camera);
        }
        script.shown = !script.shown;
        return;
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
        script.frame = 1;
    }
}

/// Shows the bowl while warming up; then the view the lesson's timeline
/// set (as of frame 0).
fn warm_up_with_the_bowl(
    script: Res<Script>,
    mut bowl: ResMut<ShowBowl>,
    mut was_warming: Local<bool>,
) {
    if script.warming {
        bowl.0 = true;
        *was_warming = true;
    } else if std::mem::take(&mut *was_warming) {
        bowl.0 = script.runner.director().view().bowl;
    }
}

/// Sets up frame `k`: trains, measures, hands the update (and so the
/// timeline's view changes) to [`Live`], and turns the camera.
fn prepare(
    k: u64,
    script: &mut Script,
    live: &mut Live,
    home: &HomeView,
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
    let mut update = if k == 0 {
        script.runner.tick_exact(0, 0.0, false)
    } else {
        let measure = k.is_multiple_of(measure_every_frames.max(1) as u64);
        script.runner.tick_exact(steps_per_frame, dt, measure)
    };
    let speed = steps_per_frame as f64 * f64::from(fps);
    update.speed = speed;
    update.achieved_steps_per_second = speed;
    update.measure_seconds = 0.0;
    update.measure_interval = measure_every_frames as f64 * dt;
    live.receive(update);
    // (Frame 0's starting view sets the home and resets the camera later
    // in this tick; from frame 1 on the home is in place.)
    if let Ok((mut orbit, mut transform)) = camera.single_mut() {
        let start = home
            .0
            .map_or_else(|| Orbit::for_runs(live.runs.len()), Orbit::from);
        orbit.yaw = start.yaw + (orbit_deg_per_s.to_radians() * k as f32) / fps.max(1) as f32;
        *transform = orbit.transform();
    }
}
