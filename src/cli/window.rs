//! Opening the app's window from the command line: a missing display is a
//! clear error, not a panic.

use anyhow::bail;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

/// What to tell a user who has no display.
const NO_DISPLAY_HINT: &str = "run it on a desktop, or under a virtual display: \
     `xvfb-run -a curvscope ...` (Debian package xvfb)";

/// Fails when no display is named at all (Linux and BSDs: neither X11's
/// DISPLAY nor Wayland's variables).
pub fn check_display() -> anyhow::Result<()> {
    if cfg!(all(unix, not(target_os = "macos")))
        && ["DISPLAY", "WAYLAND_DISPLAY", "WAYLAND_SOCKET"]
            .iter()
            .all(|v| std::env::var_os(v).is_none_or(|s| s.is_empty()))
    {
        bail!(
            "cannot open a window: neither DISPLAY nor WAYLAND_DISPLAY is set; {NO_DISPLAY_HINT}"
        );
    }
    Ok(())
}

/// Runs `app` (which opens a window), turning a window system that cannot
/// be reached into an error message instead of a panic.
pub fn with_window<T>(app: impl FnOnce() -> T) -> anyhow::Result<T> {
    check_display()?;
    // Bevy panics when the window system refuses it; catch that one panic
    // and report its message.
    let message: Arc<Mutex<Option<String>>> = Arc::default();
    let seen = message.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = curvscope::app::training::panic_text(info.payload());
        let thread = std::thread::current();
        match thread.name() {
            // The main thread's panic ends the app: reported below.
            Some("main") => {
                if let Ok(mut m) = seen.lock() {
                    m.get_or_insert(text);
                }
            }
            // Another thread's (the training thread's) is said at once.
            name => eprintln!(
                "error: internal error in thread {}: {text}",
                name.unwrap_or("unnamed")
            ),
        }
    }));
    let result = catch_unwind(AssertUnwindSafe(app));
    std::panic::set_hook(previous);
    match result {
        Ok(value) => Ok(value),
        Err(_) => {
            let text = message
                .lock()
                .ok()
                .and_then(|m| m.clone())
                .unwrap_or_default();
            let first = text.lines().next().unwrap_or("").to_string();
            if first.contains("event loop") || first.contains("display") {
                bail!("cannot open a window ({first}); {NO_DISPLAY_HINT}");
            }
            bail!("the app stopped on an internal error: {first}");
        }
    }
}
