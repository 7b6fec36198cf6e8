//! Orbit camera: drag to rotate, right-drag to pan, scroll to zoom; ignores
//! the mouse over egui. `ResetCamera` puts it back. The 3D view fills the
//! window right of the side panel; egui draws through its own camera on top.

use super::state::{AppSet, HomeView, Live, PanelWidth, ResetCamera, ensure_state};
use bevy::camera::visibility::RenderLayers;
use bevy::camera::{CameraOutputMode, Viewport};
use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll};
use bevy::prelude::*;
use bevy::render::render_resource::BlendState;
use bevy::window::PrimaryWindow;
use bevy_egui::input::egui_wants_any_pointer_input;
use bevy_egui::{EguiGlobalSettings, PrimaryEguiContext};
use curvscope_core::lesson::CameraSpec;

/// Where the camera orbits and from how far.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct Orbit {
    /// The point looked at.
    pub focus: Vec3,
    /// Distance from the focus.
    pub radius: f32,
    /// Rotation about the vertical axis (radians).
    pub yaw: f32,
    /// Elevation (radians).
    pub pitch: f32,
}

impl Default for Orbit {
    fn default() -> Self {
        Self::from(CameraSpec::HOME)
    }
}

impl From<CameraSpec> for Orbit {
    /// A lesson's camera (around the default focus).
    fn from(c: CameraSpec) -> Self {
        Self {
            focus: Vec3::new(0.0, 0.5, 0.0),
            yaw: c.yaw,
            pitch: c.pitch,
            radius: c.radius,
        }
    }
}

impl Orbit {
    /// The starting view of `runs` surfaces side by side.
    pub fn for_runs(runs: usize) -> Self {
        let o = Self::default();
        if runs > 1 {
            // Frontal, so that both surfaces are seen alike.
            Self {
                radius: o.radius * 1.45,
                yaw: 0.0,
                pitch: -0.62,
                ..o
            }
        } else {
            o
        }
    }

    /// The camera transform for this orbit.
    pub fn transform(&self) -> Transform {
        let rotation = Quat::from_euler(EulerRot::YXZ, self.yaw, self.pitch, 0.0);
        Transform::from_translation(self.focus + rotation * Vec3::Z * self.radius)
            .looking_at(self.focus, Vec3::Y)
    }
}

/// Spawns the camera and moves it.
pub struct CameraPlugin;

impl Plugin for CameraPlugin {
    fn build(&self, app: &mut App) {
        ensure_state(app);
        app.add_systems(Startup, spawn_cameras).add_systems(
            Update,
            (
                orbit.run_if(not(egui_wants_any_pointer_input)),
                reset,
                fit_viewport,
                fit_field_of_view.after(fit_viewport),
                no_msaa_on_a_software_renderer,
            )
                .in_set(AppSet::Scene),
        );
    }
}

/// Turns multisampling off on both cameras when the renderer runs on the
/// CPU (Mesa's lavapipe and the like): there 4× MSAA cost about 40% of the
/// frame rate (2.9 → 5.0 frames/s at 1280×800 on 2 loaded cores), on a GPU
/// it costs next to nothing and stays on. Done once, when the adapter is
/// known.
fn no_msaa_on_a_software_renderer(
    adapter: Option<Res<bevy::render::renderer::RenderAdapterInfo>>,
    mut cameras: Query<&mut Msaa>,
    mut done: Local<bool>,
) {
    let Some(adapter) = adapter else {
        return;
    };
    if *done || cameras.is_empty() {
        return;
    }
    *done = true;
    if adapter.device_type == wgpu_types::DeviceType::Cpu {
        for mut msaa in &mut cameras {
            *msaa = Msaa::Off;
        }
    }
}

/// Back to the home view, and to the twin view when the number of
/// surfaces drawn changes.
fn reset(
    mut messages: MessageReader<ResetCamera>,
    live: Res<Live>,
    home: Res<HomeView>,
    camera: Single<(&mut Orbit, &mut Transform)>,
    mut runs_seen: Local<usize>,
) {
    let runs = live.surfaces_drawn();
    if messages.read().last().is_some() || runs != *runs_seen {
        *runs_seen = runs;
        let (mut o, mut t) = camera.into_inner();
        *o = home.0.map_or_else(|| Orbit::for_runs(runs), Orbit::from);
        *t = o.transform();
    }
}

