//! Text inside PNG files: a picture curvscope saves carries the lesson that
//! reproduces it in an `iTXt` chunk (keyword [`LESSON_KEYWORD`]), written
//! before the image data, read back without decoding the image.

use std::io::BufReader;
use std::path::Path;

/// The keyword of the chunk holding a picture's lesson (its JSON text).
pub const LESSON_KEYWORD: &str = "curvscope-lesson";

/// Why a PNG's text could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PngTextError {
    /// The file cannot be opened or is not a regular file.
    #[error("cannot read: {0}")]
    Read(String),
    /// The file is not a PNG, or one damaged before its image data.
    #[error("not a readable PNG file ({0})")]
    NotPng(String),
    /// No chunk of that keyword.
    #[error(
        "holds no {0} chunk (only pictures curvscope saved carry their lesson; this one was not, or its text was stripped)"
    )]
    Missing(String),
    /// The chunk is there but its text cannot be decoded.
    #[error("its {keyword} chunk cannot be decoded ({cause})")]
    Undecodable {
        /// The chunk's keyword.
        keyword: String,
        /// What the decoder said.
        cause: String,
    },
}

/// Encodes an 8-bit RGB PNG (`rgb`: `width × height` pixels, row-major)
/// with an uncompressed `iTXt` chunk `(keyword, text)` if one is given.
pub fn encode_rgb(
    width: u32,
    height: u32,
    rgb: &[u8],
    text: Option<(&str, &str)>,
) -> Result<Vec<u8>, png::EncodingError> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    if let Some((keyword, text)) = text {
        encoder.add_itxt_chunk(keyword.to_string(), text.to_string())?;
    }
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(bytes)
}

/// The text of the `iTXt` chunk `keyword` of the PNG file at `path` (the
/// first, if several).
pub fn read_itxt(path: &Path, keyword: &str) -> Result<String, PngTextError> {
    let meta = std::fs::metadata(path).map_err(|e| PngTextError::Read(e.to_string()))?;
    if !meta.is_file() {
        return Err(PngTextError::Read(
            "it is not a regular file (a folder, FIFO or device?)".to_string(),
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| PngTextError::Read(e.to_string()))?;
    let reader = png::Decoder::new(BufReader::new(file))
        .read_info()
        .map_err(|e| PngTextError::NotPng(e.to_string()))?;
    let chunk = reader
        .info()
        .utf8_text
        .iter()
        .find(|c| c.keyword == keyword)
        .ok_or_else(|| PngTextError::Missing(keyword.to_string()))?;
    chunk.get_text().map_err(|e| PngTextError::Undecodable {
        keyword: keyword.to_string(),
        cause: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_written_reads_back_and_a_missing_keyword_is_said() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.png");
        let text = "{\"λ\": 1}";
        let bytes = encode_rgb(2, 1, &[0; 6], Some(("k", text))).unwrap();
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(read_itxt(&path, "k").unwrap(), text);
        assert_eq!(
            read_itxt(&path, "other"),
            Err(PngTextError::Missing("other".into()))
        );
        std::fs::write(&path, "not a png").unwrap();
        assert!(matches!(
            read_itxt(&path, "k"),
            Err(PngTextError::NotPng(_))
        ));
        assert!(matches!(
            read_itxt(dir.path(), "k"),
            Err(PngTextError::Read(_))
        ));
    }
}
