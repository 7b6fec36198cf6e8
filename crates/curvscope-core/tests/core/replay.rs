//! A run is a lesson: the changes made to a live run are recorded at the
//! step they took effect, and the lesson saved from it (as a file or inside
//! a PNG) replays the run bit for bit to that step.

use curvscope_core::io::csv_data::{CsvData, CsvSpec};
use curvscope_core::io::png_text::LESSON_KEYWORD;
use curvscope_core::io::problem::ProblemFile;
use curvscope_core::io::video::write_rgb_png;
use curvscope_core::landscape::plane::PlaneKind;
use curvscope_core::lesson::{Lesson, RunSpec};
use curvscope_core::spec::SessionConfig;
use curvscope_core::spec::TrainerSettings;
use curvscope_core::spec::{DataSource, ModelSpec, Synthetic};
use curvscope_core::train::runner::{Command, Runner, Source};
use std::sync::Arc;

/// Every run's parameters, as bits.
fn params(runner: &Runner) -> Vec<Vec<u64>> {
    runner
        .director()
        .sessions()
        .iter()
        .map(|s| s.to_problem().params.iter().map(|x| x.to_bits()).collect())
        .collect()
}

/// A twin lesson with a timeline timed in steps and in seconds.
const LESSON: &str = r#"{ "format": "curvscope-lesson/1", "name": "scripted",
    "run": { "data": "sine", "samples": [48, 16], "hidden": [6], "grid": 5, "top_k": 1,
             "learning_rate": 0.05, "batch_size": 8 },
    "twin": { "label": "full", "batch_size": "full" },
    "timeline": [ { "at_step": 7, "run": "twin", "learning_rate": 0.02 },
                  { "at_second": 0.05, "momentum": 0.5, "caption": "β halved" } ] }"#;

/// Plays `runner` live with the commands of a user at various steps (the
/// sliders of both runs, the plane, grid, range, top-k, a pause with
/// single steps, the speed), and returns the step it stopped at.
fn play_with_slider_changes(runner: &mut Runner) -> u64 {
    runner.handle(Command::Speed(1000.0));
    let script: Vec<(usize, Command)> = vec![
        (
            3,
            Command::Settings(0, TrainerSettings::sgd(0.08, Some(5), 0.9)),
        ),
        (5, Command::Landscape(PlaneKind::Random, (7, 0.5))),
        (6, Command::TopK(2)),
        (8, Command::Pause(true)),
        (8, Command::Step),
        (9, Command::Step),
        (
            10,
            Command::Settings(1, TrainerSettings::sgd(0.02, None, 0.7)),
        ),
        (11, Command::Pause(false)),
        (14, Command::Speed(3000.0)),
        (16, Command::Landscape(PlaneKind::Pca, (9, 2.0))),
    ];
    for tick in 0..20 {
        for (_, command) in script.iter().filter(|(t, _)| *t == tick) {
            runner.handle(command.clone());
        }
        runner.tick(0.013);
    }
    runner.director().step()
}

/// Replays `lesson` from scratch as fast as it goes: it must stop by itself
/// at its pause.
fn replay(lesson: Lesson) -> Runner {
    let mut runner = Runner::new(Source::Lesson(lesson), 100.0).unwrap();
    let mut u = runner.tick_exact(0, 0.0, false);
    for _ in 0..100 {
        u = runner.tick_exact(50, 1.0, false);
        if u.paused {
            break;
        }
    }
    assert!(u.paused, "a saved run pauses where it was saved");
    let step = runner.director().step();
    runner.tick_exact(50, 1.0, true);
    assert_eq!(runner.director().step(), step, "and holds there");
    runner
}

#[test]
fn a_run_with_slider_changes_saved_as_a_lesson_replays_bit_for_bit() {
    let lesson = Lesson::from_json_str(LESSON, "scripted.json").unwrap();
    let mut live = Runner::new(Source::Lesson(lesson), 300.0).unwrap();
    let step = play_with_slider_changes(&mut live);
    assert!(step > 60, "it trained: {step} steps");
    let recipe = live.recipe();
    let text = recipe.to_json_string().unwrap();
    let read = Lesson::from_json_str(&text, "saved.json").unwrap();
    assert_eq!(read, recipe, "the file reads back to the same lesson");
    let replayed = replay(read);
    assert_eq!(replayed.director().step(), step);
    assert_eq!(params(&replayed), params(&live), "bit for bit");
    let shown = |r: &Runner| {
        r.director()
            .snapshots()
            .into_iter()
            .map(|s| (s.step, s.train_loss.to_bits(), s.config))
            .collect::<Vec<_>>()
    };
    assert_eq!(shown(&replayed), shown(&live), "same settings and loss");
    assert_eq!(replayed.director().caption(), "β halved");

    // Live pacing reaches the same point and stops there too.
    let mut paced = Runner::new(Source::Lesson(recipe.clone()), 100.0).unwrap();
    let mut u = paced.tick(0.0);
    while !u.paused {
        u = paced.tick(0.1);
    }
    assert_eq!(u.runs[0].step, step);
    assert_eq!(params(&paced), params(&live));
    // Its curvature is measured at the step it paused at.
    assert!(
        u.runs
            .iter()
            .all(|s| s.curvature.as_ref().unwrap().step == step)
    );
    // Resuming trains on past the pause.
    paced.handle(Command::Pause(false));
    assert!(paced.tick(0.1).runs[0].step > step);
}

