//! JSON text to a `serde_json::Value`, with clear messages for text that is
//! not JSON.

use crate::io::json::JsonError;
use serde_json::Value;

use super::ProblemError;

/// Parses `text` as one JSON document (strictly: no duplicate keys; a
/// byte-order mark is skipped); any failure is an error on field `json`,
/// or on the object's path for a duplicate key.
///
/// serde_json's `float_roundtrip` feature makes every float correctly rounded,
/// so a file describes exactly the problem its writer meant.
pub(super) fn parse(text: &str) -> Result<Value, ProblemError> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    if body.trim_matches([' ', '\t', '\n', '\r']).is_empty() {
        return Err(ProblemError::new(
            "json",
            "empty file, expected a JSON object",
        ));
    }
    crate::io::json::parse(body).map_err(|e| json_error(body, &e))
}

/// The error for a JSON failure, with its line and column.
fn json_error(text: &str, e: &JsonError) -> ProblemError {
    let (line, column) = e.position.unwrap_or((0, 0));
    let field = if e.duplicate && !e.path.is_empty() {
        e.path.as_str()
    } else {
        "json"
    };
    let message = if e.out_of_range {
        format!(
            "a number is out of float64 range (magnitude above 1.8e308) at line {line} column {column}"
        )
    } else if let Some(token) = non_json_constant(text, line, column) {
        format!(
            "non-JSON token {token} at line {line} column {column} (NaN and Infinity are not JSON numbers)"
        )
    } else if e.duplicate {
        e.message.clone()
    } else {
        format!("invalid JSON: {}", e.message)
    };
    ProblemError::new(field, message)
}

/// `NaN` or `Infinity` if that is what stands at the error position.
fn non_json_constant(text: &str, line: usize, column: usize) -> Option<&'static str> {
    let rest = text
        .split('\n')
        .nth(line.checked_sub(1)?)?
        .get(column.checked_sub(1)?..)?;
    ["NaN", "Infinity"]
        .into_iter()
        .find(|t| rest.starts_with(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_message(text: &str) -> String {
        match parse(text) {
            Ok(v) => panic!("accepted {text:?} as {v}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn floats_are_correctly_rounded() {
        // serde_json's default parser reads each of these one unit in the
        // last place off.
        let text = "[0.9546673224167055, 0.026595507499061366, -0.21898086257645266]";
        let value = parse(text).unwrap();
        let got: Vec<f64> = value
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let want: Vec<f64> = [
            "0.9546673224167055",
            "0.026595507499061366",
            "-0.21898086257645266",
        ]
        .iter()
        .map(|t| t.parse().unwrap())
        .collect();
        assert_eq!(
            got.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            want.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn negative_zero_and_strings_survive() {
        let value = parse(r#"{"a\"-1": [1, -2.5e3, true, null], "c": -0.0}"#).unwrap();
        assert_eq!(value["a\"-1"][1].as_f64(), Some(-2500.0));
        assert_eq!(
            value["c"].as_f64().map(f64::to_bits),
            Some((-0.0f64).to_bits())
        );
    }

    #[test]
    fn integers_stay_integers() {
        let value = parse("[3, -4, 2.0, 18446744073709551615]").unwrap();
        assert_eq!(value[0].as_u64(), Some(3));
        assert_eq!(value[1].as_i64(), Some(-4));
        assert_eq!(value[2].as_u64(), None);
        assert_eq!(value[3].as_u64(), Some(u64::MAX));
    }

    #[test]
    fn empty_text_is_refused() {
        assert_eq!(json_message(""), "json: empty file, expected a JSON object");
        assert_eq!(
            json_message(" \n\t"),
            "json: empty file, expected a JSON object"
        );
    }

    #[test]
    fn syntax_errors_give_line_and_column() {
        assert_eq!(
            json_message("{\"a\": [1,]}"),
            "json: invalid JSON: trailing comma at line 1 column 10"
        );
        assert_eq!(
            json_message("{\"a\": 1} x"),
            "json: invalid JSON: trailing characters at line 1 column 10"
        );
    }

    #[test]
    fn nan_and_infinity_are_named() {
        assert_eq!(
            json_message("[1, NaN]"),
            "json: non-JSON token NaN at line 1 column 5 (NaN and Infinity are not JSON numbers)"
        );
        assert_eq!(
            json_message("[1,\n -Infinity]"),
            "json: non-JSON token Infinity at line 2 column 3 (NaN and Infinity are not JSON numbers)"
        );
    }

    #[test]
    fn out_of_range_numbers_are_refused() {
        assert_eq!(
            json_message("{\"a\": 1e400}"),
            "json: a number is out of float64 range (magnitude above 1.8e308) at line 1 column 11"
        );
        // serde_json alone would read this as f64::MAX; correctly rounded it
        // is infinite.
        assert_eq!(
            json_message("[1.79769313486231581e308]"),
            "json: a number is out of float64 range (magnitude above 1.8e308) at line 1 column 24"
        );
    }
}
