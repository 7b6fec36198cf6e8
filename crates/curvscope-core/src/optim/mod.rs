//! Optimizers: each one an update rule with its hyper-parameters, the state
//! it keeps between steps, and the stability limit that is true for it.
//!
//! An [`Optimizer`] is what a run is told (η and a [`Method`]); the trainer
//! keeps an [`OptimizerState`] and calls [`OptimizerState::step`]. The
//! readouts ask the optimizer for its limit ([`Optimizer::stability_limit`])
//! instead of knowing a formula of their own.
//!
//! **Adding an optimizer** is one file (a type implementing [`Rule`], with
//! its hyper-parameters as [`Hyper`] entries and its state type) and its line
//! in the `optimizers!` list below; menus, lesson files and readouts take it
//! from there.

pub mod sgd;

use crate::defaults::{LEARNING_RATE_RULE, Rule as NumberRule, RuleError};
use ndarray::Array1;
use std::fmt::Debug;

/// One hyper-parameter of an update rule: its name in files and flags, how
/// it is shown, the rule its values follow and the range its slider offers.
#[derive(Debug)]
pub struct Hyper<R> {
    /// The key in lesson and problem files (also the flag `--KEY`).
    pub key: &'static str,
    /// How the panel names it, e.g. `momentum β`.
    pub label: &'static str,
    /// The values it takes.
    pub rule: NumberRule,
    /// The slider's range (the rule may allow more, typed in a file).
    pub slider: (f64, f64),
    /// Its value in `R`.
    pub get: fn(&R) -> f64,
    /// Sets its value in `R`.
    pub set: fn(&mut R, f64),
}

/// An update rule: hyper-parameters (the implementing type), the state kept
/// between steps, one step, and the stability limit.
pub trait Rule: Debug + Clone + Copy + PartialEq + Send + Sync + 'static {
    /// The state kept between steps (buffers the length of θ).
    type State: Debug + Clone + PartialEq + Send + Sync;
    /// The name in files, flags and menus' keys, e.g. `sgd`.
    const NAME: &'static str;
    /// How menus name it.
    const TITLE: &'static str;
    /// The hyper-parameters besides the learning rate.
    const HYPER: &'static [Hyper<Self>];
    /// The rule with its default hyper-parameters.
    const DEFAULT: Self;

    /// The state before the first step, for `n` parameters.
    fn start(&self, n: usize) -> Self::State;

    /// One step: θ moves, given the gradient `grad` at θ and the learning
    /// rate `eta`.
    fn step(&self, eta: f64, state: &mut Self::State, theta: &mut Array1<f64>, grad: &Array1<f64>);

    /// The largest η·S at which this optimizer is stable on a quadratic
    /// whose stability measure (see [`Rule::measure`]) is S.
    fn stability_limit(&self) -> f64;

    /// What its stability is measured by, in words (the readouts' label).
    fn measure(&self) -> &'static str;
}

/// A hyper-parameter's description and its value now.
#[derive(Debug, Clone, Copy)]
pub struct HyperValue {
    /// The key in files and flags.
    pub key: &'static str,
    /// How the panel names it.
    pub label: &'static str,
    /// The values it takes.
    pub rule: NumberRule,
    /// The slider's range.
    pub slider: (f64, f64),
    /// Its value.
    pub value: f64,
}

/// Declares the registered update rules: the [`Method`] and
/// [`MethodState`] enums and their dispatch.
macro_rules! optimizers {
    ($($variant:ident($rule:ty)),+ $(,)?) => {
        /// The update rule of a run, with its hyper-parameters.
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub enum Method {
            $(#[doc = concat!("See [`", stringify!($rule), "`].")] $variant($rule)),+
        }

        /// The state an update rule keeps between steps.
        #[derive(Debug, Clone, PartialEq)]
        pub enum MethodState {
            $(#[doc = concat!("The state of [`", stringify!($rule), "`].")]
              $variant(<$rule as Rule>::State)),+
        }

        impl Method {
            /// Every registered rule with its default hyper-parameters, in
            /// menu order.
            pub const ALL: &[Method] = &[$(Method::$variant(<$rule as Rule>::DEFAULT)),+];

            /// Its name in files and flags.
            pub fn name(&self) -> &'static str {
                match self { $(Method::$variant(_) => <$rule as Rule>::NAME),+ }
            }

            /// How menus name it.
            pub fn title(&self) -> &'static str {
                match self { $(Method::$variant(_) => <$rule as Rule>::TITLE),+ }
            }

            /// Its hyper-parameters (besides η) with their values.
            pub fn hyper(&self) -> Vec<HyperValue> {
                match self { $(Method::$variant(r) => values(r)),+ }
            }

            /// The value of the hyper-parameter `key` (None where it has
            /// none of that name).
            pub fn get(&self, key: &str) -> Option<f64> {
                self.hyper().iter().find(|h| h.key == key).map(|h| h.value)
            }

            /// Sets the hyper-parameter `key` (false where it has none of
            /// that name; the value is not checked here).
            pub fn set(&mut self, key: &str, value: f64) -> bool {
                match self { $(Method::$variant(r) => set_value(r, key, value)),+ }
            }

            /// See [`Rule::stability_limit`].
            pub fn stability_limit(&self) -> f64 {
                match self { $(Method::$variant(r) => r.stability_limit()),+ }
            }

            /// See [`Rule::measure`].
            pub fn measure(&self) -> &'static str {
                match self { $(Method::$variant(r) => r.measure()),+ }
            }

            /// The state before the first step.
            fn start(&self, n: usize) -> MethodState {
                match self { $(Method::$variant(r) => MethodState::$variant(r.start(n))),+ }
            }

            /// One step, when `state` is this rule's; `Err` (and no step)
            /// when it is another's.
            fn step(
                &self,
                eta: f64,
                state: &mut MethodState,
                theta: &mut Array1<f64>,
                grad: &Array1<f64>,
            ) -> Result<(), ()> {
                match (self, state) {
                    $((Method::$variant(r), MethodState::$variant(s)) => {
                        r.step(eta, s, theta, grad);
                        Ok(())
                    })+
                    #[allow(unreachable_patterns)]
                    _ => Err(()),
                }
            }
        }
    };
}

