//! The one error type of problem files: the offending field and what was wrong.

/// A problem file (or a problem to be written) that breaks the format.
///
/// `field` names the offending field as `docs/problem-format.md` does (`format`,
/// `params[3]`, `data.x[4]`, `json` for text that is not JSON, `file` for I/O);
/// the message says what was expected and what was found.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ProblemError {
    /// The offending field, e.g. `data.y[0]`.
    pub field: String,
    /// What was expected and what was found.
    pub message: String,
}

impl ProblemError {
    /// An error about `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}
