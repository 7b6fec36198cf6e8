//! Numbers in messages: plain where that is short, scientific otherwise (a
//! float64 printed with `{}` can run to 300 digits).

/// `x` as a user reads it: `0.5`, `1234.5`, `1e300`, `-2.5e-7`, `inf`, `NaN`.
pub fn number(x: f64) -> String {
    let plain = (1e-4..1e6).contains(&x.abs()) || x == 0.0 || !x.is_finite();
    if plain {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn long_numbers_are_scientific() {
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(-1234.5), "-1234.5");
        assert_eq!(number(1e300), "1e300");
        assert_eq!(number(-2.5e-7), "-2.5e-7");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(f64::INFINITY), "inf");
        assert!(number(1.7976931348623157e308).len() < 30);
    }
}
