//! Videos from a folder of numbered PNG frames (`frame-00000.png`, ...):
//! H.264 `.mp4` through the `ffmpeg` program, `.gif` with a pure-Rust
//! encoder, or the folder itself.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::io::fsutil::write_via_temporary;

/// Why a frame or a video could not be read, written or encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VideoError {
    /// The output's extension is no video type we write.
    #[error("{}: unknown video type .{ext} (use .mp4, .gif, or a folder name for PNG frames)", path.display())]
    UnknownKind {
        /// The output path.
        path: PathBuf,
        /// Its extension.
        ext: String,
    },
    /// A frame could not be read.
    #[error("cannot read {}: {message}", path.display())]
    Read {
        /// The frame.
        path: PathBuf,
        /// The cause.
        message: String,
    },
    /// A frame or a video could not be written.
    #[error("cannot write {}: {message}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        message: String,
    },
    /// A captured image was in a format we cannot save.
    #[error("frame {}: unexpected screenshot format: {message}", path.display())]
    Format {
        /// The frame.
        path: PathBuf,
        /// The cause.
        message: String,
    },
    /// The encoder program could not be started.
    #[error("cannot run {}: {message}", program.display())]
    Spawn {
        /// The program.
        program: PathBuf,
        /// The cause.
        message: String,
    },
    /// ffmpeg ran and failed.
    #[error("ffmpeg failed ({status}): {message}")]
    Ffmpeg {
        /// Its exit status.
        status: String,
        /// The last line of its own message.
        message: String,
    },
    /// GIF sizes are 16-bit.
    #[error("{width}×{height} is too large for a GIF (65535 at most)")]
    TooLargeForGif {
        /// Frame width.
        width: u32,
        /// Frame height.
        height: u32,
    },
    /// Nothing to encode.
    #[error("no frames to encode")]
    NoFrames,
    /// A file-system refusal or failure outside any one frame (see
    /// `VideoError::for_output`).
    #[error("{0}")]
    Io(String),
}

impl From<std::io::Error> for VideoError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e.to_string())
    }
}

impl VideoError {
    /// Names `out` in a file-system error of writing it.
    fn for_output(self, out: &Path) -> Self {
        match self {
            Self::Io(message) => Self::Write {
                path: out.to_path_buf(),
                message,
            },
            other => other,
        }
    }

    fn write(path: &Path, e: impl std::fmt::Display) -> Self {
        Self::Write {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }

    fn read(path: &Path, e: impl std::fmt::Display) -> Self {
        Self::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}

/// How a recording advances: the same pace gives the same frames.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    /// Frames per second of the recording (its simulated clock).
    pub fps: u32,
    /// Optimizer steps per frame.
    pub steps_per_frame: usize,
    /// Curvature and surfaces are recomputed every this many frames.
    pub measure_every_frames: usize,
    /// Frames to advance; the last frame index is `frames - 1`.
    pub frames: u64,
    /// Camera orbit speed, degrees per simulated second.
    pub orbit_deg_per_s: f32,
}

/// How far a recording got: frames written, and the first error.
#[derive(Debug, Default)]
pub struct Progress {
    /// Frames written so far.
    pub written: u64,
    /// The first error (a frame that could not be written), if any.
    pub error: Option<VideoError>,
}

/// What a recording's output file asks for, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoKind {
    /// `.mp4`: H.264, yuv420p, through ffmpeg.
    Mp4,
    /// `.gif`: encoded here.
    Gif,
    /// Anything else: the PNG frames in a folder of that name.
    Frames,
}

impl VideoKind {
    /// The kind an output path asks for: `.mp4`, `.gif`, or a folder (a
    /// name without extension); any other extension is refused.
    pub fn of(path: &Path) -> Result<Self, VideoError> {
        match path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
        {
            None => Ok(VideoKind::Frames),
            Some(e) if e == "mp4" => Ok(VideoKind::Mp4),
            Some(e) if e == "gif" => Ok(VideoKind::Gif),
            Some(ext) => Err(VideoError::UnknownKind {
                path: path.to_path_buf(),
                ext,
            }),
        }
    }
}

