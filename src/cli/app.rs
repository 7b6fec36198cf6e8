//! The app's command-line options (shared by the default command and `screenshot`).

use anyhow::Context as _;
use clap::Args;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use curvscope::app::AppOptions;
use curvscope::app::capture::ShotRequest;
use curvscope_core::defaults;
use curvscope_core::io::problem::Problem;
use curvscope_core::lesson::{Lesson, RunSpec};
use curvscope_core::train::runner::Source;
use curvscope_core::train::session::SessionConfig;
use curvscope_core::train::synthetic::DataKind;
use std::path::PathBuf;
use std::sync::Arc;

/// Parses `--data` as one of [`DataKind::ALL`]'s names (clap lists them in
/// `--help` and in its error).
fn data_kind() -> impl TypedValueParser<Value = DataKind> {
    PossibleValuesParser::new(DataKind::ALL.map(DataKind::name))
        .map(|name| DataKind::from_name(&name).expect("a listed name"))
}

/// Options of the live app.
#[derive(Debug, Args, Clone)]
pub struct AppArgs {
    /// The data set to train on.
    #[arg(long, default_value = "moons", value_parser = data_kind())]
    data: DataKind,
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
    /// Play a lesson: a bundled lesson's name or a lesson file (it sets the
    /// data, model, optimizer and view; the options above are then ignored).
    #[arg(long, value_name = "NAME|FILE")]
    pub lesson: Option<String>,
    /// Window size, WIDTHxHEIGHT (default: 1280x800 for the app, 1024x640
    /// for `screenshot`, 1280x720 for `record`).
    #[arg(long, value_parser = parse_size)]
    pub size: Option<(u32, u32)>,
    /// Training speed at the start, in steps per second (1 to 100000).
    #[arg(long, default_value_t = defaults::STEPS_PER_SECOND, allow_negative_numbers = true)]
    speed: f64,
}

/// Arguments of `curvscope screenshot`.
#[derive(Debug, Args)]
pub struct ScreenshotArgs {
    /// The PNG file to write.
    #[arg(long, value_name = "FILE.png")]
    out: PathBuf,
    /// Frames to run before the picture is taken.
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

impl AppArgs {
    /// The app options these arguments describe.
    pub fn options(&self) -> anyhow::Result<AppOptions> {
        let lr = defaults::LEARNING_RATE_RULE
            .check(self.lr)
            .context("--lr")?;
        let momentum = defaults::MOMENTUM_RULE
            .check(self.momentum)
            .context("--momentum")?;
        let speed = defaults::SPEED_RULE.check(self.speed).context("--speed")?;
        let mut config = SessionConfig {
            data: self.data,
            seed: self.seed,
            ..SessionConfig::default()
        };
        config.settings.learning_rate = lr;
        config.settings.batch_size = (self.batch > 0).then_some(self.batch);
        config.settings.momentum = momentum;
        if let Some(path) = &self.problem {
            let problem = Problem::load(path).with_context(|| path.display().to_string())?;
            config.problem = Some(Arc::new(problem));
        }
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
            ..defaults
        })
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
        options.screenshot = Some(ShotRequest {
            path: self.out.clone(),
            frame: self.frames,
            outcome: Default::default(),
        });
        Ok(options)
    }

    /// The file the picture goes to.
    pub fn out(&self) -> &PathBuf {
        &self.out
    }
}
