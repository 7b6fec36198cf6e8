//! Saving a live run: problem files and the panel's exports, each of one
//! step.

use bevy::prelude::*;
use curvscope::app::state::{Live, TrainingLink};
use curvscope_core::spec::SessionConfig;
use curvscope_core::train::runner::Command;

use crate::app_common::{single, training_app, update_until};

#[test]
fn the_app_saves_a_run_as_a_problem_file_that_loads_back_at_that_point() {
    use curvscope_core::io::problem::Problem;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.json");
    let mut app = training_app(single(SessionConfig::default()));
    update_until(&mut app, "training", |l| {
        l.latest().is_some_and(|s| s.step >= 50)
    });
    let link = app.world().resource::<TrainingLink>();
    link.send(Command::Pause(true));
    link.send(Command::SaveProblem(0, path.clone()));
    update_until(&mut app, "the notice", |l| l.notice.is_some());
    let live = app.world().resource::<Live>();
    assert_eq!(
        live.notice.as_deref(),
        Some(&*format!("wrote {}", path.display()))
    );
    let saved = Problem::load(&path).unwrap();
    // Paused when saved: the file holds the point the snapshot shows.
    update_until(&mut app, "a paused snapshot", |_| true);
    let s = app.world().resource::<Live>().latest().cloned().unwrap();
    let loss = curvscope_core::model::objective::Objective::new(
        saved.architecture.clone(),
        saved.loss,
        &saved.data,
    )
    .loss(saved.params.as_slice().unwrap());
    assert!(
        (loss - s.train_loss).abs() <= 1e-12 * s.train_loss.max(1.0),
        "{loss} vs {}",
        s.train_loss
    );
    // A folder that does not exist: the notice says so, the app goes on.
    let bad = dir.path().join("missing").join("run.json");
    app.world()
        .resource::<TrainingLink>()
        .send(Command::SaveProblem(0, bad.clone()));
    update_until(&mut app, "the failure notice", |l| {
        l.notice.as_deref().is_some_and(|n| n.contains("missing"))
    });
}

/// A plain run past step 20 with an export into `dir` asked by `ask` (as
/// the panel's button does) and the panel's finishing system running,
/// updated until the export's notice: the runner paused, measured at the
/// step shown and wrote.
fn export_from_a_live_run(
    dir: &std::path::Path,
    ask: fn(&TrainingLink, &Live, std::path::PathBuf) -> curvscope::app::panel::PendingExport,
) -> App {
    use curvscope::app::panel::{Panel, finish_export};
    let mut app = training_app(single(SessionConfig {
        grid: (9, 1.0),
        ..SessionConfig::default()
    }));
    update_until(&mut app, "some steps", |l| {
        l.latest().is_some_and(|s| s.step > 20)
    });
    let world = app.world_mut();
    let pending = ask(
        world.resource::<TrainingLink>(),
        world.resource::<Live>(),
        dir.to_path_buf(),
    );
    let mut panel = Panel::default();
    panel.export = Some(pending);
    world.insert_resource(panel);
    app.add_systems(
        Update,
        |link: Res<TrainingLink>, mut live: ResMut<Live>, mut panel: ResMut<Panel>| {
            finish_export(&link, &mut live, &mut panel)
        },
    );
    update_until(&mut app, "the export", |l| {
        l.notice.as_deref().is_some_and(|n| n.starts_with("wrote"))
    });
    app
}

/// Issue 9: two exports in a row had different steps unless paused first;
/// one click now pauses, measures at that step, writes every format of it
/// and resumes.
#[test]
fn export_all_writes_every_format_of_one_step_then_resumes() {
    use curvscope::app::panel::PendingExport;
    let dir = tempfile::tempdir().unwrap();
    let mut app = export_from_a_live_run(dir.path(), PendingExport::ask);
    let step = app.world().resource::<Live>().latest().unwrap().step;
    // The problem file is written by the runner: wait for its notice.
    update_until(&mut app, "training to resume", |l| {
        !l.paused && l.latest().is_some_and(|s| s.step > step)
    });
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let stem = format!("curvscope-step{step}");
    let expected: Vec<String> = [
        "glb",
        "grid.csv",
        "grid.json",
        "json",
        "lesson.json",
        "ply",
        "safetensors",
        "series.csv",
    ]
    .iter()
    .map(|ext| format!("{stem}.{ext}"))
    .collect();
    assert_eq!(names, expected);
    let series = std::fs::read_to_string(dir.path().join(format!("{stem}.series.csv"))).unwrap();
    let last = series.lines().last().unwrap();
    assert!(last.starts_with(&format!("{step},")), "{last}");
}

#[test]
fn export_names_carry_the_run_and_the_step() {
    use curvscope::app::panel::export_name;
    assert_eq!(
        export_name("", 12, "glb").to_str(),
        Some("curvscope-step12.glb")
    );
    assert_eq!(
        export_name("Batch 8", 3, "grid.csv").to_str(),
        Some("curvscope-batch-8-step3.grid.csv")
    );
}

/// Issue 13: the model export pauses like "export all", so the file's name,
/// its parameters and its lesson are of one step.
#[test]
fn the_model_export_writes_safetensors_and_its_lesson_of_one_step() {
    use curvscope::app::panel::PendingExport;
    use curvscope_core::io::safetensors::Mlp;
    let dir = tempfile::tempdir().unwrap();
    let app = export_from_a_live_run(dir.path(), PendingExport::ask_model);
    let notice = app.world().resource::<Live>().notice.clone().unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let step: u64 = names[0]
        .trim_start_matches("curvscope-step")
        .trim_end_matches(".lesson.json")
        .parse()
        .unwrap();
    let model = dir.path().join(format!("curvscope-step{step}.safetensors"));
    let lesson = dir.path().join(format!("curvscope-step{step}.lesson.json"));
    assert_eq!(
        notice,
        format!("wrote {} and {}", model.display(), lesson.display())
    );
    assert_eq!(names.len(), 2, "{names:?}");
    let net = Mlp::load(&model, None).unwrap();
    assert_eq!(net.architecture.layers, vec![2, 16, 16, 1]);
    let saved = curvscope_core::lesson::Lesson::load(&lesson).unwrap();
    let pause = saved.timeline.iter().find(|e| e.actions.pause).unwrap();
    assert_eq!(pause.at, curvscope_core::lesson::EventTime::Step(step));
}
