//! `analyze --spectrum` and `--per-layer` agree with the independently
//! computed dense spectra.

use std::fs;

use serde_json::Value;

use crate::common::root;
use crate::results::{SAMPLES, analyze_json, check_format, num, nums, rel_close, sample};

/// The independently computed spectrum of a sample (`tests/data/NAME.spectrum.json`).
fn spectrum_expected(name: &str) -> Value {
    let path = root().join(format!("tests/data/{name}.spectrum.json"));
    serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap()
}

/// ∫ f dλ by the trapezoid rule.
fn trapezoid(x: &[f64], f: &[f64]) -> f64 {
    x.windows(2)
        .zip(f.windows(2))
        .map(|(x, y)| 0.5 * (x[1] - x[0]) * (y[0] + y[1]))
        .sum()
}

/// The checks of `analysis-format.md`'s `spectrum` object; returns the
/// trapezoid moment ∫λρ dλ.
fn check_spectrum(s: &Value, method: &str) -> f64 {
    assert_eq!(s["method"], method);
    let lambda = nums(&s["lambda"], "spectrum.lambda");
    assert!(lambda.windows(2).all(|w| w[0] < w[1]), "lambda ascending");
    let density = nums(&s["density"], "spectrum.density");
    let (low, high) = (
        nums(&s["density_low"], "density_low"),
        nums(&s["density_high"], "density_high"),
    );
    assert_eq!(density.len(), lambda.len());
    for i in 0..lambda.len() {
        assert!(0.0 <= low[i] && low[i] <= density[i] && density[i] <= high[i]);
    }
    let mass = trapezoid(&lambda, &density);
    assert!((mass - 1.0).abs() < 1e-9, "∫ρ = {mass}");
    let outliers = nums(&s["outliers"], "spectrum.outliers");
    assert_eq!(outliers.len(), 5);
    assert!(outliers.windows(2).all(|w| w[0] >= w[1]));
    assert!(num(&s["sigma"], "sigma") > 0.0);
    assert!(num(&s["seconds"], "seconds") >= 0.0);
    let first: Vec<f64> = lambda.iter().zip(&density).map(|(l, d)| l * d).collect();
    trapezoid(&lambda, &first)
}

#[test]
fn analyze_spectrum_and_per_layer_match_the_dense_hessian() {
    let dir = tempfile::tempdir().unwrap();
    for name in SAMPLES {
        let exp = spectrum_expected(name);
        let want = nums(&exp["eigenvalues"], "expected eigenvalues");
        let p = want.len() as f64;
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let trace = want.iter().sum::<f64>();
        let (stdout, v) = analyze_json(
            &sample(name),
            &["--grid", "3", "--spectrum", "--per-layer"],
            dir.path(),
            name,
        );
        assert!(stdout.contains("spectrum    exact"), "{stdout}");
        check_format(&v, &format!("{name}.json"), 3, 1.0, "file");
        let s = &v["spectrum"];
        let first = check_spectrum(s, "exact");
        assert!((first - trace / p).abs() < 1e-10 * scale, "{name}: ∫λρ");
        assert_eq!(
            (s["probes"].as_u64(), s["steps"].as_u64()),
            (Some(0), Some(0))
        );
        let got = nums(&s["eigenvalues"], "spectrum.eigenvalues");
        assert_eq!(got.len(), want.len(), "{name}");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            rel_close(&format!("{name} eigenvalues[{i}]"), *g, *w, 1e-10 * scale);
        }
        let layers = v["per_layer"].as_array().expect("per_layer");
        let want_layers = exp["per_layer"].as_array().unwrap();
        assert_eq!(layers.len(), want_layers.len(), "{name}");
        for (l, w) in layers.iter().zip(want_layers) {
            for key in ["layer", "start", "end"] {
                assert_eq!(l[key], w[key], "{name}: per_layer {key}");
            }
            let (top, tr) = (num(&w["top"], "top"), num(&w["trace"], "trace"));
            rel_close(
                &format!("{name} top"),
                num(&l["top"], "top"),
                top,
                1e-9 * top.abs(),
            );
            rel_close(
                &format!("{name} trace"),
                num(&l["trace"], "trace"),
                tr,
                1e-10 * tr.abs().max(1.0),
            );
        }

        let (_, v) = analyze_json(
            &sample(name),
            &["--grid", "3", "--spectrum=slq"],
            dir.path(),
            name,
        );
        let s = &v["spectrum"];
        check_spectrum(s, "slq");
        assert!(
            s.get("eigenvalues").is_none(),
            "{name}: slq lists no eigenvalues"
        );
        assert!(v.get("per_layer").is_none());
        assert_eq!(
            (s["probes"].as_u64(), s["steps"].as_u64()),
            (Some(16), Some(80))
        );
        let (mean, se) = (
            num(&s["mean"], "mean"),
            num(&s["mean_stderr"], "mean_stderr"),
        );
        assert!(
            se > 0.0 && (mean - trace / p).abs() <= 4.0 * se,
            "{name}: {mean} ± {se} vs {}",
            trace / p
        );
    }
}
