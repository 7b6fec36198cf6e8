//! Strict JSON for every file curvscope reads (problems, lessons): a
//! duplicate key is an error naming its path (serde_json alone keeps the
//! last one silently), a UTF-8 byte-order mark is accepted, and input files
//! are read only when they are regular files of bounded size (a FIFO would
//! block, `/dev/zero` would never end).

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::io::Read as _;
use std::path::Path;

/// Why a document is not acceptable JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonError {
    /// Where: the path of the value being read (`data.x[3]`), empty at the
    /// top level.
    pub path: String,
    /// Whether the error is a duplicate key (in the object at `path`).
    pub duplicate: bool,
    /// What, as serde_json says it (with line and column) or ours.
    pub message: String,
    /// Line (1-based) and column of the position, if known.
    pub position: Option<(usize, usize)>,
    /// Whether serde_json found a number beyond float64's range.
    pub out_of_range: bool,
}

/// How a duplicate key's message starts.
const DUPLICATE: &str = "duplicate key";

/// One JSON value, refusing duplicate keys in any object.
struct Strict(Value);

impl<'de> de::Deserialize<'de> for Strict {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Strict, E> {
        Ok(Strict(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Strict, E> {
        Ok(Strict(Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Strict, E> {
        Ok(Strict(Value::String(v)))
    }
    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(Strict(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Strict(Value::Array(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "{DUPLICATE} \"{key}\" (each key may appear once)"
                )));
            }
            let Strict(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(Strict(Value::Object(object)))
    }
}

/// Parses one JSON document strictly (see the module).
pub fn parse(text: &str) -> Result<Value, JsonError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut de = serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, Strict>(&mut de) {
        Ok(Strict(value)) => {
            de.end().map_err(|e| error(String::new(), &e))?;
            Ok(value)
        }
        Err(e) => {
            let path = e.path().to_string();
            let path = if path == "." { String::new() } else { path };
            Err(error(path, e.inner()))
        }
    }
}

fn error(path: String, e: &serde_json::Error) -> JsonError {
    JsonError {
        path,
        duplicate: e.to_string().starts_with(DUPLICATE),
        out_of_range: e.to_string().starts_with("number out of range"),
        position: (e.line() > 0).then(|| (e.line(), e.column())),
        message: e.to_string(),
    }
}

/// Reads a file of at most `max_bytes`, refusing anything but a regular
/// file (with a message that says what it is) and larger files; the
/// message starts "cannot read PATH: ".
pub fn read_bytes(path: &Path, max_bytes: u64) -> Result<Vec<u8>, String> {
    read_bytes_or_why(path, max_bytes)
        .map_err(|why| format!("cannot read {}: {why}", path.display()))
}

/// [`read_bytes`], with only the reason on failure (for errors that name
/// the file themselves).
pub fn read_bytes_or_why(path: &Path, max_bytes: u64) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a folder"
        } else {
            "not a regular file (a FIFO or device?)"
        };
        return Err(format!("it is {what}"));
    }
    if meta.len() > max_bytes {
        return Err(format!(
            "it has {} bytes, more than the limit of {max_bytes}",
            meta.len()
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(max_bytes + 1).read_to_end(&mut bytes))
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > max_bytes {
        return Err(format!(
            "it grew past the limit of {max_bytes} bytes while being read"
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_refused_with_their_path() {
        let e = parse(r#"{"data": {"x": [1], "x": [2]}}"#).unwrap_err();
        assert_eq!(e.path, "data");
        assert!(e.message.starts_with("duplicate key \"x\""), "{e:?}");
        let e = parse(r#"{"params": [1], "params": [2]}"#).unwrap_err();
        assert_eq!(e.path, "");
        assert!(e.message.contains("duplicate key \"params\""), "{e:?}");
    }

    #[test]
    fn a_byte_order_mark_is_accepted() {
        assert_eq!(parse("\u{feff}{\"a\": 1}").unwrap()["a"], 1);
    }

    #[test]
    fn numbers_keep_their_exact_value() {
        let v = parse("[0.1, 1e-320, 123456789012345678, -5]").unwrap();
        assert_eq!(v[0].as_f64(), Some(0.1));
        assert_eq!(v[1].as_f64(), Some(1e-320));
        assert_eq!(v[2].as_u64(), Some(123456789012345678));
        assert_eq!(v[3].as_i64(), Some(-5));
    }

    #[test]
    fn trailing_text_and_huge_numbers_are_errors_with_a_position() {
        let e = parse("{} x").unwrap_err();
        assert_eq!(e.position, Some((1, 4)));
        let e = parse("[1e400]").unwrap_err();
        assert!(e.out_of_range, "{e:?}");
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_of_bounded_size_are_read() {
        let e = read_bytes(Path::new("/dev/zero"), 1000).unwrap_err();
        assert!(e.contains("not a regular file"), "{e}");
        let e = read_bytes(Path::new("/"), 1000).unwrap_err();
        assert!(e.contains("a folder"), "{e}");
        let dir = std::env::temp_dir().join(format!("curvscope-json-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big.json");
        std::fs::write(&big, vec![b' '; 2000]).unwrap();
        let e = read_bytes(&big, 1000).unwrap_err();
        assert!(e.contains("2000 bytes, more than the limit of 1000"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