/// The 3D camera, and egui's own camera drawn over it (so that the 3D
/// viewport can leave room for the side panel).
fn spawn_cameras(mut commands: Commands, mut egui: ResMut<EguiGlobalSettings>) {
    let o = Orbit::default();
    commands.spawn((Name::new("camera"), Camera3d::default(), o.transform(), o));
    egui.auto_create_primary_context = false;
    commands.spawn((
        Name::new("egui camera"),
        PrimaryEguiContext,
        Camera2d,
        RenderLayers::none(),
        Camera {
            order: 1,
            output_mode: CameraOutputMode::Write {
                blend_state: Some(BlendState::ALPHA_BLENDING),
                clear_color: ClearColorConfig::None,
            },
            clear_color: ClearColorConfig::Custom(Color::NONE),
            ..default()
        },
    ));
}

/// Keeps the 3D viewport right of the side panel.
fn fit_viewport(
    width: Res<PanelWidth>,
    window: Single<&Window, With<PrimaryWindow>>,
    mut camera: Query<&mut Camera, With<Orbit>>,
) {
    let Ok(mut camera) = camera.single_mut() else {
        return;
    };
    let left = (width.0 * window.scale_factor()) as u32;
    let size = UVec2::new(window.physical_width(), window.physical_height());
    let viewport = (left + 64 < size.x && size.y > 0).then(|| Viewport {
        physical_position: UVec2::new(left, 0),
        physical_size: UVec2::new(size.x - left, size.y),
        ..default()
    });
    let key = |v: &Option<Viewport>| v.as_ref().map(|v| (v.physical_position, v.physical_size));
    if key(&camera.viewport) != key(&viewport) {
        camera.viewport = viewport;
    }
}

/// Narrowest horizontal field of view for one surface and for two side
/// by side: a narrow view (a small window, a wide panel) widens the
/// vertical one to keep them, so twins are never cut off (issue 9: at
/// 1024×640 the right surface and its label were).
const MIN_WIDTH_FOV: [f32; 2] = [48.0, 60.0];

/// The vertical field of view that keeps `MIN_WIDTH_FOV` across a view of
/// `aspect` (width / height) for `runs` surfaces; at least Bevy's π/4.
pub fn vertical_fov(aspect: f32, runs: usize) -> f32 {
    let min = MIN_WIDTH_FOV[usize::from(runs > 1)].to_radians();
    let fov = 2.0 * ((min / 2.0).tan() / aspect.max(0.1)).atan();
    fov.max(std::f32::consts::FRAC_PI_4)
}

fn fit_field_of_view(live: Res<Live>, mut camera: Query<(&Camera, &mut Projection), With<Orbit>>) {
    let Ok((camera, mut projection)) = camera.single_mut() else {
        return;
    };
    let Some(size) = camera.logical_viewport_size().filter(|s| s.y > 0.0) else {
        return;
    };
    let fov = vertical_fov(size.x / size.y, live.surfaces_drawn());
    if let Projection::Perspective(p) = projection.as_ref()
        && (p.fov - fov).abs() > 1e-4
        && let Projection::Perspective(p) = projection.as_mut()
    {
        p.fov = fov;
    }
}

/// Drag, pan and zoom, from the mouse over the 3D view only: not over the
/// side panel (where the wheel scrolls the panel), nor over an egui
/// window or menu (the run condition).
fn orbit(
    buttons: Res<ButtonInput<MouseButton>>,
    motion: Res<AccumulatedMouseMotion>,
    scroll: Res<AccumulatedMouseScroll>,
    panel: Res<PanelWidth>,
    window: Single<&Window, With<PrimaryWindow>>,
    camera: Single<(&mut Orbit, &mut Transform)>,
) {
    if window.cursor_position().is_none_or(|c| c.x <= panel.0) {
        return;
    }
    let (mut o, mut t) = camera.into_inner();
    if buttons.pressed(MouseButton::Left) {
        o.yaw -= motion.delta.x * 0.005;
        o.pitch = (o.pitch - motion.delta.y * 0.005).clamp(-1.5, 0.2);
    }
    if buttons.pressed(MouseButton::Right) {
        // Pan in the camera's own right/up plane, faster when farther away.
        let (right, up) = (t.right(), t.up());
        let k = o.radius * 0.0015;
        o.focus += (-right * motion.delta.x + up * motion.delta.y) * k;
    }
    o.radius = (o.radius * (1.0 - scroll.delta.y * 0.08)).clamp(1.5, 30.0);
    *t = o.transform();
}
