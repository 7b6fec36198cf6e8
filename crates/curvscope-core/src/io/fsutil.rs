//! Careful file writes, used for every file curvscope writes (results,
//! exports, problem files, screenshots, videos):
//!
//! - the new content goes to a temporary file beside the target, which is
//!   renamed over it only once complete: a failed write (a full disk, a
//!   killed encoder) leaves any earlier file as it was;
//! - a symbolic link is followed: the file it points to is replaced and the
//!   link stays a link (a link to nothing is refused);
//! - only regular files are replaced: a folder, FIFO, device or socket at
//!   the path is refused (nothing is written through it);
//! - a replaced file keeps its permissions;
//! - [`check_writable`] says before any work whether a write can succeed,
//!   and [`same_file`] lets a command refuse to overwrite its own input.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes the temporary files of concurrent writes in one process.
static SAVE_COUNTER: AtomicU64 = AtomicU64::new(0);

fn refuse(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// What kind of thing that is not a regular file sits at a path.
fn kind_name(file_type: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// The file a write to `path` replaces (the target of a symbolic link),
/// or why none may be written there.
pub fn resolve(path: &Path) -> io::Result<PathBuf> {
    let meta = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(path.to_path_buf()),
        other => other?,
    };
    let (target, meta) = if meta.file_type().is_symlink() {
        match fs::canonicalize(path) {
            Ok(target) => {
                let meta = fs::metadata(&target)?;
                (target, meta)
            }
            Err(_) => {
                return Err(refuse(
                    "is a symbolic link to nothing; refusing to write through it".into(),
                ));
            }
        }
    } else {
        (path.to_path_buf(), meta)
    };
    if meta.is_file() {
        Ok(target)
    } else {
        Err(refuse(format!(
            "is {}, not a regular file; curvscope only replaces regular files",
            kind_name(&meta.file_type())
        )))
    }
}

/// The folder a file at `path` goes into.
fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// A fresh temporary path beside `target`, keeping its extension (so that
/// encoders that go by the extension write the right format).
fn temporary_beside(target: &Path) -> io::Result<PathBuf> {
    let name = target
        .file_name()
        .ok_or_else(|| refuse("is not a file path".into()))?;
    let mut temp_name = OsString::from(format!(
        ".curvscope-{}-{}.",
        std::process::id(),
        SAVE_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    temp_name.push(name);
    Ok(folder_of(target).join(temp_name))
}

/// Writes the file at `path` through `write`, which fills a temporary file
/// beside it (the path it is given); once `write` succeeds, the temporary
/// file takes the permissions of the file it replaces and is renamed over
/// it. On any failure the temporary file is removed and an earlier file at
/// `path` stays as it was.
pub fn write_via_temporary<E: From<io::Error>>(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    let target = resolve(path)?;
    let permissions = fs::metadata(&target).ok().map(|m| m.permissions());
    let temp = temporary_beside(&target)?;
    let done = write(&temp).and_then(|()| {
        if let Some(p) = permissions {
            fs::set_permissions(&temp, p)?;
        }
        fs::rename(&temp, &target)?;
        Ok(())
    });
    if done.is_err() {
        // Best effort: the temporary file may not even exist.
        let _ = fs::remove_file(&temp);
    }
    done
}

/// Writes `bytes` to `path` with the guarantees of the module.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_via_temporary(path, |temp| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(temp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })
}

/// Whether a write to `path` can succeed: a regular file (or nothing) is
/// there, and its folder takes new files. Checked before long work, so
/// that a bad output path fails at once.
pub fn check_writable(path: &Path) -> io::Result<()> {
    let target = resolve(path)?;
    let temp = temporary_beside(&target)?;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)?;
    fs::remove_file(&temp)
}

/// Whether two paths name the same existing file (links followed).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::metadata(a), fs::metadata(b)) {
        #[cfg(unix)]
        (Ok(x), Ok(y)) => {
            use std::os::unix::fs::MetadataExt as _;
            x.dev() == y.dev() && x.ino() == y.ino()
        }
        #[cfg(not(unix))]
        (Ok(_), Ok(_)) => fs::canonicalize(a).ok() == fs::canonicalize(b).ok(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "curvscope-fsutil-{}-{}",
            std::process::id(),
            SAVE_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".curvscope-"))
            .collect()
    }

    #[test]
    fn a_write_replaces_a_file_and_leaves_no_temporary() {
        let dir = temp_dir();
        let path = dir.join("out.json");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert!(leftovers(&dir).is_empty());
        fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = temp_dir();
        let path = dir.join("private.json");
        fs::write(&path, b"old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        write_atomically(&path, b"new").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_followed_and_stays_a_link() {
        let dir = temp_dir();
        let real = dir.join("real.json");
        let link = dir.join("link.json");
        fs::write(&real, b"old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomically(&link, b"new").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&real).unwrap(), b"new");
        let dangling = dir.join("dangling.json");
        std::os::unix::fs::symlink(dir.join("missing"), &dangling).unwrap();
        let e = write_atomically(&dangling, b"x").unwrap_err().to_string();
        assert!(e.contains("symbolic link to nothing"), "{e}");
        fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn special_files_and_folders_are_refused_untouched() {
        let dir = temp_dir();
        let fifo = dir.join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let e = write_atomically(&fifo, b"x").unwrap_err().to_string();
        assert!(e.contains("is a FIFO, not a regular file"), "{e}");
        use std::os::unix::fs::FileTypeExt as _;
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        let e = check_writable(Path::new("/dev/null"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("is a device"), "{e}");
        let e = write_atomically(&dir, b"x").unwrap_err().to_string();
        assert!(e.contains("is a folder"), "{e}");
        assert!(leftovers(&dir).is_empty());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_failed_write_keeps_the_earlier_file() {
        let dir = temp_dir();
        let path = dir.join("video.gif");
        fs::write(&path, b"good").unwrap();
        let r: io::Result<()> = write_via_temporary(&path, |temp| {
            fs::write(temp, b"half")?;
            Err(io::Error::other("disk full"))
        });
        assert!(r.is_err());
        assert_eq!(fs::read(&path).unwrap(), b"good");
        assert!(leftovers(&dir).is_empty());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn same_file_sees_through_other_spellings() {
        let dir = temp_dir();
        let path = dir.join("p.json");
        fs::write(&path, b"{}").unwrap();
        let other = dir.join(".").join("p.json");
        assert!(same_file(&path, &other));
        assert!(!same_file(&path, &dir.join("q.json")));
        fs::remove_dir_all(dir).unwrap();
    }
}