/// The file of frame `k` in a frames folder.
pub fn frame_path(folder: &Path, k: u64) -> PathBuf {
    folder.join(format!("frame-{k:05}.png"))
}

/// The ffmpeg pattern of the frames in a folder (matching [`frame_path`]).
pub fn frame_pattern(folder: &Path) -> PathBuf {
    folder.join("frame-%05d.png")
}

/// Removes frames 0..`frames` once encoded (and the folder if that leaves
/// it empty).
pub fn remove_frames(folder: &Path, frames: u64) {
    for k in 0..frames {
        let _ = std::fs::remove_file(frame_path(folder, k));
    }
    let _ = std::fs::remove_dir(folder);
}

/// What became of a folder of frames meant for an mp4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mp4Outcome {
    /// Encoded, and the frames removed.
    Written,
    /// ffmpeg was not found: the frames stay, and this command encodes them.
    NoFfmpeg(String),
}

/// Encodes `frames` frames of the folder into `out` with ffmpeg and removes
/// them; without ffmpeg, keeps them and gives the command that encodes
/// them. The error (ffmpeg failing) keeps the frames too.
pub fn finish_mp4(
    folder: &Path,
    frames: u64,
    fps: u32,
    out: &Path,
) -> Result<Mp4Outcome, VideoError> {
    let Some(ffmpeg) = find_ffmpeg() else {
        return Ok(Mp4Outcome::NoFfmpeg(ffmpeg_command_line(folder, fps, out)));
    };
    write_via_temporary(out, |temp| encode_mp4(&ffmpeg, folder, fps, temp))
        .map_err(|e| e.for_output(out))?;
    remove_frames(folder, frames);
    Ok(Mp4Outcome::Written)
}

/// The ffmpeg program to use: `$CURVSCOPE_FFMPEG` if set, else `ffmpeg`
/// from the PATH; None if it does not run.
pub fn find_ffmpeg() -> Option<PathBuf> {
    let program = std::env::var_os("CURVSCOPE_FFMPEG")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("ffmpeg"));
    let runs = Command::new(&program)
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    runs.then_some(program)
}

/// The command that turns a frame folder into an H.264 mp4 (odd sizes are
/// padded to even, as yuv420p needs).
pub fn ffmpeg_command(ffmpeg: &Path, folder: &Path, fps: u32, out: &Path) -> Command {
    let mut c = Command::new(ffmpeg);
    c.args(["-y", "-loglevel", "error", "-framerate"])
        .arg(fps.to_string())
        .arg("-i")
        .arg(frame_pattern(folder))
        .args([
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-vf",
            "pad=ceil(iw/2)*2:ceil(ih/2)*2",
        ])
        .arg(out);
    c
}

/// The same command as text, for a user to run by hand.
pub fn ffmpeg_command_line(folder: &Path, fps: u32, out: &Path) -> String {
    format!(
        "ffmpeg -framerate {fps} -i {} -c:v libx264 -pix_fmt yuv420p -vf 'pad=ceil(iw/2)*2:ceil(ih/2)*2' {}",
        frame_pattern(folder).display(),
        out.display()
    )
}

/// Encodes the folder's frames into an mp4 with ffmpeg; the error holds
/// the end of ffmpeg's own message.
pub fn encode_mp4(ffmpeg: &Path, folder: &Path, fps: u32, out: &Path) -> Result<(), VideoError> {
    let output = ffmpeg_command(ffmpeg, folder, fps, out)
        .output()
        .map_err(|e| VideoError::Spawn {
            program: ffmpeg.to_path_buf(),
            message: e.to_string(),
        })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("it printed nothing (was it stopped?)");
    Err(VideoError::Ffmpeg {
        status: output.status.to_string(),
        message: last.trim().to_string(),
    })
}

