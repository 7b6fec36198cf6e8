//! Orbit camera: drag to rotate, right-drag to pan, scroll to zoom; ignores
//! the mouse over egui. `ResetCamera` puts it back.

use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll};
use bevy::prelude::*;
use bevy_egui::input::egui_wants_any_pointer_input;

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
        Self {
            focus: Vec3::new(0.0, 0.5, 0.0),
            radius: 6.5,
            yaw: 0.7,
            pitch: -0.55,
        }
    }
}

impl Orbit {
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
        app.add_message::<ResetCamera>()
            .add_systems(Startup, spawn_camera)
            .add_systems(
                Update,
                (orbit.run_if(not(egui_wants_any_pointer_input)), reset),
            );
    }
}

/// Puts the camera back to its starting view.
#[derive(Message, Debug, Clone, Copy, Default)]
pub struct ResetCamera;

fn reset(mut messages: MessageReader<ResetCamera>, camera: Single<(&mut Orbit, &mut Transform)>) {
    if messages.read().last().is_some() {
        let (mut o, mut t) = camera.into_inner();
        *o = Orbit::default();
        *t = o.transform();
    }
}

fn spawn_camera(mut commands: Commands) {
    let o = Orbit::default();
    commands.spawn((Name::new("camera"), Camera3d::default(), o.transform(), o));
}

fn orbit(
    buttons: Res<ButtonInput<MouseButton>>,
    motion: Res<AccumulatedMouseMotion>,
    scroll: Res<AccumulatedMouseScroll>,
    camera: Single<(&mut Orbit, &mut Transform)>,
) {
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
