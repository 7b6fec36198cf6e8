//! The default settings and the rules for settings, written once: the
//! command line, the lesson reader, the app and plain runs all use these.
//! A leaf: numbers and rules only, so every layer may use it (the types
//! built from these, such as a run's optimizer, live in their own modules).

/// Learning rate η of a new run.
pub const LEARNING_RATE: f64 = 0.1;
/// Batch size of a new run (`None`: full batch).
pub const BATCH_SIZE: Option<usize> = Some(32);
/// Heavy-ball momentum β of a new run.
pub const MOMENTUM: f64 = 0.9;
/// Live training speed, optimizer steps per second: slow enough to watch
/// the point move.
pub const STEPS_PER_SECOND: f64 = 300.0;
/// Recording: optimizer steps per frame.
pub const STEPS_PER_FRAME: usize = 10;
/// Recording: curvature and surface are recomputed every this many frames.
pub const MEASURE_EVERY_FRAMES: usize = 1;
/// Training and test samples of a new synthetic data set.
pub const SAMPLES: (usize, usize) = (256, 128);
/// Noise of a new synthetic data set.
pub const NOISE: f64 = 0.1;
/// Hidden layer widths of a new network.
pub const HIDDEN: [usize; 2] = [16, 16];
/// Surface grid points per side and half-width.
pub const GRID: (usize, f64) = (64, 1.0);
/// Top eigenvalues tracked.
pub const TOP_K: usize = 3;
/// The orbit camera's home for a single run: yaw, pitch (radians) and
/// distance from the focus.
pub const CAMERA: (f32, f32, f32) = (0.7, -0.55, 8.0);

/// A rule a number must follow, with the words that describe it.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// What is expected, after "a finite number", e.g. `> 0`.
    pub what: &'static str,
    ok: fn(f64) -> bool,
}

/// A number that breaks its [`Rule`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("expected a finite number {what}, got {}", crate::display::number(*got))]
pub struct RuleError {
    /// The rule's words.
    pub what: &'static str,
    /// The number given.
    pub got: f64,
}

impl Rule {
    /// Whether `x` is finite and follows the rule.
    pub fn accepts(&self, x: f64) -> bool {
        x.is_finite() && (self.ok)(x)
    }

    /// `x` if it follows the rule, else why not.
    pub fn check(&self, x: f64) -> Result<f64, RuleError> {
        if self.accepts(x) {
            Ok(x)
        } else {
            Err(RuleError {
                what: self.what,
                got: x,
            })
        }
    }
}

/// Learning rate η.
pub const LEARNING_RATE_RULE: Rule = Rule {
    what: "> 0",
    ok: |x| x > 0.0,
};
/// Momentum β.
pub const MOMENTUM_RULE: Rule = Rule {
    what: "in [0, 1)",
    ok: |x| (0.0..1.0).contains(&x),
};
/// Slowest live training speed, steps per second.
pub const MIN_SPEED: f64 = 1.0;
/// Fastest live training speed asked for, steps per second.
pub const MAX_SPEED: f64 = 100_000.0;
/// Live training speed.
pub const SPEED_RULE: Rule = Rule {
    what: "from 1 to 100000 (steps per second)",
    ok: |x| (MIN_SPEED..=MAX_SPEED).contains(&x),
};

/// Synthetic data noise.
pub const NOISE_RULE: Rule = Rule {
    what: "from 0 to 10",
    ok: |x| (0.0..=10.0).contains(&x),
};

/// Surface half-width.
pub const RANGE_RULE: Rule = Rule {
    what: "> 0",
    ok: |x| x > 0.0,
};

/// Most surface grid points per side of a live run.
pub const MAX_GRID: usize = 257;
/// Most tracked top eigenvalues of a live run.
pub const MAX_TOP_K: usize = 10;
/// Most hidden layers of a lesson's network.
pub const MAX_HIDDEN_LAYERS: usize = 4;
/// Most training (and most test) samples of a synthetic data set.
pub const MAX_SAMPLES: usize = 10_000;
/// Widest hidden layer of a lesson's network.
pub const MAX_WIDTH: usize = 256;
/// Most optimizer steps per recorded frame.
pub const MAX_STEPS_PER_FRAME: usize = 10_000;
/// Most work of a live run, training samples × parameters: one measurement
/// (a 64×64 surface) then costs about 2·64²·this ≈ 1.6e11 floating-point
/// operations, a few seconds on two cores. Beyond it a lesson would show
/// nothing for minutes.
pub const MAX_WORK: f64 = 2e7;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_follow_the_rules() {
        assert!(LEARNING_RATE_RULE.accepts(LEARNING_RATE));
        assert!(MOMENTUM_RULE.accepts(MOMENTUM));
        assert!(SPEED_RULE.accepts(STEPS_PER_SECOND));
    }

    #[test]
    fn rules_refuse_non_finite_and_out_of_range_numbers() {
        assert!(!LEARNING_RATE_RULE.accepts(0.0));
        assert!(!LEARNING_RATE_RULE.accepts(f64::INFINITY));
        assert!(!MOMENTUM_RULE.accepts(1.0));
        assert!(!SPEED_RULE.accepts(1e308));
        assert_eq!(
            MOMENTUM_RULE.check(1.0).unwrap_err().to_string(),
            "expected a finite number in [0, 1), got 1"
        );
        // Issue 10: huge numbers were printed in full, 300 digits long.
        assert_eq!(
            MOMENTUM_RULE.check(1e300).unwrap_err().to_string(),
            "expected a finite number in [0, 1), got 1e300"
        );
    }
}
