//! The strict reader of `curvscope-lesson/1` files: every object refuses
//! unknown keys, values stay raw JSON until checked one by one, so each
//! error names its field path.

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{
    Actions, BUNDLED, Event, EventTime, FORMAT_TAG, Lesson, LessonError, MAX_FILE_BYTES, RunSpec,
    Target, ViewSpec,
};
use crate::defaults::{self, Rule};
use crate::io::csv_data::{self, CsvData, CsvSpec, Split};
use crate::io::png_text::{LESSON_KEYWORD, read_itxt};
use crate::io::problem::ProblemFile;
use crate::landscape::plane::PlaneKind;
use crate::model::activation::Activation;
use crate::model::loss::LossKind;
use crate::model::synthetic::DataKind;
use crate::spec::{DataSource, SessionConfig, Synthetic};

// ---------------------------------------------------------------------------
// The file's shape: every object refuses unknown keys; values stay raw JSON
// here and are checked one by one below, so each error names its field.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLesson {
    format: Option<Value>,
    name: Option<Value>,
    title: Option<Value>,
    caption: Option<Value>,
    run: Option<Value>,
    twin: Option<Value>,
    view: Option<Value>,
    speed: Option<Value>,
    paused: Option<Value>,
    steps_per_frame: Option<Value>,
    measure_every_frames: Option<Value>,
    timeline: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRun {
    label: Option<Value>,
    data: Option<Value>,
    samples: Option<Value>,
    noise: Option<Value>,
    hidden: Option<Value>,
    activation: Option<Value>,
    learning_rate: Option<Value>,
    batch_size: Option<Value>,
    momentum: Option<Value>,
    seed: Option<Value>,
    #[serde(alias = "frame")]
    plane: Option<Value>,
    grid: Option<Value>,
    range: Option<Value>,
    top_k: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCsv {
    csv: Option<Value>,
    target: Option<Value>,
    features: Option<Value>,
    test_fraction: Option<Value>,
    split_column: Option<Value>,
    loss: Option<Value>,
    standardize: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProblemData {
    problem: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawView {
    bowl: Option<Value>,
    log_scale: Option<Value>,
    height_scale: Option<Value>,
    camera: Option<Value>,
    spectrum: Option<Value>,
    hessian: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCamera {
    yaw: Option<Value>,
    pitch: Option<Value>,
    radius: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    at_step: Option<Value>,
    at_second: Option<Value>,
    run: Option<Value>,
    learning_rate: Option<Value>,
    batch_size: Option<Value>,
    momentum: Option<Value>,
    #[serde(alias = "frame")]
    plane: Option<Value>,
    grid: Option<Value>,
    range: Option<Value>,
    top_k: Option<Value>,
    pause: Option<Value>,
    bowl: Option<Value>,
    caption: Option<Value>,
}

/// Longest quotation of a file's value inside a message.
const MAX_QUOTE: usize = 60;

/// A value as the message quotes it (clipped).
fn quote(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > MAX_QUOTE {
        let head: String = text.chars().take(MAX_QUOTE).collect();
        format!("{head}...")
    } else {
        text
    }
}

/// Field checks for one lesson, carrying its origin for the errors.
struct Reader<'a> {
    origin: &'a str,
    /// The lesson file's folder: CSV paths are relative to it.
    base: Option<&'a Path>,
}

impl Reader<'_> {
    fn err(&self, field: impl Into<String>, message: impl Into<String>) -> LessonError {
        LessonError::new(self.origin, field, message)
    }

    /// The object at `path` as the raw struct `T` (unknown keys refused).
    fn object<T: DeserializeOwned>(&self, value: &Value, path: &str) -> Result<T, LessonError> {
        if !value.is_object() {
            let shown = if path.is_empty() { "lesson" } else { path };
            return Err(self.err(shown, format!("expected an object, got {}", quote(value))));
        }
        serde_json::from_value(value.clone()).map_err(|e| {
            let text = e.to_string();
            // serde says "unknown field `KEY`, expected one of ..."
            if let Some(rest) = text.strip_prefix("unknown field `")
                && let Some((key, expected)) = rest.split_once('`')
            {
                // A key with a line break (`\n` in the file) stays on one line.
                let key = key.escape_debug();
                let field = if path.is_empty() {
                    key.to_string()
                } else {
                    format!("{path}.{key}")
                };
                let expected = expected.trim_start_matches(", ").replace('`', "");
                return self.err(field, format!("unknown field ({expected})"));
            }
            self.err(if path.is_empty() { "lesson" } else { path }, text)
        })
    }

    fn string(&self, value: &Value, path: &str) -> Result<String, LessonError> {
        value
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| self.err(path, format!("expected a string, got {}", quote(value))))
    }

    fn boolean(&self, value: &Value, path: &str) -> Result<bool, LessonError> {
        value.as_bool().ok_or_else(|| {
            self.err(
                path,
                format!("expected true or false, got {}", quote(value)),
            )
        })
    }

    /// A finite number accepted by `ok`, described by `what`.
    fn number(
        &self,
        value: &Value,
        path: &str,
        what: &str,
        ok: impl Fn(f64) -> bool,
    ) -> Result<f64, LessonError> {
        value
            .as_f64()
            .filter(|x| x.is_finite() && ok(*x))
            .ok_or_else(|| {
                self.err(
                    path,
                    format!("expected a finite number {what}, got {}", quote(value)),
                )
            })
    }

    /// An integer in `lo..=hi`.
    fn integer(&self, value: &Value, path: &str, lo: u64, hi: u64) -> Result<u64, LessonError> {
        value
            .as_u64()
            .filter(|n| (lo..=hi).contains(n))
            .ok_or_else(|| {
                let range = if hi == u64::MAX {
                    format!(">= {lo}")
                } else {
                    format!("in {lo}..={hi}")
                };
                self.err(
                    path,
                    format!("expected an integer {range}, got {}", quote(value)),
                )
            })
    }

    fn usize_in(&self, value: &Value, path: &str, lo: u64, hi: u64) -> Result<usize, LessonError> {
        let n = self.integer(value, path, lo, hi)?;
        usize::try_from(n).map_err(|_| self.err(path, format!("{n} is too large")))
    }

    /// One of `names` (as strings), mapped to its value.
    fn choice<T: Copy>(
        &self,
        value: &Value,
        path: &str,
        names: &[(&str, T)],
    ) -> Result<T, LessonError> {
        let found = value
            .as_str()
            .and_then(|s| names.iter().find(|(n, _)| *n == s).map(|(_, v)| *v));
        found.ok_or_else(|| {
            let list: Vec<String> = names.iter().map(|(n, _)| format!("\"{n}\"")).collect();
            self.err(
                path,
                format!("expected one of {}, got {}", list.join(", "), quote(value)),
            )
        })
    }

    fn batch(&self, value: &Value, path: &str) -> Result<Option<usize>, LessonError> {
        if value.as_str() == Some("full") {
            return Ok(None);
        }
        value
            .as_u64()
            .filter(|&b| b >= 1)
            .and_then(|b| usize::try_from(b).ok())
            .map(Some)
            .ok_or_else(|| {
                self.err(
                    path,
                    format!("expected an integer >= 1 or \"full\", got {}", quote(value)),
                )
            })
    }

    /// A number following `rule` (the settings' one check, in `defaults`).
    fn ruled(&self, value: &Value, path: &str, rule: Rule) -> Result<f64, LessonError> {
        self.number(value, path, rule.what, |x| rule.accepts(x))
    }

    fn learning_rate(&self, value: &Value, path: &str) -> Result<f64, LessonError> {
        self.ruled(value, path, defaults::LEARNING_RATE_RULE)
    }

    fn momentum(&self, value: &Value, path: &str) -> Result<f64, LessonError> {
        self.ruled(value, path, defaults::MOMENTUM_RULE)
    }

    fn plane(&self, value: &Value, path: &str) -> Result<PlaneKind, LessonError> {
        let names = PlaneKind::ALL.map(|k| (k.tag(), k));
        self.choice(value, path, &names)
    }

    /// Applies the run object at `path` to `config` (and `label`).
    fn run(
        &self,
        value: &Value,
        path: &str,
        label: &mut String,
        config: &mut SessionConfig,
    ) -> Result<(), LessonError> {
        let raw: RawRun = self.object(value, path)?;
        let f = |key: &str| format!("{path}.{key}");
        if let Some(v) = &raw.label {
            *label = self.string(v, &f("label"))?;
        }
        if let Some(v) = &raw.data {
            config.data = if v.get("problem").is_some() {
                DataSource::Problem(Arc::new(self.problem(v, &f("data"))?))
            } else if v.is_object() {
                DataSource::Csv(Arc::new(self.csv(v, &f("data"))?))
            } else {
                let names: Vec<(&str, DataKind)> =
                    DataKind::ALL.iter().map(|&d| (d.name(), d)).collect();
                let kind = self.choice(v, &f("data"), &names)?;
                // A new set keeps the sizes and noise of the one it replaces.
                let before = config.data.synthetic().copied().unwrap_or_default();
                DataSource::Synthetic(Synthetic { kind, ..before })
            };
        }
        // Sizes and noise of a synthetic set (meaningless for a file's data:
        // ignored there, as saved runs of every kind carried them).
        let mut synthetic = config.data.synthetic().copied();
        if let Some(v) = &raw.samples {
            let path = f("samples");
            let pair = v.as_array().filter(|a| a.len() == 2).ok_or_else(|| {
                self.err(
                    &path,
                    format!("expected [train, test] sample counts, got {}", quote(v)),
                )
            })?;
            let max = defaults::MAX_SAMPLES as u64;
            let train = self.usize_in(&pair[0], &format!("{path}[0]"), 1, max)?;
            let test = self.usize_in(&pair[1], &format!("{path}[1]"), 0, max)?;
            if let Some(s) = &mut synthetic {
                s.samples = (train, test);
            }
        }
        if let Some(v) = &raw.noise {
            let noise = self.ruled(v, &f("noise"), defaults::NOISE_RULE)?;
            if let Some(s) = &mut synthetic {
                s.noise = noise;
            }
        }
        if let Some(s) = synthetic {
            config.data = DataSource::Synthetic(s);
        }
        if let Some(v) = &raw.hidden {
            let path = f("hidden");
            let widths = v
                .as_array()
                .filter(|a| (1..=defaults::MAX_HIDDEN_LAYERS).contains(&a.len()))
                .ok_or_else(|| {
                    self.err(
                        &path,
                        format!(
                            "expected a list of 1 to {} layer widths, got {}",
                            defaults::MAX_HIDDEN_LAYERS,
                            quote(v)
                        ),
                    )
                })?;
            config.model.hidden = widths
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    self.usize_in(w, &format!("{path}[{i}]"), 1, defaults::MAX_WIDTH as u64)
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = &raw.activation {
            let names: Vec<(&str, Activation)> =
                Activation::ALL.iter().map(|&a| (a.name(), a)).collect();
            config.model.activation = self.choice(v, &f("activation"), &names)?;
        }
        if let Some(v) = &raw.learning_rate {
            config.settings.optimizer.learning_rate = self.learning_rate(v, &f("learning_rate"))?;
        }
        if let Some(v) = &raw.batch_size {
            config.settings.batch_size = self.batch(v, &f("batch_size"))?;
        }
        if let Some(v) = &raw.momentum {
            let momentum = self.momentum(v, &f("momentum"))?;
            config.settings.optimizer.method.set("momentum", momentum);
        }
        if let Some(v) = &raw.seed {
            config.seed = self.integer(v, &f("seed"), 0, u64::MAX)?;
        }
        if let Some(v) = &raw.plane {
            config.plane = self.plane(v, &f("plane"))?;
        }
        if let Some(v) = &raw.grid {
            config.grid.0 = self.usize_in(v, &f("grid"), 2, defaults::MAX_GRID as u64)?;
        }
        if let Some(v) = &raw.range {
            config.grid.1 = self.number(v, &f("range"), "> 0", |x| x > 0.0)?;
        }
        if let Some(v) = &raw.top_k {
            config.top_k = self.usize_in(v, &f("top_k"), 1, defaults::MAX_TOP_K as u64)?;
        }
        // Every field was checked above with its raw value; what remains is
        // the configuration as a whole (the one check, in `spec`).
        config.check().map_err(|e| match e.field() {
            Some(field) => self.err(f(field), e.message()),
            None => self.err(path, e.message()),
        })?;
        Ok(())
    }

    /// A run's `data` object naming a problem file (network, data and
    /// starting parameters), read now.
    fn problem(&self, value: &Value, path: &str) -> Result<ProblemFile, LessonError> {
        let raw: RawProblemData = self.object(value, path)?;
        let field = format!("{path}.problem");
        let file = self.string(raw.problem.as_ref().unwrap_or(&Value::Null), &field)?;
        let file = csv_data::resolve(&file, self.base);
        ProblemFile::load(&file).map_err(|e| self.err(field, format!("{}: {e}", file.display())))
    }

    /// A run's `data` object: a CSV file and how to read it, loaded now
    /// (so that a bad file is refused with the lesson).
    fn csv(&self, value: &Value, path: &str) -> Result<CsvData, LessonError> {
        let raw: RawCsv = self.object(value, path)?;
        let f = |key: &str| format!("{path}.{key}");
        let required = |v: &Option<Value>, key: &str| match v {
            Some(v) => self.string(v, &f(key)),
            None => Err(self.err(f(key), "missing (a CSV data set needs csv and target)")),
        };
        let file = required(&raw.csv, "csv")?;
        let mut spec = CsvSpec::new(
            csv_data::resolve(&file, self.base),
            required(&raw.target, "target")?,
        );
        if let Some(v) = &raw.features {
            let list = v.as_array().ok_or_else(|| {
                self.err(
                    f("features"),
                    format!("expected a list of column names, got {}", quote(v)),
                )
            })?;
            spec.features = Some(
                list.iter()
                    .enumerate()
                    .map(|(i, c)| self.string(c, &format!("{}[{i}]", f("features"))))
                    .collect::<Result<_, _>>()?,
            );
        }
        match (&raw.test_fraction, &raw.split_column) {
            (Some(_), Some(_)) => {
                return Err(self.err(path, "give test_fraction or split_column, not both"));
            }
            (Some(v), None) => {
                let fraction = self.number(v, &f("test_fraction"), "in [0, 1)", |x| {
                    (0.0..1.0).contains(&x)
                })?;
                spec.split = Split::Fraction(fraction);
            }
            (None, Some(v)) => spec.split = Split::Column(self.string(v, &f("split_column"))?),
            (None, None) => {}
        }
        if let Some(v) = &raw.loss {
            let names = LossKind::ALL.map(|l| (l.name(), l));
            spec.loss = Some(self.choice(v, &f("loss"), &names)?);
        }
        if let Some(v) = &raw.standardize {
            spec.standardize = self.boolean(v, &f("standardize"))?;
        }
        CsvData::load(spec).map_err(|e| self.err(f("csv"), e.to_string()))
    }

    fn view(&self, value: &Value) -> Result<ViewSpec, LessonError> {
        let raw: RawView = self.object(value, "view")?;
        let mut view = ViewSpec::default();
        if let Some(v) = &raw.bowl {
            view.bowl = self.boolean(v, "view.bowl")?;
        }
        if let Some(v) = &raw.log_scale {
            view.log_scale = self.boolean(v, "view.log_scale")?;
        }
        if let Some(v) = &raw.height_scale {
            view.height_scale = self.number(v, "view.height_scale", "> 0", |x| x > 0.0)?;
        }
        if let Some(v) = &raw.spectrum {
            view.spectrum = self.boolean(v, "view.spectrum")?;
        }
        if let Some(v) = &raw.hessian {
            view.hessian = self.boolean(v, "view.hessian")?;
        }
        if let Some(v) = &raw.camera {
            let raw: RawCamera = self.object(v, "view.camera")?;
            let mut camera = super::CameraSpec::HOME;
            let angle = |x: f64| x.abs() <= 100.0;
            if let Some(v) = &raw.yaw {
                camera.yaw = self.number(v, "view.camera.yaw", "(radians)", angle)? as f32;
            }
            if let Some(v) = &raw.pitch {
                camera.pitch = self.number(v, "view.camera.pitch", "(radians)", angle)? as f32;
            }
            if let Some(v) = &raw.radius {
                camera.radius = self.number(v, "view.camera.radius", "in (0, 1e6]", |x| {
                    x > 0.0 && x <= 1e6
                })? as f32;
            }
            view.camera = Some(camera);
        }
        Ok(view)
    }

    fn event(&self, value: &Value, path: &str, has_twin: bool) -> Result<Event, LessonError> {
        let raw: RawEvent = self.object(value, path)?;
        let f = |key: &str| format!("{path}.{key}");
        let at = match (&raw.at_step, &raw.at_second) {
            (Some(s), None) => EventTime::Step(self.integer(s, &f("at_step"), 0, u64::MAX)?),
            (None, Some(s)) => {
                EventTime::Second(self.number(s, &f("at_second"), ">= 0", |x| x >= 0.0)?)
            }
            (Some(_), Some(_)) => {
                return Err(self.err(path, "give either at_step or at_second, not both"));
            }
            (None, None) => return Err(self.err(path, "missing at_step or at_second")),
        };
        let target = match &raw.run {
            None => Target::Both,
            Some(v) => self.choice(
                v,
                &f("run"),
                &[
                    ("run", Target::Run),
                    ("twin", Target::Twin),
                    ("both", Target::Both),
                ],
            )?,
        };
        if target == Target::Twin && !has_twin {
            return Err(self.err(f("run"), "\"twin\" but the lesson has no twin section"));
        }
        let mut actions = Actions::default();
        if let Some(v) = &raw.learning_rate {
            actions.learning_rate = Some(self.learning_rate(v, &f("learning_rate"))?);
        }
        if let Some(v) = &raw.batch_size {
            actions.batch_size = Some(self.batch(v, &f("batch_size"))?);
        }
        if let Some(v) = &raw.momentum {
            actions.momentum = Some(self.momentum(v, &f("momentum"))?);
        }
        if let Some(v) = &raw.plane {
            actions.plane = Some(self.plane(v, &f("plane"))?);
        }
        if let Some(v) = &raw.grid {
            actions.grid = Some(self.usize_in(v, &f("grid"), 2, 257)?);
        }
        if let Some(v) = &raw.range {
            actions.range = Some(self.number(v, &f("range"), "> 0", |x| x > 0.0)?);
        }
        if let Some(v) = &raw.top_k {
            actions.top_k = Some(self.usize_in(v, &f("top_k"), 1, 10)?);
        }
        if let Some(v) = &raw.pause {
            if v.as_bool() != Some(true) {
                return Err(self.err(
                    f("pause"),
                    format!("expected true (pause here), got {}", quote(v)),
                ));
            }
            actions.pause = true;
        }
        if let Some(v) = &raw.bowl {
            actions.bowl = Some(self.boolean(v, &f("bowl"))?);
        }
        if let Some(v) = &raw.caption {
            actions.caption = Some(self.string(v, &f("caption"))?);
        }
        if actions.is_empty() {
            return Err(self.err(
                path,
                "expected at least one action (learning_rate, batch_size, momentum, plane, grid, range, top_k, pause, bowl, caption)",
            ));
        }
        Ok(Event {
            at,
            target,
            actions,
        })
    }

    /// The shared plane is one plane of two runs: both must have it, and
    /// the twin must start at the run's point of the run's landscape.
    fn check_shared_plane(&self, runs: &[RunSpec], timeline: &[Event]) -> Result<(), LessonError> {
        let shared = |c: &SessionConfig| c.plane == PlaneKind::Shared;
        let events = timeline
            .iter()
            .enumerate()
            .filter(|(_, e)| e.actions.plane == Some(PlaneKind::Shared));
        let mut asked = Vec::new();
        if runs.iter().any(|r| shared(&r.config)) {
            asked.push("run.plane".to_string());
        }
        for (i, event) in events {
            let field = format!("timeline[{i}].plane");
            if event.target != Target::Both {
                return Err(self.err(
                    field,
                    "\"shared\" is one plane of both runs: set \"run\" to \"both\" or leave it out",
                ));
            }
            asked.push(field);
        }
        let Some(field) = asked.into_iter().next() else {
            return Ok(());
        };
        match runs {
            [run, twin] if shared(&run.config) != shared(&twin.config) => Err(self.err(
                "twin.plane",
                "\"shared\" is one plane of both runs: give the twin the run's plane",
            )),
            [run, twin] if !run.config.same_landscape(&twin.config) => Err(self.err(
                field,
                "\"shared\" needs the twin on the run's data, network and seed (one landscape, one start); the twin may change the optimizer",
            )),
            [_, _] => Ok(()),
            _ => Err(self.err(
                field,
                "\"shared\" is the plane of a run and its twin: add a \"twin\" section, or pick another plane",
            )),
        }
    }

    fn lesson(&self, doc: &Value) -> Result<Lesson, LessonError> {
        if !doc.is_object() {
            return Err(self.err(
                "json",
                format!("top level must be a JSON object, got {}", quote(doc)),
            ));
        }
        let format = doc.get("format");
        if format.and_then(Value::as_str) != Some(FORMAT_TAG) {
            let got = format.map_or("nothing".to_string(), quote);
            return Err(self.err(
                "format",
                format!("expected exactly \"{FORMAT_TAG}\", got {got}"),
            ));
        }
        let raw: RawLesson = self.object(doc, "")?;
        debug_assert!(raw.format.is_some());
        let name = match &raw.name {
            Some(v) => self.string(v, "name")?,
            None => return Err(self.err("name", "missing (a kebab-case name)")),
        };
        let kebab = !name.is_empty()
            && !name.starts_with('-')
            && !name.ends_with('-')
            && !name.contains("--")
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !kebab {
            return Err(self.err(
                "name",
                format!(
                    "expected a kebab-case name (a-z, 0-9, single dashes), got {}",
                    quote(&Value::String(name))
                ),
            ));
        }
        let text = |v: &Option<Value>, field: &str| -> Result<String, LessonError> {
            v.as_ref()
                .map_or(Ok(String::new()), |v| self.string(v, field))
        };
        let title = match &raw.title {
            Some(v) => self.string(v, "title")?,
            None => name.clone(),
        };
        let caption = text(&raw.caption, "caption")?;

        let mut run = RunSpec {
            label: "run".to_string(),
            config: SessionConfig::default(),
        };
        if let Some(v) = &raw.run {
            self.run(v, "run", &mut run.label, &mut run.config)?;
        }
        let mut runs = vec![run.clone()];
        if let Some(v) = &raw.twin {
            let mut twin = RunSpec {
                label: "twin".to_string(),
                config: run.config.clone(),
            };
            self.run(v, "twin", &mut twin.label, &mut twin.config)?;
            runs.push(twin);
        }
        let view = match &raw.view {
            Some(v) => self.view(v)?,
            None => ViewSpec::default(),
        };
        let speed = match &raw.speed {
            Some(v) => self.ruled(v, "speed", defaults::SPEED_RULE)?,
            None => defaults::STEPS_PER_SECOND,
        };
        let paused = match &raw.paused {
            Some(v) => self.boolean(v, "paused")?,
            None => false,
        };
        let steps_per_frame = match &raw.steps_per_frame {
            Some(v) => self.usize_in(
                v,
                "steps_per_frame",
                1,
                defaults::MAX_STEPS_PER_FRAME as u64,
            )?,
            None => defaults::STEPS_PER_FRAME,
        };
        let measure_every_frames = match &raw.measure_every_frames {
            Some(v) => self.usize_in(v, "measure_every_frames", 1, 1_000_000)?,
            None => defaults::MEASURE_EVERY_FRAMES,
        };
        let mut timeline = Vec::new();
        if let Some(v) = &raw.timeline {
            let items = v.as_array().ok_or_else(|| {
                self.err(
                    "timeline",
                    format!("expected a list of events, got {}", quote(v)),
                )
            })?;
            for (i, item) in items.iter().enumerate() {
                timeline.push(self.event(item, &format!("timeline[{i}]"), runs.len() > 1)?);
            }
        }
        self.check_shared_plane(&runs, &timeline)?;
        // Step events first, then second events; stable within each.
        timeline.sort_by(|a, b| match (a.at, b.at) {
            (EventTime::Step(x), EventTime::Step(y)) => x.cmp(&y),
            (EventTime::Second(x), EventTime::Second(y)) => x.total_cmp(&y),
            (EventTime::Step(_), EventTime::Second(_)) => std::cmp::Ordering::Less,
            (EventTime::Second(_), EventTime::Step(_)) => std::cmp::Ordering::Greater,
        });
        Ok(Lesson {
            name,
            title,
            caption,
            runs,
            view,
            speed,
            paused,
            steps_per_frame,
            measure_every_frames,
            timeline,
        })
    }
}

impl Lesson {
    /// Parses and checks a lesson's text; `source` names it in errors (a
    /// file path, or `lesson NAME`).
    /// A CSV data set's path is relative to the working folder.
    pub fn from_json_str(text: &str, source: &str) -> Result<Lesson, LessonError> {
        Self::parse(text, source, None)
    }

    /// [`Lesson::from_json_str`] with CSV paths relative to `base`.
    fn parse(text: &str, source: &str, base: Option<&Path>) -> Result<Lesson, LessonError> {
        let doc: Value = crate::io::json::parse(text).map_err(|e| {
            let field = if e.duplicate && !e.path.is_empty() {
                e.path.as_str()
            } else {
                "json"
            };
            LessonError::new(source, field, e.message)
        })?;
        Reader {
            origin: source,
            base,
        }
        .lesson(&doc)
    }

    /// Reads and checks the lesson file at `path` (a CSV data set's path is
    /// relative to the lesson's folder).
    /// A `.png` file is read for the lesson inside it ([`Lesson::from_png`]).
    pub fn load(path: impl AsRef<Path>) -> Result<Lesson, LessonError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("png"))
        {
            return Self::from_png(path);
        }
        let bytes = crate::io::json::read_bytes(path, MAX_FILE_BYTES)
            .map_err(|message| LessonError::new(&origin, "file", message))?;
        let text = String::from_utf8(bytes)
            .map_err(|e| LessonError::new(&origin, "json", format!("not UTF-8: {e}")))?;
        Self::parse(&text, &origin, path.parent())
    }

    /// The lesson a picture curvscope saved carries (its `curvscope-lesson`
    /// `iTXt` chunk): the run that reproduces the picture. A file that is
    /// not a PNG, a PNG without the chunk and a chunk that is not a lesson
    /// are each refused with one line.
    pub fn from_png(path: &Path) -> Result<Lesson, LessonError> {
        let origin = path.display().to_string();
        let text = read_itxt(path, LESSON_KEYWORD)
            .map_err(|e| LessonError::new(&origin, "png", e.to_string()))?;
        Self::parse(
            &text,
            &format!("{origin} ({LESSON_KEYWORD} chunk)"),
            path.parent(),
        )
    }

    /// The names of the bundled lessons, in shipping order.
    pub fn names() -> Vec<&'static str> {
        BUNDLED.iter().map(|(name, _)| *name).collect()
    }

    /// The bundled lesson `name`.
    pub fn bundled(name: &str) -> Result<Lesson, LessonError> {
        let origin = format!("lesson {name}");
        let (_, text) = BUNDLED.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            LessonError::new(
                &origin,
                "lesson",
                format!(
                    "no bundled lesson of that name (bundled: {})",
                    Self::names().join(", ")
                ),
            )
        })?;
        Self::from_json_str(text, &origin)
    }

    /// A bundled lesson by name, else the lesson file at that path.
    pub fn find(name_or_path: &str) -> Result<Lesson, LessonError> {
        if BUNDLED.iter().any(|(n, _)| *n == name_or_path) {
            return Self::bundled(name_or_path);
        }
        if Path::new(name_or_path).is_file() {
            return Self::load(name_or_path);
        }
        Err(LessonError::new(
            &format!("lesson {name_or_path}"),
            "lesson",
            format!(
                "neither a bundled lesson nor an existing file (bundled: {})",
                Self::names().join(", ")
            ),
        ))
    }
}
