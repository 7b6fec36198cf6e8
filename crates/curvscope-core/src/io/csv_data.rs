//! Data sets from CSV files: a header row, feature columns and one target
//! column, split into training and test rows, with the loss chosen from the
//! target (documented in `docs/lessons.md`, "Your own data").
//!
//! The file is read whole (at most [`MAX_FILE_BYTES`]) and checked before
//! anything is built: a malformed file gives one [`CsvError`] naming the line
//! and column, never a part of the data.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, Axis};
use rand::SeedableRng;
use rand::seq::SliceRandom;

use crate::defaults;
use crate::model::dataset::{Dataset, Targets};
use crate::model::loss::LossKind;

/// Largest CSV file read, in bytes (64 MiB: 10 000 rows of 1 000 numbers).
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// Most feature columns (the input layer's width).
pub const MAX_FEATURES: usize = 1024;
/// Most classes of a classification target (the output layer's width).
pub const MAX_CLASSES: usize = defaults::MAX_WIDTH;
/// A target of integers with at most this many different values is a class
/// label; with more it is a regression target.
pub const MAX_INTEGER_CLASSES: usize = 16;
/// Share of the rows held out for testing unless said otherwise.
pub const TEST_FRACTION: f64 = 0.2;
/// Seed of the shuffle that picks the test rows (fixed: the same file always
/// splits the same way).
const SPLIT_SEED: u64 = 0;
/// Longest quotation of a cell or a column list inside a message.
const MAX_QUOTE: usize = 60;

/// How rows are split into training and test rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Split {
    /// This share of the rows, in [0, 1), picked by a fixed shuffle, is
    /// held out for testing.
    Fraction(f64),
    /// This column says `train` or `test` for each row.
    Column(String),
}

/// What to read from a CSV file.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvSpec {
    /// The file.
    pub path: PathBuf,
    /// The target column's name.
    pub target: String,
    /// The feature columns' names, in this order; `None`: every column but
    /// the target (and the split column), in file order.
    pub features: Option<Vec<String>>,
    /// The train/test split.
    pub split: Split,
    /// The loss; `None`: chosen from the target (see [`CsvData::load`]).
    pub loss: Option<LossKind>,
    /// Whether features are standardized (see [`Scaling`]).
    pub standardize: bool,
}

impl CsvSpec {
    /// The defaults for a run trained from scratch: every other column a
    /// feature, 20% test rows, the loss from the target, standardized.
    pub fn new(path: impl Into<PathBuf>, target: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            target: target.into(),
            features: None,
            split: Split::Fraction(TEST_FRACTION),
            loss: None,
            standardize: true,
        }
    }
}

/// The standardization of the features: `x' = (x − mean) / scale`, with the
/// mean and the standard deviation (population form) of the training rows;
/// a constant column keeps scale 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Scaling {
    /// Mean of each feature over the training rows.
    pub mean: Vec<f64>,
    /// Standard deviation of each feature over the training rows (1 where
    /// it is 0).
    pub scale: Vec<f64>,
}

impl Scaling {
    /// The scaling that standardizes the rows of `x`.
    pub fn fit(x: &Array2<f64>) -> Self {
        let n = x.nrows().max(1) as f64;
        let mut mean = Vec::with_capacity(x.ncols());
        let mut scale = Vec::with_capacity(x.ncols());
        for column in x.axis_iter(Axis(1)) {
            // Scaled first, so that sums of numbers near f64::MAX stay finite.
            let big = column.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
            let unit = if big > 0.0 { big } else { 1.0 };
            let m = column.iter().map(|v| v / unit).sum::<f64>() / n;
            let var = column.iter().map(|v| (v / unit - m).powi(2)).sum::<f64>() / n;
            let s = var.sqrt() * unit;
            mean.push(m * unit);
            scale.push(if s > 0.0 && s.is_finite() { s } else { 1.0 });
        }
        Self { mean, scale }
    }

    /// Applies the scaling to the rows of `x`.
    pub fn apply(&self, x: &mut Array2<f64>) {
        for mut row in x.rows_mut() {
            for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *v = (*v - m) / s;
            }
        }
    }
}

