//! The app's command-line options (shared by the default command and `screenshot`).

use anyhow::Context as _;
use clap::Args;
use curvscope::app::AppOptions;
use curvscope::app::capture::ShotRequest;
use curvscope_core::defaults;
use curvscope_core::io::csv_data::{CsvData, CsvSpec, Split};
use curvscope_core::io::problem::ProblemFile;
use curvscope_core::lesson::{Lesson, RunSpec};
use curvscope_core::spec::{DataSource, SessionConfig, Synthetic, TrainerSettings};
use curvscope_core::train::runner::Source;
use std::path::PathBuf;
use std::sync::Arc;

use super::data::{DataArg, LossArg, data_arg, loss};

/// Options of the live app.
#[derive(Debug, Args, Clone)]
pub struct AppArgs {
    /// The data set to train on: moons, circles, spirals2, spirals3, xor,
    /// blobs, sine, or a CSV file with a header row (then give --target).
    #[arg(long, default_value = "moons", value_parser = data_arg, value_name = "NAME|FILE.csv")]
    data: DataArg,
    /// CSV data: the target column (classes as integer labels or names, or
    /// numbers for regression).
    #[arg(long, value_name = "COLUMN")]
    target: Option<String>,
    /// CSV data: the feature columns (default: every column but the target
    /// and the split column).
    #[arg(long, value_name = "A,B,...", value_delimiter = ',')]
    features: Option<Vec<String>>,
    /// CSV data: the share of rows held out for testing, in [0, 1) (default
    /// 0.2, the same rows every time).
    #[arg(long, value_name = "F")]
    test_fraction: Option<f64>,
    /// CSV data: a column saying `train` or `test` for each row.
    #[arg(long, value_name = "COLUMN", conflicts_with = "test_fraction")]
    split_column: Option<String>,
    /// CSV data: the loss (default: two classes bce_logits, more
    /// softmax_ce, numbers mse).
    #[arg(long, value_enum)]
    loss: Option<LossArg>,
    /// CSV data: keep the features' raw scale (default: standardized with
    /// the training rows' mean and standard deviation).
    #[arg(long)]
    raw_scale: bool,
    /// Learning rate η.
    #[arg(long, default_value_t = defaults::LEARNING_RATE, allow_negative_numbers = true)]
    lr: f64,
    /// Batch size (0 for full batch).
    #[arg(long, default_value_t = defaults::BATCH_SIZE.unwrap_or(0))]
    batch: usize,
    /// Momentum β in [0, 1).
    #[arg(long, default_value_t = defaults::MOMENTUM, allow_negative_numbers = true)]
    momentum: f64,
    /// Seed of the data, the initialization and the batch order.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Start from this problem file's network, data and parameters instead
    /// of synthetic data (`--data` is then unused).
    #[arg(long, value_name = "FILE")]
    problem: Option<PathBuf>,
    /// Play a lesson: a bundled lesson's name, a lesson file, or a PNG
    /// curvscope saved (its lesson replays the picture's run to its step);
    /// it sets the data, model, optimizer and view, and the options above
    /// are then ignored.
    #[arg(long, value_name = "NAME|FILE")]
    pub lesson: Option<String>,
    /// Window size, WIDTHxHEIGHT (default: 1280x800 for the app, 1024x640
    /// for `screenshot`, 1280x720 for `record`).
    #[arg(long, value_parser = parse_size)]
    pub size: Option<(u32, u32)>,
    /// Training speed at the start, in steps per second (1 to 100000).
    #[arg(long, default_value_t = defaults::STEPS_PER_SECOND, allow_negative_numbers = true)]
    speed: f64,
    /// Open the 1D views window at the start (the loss from the start to
    /// now, and along each tracked eigenvector with its quadratic model).
    #[arg(long)]
    lines_window: bool,
}

/// Arguments of `curvscope screenshot`.
#[derive(Debug, Args)]
pub struct ScreenshotArgs {
    /// The PNG file to write.
    #[arg(long, value_name = "FILE.png")]
    out: PathBuf,
    /// Frames to run before the picture is taken (a lesson saved from a
    /// run, such as `--lesson shot.png`, is also waited for until it pauses
    /// at its step).
    #[arg(long, default_value_t = 60)]
    frames: u32,
    #[command(flatten)]
    app: AppArgs,
}

/// Parses `WIDTHxHEIGHT` (each 64 to 8192).
pub fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let (w, h) = text
        .split_once('x')
        .ok_or_else(|| format!("expected WIDTHxHEIGHT, got {text:?}"))?;
    let parse = |v: &str| v.parse::<u32>().ok().filter(|n| (64..=8192).contains(n));
    match (parse(w), parse(h)) {
        (Some(w), Some(h)) => Ok((w, h)),
        _ => Err(format!(
            "expected WIDTHxHEIGHT with each from 64 to 8192, got {text:?}"
        )),
    }
}