#[test]
fn a_restart_or_a_rebuild_starts_the_record_afresh() {
    let config = SessionConfig {
        data: DataSource::Synthetic(Synthetic {
            kind: curvscope_core::model::synthetic::DataKind::Moons,
            samples: (40, 0),
            ..Synthetic::default()
        }),
        model: ModelSpec {
            hidden: vec![5],
            ..ModelSpec::default()
        },
        grid: (3, 1.0),
        top_k: 1,
        ..SessionConfig::default()
    };
    let mut live = Runner::plain(vec![(String::new(), config.clone())]).unwrap();
    live.tick_exact(12, 0.0, false);
    let faster = config.settings.with_learning_rate(0.3);
    live.handle(Command::Settings(0, faster));
    live.tick_exact(5, 0.0, false);
    // A plain restart starts over with the settings in force: no event.
    live.handle(Command::Restart);
    live.tick_exact(9, 0.0, false);
    let recipe = live.recipe();
    assert_eq!(recipe.runs[0].config.settings, faster);
    assert_eq!(recipe.timeline.len(), 1, "only the pause: {recipe:?}");
    let replayed = replay(Lesson::from_json_str(&recipe.to_json_string().unwrap(), "r").unwrap());
    assert_eq!(params(&replayed), params(&live));
    // A rebuild records its new runs.
    let wider = SessionConfig {
        model: ModelSpec {
            hidden: vec![7, 3],
            ..ModelSpec::default()
        },
        seed: 4,
        ..config
    };
    live.handle(Command::Reset(vec![wider.clone()]));
    live.tick_exact(4, 0.0, false);
    let recipe = live.recipe();
    assert_eq!(recipe.runs[0].config, wider);
    let replayed = replay(Lesson::from_json_str(&recipe.to_json_string().unwrap(), "r").unwrap());
    assert_eq!(params(&replayed), params(&live));
}

#[test]
fn a_picture_carries_its_lesson_and_bad_pictures_are_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let lesson = Lesson::from_json_str(LESSON, "scripted.json").unwrap();
    let mut live = Runner::new(Source::Lesson(lesson), 300.0).unwrap();
    let step = play_with_slider_changes(&mut live);
    let text = live.recipe().to_json_string().unwrap();
    let shot = dir.path().join("shot.png");
    write_rgb_png(&shot, 2, 2, &[90; 12], Some((LESSON_KEYWORD, &text))).unwrap();
    // From the PNG alone: the same parameters at the same step.
    let replayed = replay(Lesson::find(shot.to_str().unwrap()).unwrap());
    assert_eq!(replayed.director().step(), step);
    assert_eq!(params(&replayed), params(&live));

    let plain = dir.path().join("plain.png");
    write_rgb_png(&plain, 2, 2, &[90; 12], None).unwrap();
    let corrupt = dir.path().join("corrupt.png");
    write_rgb_png(
        &corrupt,
        2,
        2,
        &[90; 12],
        Some((LESSON_KEYWORD, "{\"format\": ")),
    )
    .unwrap();
    let fake = dir.path().join("fake.png");
    std::fs::write(&fake, "name,y\n1,2\n").unwrap();
    let shown = |p: &std::path::Path| p.display().to_string();
    let cases = [
        (
            &plain,
            format!(
                "{}: png: holds no curvscope-lesson chunk (only pictures curvscope saved carry their lesson",
                shown(&plain)
            ),
        ),
        (
            &corrupt,
            format!(
                "{} (curvscope-lesson chunk): json: EOF while parsing",
                shown(&corrupt)
            ),
        ),
        (
            &fake,
            format!("{}: png: not a readable PNG file (", shown(&fake)),
        ),
    ];
    for (path, expected) in cases {
        let err = Lesson::load(path).unwrap_err().to_string();
        assert!(err.starts_with(&expected), "{err}\n  expected: {expected}");
        assert!(!err.contains('\n'), "one line: {err}");
    }
}