/// A data set read from a CSV file, ready to train on.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvData {
    /// What was read.
    pub spec: CsvSpec,
    /// The feature columns, in input order.
    pub features: Vec<String>,
    /// Class labels in index order, for a classification target.
    pub classes: Option<Vec<String>>,
    /// The loss the targets fit.
    pub loss: LossKind,
    /// Width of the network's output layer.
    pub n_outputs: usize,
    /// Training rows.
    pub train: Dataset,
    /// Test rows, if any.
    pub test: Option<Dataset>,
    /// The standardization applied to both, if any.
    pub scaling: Option<Scaling>,
}

/// A CSV file that cannot be used, in one line: the file, then where
/// (`line 7, column "x2"`) and what.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct CsvError {
    /// The file as given.
    pub file: String,
    /// Where and what.
    pub message: String,
}

/// One data row as read: its line, feature cells parsed, target and split
/// cells as text.
struct Row {
    line: u64,
    x: Vec<f64>,
    target: String,
    split: Option<String>,
}

/// How the target column is read.
enum TargetRule {
    /// Numbers, the target of `mse`.
    Numbers,
    /// Numbers in [0, 1], the target of `bce_logits`.
    Probabilities,
    /// Integer class indices 0, 1, …, the target of `softmax_ce`.
    Indices,
    /// Labels numbered in sorted order: integers (compared as numbers, so
    /// `1.0` is label `1`) when `numeric`, else names.
    Labels { labels: Vec<String>, numeric: bool },
}

impl CsvData {
    /// Reads and checks the file of `spec`.
    ///
    /// The loss, unless given: a target of names, or of integers with at
    /// most [`MAX_INTEGER_CLASSES`] different values, is a class label
    /// (labels numbered in sorted order: numerically for integers,
    /// alphabetically for names); two classes give `bce_logits`, more give
    /// `softmax_ce`. Any other numbers give `mse`. A given loss reads the
    /// target by the problem format's rule for it: numbers for `mse`,
    /// numbers in [0, 1] for `bce_logits`, class indices 0..K−1 for
    /// `softmax_ce`.
    pub fn load(spec: CsvSpec) -> Result<CsvData, CsvError> {
        let file = spec.path.display().to_string();
        let fail = |message: String| CsvError {
            file: file.clone(),
            message,
        };
        let bytes = crate::io::json::read_bytes_or_why(&spec.path, MAX_FILE_BYTES).map_err(fail)?;
        Self::from_bytes(spec, &bytes).map_err(fail)
    }

