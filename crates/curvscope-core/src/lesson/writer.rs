//! Writing a lesson as `curvscope-lesson/1` JSON that the reader takes back
//! to the same lesson: every run written in full, numbers in the shortest
//! form that reads back to the same bits, file paths made absolute.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::{Actions, Event, EventTime, Lesson, LessonError, RunSpec, Target, ViewSpec};
use crate::io::csv_data::{CsvData, Split};
use crate::io::fsutil::write_atomically;
use crate::spec::{DataSource, SessionConfig};

/// The file a lesson is written to beside `file` (a screenshot, a video, an
/// export): `NAME.lesson.json` for `NAME.EXT` (or a folder `NAME`).
pub fn beside(file: &Path) -> PathBuf {
    file.with_extension("lesson.json")
}

impl Lesson {
    /// The lesson as pretty-printed `curvscope-lesson/1` JSON. Refused for a
    /// run started from a problem made in memory, which no file names, and
    /// for one longer than [`super::MAX_FILE_BYTES`], which no reader takes.
    pub fn to_json_string(&self) -> Result<String, LessonError> {
        let writer = Writer {
            origin: format!("lesson {}", self.name),
        };
        let doc = writer.lesson(self)?;
        let text = serde_json::to_string_pretty(&doc).expect("a JSON value prints") + "\n";
        if text.len() as u64 > super::MAX_FILE_BYTES {
            return Err(writer.err(
                "timeline",
                format!(
                    "{} events make {} bytes, more than a lesson file may hold ({} bytes); export all, then start from its problem file (curvscope --problem FILE) for a shorter record",
                    self.timeline.len(),
                    text.len(),
                    super::MAX_FILE_BYTES
                ),
            ));
        }
        Ok(text)
    }

    /// Writes the lesson to `path` (a temporary file renamed into place:
    /// an earlier file there survives a failed write).
    pub fn save(&self, path: &Path) -> Result<(), LessonError> {
        let text = self.to_json_string()?;
        write_atomically(path, text.as_bytes()).map_err(|e| {
            LessonError::new(
                &path.display().to_string(),
                "file",
                format!("cannot write: {e}"),
            )
        })
    }
}

/// Builds the JSON of one lesson, carrying its name for the errors.
struct Writer {
    origin: String,
}

