//! Files dropped onto the window open by their kind.

use bevy::prelude::*;
use curvscope::app::state::{Live, TrainingLink};
use curvscope_core::train::runner::Command;
use curvscope_core::train::session::SessionConfig;

use crate::app_common::{single, training_app, update_until};
use crate::common;
use crate::lessons::picture;

/// Issue 13: files dropped onto the window open by their kind; a file
/// that cannot be opened gives one line in the panel, and the run goes on.
#[test]
fn dropped_files_open_by_kind_and_bad_ones_give_one_line() {
    use bevy::window::FileDragAndDrop;
    use curvscope::app::drop::DropPlugin;
    use curvscope_core::io::video::write_rgb_png;
    let dir = tempfile::tempdir().unwrap();
    let mut app = training_app(single(SessionConfig {
        samples: (64, 16),
        hidden: vec![6],
        grid: (5, 1.0),
        ..SessionConfig::default()
    }));
    app.add_plugins(DropPlugin);
    update_until(&mut app, "training", |l| {
        l.latest().is_some_and(|s| s.step >= 5)
    });
    let drop = |app: &mut App, path: &std::path::Path| {
        app.world_mut().write_message(FileDragAndDrop::DroppedFile {
            window: Entity::PLACEHOLDER,
            path_buf: path.to_path_buf(),
        });
        app.world_mut().resource_mut::<Live>().notice = None;
        update_until(app, "the notice", |l| l.notice.is_some());
        app.world().resource::<Live>().notice.clone().unwrap()
    };
    let shown = |name: &str| dir.path().join(name).display().to_string();

    // Bad files: one line each, the run goes on.
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    let fake = dir.path().join("fake.png");
    std::fs::write(&fake, "hello").unwrap();
    let plain = dir.path().join("plain.png");
    write_rgb_png(&plain, 2, 2, &[0; 12], None).unwrap();
    let other = dir.path().join("other.json");
    std::fs::write(&other, r#"{"format": "something/2"}"#).unwrap();
    let model = common::root().join("tests/data/safetensors/tanh_bce.safetensors");
    let bad_csv = dir.path().join("bad.csv");
    std::fs::write(&bad_csv, "a,label\n1,0\nx,1\n").unwrap();
    let cases = [
        (
            text.clone(),
            format!(
                "{}: cannot open this kind of file; drop a lesson (.json, or a .png curvscope saved), a problem file (.json), a CSV data set (.csv) or a PyTorch model (.safetensors)",
                shown("notes.txt")
            ),
        ),
        (
            fake,
            format!("{}: png: not a readable PNG file (", shown("fake.png")),
        ),
        (
            plain,
            format!(
                "{}: png: holds no curvscope-lesson chunk",
                shown("plain.png")
            ),
        ),
        (
            other,
            format!(
                "{}: neither a lesson (\"format\": \"curvscope-lesson/1\") nor a problem file (\"format\": \"curvscope-problem/1\"); its format is \"something/2\"",
                shown("other.json")
            ),
        ),
        (
            model.clone(),
            format!(
                "{}: a model needs your data to be evaluated on: drop its CSV file first (or use `curvscope import`)",
                model.display()
            ),
        ),
        (
            bad_csv,
            format!(
                "{}: line 3, column \"a\": expected a finite number, got \"x\"",
                shown("bad.csv")
            ),
        ),
    ];
    for (path, expected) in cases {
        let notice = drop(&mut app, &path);
        assert!(
            notice.starts_with(&expected),
            "{notice}\n  expected: {expected}"
        );
        assert!(!notice.contains('\n'), "one line: {notice}");
    }
    assert_eq!(
        app.world().resource::<Live>().generation,
        0,
        "the run went on"
    );

    // A CSV: the column named `label` is the target, wherever it is.
    let csv = dir.path().join("mine.csv");
    let rows: String = (0..40)
        .map(|i| format!("{},{},{}\n", i % 2, i as f64 * 0.1, (i * 3) % 7))
        .collect();
    std::fs::write(&csv, format!("label,u,v\n{rows}")).unwrap();
    let notice = drop(&mut app, &csv);
    assert_eq!(
        notice,
        format!("opened {} (target column \"label\")", csv.display())
    );
    update_until(&mut app, "the run on the CSV", |l| {
        l.generation == 1 && l.latest().is_some_and(|s| s.config.csv.is_some())
    });
    let data = app.world().resource::<Live>().configs()[0]
        .csv
        .clone()
        .unwrap();
    assert_eq!(
        (data.spec.target.as_str(), data.features.len()),
        ("label", 2)
    );

    // A model on the run's CSV: its problem file beside it, the run from it.
    let fixture = common::root().join("tests/data/safetensors");
    let model = dir.path().join("net.safetensors");
    std::fs::copy(fixture.join("tanh_bce.safetensors"), &model).unwrap();
    let data = dir.path().join("data.csv");
    std::fs::copy(fixture.join("tanh_bce.csv"), &data).unwrap();
    assert_eq!(
        drop(&mut app, &data),
        format!("opened {} (target column \"target\")", data.display())
    );
    update_until(&mut app, "the run on the model's data", |l| {
        l.generation == 2
    });
    let notice = drop(&mut app, &model);
    assert_eq!(
        notice,
        format!("opened {} on the run's data", model.display())
    );
    update_until(&mut app, "the run from the model", |l| {
        l.generation == 3 && l.latest().is_some_and(|s| s.config.problem.is_some())
    });
    assert!(dir.path().join("net.problem.json").is_file());

    // A picture with its lesson: the run it shows, paused at its step.
    app.world()
        .resource::<TrainingLink>()
        .send(Command::Pause(true));
    update_until(&mut app, "paused", Live::paused_and_measured);
    let step = app.world().resource::<Live>().latest().unwrap().step;
    let shot = dir.path().join("shot.png");
    picture(&shot, app.world().resource::<Live>());
    app.world()
        .resource::<TrainingLink>()
        .send(Command::Pause(false));
    let notice = drop(&mut app, &shot);
    assert_eq!(notice, format!("opened the run of {}", shot.display()));
    update_until(&mut app, "the picture's run, paused", |l| {
        l.generation == 4 && l.paused_and_measured()
    });
    assert_eq!(app.world().resource::<Live>().latest().unwrap().step, step);
}