    /// The file's name for menus (its last component).
    pub fn name(&self) -> String {
        self.spec.path.file_name().map_or_else(
            || self.spec.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    /// Reads `bytes` as the file of `spec` (errors without the file name).
    pub fn from_bytes(spec: CsvSpec, bytes: &[u8]) -> Result<CsvData, String> {
        if let Split::Fraction(f) = spec.split
            && !(0.0..1.0).contains(&f)
        {
            return Err(format!(
                "the test fraction must be in [0, 1), got {}",
                crate::display::number(f)
            ));
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(
                "the file is empty (expected a header row, then one row per sample)".into(),
            );
        }
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(bytes);
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(&e, &[]))?
            .iter()
            .map(str::to_string)
            .collect();
        let columns = Columns::find(&spec, &header)?;
        let rows = read_rows(&mut reader, &header, &columns)?;
        if rows.is_empty() {
            return Err("no data rows after the header".into());
        }
        let is_test = split(&spec, &header, &columns, &rows)?;
        let n_test = is_test.iter().filter(|&&t| t).count();
        let n_train = rows.len() - n_test;
        if n_train == 0 {
            return Err(format!(
                "no training rows: the split puts all {} rows in the test set",
                rows.len()
            ));
        }
        let max = defaults::MAX_SAMPLES;
        if n_train > max || n_test > max {
            return Err(format!(
                "{n_train} training and {n_test} test rows; at most {max} of each can be used"
            ));
        }
        let target_name = &header[columns.target];
        let rule = target_rule(spec.loss, &rows, target_name)?;
        let (loss, n_outputs, classes) = match &rule {
            TargetRule::Numbers => (LossKind::Mse, 1, None),
            TargetRule::Probabilities => (LossKind::BceLogits, 1, None),
            TargetRule::Indices => {
                let k = indices(&rows, target_name)?.into_iter().max().unwrap_or(0) + 1;
                let names = (0..k).map(|c| c.to_string()).collect();
                (LossKind::SoftmaxCe, k, Some(names))
            }
            TargetRule::Labels { labels, .. } if labels.len() == 2 => {
                (LossKind::BceLogits, 1, Some(labels.clone()))
            }
            TargetRule::Labels { labels, .. } => {
                (LossKind::SoftmaxCe, labels.len(), Some(labels.clone()))
            }
        };
        let y = targets(&rule, loss, &rows, target_name)?;
        let pick = |test: bool| -> Dataset {
            let keep: Vec<usize> = (0..rows.len()).filter(|&i| is_test[i] == test).collect();
            let n_in = columns.features.len();
            let mut x = Array2::zeros((keep.len(), n_in));
            for (mut dst, &i) in x.rows_mut().into_iter().zip(&keep) {
                dst.assign(&Array1::from(rows[i].x.clone()));
            }
            let y = match &y {
                Targets::Regression(y) => Targets::Regression(y.select(Axis(0), &keep)),
                Targets::Binary(y) => Targets::Binary(y.select(Axis(0), &keep)),
                Targets::Classes(y) => Targets::Classes(keep.iter().map(|&i| y[i]).collect()),
            };
            Dataset { x, y }
        };
        let mut train = pick(false);
        let mut test = (n_test > 0).then(|| pick(true));
        let scaling = spec.standardize.then(|| Scaling::fit(&train.x));
        if let Some(s) = &scaling {
            s.apply(&mut train.x);
            if let Some(t) = &mut test {
                s.apply(&mut t.x);
            }
            let sets = std::iter::once(&train).chain(test.as_ref());
            for d in sets {
                if let Some(c) =
                    d.x.columns()
                        .into_iter()
                        .position(|c| c.iter().any(|v| !v.is_finite()))
                {
                    return Err(format!(
                        "column {}: its numbers are too large to standardize (keep the raw scale)",
                        quote(&header[columns.features[c]])
                    ));
                }
            }
        }
        Ok(CsvData {
            features: columns
                .features
                .iter()
                .map(|&c| header[c].clone())
                .collect(),
            spec,
            classes,
            loss,
            n_outputs,
            train,
            test,
            scaling,
        })
    }
}

/// The columns used, by position in the header.
struct Columns {
    target: usize,
    split: Option<usize>,
    features: Vec<usize>,
}

impl Columns {
    /// Finds the spec's columns in `header`.
    fn find(spec: &CsvSpec, header: &[String]) -> Result<Self, String> {
        let mut seen = BTreeMap::new();
        for (i, name) in header.iter().enumerate() {
            if name.is_empty() {
                return Err(format!("line 1: column {} has no name", i + 1));
            }
            if let Some(first) = seen.insert(name.as_str(), i) {
                return Err(format!(
                    "line 1: column {} appears twice (columns {} and {})",
                    quote(name),
                    first + 1,
                    i + 1
                ));
            }
        }
        let position = |name: &str, what: &str| {
            seen.get(name).copied().ok_or_else(|| {
                format!(
                    "no {what} column {} in the header (columns: {})",
                    quote(name),
                    clip(&header.join(", "))
                )
            })
        };
        let target = position(&spec.target, "target")?;
        let split = match &spec.split {
            Split::Column(name) => Some(position(name, "split")?),
            Split::Fraction(_) => None,
        };
        let features = match &spec.features {
            Some(names) => {
                let mut chosen = Vec::with_capacity(names.len());
                for name in names {
                    let c = position(name, "feature")?;
                    if c == target || Some(c) == split || chosen.contains(&c) {
                        let why = if c == target {
                            "it is the target"
                        } else if Some(c) == split {
                            "it is the split column"
                        } else {
                            "it is listed twice"
                        };
                        return Err(format!("feature column {}: {why}", quote(name)));
                    }
                    chosen.push(c);
                }
                chosen
            }
            None => (0..header.len())
                .filter(|&c| c != target && Some(c) != split)
                .collect(),
        };
        if features.is_empty() {
            return Err(format!(
                "no feature columns (the header has only {})",
                clip(&header.join(", "))
            ));
        }
        if features.len() > MAX_FEATURES {
            return Err(format!(
                "{} feature columns; at most {MAX_FEATURES} can be used",
                features.len()
            ));
        }
        Ok(Self {
            target,
            split,
            features,
        })
    }
}

/// Every data row, feature cells parsed; at most twice
/// [`defaults::MAX_SAMPLES`] rows are read.
fn read_rows(
    reader: &mut csv::Reader<&[u8]>,
    header: &[String],
    columns: &Columns,
) -> Result<Vec<Row>, String> {
    let limit = 2 * defaults::MAX_SAMPLES;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(&e, header))?;
        let line = record.position().map_or(0, |p| p.line());
        if rows.len() == limit {
            return Err(format!(
                "line {line}: more than {limit} data rows (at most {} training and {} test samples can be used)",
                defaults::MAX_SAMPLES,
                defaults::MAX_SAMPLES
            ));
        }
        let mut x = Vec::with_capacity(columns.features.len());
        for &c in &columns.features {
            let cell = &record[c];
            x.push(number(cell).map_err(|why| at(line, &header[c], why))?);
        }
        rows.push(Row {
            line,
            x,
            target: record[columns.target].to_string(),
            split: columns.split.map(|c| record[c].to_string()),
        });
    }
    Ok(rows)
}