/// A finite float as JSON (every number of a lesson is finite).
fn number(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

impl Writer {
    fn err(&self, field: &str, message: impl Into<String>) -> LessonError {
        LessonError::new(&self.origin, field, message)
    }

    fn lesson(&self, lesson: &Lesson) -> Result<Value, LessonError> {
        let mut doc = Map::new();
        doc.insert("format".into(), json!(super::FORMAT_TAG));
        doc.insert("name".into(), json!(lesson.name));
        doc.insert("title".into(), json!(lesson.title));
        doc.insert("caption".into(), json!(lesson.caption));
        for (run, key) in lesson.runs.iter().zip(["run", "twin"]) {
            doc.insert(key.into(), self.run(run, key)?);
        }
        doc.insert("view".into(), view(&lesson.view));
        doc.insert("speed".into(), number(lesson.speed));
        doc.insert("paused".into(), json!(lesson.paused));
        doc.insert("steps_per_frame".into(), json!(lesson.steps_per_frame));
        doc.insert(
            "measure_every_frames".into(),
            json!(lesson.measure_every_frames),
        );
        let timeline = lesson.timeline.iter().map(event).collect();
        doc.insert("timeline".into(), Value::Array(timeline));
        Ok(Value::Object(doc))
    }

    fn run(&self, run: &RunSpec, key: &str) -> Result<Value, LessonError> {
        let c: &SessionConfig = &run.config;
        let s = c.settings;
        let mut out = Map::new();
        out.insert("label".into(), json!(run.label));
        out.insert("data".into(), self.data(c, &format!("{key}.data"))?);
        if let DataSource::Synthetic(data) = &c.data {
            out.insert("samples".into(), json!([data.samples.0, data.samples.1]));
            out.insert("noise".into(), number(data.noise));
        }
        if c.data.problem().is_none() {
            out.insert("hidden".into(), json!(c.model.hidden));
            out.insert("activation".into(), json!(c.model.activation.name()));
        }
        out.insert("learning_rate".into(), number(s.optimizer.learning_rate));
        out.insert(
            "batch_size".into(),
            s.batch_size.map_or(json!("full"), |b| json!(b)),
        );
        for h in s.optimizer.method.hyper() {
            out.insert(h.key.into(), number(h.value));
        }
        out.insert("seed".into(), json!(c.seed));
        out.insert("plane".into(), json!(c.plane.tag()));
        out.insert("grid".into(), json!(c.grid.0));
        out.insert("range".into(), number(c.grid.1));
        out.insert("top_k".into(), json!(c.top_k));
        Ok(Value::Object(out))
    }

    /// A run's data: a synthetic set's name, a CSV file, or a problem file.
    fn data(&self, c: &SessionConfig, field: &str) -> Result<Value, LessonError> {
        let csv = match &c.data {
            DataSource::Synthetic(s) => return Ok(json!(s.kind.name())),
            DataSource::Csv(csv) => csv,
            DataSource::Problem(p) => {
                let file = p.file.as_deref().ok_or_else(|| {
                self.err(
                    field,
                    "the run starts from a problem made in memory, not read from a file: save it as a problem file and start from that",
                )
            })?;
                return Ok(json!({ "problem": self.path(file, field)? }));
            }
        };
        self.csv(csv, field)
    }

    fn csv(&self, csv: &CsvData, field: &str) -> Result<Value, LessonError> {
        let spec = &csv.spec;
        let mut data = Map::new();
        data.insert("csv".into(), self.path(&spec.path, field)?);
        data.insert("target".into(), json!(spec.target));
        if let Some(features) = &spec.features {
            data.insert("features".into(), json!(features));
        }
        match &spec.split {
            Split::Fraction(f) => data.insert("test_fraction".into(), number(*f)),
            Split::Column(c) => data.insert("split_column".into(), json!(c)),
        };
        if let Some(loss) = spec.loss {
            data.insert("loss".into(), json!(loss.name()));
        }
        data.insert("standardize".into(), json!(spec.standardize));
        Ok(Value::Object(data))
    }

    /// A file's path, absolute and without `..` (a lesson is read from
    /// wherever it is saved).
    fn path(&self, path: &Path, field: &str) -> Result<Value, LessonError> {
        let absolute = std::fs::canonicalize(path)
            .or_else(|_| std::path::absolute(path))
            .map_err(|e| self.err(field, format!("{}: {e}", path.display())))?;
        let text = absolute.to_str().ok_or_else(|| {
            self.err(
                field,
                format!("{}: the path is not UTF-8", absolute.display()),
            )
        })?;
        Ok(json!(text))
    }
}

fn view(view: &ViewSpec) -> Value {
    let mut out = json!({
        "bowl": view.bowl,
        "log_scale": view.log_scale,
        "height_scale": number(view.height_scale),
        "spectrum": view.spectrum,
        "hessian": view.hessian,
    });
    if let Some(c) = view.camera {
        out["camera"] = json!({
            "yaw": number(f64::from(c.yaw)),
            "pitch": number(f64::from(c.pitch)),
            "radius": number(f64::from(c.radius)),
        });
    }
    out
}

fn event(event: &Event) -> Value {
    let mut out = Map::new();
    match event.at {
        EventTime::Step(s) => out.insert("at_step".into(), json!(s)),
        EventTime::Second(t) => out.insert("at_second".into(), number(t)),
    };
    let target = match event.target {
        Target::Run => "run",
        Target::Twin => "twin",
        Target::Both => "both",
    };
    out.insert("run".into(), json!(target));
    let Actions {
        learning_rate,
        batch_size,
        momentum,
        plane,
        grid,
        range,
        top_k,
        pause,
        bowl,
        caption,
    } = &event.actions;
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(v) = value {
            out.insert(key.into(), v);
        }
    };
    put("learning_rate", learning_rate.map(number));
    put(
        "batch_size",
        batch_size.map(|b| b.map_or(json!("full"), |b| json!(b))),
    );
    put("momentum", momentum.map(number));
    put("plane", plane.map(|p| json!(p.tag())));
    put("grid", grid.map(|g| json!(g)));
    put("range", range.map(number));
    put("top_k", top_k.map(|k| json!(k)));
    put("pause", pause.then_some(json!(true)));
    put("bowl", bowl.map(|b| json!(b)));
    put("caption", caption.as_ref().map(|c| json!(c)));
    Value::Object(out)
}
