//! Real handwritten digits at MNIST's resolution: 10,000 greyscale images of 28 × 28 pixels,
//! labels 0–9, in a fixed stratified split of 8,000 training and 2,000 test images.
//!
//! Shipped in `data/mnist/` as four gzip-compressed IDX files (see `data/mnist/README.md` for
//! source, licence, conversion and format). [`load`] checks every file's SHA-256 before it
//! parses a byte, so a damaged or substituted file is an error, never a silently different
//! dataset.

use anyhow::{ensure, Context, Result};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Side of an image in pixels.
pub const SIDE: usize = 28;
/// Pixels per image.
pub const PIXELS: usize = SIDE * SIDE;
/// Images in the training set.
pub const TRAIN_COUNT: usize = 8000;
/// Images in the test set.
pub const TEST_COUNT: usize = 2000;
/// Number of classes (the digits 0–9).
pub const CLASSES: usize = 10;

/// The shipped files and their SHA-256, in the order [`load`] checks them.
pub const FILES: [(&str, &str); 4] = [
    (
        "train-images-idx3-ubyte.gz",
        "74493d7474749f82a0ebc0c8a9081190008846cea423b2176b2aa974797d392f",
    ),
    (
        "train-labels-idx1-ubyte.gz",
        "b7b5dff1fd65165a67a2594e7c266a8292b1f3a30c6c2288ea606105adea18d2",
    ),
    (
        "t10k-images-idx3-ubyte.gz",
        "e2487cac68421dce3b9e26f92639750bb377560a8caed3d2628bf90e45a2ecad",
    ),
    (
        "t10k-labels-idx1-ubyte.gz",
        "083be3630658d53eb739249ed33c9e14034e56c3a0024e57728c2b69912515f4",
    ),
];

/// IDX magic numbers: unsigned bytes, three dimensions (images) or one (labels).
const IMAGES_MAGIC: u32 = 0x0803;
const LABELS_MAGIC: u32 = 0x0801;

/// Labelled images: `images[i]` (row-major, pixels `v / 255` in `[0, 1]`) shows the digit
/// `labels[i]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Labelled {
    pub images: Vec<[f32; PIXELS]>,
    pub labels: Vec<usize>,
}

impl Labelled {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// True when there are no images.
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// The first `n` images (or all, if there are fewer): each set is stored in a fixed
    /// shuffled order, so a prefix mixes all ten classes.
    pub fn prefix(&self, n: usize) -> Labelled {
        let n = n.min(self.len());
        Labelled {
            images: self.images[..n].to_vec(),
            labels: self.labels[..n].to_vec(),
        }
    }

    /// Images per class: `counts[k]` images show the digit `k`.
    pub fn class_counts(&self) -> [usize; CLASSES] {
        let mut counts = [0; CLASSES];
        self.labels.iter().for_each(|&label| counts[label] += 1);
        counts
    }
}

/// The fixed split: 8,000 training images and 2,000 test images.
#[derive(Clone, Debug, PartialEq)]
pub struct Mnist {
    pub train: Labelled,
    pub test: Labelled,
}

/// Where the book ships the files: `<repo>/data/mnist`.
pub fn default_dir() -> PathBuf {
    crate::cli::repo_root().join("data/mnist")
}

/// Loads both sets from `dir` after checking every file's SHA-256 against [`FILES`].
pub fn load(dir: &Path) -> Result<Mnist> {
    let [train_images, train_labels, test_images, test_labels] =
        FILES.map(|(name, sha256)| read_verified(&dir.join(name), sha256));
    Ok(Mnist {
        train: labelled(&train_images?, &train_labels?, TRAIN_COUNT)?,
        test: labelled(&test_images?, &test_labels?, TEST_COUNT)?,
    })
}

/// Reads `path`, checks its SHA-256 and returns the decompressed bytes.
fn read_verified(path: &Path, sha256: &str) -> Result<Vec<u8>> {
    let restore = "it ships with the book: restore it with `git checkout -- data/mnist`, \
                   or rebuild it with data/mnist/convert.py";
    let gzipped = std::fs::read(path)
        .with_context(|| format!("{} is missing or unreadable: {restore}", path.display()))?;
    let digest = format!("{:x}", Sha256::digest(&gzipped));
    ensure!(
        digest == sha256,
        "{} has SHA-256 {digest}, not {sha256}: the file is damaged or not the shipped one; \
         {restore}",
        path.display()
    );
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(gzipped.as_slice())
        .read_to_end(&mut bytes)
        .with_context(|| format!("{} is not valid gzip", path.display()))?;
    Ok(bytes)
}

/// Pairs an IDX images payload with an IDX labels payload of `count` entries each.
fn labelled(images: &[u8], labels: &[u8], count: usize) -> Result<Labelled> {
    let pixels = idx_payload(images, IMAGES_MAGIC, &[count, SIDE, SIDE]).context("images file")?;
    let labels = idx_payload(labels, LABELS_MAGIC, &[count]).context("labels file")?;
    ensure!(
        labels.iter().all(|&label| (label as usize) < CLASSES),
        "labels file: a label is not a digit 0–9"
    );
    Ok(Labelled {
        images: pixels
            .chunks_exact(PIXELS)
            .map(|image| std::array::from_fn(|i| image[i] as f32 / 255.0))
            .collect(),
        labels: labels.iter().map(|&label| label as usize).collect(),
    })
}

