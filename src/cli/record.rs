//! `curvscope record`: a lesson (or a single run) rendered frame by frame
//! with a fixed simulated timestep, then encoded.

use super::app::AppArgs;
use anyhow::{Context, bail};
use clap::Args;
use curvscope::app::record::{SharedProgress, SharedRecipe};
use curvscope_core::io::fsutil::check_writable;
use curvscope_core::io::video::{
    Mp4Outcome, Pace, Progress, VideoKind, encode_gif, finish_mp4, frame_path, remove_frames,
};
use curvscope_core::train::runner::Source;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Arguments of `curvscope record`.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Output: FILE.mp4 (H.264 through ffmpeg), FILE.gif, or a folder name
    /// (numbered PNG frames).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Length of the video in seconds (frames = seconds × fps).
    #[arg(long, default_value_t = 10.0, allow_negative_numbers = true)]
    seconds: f64,
    /// Frames per second (1 to 120).
    #[arg(long, default_value_t = 30)]
    fps: u32,
    /// Leave out the side panel (the 3D view, its labels and the caption only).
    #[arg(long)]
    no_ui: bool,
    /// Orbit the camera at this many degrees per second.
    #[arg(
        long,
        default_value_t = 0.0,
        allow_negative_numbers = true,
        value_name = "DEG_PER_S"
    )]
    orbit: f64,
    /// Optimizer steps per frame (default: the lesson's, else 10).
    #[arg(long)]
    steps_per_frame: Option<usize>,
    /// The run to record, or `--lesson NAME|FILE`.
    #[command(flatten)]
    app: AppArgs,
}

/// Longest recording, in frames.
const MAX_FRAMES: u64 = 100_000;

/// Runs `record`.
pub fn run(args: RecordArgs) -> anyhow::Result<()> {
    if !(1..=120).contains(&args.fps) {
        bail!("--fps: expected 1 to 120, got {}", args.fps);
    }
    let frames = args.seconds * f64::from(args.fps);
    if !(args.seconds > 0.0 && frames.round() >= 1.0 && frames <= MAX_FRAMES as f64) {
        bail!(
            "--seconds: expected a length giving 1 to {MAX_FRAMES} frames at {} fps, got {}",
            args.fps,
            curvscope_core::display::number(args.seconds)
        );
    }
    let frames = frames.round() as u64;
    if !args.orbit.is_finite() {
        bail!("--orbit: expected a finite number of degrees per second");
    }
    if args.steps_per_frame == Some(0) {
        bail!("--steps-per-frame: expected at least 1");
    }
    let kind = VideoKind::of(&args.out)?;
    let mut options = args.app.options()?;
    let size = args.app.size.unwrap_or((1280, 720));
    options.size = size;
    options.panel = !args.no_ui;
    // A plain run records at the lesson format's defaults (10 steps and one
    // measurement per frame).
    let (steps_per_frame, measure_every_frames) = match &options.source {
        Source::Lesson(l) => (l.steps_per_frame, l.measure_every_frames),
        Source::Plain(_) => (
            curvscope_core::defaults::STEPS_PER_FRAME,
            curvscope_core::defaults::MEASURE_EVERY_FRAMES,
        ),
    };
    let pace = Pace {
        fps: args.fps,
        steps_per_frame: args.steps_per_frame.unwrap_or(steps_per_frame),
        measure_every_frames,
        frames,
        orbit_deg_per_s: args.orbit as f32,
    };
    let runner = options.runner()?;
    super::window::check_display()?;
    let folder = frames_folder(&args.out, kind);
    prepare_folder(&folder)?;
    if kind != VideoKind::Frames {
        // The video replaces only a regular file, and only where it can
        // write: said now, not after rendering (the frames folder just
        // made goes again; `remove_dir` leaves a folder that is not empty).
        if let Err(e) = check_writable(&args.out) {
            let _ = std::fs::remove_dir(&folder);
            bail!("--out: cannot write {}: {e}", args.out.display());
        }
    }
    let progress: SharedProgress = Arc::new(Mutex::new(Progress::default()));
    let recipe = SharedRecipe::default();
    let bar = progress_bar(frames, "rendering");
    let watcher = watch(progress.clone(), bar.clone());
    let exit = super::window::with_window(|| {
        let shared = (progress.clone(), recipe.clone());
        curvscope::app::record(options, runner, pace, folder.clone(), shared)
    });
    watcher.stop();
    bar.finish_and_clear();
    let exit = exit?;
    let (written, error) = {
        let p = progress.lock().unwrap_or_else(|e| e.into_inner());
        (p.written, p.error.clone())
    };
    if let Some(e) = error {
        bail!(
            "recording stopped: {e}; the {written} frames written are kept in {}",
            folder.display()
        );
    }
    if !exit.is_success() || written < frames {
        bail!(
            "the app stopped after {written} of {frames} frames ({exit:?}); they are kept in {}",
            folder.display()
        );
    }
    let lesson = write_lesson(&recipe, &pace, &args.out)?;
    let (w, h) = size;
    match kind {
        VideoKind::Frames => {
            println!(
                "wrote {frames} frames ({w}×{h}) to {} and its lesson {}",
                folder.display(),
                lesson.display()
            );
        }
        VideoKind::Gif => {
            let bar = progress_bar(frames, "encoding gif");
            encode_gif(&folder, frames, args.fps, &args.out, || bar.inc(1))
                .map_err(|e| anyhow::anyhow!("{e}; the frames are kept in {}", folder.display()))?;
            bar.finish_and_clear();
            remove_frames(&folder, frames);
            println!(
                "wrote {} ({frames} frames, {w}×{h}, {} fps) and its lesson {}",
                args.out.display(),
                args.fps,
                lesson.display()
            );
        }
        VideoKind::Mp4 => match finish_mp4(&folder, frames, args.fps, &args.out)
            .map_err(|e| anyhow::anyhow!("{e}; the frames are kept in {}", folder.display()))?
        {
            Mp4Outcome::NoFfmpeg(command) => {
                println!(
                    "ffmpeg was not found, so the {frames} frames are left as PNGs in {}.\n\
                     Install ffmpeg and encode them with:\n  {command}",
                    folder.display(),
                );
            }
            Mp4Outcome::Written => {
                println!(
                    "wrote {} ({frames} frames, {w}×{h}, {} fps) and its lesson {}",
                    args.out.display(),
                    args.fps,
                    lesson.display()
                );
            }
        },
    }
    Ok(())
}