/// Reads one RGB(A) PNG frame as 8-bit RGB.
fn read_rgb(path: &Path) -> Result<(u32, u32, Vec<u8>), VideoError> {
    let cause = |e: &dyn std::fmt::Display| VideoError::read(path, e);
    let file = File::open(path).map_err(|e| cause(&e))?;
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .map_err(|e| cause(&e))?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| cause(&"image too large"))?;
    let mut buf = vec![0; size];
    let info = reader.next_frame(&mut buf).map_err(|e| cause(&e))?;
    buf.truncate(info.buffer_size());
    let rgb = match (info.color_type, info.bit_depth) {
        (png::ColorType::Rgb, png::BitDepth::Eight) => buf,
        (png::ColorType::Rgba, png::BitDepth::Eight) => buf
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect(),
        (c, d) => return Err(cause(&format!("unsupported PNG format {c:?} {d:?}"))),
    };
    Ok((info.width, info.height, rgb))
}

/// Encodes `frames` frames of the folder into a looping GIF at `fps`
/// (GIF delays are in hundredths of a second); `tick` is called after each.
/// The GIF is written beside `out` and renamed over it once complete, so a
/// failure keeps an earlier file of that name.
pub fn encode_gif(
    folder: &Path,
    frames: u64,
    fps: u32,
    out: &Path,
    tick: impl FnMut(),
) -> Result<(), VideoError> {
    write_via_temporary(out, |temp| write_gif(folder, frames, fps, temp, out, tick))
        .map_err(|e| e.for_output(out))
}

/// Writes the GIF into `temp` (errors name `out`, the file it becomes).
fn write_gif(
    folder: &Path,
    frames: u64,
    fps: u32,
    temp: &Path,
    out: &Path,
    mut tick: impl FnMut(),
) -> Result<(), VideoError> {
    let cause = |e: &dyn std::fmt::Display| VideoError::write(out, e);
    let mut encoder: Option<gif::Encoder<BufWriter<File>>> = None;
    let delay = (100.0 / f64::from(fps.max(1))).round().max(1.0) as u16;
    for k in 0..frames {
        let (w, h, rgb) = read_rgb(&frame_path(folder, k))?;
        let (w16, h16) = match (u16::try_from(w), u16::try_from(h)) {
            (Ok(w), Ok(h)) => (w, h),
            _ => {
                return Err(VideoError::TooLargeForGif {
                    width: w,
                    height: h,
                });
            }
        };
        if encoder.is_none() {
            let file = BufWriter::new(File::create(temp).map_err(|e| cause(&e))?);
            let mut e = gif::Encoder::new(file, w16, h16, &[]).map_err(|e| cause(&e))?;
            e.set_repeat(gif::Repeat::Infinite).map_err(|e| cause(&e))?;
            encoder = Some(e);
        }
        let mut frame = gif::Frame::from_rgb_speed(w16, h16, &rgb, 10);
        frame.delay = delay;
        if let Some(e) = encoder.as_mut() {
            e.write_frame(&frame).map_err(|e| cause(&e))?;
        }
        tick();
    }
    match encoder {
        Some(e) => e
            .into_inner()
            .map_err(|e| cause(&e))?
            .into_inner()
            .map_err(|e| cause(&e.error()))
            .map(drop),
        None => Err(VideoError::NoFrames),
    }
}

/// Writes an 8-bit RGB PNG, with an `iTXt` chunk `(keyword, text)` if one
/// is given (see [`crate::io::png_text`]), with the guarantees of
/// [`crate::io::fsutil::write_atomically`] (an earlier file survives a
/// failed write; only regular files are replaced).
pub fn write_rgb_png(
    path: &Path,
    width: u32,
    height: u32,
    rgb: &[u8],
    text: Option<(&str, &str)>,
) -> Result<(), VideoError> {
    let cause = |e: &dyn std::fmt::Display| VideoError::write(path, e);
    let bytes = crate::io::png_text::encode_rgb(width, height, rgb, text).map_err(|e| cause(&e))?;
    crate::io::fsutil::write_atomically(path, &bytes).map_err(|e| cause(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_extension() {
        assert_eq!(VideoKind::of(Path::new("demo.mp4")), Ok(VideoKind::Mp4));
        assert_eq!(VideoKind::of(Path::new("a/Demo.GIF")), Ok(VideoKind::Gif));
        assert_eq!(VideoKind::of(Path::new("frames")), Ok(VideoKind::Frames));
        let err = VideoKind::of(Path::new("x.avi")).unwrap_err().to_string();
        assert!(err.contains("x.avi") && err.contains(".avi"), "{err}");
    }
}