/// Checks an IDX header (magic number, then one big-endian `u32` per dimension) against
/// `dims` and returns the data that follows, which must hold exactly `dims`' product of bytes.
fn idx_payload<'a>(bytes: &'a [u8], magic: u32, dims: &[usize]) -> Result<&'a [u8]> {
    let header_len = 4 * (1 + dims.len());
    ensure!(
        bytes.len() >= header_len,
        "{} bytes is shorter than an IDX header",
        bytes.len()
    );
    let (header, data) = bytes.split_at(header_len);
    let words: Vec<u32> = header
        .chunks_exact(4)
        .map(|word| u32::from_be_bytes([word[0], word[1], word[2], word[3]]))
        .collect();
    let expected: Vec<u32> = std::iter::once(magic)
        .chain(dims.iter().map(|&d| d as u32))
        .collect();
    ensure!(
        words == expected,
        "IDX header {words:?}, expected {expected:?}"
    );
    let len: usize = dims.iter().product();
    ensure!(
        data.len() == len,
        "{} data bytes after the header, expected {len}",
        data.len()
    );
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A copy of the shipped files in a fresh temporary directory, `damage` applied to the
    /// bytes of the file named `victim` (or the file removed, when `damage` returns `None`).
    fn damaged_copy(test: &str, victim: &str, damage: fn(Vec<u8>) -> Option<Vec<u8>>) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mnist-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, _) in FILES {
            let bytes = std::fs::read(default_dir().join(name)).unwrap();
            let bytes = if name == victim {
                damage(bytes)
            } else {
                Some(bytes)
            };
            if let Some(bytes) = bytes {
                std::fs::write(dir.join(name), bytes).unwrap();
            }
        }
        dir
    }

    fn load_error(dir: &Path) -> String {
        let err = load(dir).unwrap_err();
        std::fs::remove_dir_all(dir).unwrap();
        format!("{err:#}")
    }

    #[test]
    fn the_shipped_files_hold_a_stratified_8000_2000_split() {
        let mnist = load(&default_dir()).unwrap();
        assert_eq!(
            (mnist.train.len(), mnist.test.len()),
            (TRAIN_COUNT, TEST_COUNT)
        );
        let train = mnist.train.class_counts();
        let test = mnist.test.class_counts();
        for k in 0..CLASSES {
            let share = test[k] as f32 / (train[k] + test[k]) as f32;
            assert!((share - 0.2).abs() < 0.001, "class {k}: {train:?} {test:?}");
        }
        let pixels = mnist.train.images.iter().flatten();
        assert!(pixels.clone().all(|&p| (0.0..=1.0).contains(&p)));
        assert!(pixels.clone().any(|&p| p == 1.0) && pixels.clone().any(|&p| p == 0.0));
        let first_hundred = mnist.train.prefix(100).class_counts();
        assert!(first_hundred.iter().all(|&n| n > 0), "{first_hundred:?}");
    }

    #[test]
    fn a_corrupted_file_is_rejected_by_its_checksum() {
        let dir = damaged_copy("corrupted", FILES[0].0, |mut bytes| {
            let middle = bytes.len() / 2;
            bytes[middle] ^= 1;
            Some(bytes)
        });
        let message = load_error(&dir);
        assert!(
            message.contains("SHA-256") && message.contains(FILES[0].0),
            "{message}"
        );
        assert!(message.contains("git checkout -- data/mnist"), "{message}");
    }

    #[test]
    fn a_truncated_file_is_rejected_by_its_checksum() {
        let dir = damaged_copy("truncated", FILES[3].0, |mut bytes| {
            bytes.truncate(bytes.len() / 2);
            Some(bytes)
        });
        let message = load_error(&dir);
        assert!(
            message.contains("SHA-256") && message.contains(FILES[3].0),
            "{message}"
        );
    }

    #[test]
    fn a_missing_file_names_its_path_and_the_fix() {
        let dir = damaged_copy("missing", FILES[1].0, |_| None);
        let message = load_error(&dir);
        assert!(
            message.contains(FILES[1].0) && message.contains("git checkout -- data/mnist"),
            "{message}"
        );
    }

    #[test]
    fn a_truncated_payload_is_caught_by_the_parser_too() {
        let header = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28];
        let mut bytes = header.to_vec();
        bytes.extend(std::iter::repeat_n(0, PIXELS + 5));
        let err = idx_payload(&bytes, IMAGES_MAGIC, &[2, SIDE, SIDE]).unwrap_err();
        assert!(format!("{err:#}").contains("expected 1568"), "{err:#}");
        let err = idx_payload(&header[..6], IMAGES_MAGIC, &[2, SIDE, SIDE]).unwrap_err();
        assert!(format!("{err:#}").contains("header"), "{err:#}");
    }
}
