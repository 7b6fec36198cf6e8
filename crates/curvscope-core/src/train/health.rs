//! What the loss history says about training, beside the local quadratic
//! test of the stability gauge. The gauge measures η·λmax at the current
//! point, which is right about that point but can read "stable" while the
//! run is wrecked: after an overshoot into a flat, saturated region λmax is
//! tiny. The rule here (documented in the README):
//!
//! - **jumped**: the training loss is more than [`JUMP`] times the smallest
//!   loss of the last [`WINDOW`] measurements;
//! - **oscillating**: over the last [`SWING_RUN`] measurements the loss
//!   went up and down alternately at least [`SWING_RUN`] − 2 times, by more
//!   than [`SWING`] times between its extremes.

use std::collections::VecDeque;

/// Measurements remembered.
pub const WINDOW: usize = 64;
/// A loss this many times its recent minimum has jumped.
pub const JUMP: f64 = 10.0;
/// Measurements looked at for oscillation.
pub const SWING_RUN: usize = 8;
/// Largest over smallest loss of an oscillation.
pub const SWING: f64 = 2.0;

/// The state the loss history shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Health {
    /// Nothing wrong in the loss history.
    Settled,
    /// The loss is `ratio` times its recent minimum.
    Jumped {
        /// Loss now over the recent minimum.
        ratio: f64,
    },
    /// The loss swings up and down between measurements.
    Oscillating {
        /// Largest over smallest loss of the swing.
        ratio: f64,
    },
}

/// The training losses at recent measurements.
#[derive(Debug, Clone, Default)]
pub struct LossHistory {
    losses: VecDeque<f64>,
}

impl LossHistory {
    /// Remembers the loss at a measurement (at most [`WINDOW`] of them).
    pub fn push(&mut self, loss: f64) {
        if !loss.is_finite() {
            return;
        }
        if self.losses.len() == WINDOW {
            self.losses.pop_front();
        }
        self.losses.push_back(loss);
    }

    /// What the history shows now.
    pub fn health(&self) -> Health {
        let Some(&now) = self.losses.back() else {
            return Health::Settled;
        };
        let least = self.losses.iter().copied().fold(f64::INFINITY, f64::min);
        if least > 0.0 && now > JUMP * least {
            return Health::Jumped { ratio: now / least };
        }
        if self.losses.len() >= SWING_RUN {
            let recent: Vec<f64> = self.losses.iter().rev().take(SWING_RUN).copied().collect();
            let turns = recent
                .windows(3)
                .filter(|w| (w[1] - w[0]) * (w[2] - w[1]) < 0.0)
                .count();
            let (lo, hi) = recent.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &l| {
                (lo.min(l), hi.max(l))
            });
            if turns >= SWING_RUN - 2 && lo > 0.0 && hi > SWING * lo {
                return Health::Oscillating { ratio: hi / lo };
            }
        }
        Health::Settled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(losses: &[f64]) -> LossHistory {
        let mut h = LossHistory::default();
        for &l in losses {
            h.push(l);
        }
        h
    }

    #[test]
    fn a_falling_loss_is_settled() {
        assert_eq!(
            history(&[0.7, 0.5, 0.3, 0.2, 0.1]).health(),
            Health::Settled
        );
    }

    #[test]
    fn a_loss_far_above_its_recent_minimum_has_jumped() {
        let h = history(&[0.69, 0.5, 29.0]);
        assert_eq!(h.health(), Health::Jumped { ratio: 58.0 });
    }

    #[test]
    fn an_alternating_loss_oscillates() {
        let h = history(&[2.0, 9.0, 2.5, 8.0, 2.2, 9.5, 2.1, 8.8]);
        assert!(
            matches!(h.health(), Health::Oscillating { .. }),
            "{:?}",
            h.health()
        );
        // Small wiggles are noise, not oscillation.
        let h = history(&[1.0, 1.1, 1.0, 1.1, 1.0, 1.1, 1.0, 1.1]);
        assert_eq!(h.health(), Health::Settled);
    }
}