optimizers! {
    Sgd(sgd::Sgd),
}

/// The hyper-parameters of `rule` with their values.
fn values<R: Rule>(rule: &R) -> Vec<HyperValue> {
    R::HYPER
        .iter()
        .map(|h| HyperValue {
            key: h.key,
            label: h.label,
            rule: h.rule,
            slider: h.slider,
            value: (h.get)(rule),
        })
        .collect()
}

/// Sets `rule`'s hyper-parameter `key`; false where it has none.
fn set_value<R: Rule>(rule: &mut R, key: &str, value: f64) -> bool {
    match R::HYPER.iter().find(|h| h.key == key) {
        Some(h) => {
            (h.set)(rule, value);
            true
        }
        None => false,
    }
}

/// What a run is told about its optimizer: the learning rate and the rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Optimizer {
    /// Learning rate η (> 0).
    pub learning_rate: f64,
    /// The update rule and its hyper-parameters.
    pub method: Method,
}

impl Optimizer {
    /// The largest η·S (S the optimizer's stability measure) at which it is
    /// stable on a quadratic: 2(1 + β) for heavy-ball SGD.
    pub fn stability_limit(&self) -> f64 {
        self.method.stability_limit()
    }

    /// The largest S at which it is stable at its learning rate:
    /// [`Optimizer::stability_limit`] / η.
    pub fn threshold(&self) -> f64 {
        self.stability_limit() / self.learning_rate
    }

    /// Checks η and every hyper-parameter against its rule; the error names
    /// the offending field.
    pub fn check(&self) -> Result<(), (&'static str, RuleError)> {
        LEARNING_RATE_RULE
            .check(self.learning_rate)
            .map_err(|e| ("learning_rate", e))?;
        for h in self.method.hyper() {
            h.rule.check(h.value).map_err(|e| (h.key, e))?;
        }
        Ok(())
    }
}

/// The state an optimizer keeps between steps, for whichever rule it is
/// asked to step with (a change of rule starts the new one's state afresh;
/// a change of hyper-parameters keeps it).
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizerState {
    state: MethodState,
    n: usize,
}

impl OptimizerState {
    /// The state before the first step of `optimizer`, for `n` parameters.
    pub fn new(optimizer: &Optimizer, n: usize) -> Self {
        Self {
            state: optimizer.method.start(n),
            n,
        }
    }

    /// One step of `optimizer` from θ, whose gradient is `grad`.
    pub fn step(&mut self, optimizer: &Optimizer, theta: &mut Array1<f64>, grad: &Array1<f64>) {
        let eta = optimizer.learning_rate;
        if optimizer
            .method
            .step(eta, &mut self.state, theta, grad)
            .is_err()
        {
            self.state = optimizer.method.start(self.n);
            optimizer
                .method
                .step(eta, &mut self.state, theta, grad)
                .expect("a fresh state fits its rule");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_a_unique_name_and_checked_defaults() {
        let mut names: Vec<&str> = Method::ALL.iter().map(Method::name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Method::ALL.len());
        for &method in Method::ALL {
            let opt = Optimizer {
                learning_rate: 0.1,
                method,
            };
            assert!(opt.check().is_ok(), "{}", method.name());
            assert!(opt.stability_limit() > 0.0);
        }
    }

    #[test]
    fn check_names_the_field() {
        let mut method = Method::ALL[0];
        assert!(method.set("momentum", 1.0));
        let opt = Optimizer {
            learning_rate: 0.1,
            method,
        };
        let (field, e) = opt.check().unwrap_err();
        assert_eq!(field, "momentum");
        assert_eq!(e.to_string(), "expected a finite number in [0, 1), got 1");
        let bad_eta = Optimizer {
            learning_rate: -1.0,
            ..opt
        };
        assert_eq!(bad_eta.check().unwrap_err().0, "learning_rate");
        assert!(!method.set("no-such-key", 0.0));
    }
}
