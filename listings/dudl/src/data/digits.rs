//! The UCI handwritten digits: 1,797 greyscale images of 8 × 8 pixels, labels 0–9.
//!
//! Shipped in `data/digits/digits.csv.gz` (see `data/digits/README.md` for source, licence and
//! format). [`load`] checks the file's SHA-256 before it parses a byte, so a damaged or
//! substituted file is an error, never a silently different dataset.

use anyhow::{bail, ensure, Context, Result};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Side of an image in pixels.
pub const SIDE: usize = 8;
/// Pixels per image.
pub const PIXELS: usize = SIDE * SIDE;
/// Number of images in the set.
pub const COUNT: usize = 1797;
/// SHA-256 of `digits.csv.gz`, as scikit-learn 1.9.1 ships it.
pub const SHA256: &str = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22";
/// Grey levels run from 0 to this value in the file.
const MAX_LEVEL: f32 = 16.0;

/// Images and their labels: `images[i]` (row-major, pixels scaled to `[0, 1]`) shows the digit
/// `labels[i]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Digits {
    pub images: Vec<[f32; PIXELS]>,
    pub labels: Vec<usize>,
}

/// Where the book ships the file: `<repo>/data/digits/digits.csv.gz`.
pub fn default_path() -> PathBuf {
    crate::cli::repo_root().join("data/digits/digits.csv.gz")
}

/// Loads the digits from `path` after checking its SHA-256 against [`SHA256`].
pub fn load(path: &Path) -> Result<Digits> {
    let gzipped = std::fs::read(path).with_context(|| {
        format!(
            "{} is missing or unreadable: it ships with the book (git checkout -- data/digits)",
            path.display()
        )
    })?;
    let digest = format!("{:x}", Sha256::digest(&gzipped));
    ensure!(
        digest == SHA256,
        "{} has SHA-256 {digest}, not {SHA256}: the file is damaged or not the shipped one \
         (git checkout -- data/digits)",
        path.display()
    );
    let mut csv = String::new();
    flate2::read::GzDecoder::new(gzipped.as_slice())
        .read_to_string(&mut csv)
        .with_context(|| format!("{} is not valid gzip-compressed text", path.display()))?;
    parse(&csv).with_context(|| format!("{} is not in the digits format", path.display()))
}

/// Parses the CSV: one image a line, 64 grey levels in `0..=16` and then the label.
fn parse(csv: &str) -> Result<Digits> {
    let mut digits = Digits {
        images: Vec::with_capacity(COUNT),
        labels: Vec::with_capacity(COUNT),
    };
    for (number, line) in csv.lines().enumerate().map(|(i, l)| (i + 1, l)) {
        let fields = line
            .split(',')
            .map(|field| field.trim().parse::<u8>())
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("line {number}: a field is not a small integer"))?;
        let Some((&label, levels)) = fields.split_last() else {
            bail!("line {number} is empty");
        };
        ensure!(
            levels.len() == PIXELS && label < 10 && levels.iter().all(|&v| v as f32 <= MAX_LEVEL),
            "line {number}: expected {PIXELS} grey levels in 0..=16 and a label in 0..=9"
        );
        digits
            .images
            .push(std::array::from_fn(|i| levels[i] as f32 / MAX_LEVEL));
        digits.labels.push(label as usize);
    }
    ensure!(
        digits.images.len() == COUNT,
        "{} images, not {COUNT}",
        digits.images.len()
    );
    Ok(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_holds_1797_images_of_ten_balanced_classes() {
        let digits = load(&default_path()).unwrap();
        assert_eq!(digits.images.len(), COUNT);
        let mut per_class = [0; 10];
        digits.labels.iter().for_each(|&l| per_class[l] += 1);
        assert!(
            per_class.iter().all(|&n| (174..=183).contains(&n)),
            "{per_class:?}"
        );
        let pixels = digits.images.iter().flatten();
        assert!(pixels.clone().all(|&p| (0.0..=1.0).contains(&p)));
        assert!(pixels.clone().any(|&p| p == 1.0) && pixels.clone().any(|&p| p == 0.0));
        assert_eq!(digits.labels[..3], [0, 1, 2]);
    }

    #[test]
    fn a_damaged_file_is_rejected_by_its_checksum() {
        let mut bytes = std::fs::read(default_path()).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 1;
        let damaged =
            std::env::temp_dir().join(format!("digits-damaged-{}.csv.gz", std::process::id()));
        std::fs::write(&damaged, bytes).unwrap();
        let err = load(&damaged).unwrap_err();
        std::fs::remove_file(&damaged).unwrap();
        assert!(format!("{err:#}").contains("SHA-256"), "{err:#}");
    }

    #[test]
    fn a_missing_file_names_its_path_and_the_fix() {
        let err = load(Path::new("no/such/digits.csv.gz")).unwrap_err();
        let message = format!("{err:#}");
        assert!(
            message.contains("no/such/digits.csv.gz") && message.contains("git checkout"),
            "{message}"
        );
    }

    #[test]
    fn a_malformed_line_is_reported_by_number() {
        let err = parse("0,1,2\n").unwrap_err();
        assert!(format!("{err:#}").contains("line 1"), "{err:#}");
    }
}
