//! Training runs: synthetic data sets, the minibatch trainer, a session
//! (trainer + curvature + surface), the director that steps sessions
//! through a lesson, and the runner that paces a director for the live app
//! and the recorder.

pub mod director;
pub mod health;
pub mod runner;
pub mod session;
pub mod synthetic;
pub mod trainer;
