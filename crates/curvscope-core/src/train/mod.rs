//! Training runs: the minibatch trainer, the curvature tracker, a session
//! (trainer + curvature + surface), the director that steps sessions
//! through a lesson, and the runner that paces a director for the live app
//! and the recorder.

pub mod director;
pub mod health;
pub mod runner;
pub mod session;
pub mod tracker;
pub mod trainer;