/// Which rows are test rows.
fn split(
    spec: &CsvSpec,
    header: &[String],
    columns: &Columns,
    rows: &[Row],
) -> Result<Vec<bool>, String> {
    match (&spec.split, columns.split) {
        (Split::Column(_), Some(c)) => rows
            .iter()
            .map(|r| {
                let cell = r.split.as_deref().unwrap_or_default();
                match cell.to_ascii_lowercase().as_str() {
                    "train" => Ok(false),
                    "test" => Ok(true),
                    _ => Err(at(
                        r.line,
                        &header[c],
                        format!("expected train or test, got {}", quote(cell)),
                    )),
                }
            })
            .collect(),
        (Split::Fraction(f), _) => {
            let n = rows.len();
            let n_test = ((n as f64) * f).round() as usize;
            let mut order: Vec<usize> = (0..n).collect();
            order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(SPLIT_SEED));
            let mut is_test = vec![false; n];
            for &i in &order[..n_test.min(n)] {
                is_test[i] = true;
            }
            Ok(is_test)
        }
        (Split::Column(_), None) => unreachable!("Columns::find resolves the split column"),
    }
}

/// How the target column is read: by the given loss, or from its values.
fn target_rule(loss: Option<LossKind>, rows: &[Row], name: &str) -> Result<TargetRule, String> {
    if let Some(r) = rows.iter().find(|r| r.target.is_empty()) {
        return Err(at(
            r.line,
            name,
            "empty cell (every row needs a target)".into(),
        ));
    }
    match loss {
        Some(LossKind::Mse) => return Ok(TargetRule::Numbers),
        Some(LossKind::BceLogits) => return Ok(TargetRule::Probabilities),
        Some(LossKind::SoftmaxCe) => return Ok(TargetRule::Indices),
        None => {}
    }
    let numbers: Option<Vec<f64>> = rows.iter().map(|r| number(&r.target).ok()).collect();
    let numeric = numbers.is_some();
    let labels = match &numbers {
        Some(values) => {
            let integral = values.iter().all(|v| v.fract() == 0.0 && v.abs() < 1e15);
            let distinct: BTreeSet<i64> = values.iter().map(|&v| v as i64).collect();
            if !integral || distinct.len() > MAX_INTEGER_CLASSES {
                return Ok(TargetRule::Numbers);
            }
            distinct.iter().map(i64::to_string).collect::<Vec<_>>()
        }
        None => {
            let distinct: BTreeSet<&str> = rows.iter().map(|r| r.target.as_str()).collect();
            if distinct.len() > MAX_CLASSES {
                return Err(format!(
                    "target column {} holds {} different labels; at most {MAX_CLASSES} classes can be used",
                    quote(name),
                    distinct.len()
                ));
            }
            distinct.into_iter().map(str::to_string).collect()
        }
    };
    if labels.len() < 2 {
        return Err(format!(
            "target column {} holds one class only ({} in all {} rows): there is nothing to tell apart",
            quote(name),
            quote(&labels[0]),
            rows.len()
        ));
    }
    Ok(TargetRule::Labels { labels, numeric })
}