#[test]
fn runs_on_your_own_files_name_them_and_a_problem_made_in_memory_cannot_be_saved() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("d.csv");
    let rows: String = (0..30)
        .map(|i| format!("{},{},{}\n", i, (i * 7) % 5, i % 2))
        .collect();
    std::fs::write(&csv, format!("a,b,label\n{rows}")).unwrap();
    let data = CsvData::load(CsvSpec::new(&csv, "label")).unwrap();
    let on_csv = SessionConfig {
        data: DataSource::Csv(Arc::new(data)),
        model: ModelSpec {
            hidden: vec![3],
            ..ModelSpec::default()
        },
        grid: (3, 1.0),
        ..SessionConfig::default()
    };
    let mut live = Runner::plain(vec![(String::new(), on_csv.clone())]).unwrap();
    live.tick_exact(20, 0.0, false);
    let text = live.recipe().to_json_string().unwrap();
    assert!(
        text.contains(&format!(
            "\"csv\": \"{}\"",
            csv.canonicalize().unwrap().display()
        )),
        "{text}"
    );
    let replayed = replay(Lesson::from_json_str(&text, "r").unwrap());
    assert_eq!(params(&replayed), params(&live));

    // A problem file is named by its path; one made in memory is refused.
    let problem = live.director().sessions()[0].to_problem();
    let file = dir.path().join("p.json");
    problem.save(&file).unwrap();
    let from_file = SessionConfig {
        data: DataSource::Problem(Arc::new(ProblemFile::load(&file).unwrap())),
        ..on_csv.clone()
    };
    let mut live = Runner::plain(vec![(String::new(), from_file)]).unwrap();
    live.tick_exact(6, 0.0, false);
    let text = live.recipe().to_json_string().unwrap();
    let replayed = replay(Lesson::from_json_str(&text, "r").unwrap());
    assert_eq!(params(&replayed), params(&live));
    let in_memory = SessionConfig {
        data: DataSource::Problem(Arc::new(problem.into())),
        ..on_csv
    };
    let lesson = Lesson::plain(vec![RunSpec {
        label: String::new(),
        config: in_memory,
    }]);
    let err = lesson.to_json_string().unwrap_err().to_string();
    assert_eq!(
        err,
        "lesson plain: run.data: the run starts from a problem made in memory, not read from a file: save it as a problem file and start from that"
    );
}

/// A slider dragged while paused sends a command per frame, all at one
/// step: they are logged as one event (the last value of each setting).
#[test]
fn changes_at_one_step_are_logged_as_one_event() {
    let lesson = Lesson::from_json_str(LESSON, "scripted.json").unwrap();
    let mut live = Runner::new(Source::Lesson(lesson), 300.0).unwrap();
    live.tick_exact(9, 0.0, false);
    for k in 1..=50 {
        let settings = TrainerSettings::sgd(0.001 * f64::from(k), Some(4), 0.5);
        live.handle(Command::Settings(0, settings));
    }
    live.handle(Command::Settings(1, TrainerSettings::sgd(0.3, None, 0.0)));
    live.tick_exact(5, 0.0, false);
    let recipe = live.recipe();
    let at_nine: Vec<_> = recipe
        .timeline
        .iter()
        .filter(|e| e.at == curvscope_core::lesson::EventTime::Step(9))
        .collect();
    assert_eq!(at_nine.len(), 2, "one per run: {at_nine:?}");
    assert_eq!(at_nine[0].actions.learning_rate, Some(0.05));
    assert_eq!(
        params(&replay(recipe.clone())),
        params(&live),
        "and it replays alike"
    );
}

/// A record too long for a lesson file is refused with one line, not
/// written where no reader would take it back.
#[test]
fn a_record_longer_than_a_lesson_file_may_be_is_refused() {
    use curvscope_core::lesson::{Actions, Event, EventTime, Target};
    let mut lesson = Lesson::from_json_str(LESSON, "scripted.json").unwrap();
    lesson.timeline = (0..20_000)
        .map(|k| Event {
            at: EventTime::Step(k),
            target: Target::Both,
            actions: Actions {
                learning_rate: Some(0.01 + 1e-7 * k as f64),
                ..Actions::default()
            },
        })
        .collect();
    let err = lesson.to_json_string().unwrap_err().to_string();
    assert!(
        err.starts_with("lesson scripted: timeline: 20000 events make ")
            && err.ends_with(
                "bytes, more than a lesson file may hold (1048576 bytes); export all, then start from its problem file (curvscope --problem FILE) for a shorter record"
            ),
        "{err}"
    );
    lesson.timeline.truncate(5000);
    let text = lesson.to_json_string().unwrap();
    assert_eq!(Lesson::from_json_str(&text, "r").unwrap(), lesson);
}
