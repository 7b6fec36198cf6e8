//! Files dropped onto the window (Bevy's `FileDragAndDrop`), opened by
//! their kind:
//!
//! - `.png`: a picture curvscope saved: its lesson replays the run to the
//!   picture's step;
//! - `.json`: a lesson (`curvscope-lesson/1`) is played; a problem file
//!   (`curvscope-problem/1`) becomes the runs' network, data and start;
//! - `.csv`: the runs train on it from scratch (each keeps its model and
//!   settings); the target is the column named `label`, `target`, `y` or
//!   `class` (any case), else the last; the features are standardized;
//! - `.safetensors`: a PyTorch MLP on the run's CSV data, read as
//!   `curvscope import` reads it (every row, the file's values): written
//!   as `NAME.problem.json` beside the model (so a lesson can name it), and
//!   the runs start from it.
//!
//! A file that cannot be opened gives one line in the panel's notice; the
//! runs go on.

use super::state::{Live, TrainingLink, ensure_state};
use bevy::prelude::*;
use bevy::window::FileDragAndDrop;
use curvscope_core::io::csv_data::{CsvData, CsvSpec, Split, guess_target};
use curvscope_core::io::problem::{self, ProblemFile};
use curvscope_core::io::safetensors::Mlp;
use curvscope_core::lesson::{self, Lesson};
use curvscope_core::spec::{DataSource, SessionConfig};
use curvscope_core::train::runner::Command;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Opens the files dropped onto the window.
pub struct DropPlugin;

impl Plugin for DropPlugin {
    fn build(&self, app: &mut App) {
        ensure_state(app);
        app.add_message::<FileDragAndDrop>()
            .add_systems(Update, open_dropped);
    }
}

fn open_dropped(
    mut drops: MessageReader<FileDragAndDrop>,
    link: Res<TrainingLink>,
    mut live: ResMut<Live>,
) {
    for drop in drops.read() {
        if let FileDragAndDrop::DroppedFile { path_buf, .. } = drop {
            live.notice = Some(match open(path_buf, &live) {
                Ok((command, notice)) => {
                    link.send(command);
                    notice
                }
                Err(why) => why,
            });
        }
    }
}

/// What the dropped file at `path` asks the runner for, with the notice
/// that says so; or why it cannot be opened (one line naming the file).
pub fn open(path: &Path, live: &Live) -> Result<(Command, String), String> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let shown = path.display();
    match ext.as_str() {
        "png" => {
            let lesson = Lesson::from_png(path).map_err(|e| e.to_string())?;
            Ok(play(lesson, &format!("the run of {shown}")))
        }
        "json" => match format_of(path)?.as_deref() {
            Some(lesson::FORMAT_TAG) => {
                let lesson = Lesson::load(path).map_err(|e| e.to_string())?;
                Ok(play(lesson, &format!("the lesson {shown}")))
            }
            Some(problem::FORMAT_TAG) => {
                let problem = ProblemFile::load(path).map_err(|e| format!("{shown}: {e}"))?;
                rebuild(live, &shown.to_string(), |c| {
                    c.data = DataSource::Problem(Arc::new(problem.clone()));
                })
            }
            other => Err(format!(
                "{shown}: neither a lesson (\"format\": \"{}\") nor a problem file (\"format\": \"{}\"); its format is {}",
                lesson::FORMAT_TAG,
                problem::FORMAT_TAG,
                other.map_or("missing".to_string(), |f| format!("{f:?}"))
            )),
        },
        "csv" => {
            let target = guess_target(path).map_err(|e| e.to_string())?;
            let data = CsvData::load(CsvSpec::new(path, &target)).map_err(|e| e.to_string())?;
            let what = format!("{shown} (target column \"{target}\")");
            rebuild(live, &what, |c| {
                c.data = DataSource::Csv(Arc::new(data.clone()));
            })
        }
        "safetensors" => {
            let problem = model_on_run_data(path, live)?;
            rebuild(live, &format!("{shown} on the run's data"), |c| {
                c.data = DataSource::Problem(Arc::new(problem.clone()));
            })
        }
        _ => Err(format!(
            "{shown}: cannot open this kind of file; drop a lesson (.json, or a .png curvscope saved), a problem file (.json), a CSV data set (.csv) or a PyTorch model (.safetensors)"
        )),
    }
}

/// The command that plays `lesson`, and its notice.
fn play(lesson: Lesson, what: &str) -> (Command, String) {
    (Command::Lesson(Box::new(lesson)), format!("opened {what}"))
}

/// Every run rebuilt with `change` applied to its configuration (each
/// keeps its model, settings and plane); refused when a run would be too
/// large to show live.
fn rebuild(
    live: &Live,
    what: &str,
    change: impl Fn(&mut SessionConfig),
) -> Result<(Command, String), String> {
    let configs: Vec<SessionConfig> = live
        .configs()
        .into_iter()
        .map(|mut c| {
            change(&mut c);
            c
        })
        .collect();
    if configs.is_empty() {
        return Err(format!("{what}: no run to open it in yet"));
    }
    for c in &configs {
        c.check_work().map_err(|e| format!("{what}: {e}"))?;
    }
    Ok((Command::Reset(configs), format!("opened {what}")))
}

/// The `format` of a JSON file (None when it has none).
fn format_of(path: &Path) -> Result<Option<String>, String> {
    let bytes = curvscope_core::io::json::read_bytes(path, problem::MAX_FILE_BYTES)?;
    let doc: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
    Ok(doc.get("format").map(|f| match f {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }))
}

/// The model at `path` on the first run's CSV data, as `curvscope import`
/// makes it, saved as `NAME.problem.json` beside the model.
fn model_on_run_data(path: &Path, live: &Live) -> Result<ProblemFile, String> {
    let shown = path.display();
    let run = live
        .configs()
        .into_iter()
        .next()
        .ok_or_else(|| format!("{shown}: no run to open it in yet"))?;
    let Some(csv) = run.data.csv() else {
        return Err(format!(
            "{shown}: a model needs your data to be evaluated on: drop its CSV file first (or use `curvscope import`)"
        ));
    };
    let model = Mlp::load_or(path, run.model.activation).map_err(|e| e.to_string())?;
    // Every row, with the file's values: the model was trained on its own scaling.
    let spec = CsvSpec {
        split: Split::Fraction(0.0),
        standardize: false,
        ..csv.spec.clone()
    };
    let data = CsvData::load(spec).map_err(|e| e.to_string())?;
    let problem = curvscope_core::io::import::problem(model, &data)
        .map_err(|e| format!("{shown} on {}: {e}", data.spec.path.display()))?;
    let file: PathBuf = path.with_extension("problem.json");
    problem
        .save(&file)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(ProblemFile {
        file: Some(file),
        problem,
    })
}