/// The class index of every row for a given `softmax_ce`.
fn indices(rows: &[Row], name: &str) -> Result<Vec<usize>, String> {
    rows.iter()
        .map(|r| {
            number(&r.target)
                .ok()
                .filter(|v| v.fract() == 0.0 && (0.0..MAX_CLASSES as f64).contains(v))
                .map(|v| v as usize)
                .ok_or_else(|| {
                    at(
                        r.line,
                        name,
                        format!(
                            "expected a class index 0..{} (softmax_ce), got {}",
                            MAX_CLASSES - 1,
                            quote(&r.target)
                        ),
                    )
                })
        })
        .collect()
}

/// The targets of every row, in file order.
fn targets(rule: &TargetRule, loss: LossKind, rows: &[Row], name: &str) -> Result<Targets, String> {
    let value = |r: &Row, what: &str, ok: fn(f64) -> bool| {
        number(&r.target).ok().filter(|&v| ok(v)).ok_or_else(|| {
            at(
                r.line,
                name,
                format!("expected {what}, got {}", quote(&r.target)),
            )
        })
    };
    Ok(match rule {
        TargetRule::Numbers => {
            let y = rows
                .iter()
                .map(|r| value(r, "a number (the target of mse)", |_| true))
                .collect::<Result<Vec<_>, _>>()?;
            Targets::Regression(Array2::from_shape_vec((y.len(), 1), y).expect("one per row"))
        }
        TargetRule::Probabilities => Targets::Binary(
            rows.iter()
                .map(|r| {
                    value(r, "a number in [0, 1] (the target of bce_logits)", |v| {
                        (0.0..=1.0).contains(&v)
                    })
                })
                .collect::<Result<_, _>>()?,
        ),
        TargetRule::Indices => Targets::Classes(indices(rows, name)?),
        TargetRule::Labels { labels, numeric } => {
            let index: BTreeMap<String, usize> = labels
                .iter()
                .enumerate()
                .map(|(i, l)| (l.clone(), i))
                .collect();
            // Integer labels are compared as numbers ("1.0" is label "1").
            let class = |r: &Row| match number(&r.target) {
                Ok(v) if *numeric => index.get(&(v as i64).to_string()),
                _ => index.get(&r.target),
            };
            let classes: Vec<usize> = rows
                .iter()
                .map(|r| *class(r).expect("every label was collected"))
                .collect();
            if loss == LossKind::BceLogits {
                Targets::Binary(classes.iter().map(|&c| c as f64).collect())
            } else {
                Targets::Classes(classes)
            }
        }
    })
}

/// A cell as a finite number, or why not.
fn number(cell: &str) -> Result<f64, String> {
    if cell.is_empty() {
        return Err("empty cell (missing values are not supported)".into());
    }
    match cell.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("expected a finite number, got {}", quote(cell))),
    }
}

/// A message about the cell at `line` in column `name`.
fn at(line: u64, name: &str, why: String) -> String {
    format!("line {line}, column {}: {why}", quote(name))
}

/// The csv crate's error as one line with its position.
fn csv_error(e: &csv::Error, header: &[String]) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => format!(
            "line {}: {len} fields, but the header has {expected_len}",
            pos.as_ref().map_or(0, csv::Position::line)
        ),
        csv::ErrorKind::Utf8 { pos, err } => {
            let column = header
                .get(err.field())
                .map_or_else(|| format!("{}", err.field() + 1), |n| quote(n));
            format!(
                "line {}, column {column}: not UTF-8 text",
                pos.as_ref().map_or(1, csv::Position::line)
            )
        }
        _ => e.to_string(),
    }
}

/// A text quoted for a message (clipped).
fn quote(text: &str) -> String {
    format!("{:?}", clip(text))
}