/// The flag that sets a configuration field.
fn flag(field: &str) -> String {
    match field {
        "learning_rate" => "--lr".to_string(),
        "batch_size" => "--batch".to_string(),
        other => format!("--{other}"),
    }
}

impl AppArgs {
    /// The app options these arguments describe.
    pub fn options(&self) -> anyhow::Result<AppOptions> {
        let speed = defaults::SPEED_RULE.check(self.speed).context("--speed")?;
        let mut config = SessionConfig {
            seed: self.seed,
            settings: TrainerSettings::sgd(
                self.lr,
                (self.batch > 0).then_some(self.batch),
                self.momentum,
            ),
            ..SessionConfig::default()
        };
        match &self.data {
            DataArg::Kind(kind) => {
                self.refuse_csv_options()?;
                config.data = DataSource::Synthetic(Synthetic::of(*kind));
            }
            DataArg::Csv(path) if self.problem.is_some() => anyhow::bail!(
                "--data {}: a problem file brings its own data; give --problem or --data FILE.csv, not both",
                path.display()
            ),
            DataArg::Csv(path) => config.data = DataSource::Csv(Arc::new(self.csv(path)?)),
        }
        if let Some(path) = &self.problem {
            let problem = ProblemFile::load(path).with_context(|| path.display().to_string())?;
            config.data = DataSource::Problem(Arc::new(problem));
        }
        // The one check of a run (spec), its fields named as flags.
        config.check().map_err(|e| match e.field() {
            Some(field) => anyhow::anyhow!("{}: {}", flag(field), e.message()),
            None => anyhow::anyhow!("cannot start the run: {e}"),
        })?;
        let source = match &self.lesson {
            Some(name) => Source::Lesson(Lesson::find(name)?),
            None => Source::Plain(vec![RunSpec {
                label: String::new(),
                config,
            }]),
        };
        let defaults = AppOptions::default();
        Ok(AppOptions {
            size: self.size.unwrap_or(defaults.size),
            source,
            speed,
            lines_window: self.lines_window,
            ..defaults
        })
    }
}

impl AppArgs {
    /// The CSV data set of `--data FILE.csv` and its options.
    fn csv(&self, path: &std::path::Path) -> anyhow::Result<CsvData> {
        let Some(target) = &self.target else {
            anyhow::bail!(
                "--data {}: give the target column with --target COLUMN",
                path.display()
            );
        };
        let split = match (&self.split_column, self.test_fraction) {
            (Some(column), _) => Split::Column(column.clone()),
            (None, Some(f)) => Split::Fraction(f),
            (None, None) => Split::Fraction(curvscope_core::io::csv_data::TEST_FRACTION),
        };
        let spec = CsvSpec {
            features: self.features.clone(),
            split,
            loss: self.loss.map(loss),
            standardize: !self.raw_scale,
            ..CsvSpec::new(path, target)
        };
        Ok(CsvData::load(spec)?)
    }

    /// Refuses the CSV options without a CSV file.
    fn refuse_csv_options(&self) -> anyhow::Result<()> {
        let given = [
            ("--target", self.target.is_some()),
            ("--features", self.features.is_some()),
            ("--test-fraction", self.test_fraction.is_some()),
            ("--split-column", self.split_column.is_some()),
            ("--loss", self.loss.is_some()),
            ("--raw-scale", self.raw_scale),
        ];
        match given.iter().find(|(_, g)| *g) {
            Some((name, _)) => anyhow::bail!("{name}: only for CSV data (--data FILE.csv)"),
            None => Ok(()),
        }
    }
}

impl ScreenshotArgs {
    /// The app options of a screenshot run.
    pub fn options(&self) -> anyhow::Result<AppOptions> {
        if self.frames == 0 {
            anyhow::bail!("--frames: expected at least 1, got 0");
        }
        let mut options = self.app.options()?;
        options.size = self.app.size.unwrap_or((1024, 640));
        // A saved run (a lesson that pauses, e.g. read from a picture) is
        // shown at the step it pauses at.
        let wait_for_pause = matches!(&options.source, Source::Lesson(l)
            if l.timeline.iter().any(|e| e.actions.pause));
        options.screenshot = Some(ShotRequest {
            path: self.out.clone(),
            frame: self.frames,
            wait_for_pause,
            outcome: Default::default(),
        });
        Ok(options)
    }

    /// The file the picture goes to.
    pub fn out(&self) -> &PathBuf {
        &self.out
    }
}
