//! The recipe of the picture on screen: the runner's lesson of the run so
//! far (paused at the step shown) with the view as it is now (bowl, height
//! scale, camera, the curvature windows). Screenshots carry it inside the PNG; "save lesson", the
//! L key, exports and recordings write it as `NAME.lesson.json`.

use super::camera::Orbit;
use super::state::{CurvatureWindows, Live, SaveLesson, ShowBowl, SurfaceScale, ensure_state};
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use curvscope_core::lesson::{CameraSpec, Lesson, ViewSpec};

/// Writes the lessons asked for with [`SaveLesson`].
pub struct RecipePlugin;

impl Plugin for RecipePlugin {
    fn build(&self, app: &mut App) {
        ensure_state(app);
        app.add_systems(Last, save_lessons);
    }
}

/// What the view looks like now.
#[derive(SystemParam)]
pub struct ViewNow<'w, 's> {
    bowl: Res<'w, ShowBowl>,
    scale: Res<'w, SurfaceScale>,
    windows: Res<'w, CurvatureWindows>,
    orbit: Query<'w, 's, &'static Orbit>,
}

impl ViewNow<'_, '_> {
    /// The view as a lesson states it.
    pub fn spec(&self) -> ViewSpec {
        ViewSpec {
            bowl: self.bowl.0,
            log_scale: self.scale.log,
            height_scale: f64::from(self.scale.factor),
            camera: self.orbit.iter().next().map(|o| CameraSpec {
                yaw: o.yaw,
                pitch: o.pitch,
                radius: o.radius,
            }),
            spectrum: self.windows.spectrum,
            hessian: self.windows.hessian,
        }
    }
}

/// The lesson that reproduces the picture on screen: the runs so far,
/// paused at the step shown, seen with `view`.
pub fn picture_lesson(live: &Live, view: ViewSpec) -> Result<Lesson, String> {
    let mut lesson = live
        .recipe
        .as_deref()
        .cloned()
        .ok_or_else(|| "no run to describe yet".to_string())?;
    // A height scale the reader refuses (not > 0) cannot come from the
    // slider; keep the lesson readable anyway.
    if view.height_scale.is_finite() && view.height_scale > 0.0 {
        lesson.view = view;
    }
    Ok(lesson)
}

/// [`picture_lesson`] as the JSON text a file or a PNG chunk holds.
pub fn picture_json(live: &Live, view: ViewSpec) -> Result<String, String> {
    picture_lesson(live, view)?
        .to_json_string()
        .map_err(|e| e.to_string())
}

fn save_lessons(mut asked: MessageReader<SaveLesson>, mut live: ResMut<Live>, view: ViewNow) {
    for SaveLesson { path, announce } in asked.read().cloned().collect::<Vec<_>>() {
        let written = picture_lesson(&live, view.spec())
            .and_then(|lesson| lesson.save(&path).map_err(|e| e.to_string()));
        match written {
            Ok(()) if announce => live.notice = Some(format!("wrote {}", path.display())),
            Ok(()) => {}
            Err(e) => live.notice = Some(format!("lesson not written: {e}")),
        }
    }
}