/// A text clipped to [`MAX_QUOTE`] characters.
fn clip(text: &str) -> String {
    if text.chars().count() > MAX_QUOTE {
        let head: String = text.chars().take(MAX_QUOTE).collect();
        format!("{head}...")
    } else {
        text.to_string()
    }
}

/// Column names taken for the target when none is given (a file dropped
/// onto the window), in this order of preference, any case.
pub const TARGET_NAMES: [&str; 4] = ["label", "target", "y", "class"];

/// The target column of a CSV file when none is given: the first column
/// named one of [`TARGET_NAMES`] (any case), else the last column.
pub fn guess_target(path: &Path) -> Result<String, CsvError> {
    let fail = |message: String| CsvError {
        file: path.display().to_string(),
        message,
    };
    let bytes = crate::io::json::read_bytes_or_why(path, MAX_FILE_BYTES).map_err(fail)?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(&bytes[..]);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| fail(csv_error(&e, &[])))?
        .iter()
        .map(str::to_string)
        .collect();
    let named = TARGET_NAMES
        .iter()
        .find_map(|name| header.iter().find(|c| c.eq_ignore_ascii_case(name)));
    named
        .or(header.last())
        .filter(|c| !c.is_empty())
        .cloned()
        .ok_or_else(|| {
            fail("the file is empty (expected a header row, then one row per sample)".into())
        })
}

/// The path of a CSV file named in a lesson: relative to the lesson's
/// folder when it has one.
pub fn resolve(path: &str, base: Option<&Path>) -> PathBuf {
    let p = Path::new(path);
    match base {
        Some(dir) if p.is_relative() => dir.join(p),
        _ => p.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str, spec: impl FnOnce(&mut CsvSpec)) -> Result<CsvData, String> {
        let mut s = CsvSpec::new("t.csv", "y");
        s.split = Split::Fraction(0.0);
        spec(&mut s);
        CsvData::from_bytes(s, text.as_bytes())
    }

    #[test]
    fn names_pick_the_loss_and_are_numbered_in_sorted_order() {
        let d = load("a,y\n1,cat\n2,dog\n3,cat\n", |_| {}).unwrap();
        assert_eq!(d.loss, LossKind::BceLogits);
        assert_eq!(
            d.classes.as_deref(),
            Some(&["cat".into(), "dog".into()][..])
        );
        assert_eq!(
            d.train.y,
            Targets::Binary(Array1::from(vec![0.0, 1.0, 0.0]))
        );
        let d = load("a,y\n1,2\n2,0\n3,1.0\n", |_| {}).unwrap();
        assert_eq!(d.loss, LossKind::SoftmaxCe);
        assert_eq!(d.train.y, Targets::Classes(vec![2, 0, 1]));
        let d = load("a,y\n1,0.5\n2,0\n", |_| {}).unwrap();
        assert_eq!(d.loss, LossKind::Mse);
    }

    #[test]
    fn standardization_uses_the_training_rows() {
        let d = load("a,b,y\n1,5,0\n3,5,1\n", |s| s.standardize = true).unwrap();
        assert_eq!(d.train.x, ndarray::array![[-1.0, 0.0], [1.0, 0.0]]);
        let s = d.scaling.unwrap();
        assert_eq!((s.mean, s.scale), (vec![2.0, 5.0], vec![1.0, 1.0]));
        let big = load("a,y\n1e308,0\n-1e308,1\n", |s| s.standardize = true).unwrap();
        assert_eq!(big.train.x, ndarray::array![[1.0], [-1.0]]);
    }

    #[test]
    fn a_fraction_split_is_fixed_and_keeps_file_order() {
        let text: String = std::iter::once("a,y\n".to_string())
            .chain((0..10).map(|i| format!("{i},{}\n", i % 2)))
            .collect();
        let a = load(&text, |s| s.split = Split::Fraction(0.3)).unwrap();
        let b = load(&text, |s| s.split = Split::Fraction(0.3)).unwrap();
        assert_eq!(a, b);
        let test = a.test.unwrap();
        assert_eq!((a.train.len(), test.len()), (7, 3));
        assert!(test.x.column(0).windows(2).into_iter().all(|w| w[0] < w[1]));
    }
}