/// Writes the recording's lesson beside `out` (`NAME.lesson.json`), with
/// the recording's pace, so that `curvscope record --lesson
/// NAME.lesson.json` with the same length, size and orbit plays it again.
fn write_lesson(recipe: &SharedRecipe, pace: &Pace, out: &Path) -> anyhow::Result<PathBuf> {
    let path = curvscope_core::lesson::beside(out);
    let mut lesson = recipe
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .map(|l| (*l).clone())
        .ok_or_else(|| anyhow::anyhow!("the recording has no lesson to write beside it"))?;
    lesson.steps_per_frame = pace.steps_per_frame;
    lesson.measure_every_frames = pace.measure_every_frames;
    lesson.save(&path)?;
    Ok(path)
}

/// Where the PNG frames go: the output itself for a folder, else a folder
/// beside the video named after it (`demo.mp4.frames`).
fn frames_folder(out: &Path, kind: VideoKind) -> PathBuf {
    match kind {
        VideoKind::Frames => out.to_path_buf(),
        _ => {
            let mut name = out.as_os_str().to_owned();
            name.push(".frames");
            PathBuf::from(name)
        }
    }
}

/// Creates the frames folder (and its parents) and removes frames an earlier
/// recording left there, so that it holds exactly this recording's.
fn prepare_folder(folder: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(folder)
        .with_context(|| format!("cannot create the frames folder {}", folder.display()))?;
    let entries = std::fs::read_dir(folder)
        .with_context(|| format!("cannot read the frames folder {}", folder.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && name.starts_with("frame-") && name.ends_with(".png") {
            std::fs::remove_file(entry.path()).with_context(|| {
                format!("cannot remove the old frame {}", entry.path().display())
            })?;
        }
    }
    // Fail now, not after rendering, when the folder is not writable.
    check_writable(&frame_path(folder, 0))
        .with_context(|| format!("cannot write into the frames folder {}", folder.display()))
}

fn progress_bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg:>14} [{bar:40}] {pos}/{len} frames, {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}

/// Polls the recording's progress into the bar from a helper thread.
struct Watcher {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watcher {
    fn stop(mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn watch(progress: SharedProgress, bar: ProgressBar) -> Watcher {
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::spawn(move || {
        while !flag.load(std::sync::atomic::Ordering::Relaxed) {
            if let Ok(p) = progress.lock() {
                bar.set_position(p.written);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    Watcher {
        stop,
        thread: Some(thread),
    }
}
