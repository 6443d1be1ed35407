//! The embedded data set: parsed once from the CSV files compiled into the
//! binary (see `data/NOTICE.md` for their sources).

use serde::{Deserialize, Serialize};

use crate::UnitsError;

pub(crate) const PROVINCES_2025: &str = include_str!("../data/provinces-2025.csv");
pub(crate) const COMMUNES_2025: &str = include_str!("../data/communes-2025.csv");
pub(crate) const PROVINCES_LEGACY: &str = include_str!("../data/provinces-legacy.csv");
pub(crate) const DISTRICTS_LEGACY: &str = include_str!("../data/districts-legacy.csv");
pub(crate) const COMMUNES_LEGACY: &str = include_str!("../data/communes-legacy.csv");
pub(crate) const CONVERSION_2025: &str = include_str!("../data/commune-conversion-2025.csv");

/// A province or centrally-run city in force from 2025-07-01.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Province {
    pub code: String,
    pub name: String,
    pub short_name: String,
    /// `tỉnh` or `thành phố trung ương`
    #[serde(rename = "type")]
    pub kind: String,
    pub phone_code: String,
    pub lat: f64,
    pub lon: f64,
}

/// A commune, ward or special zone in force from 2025-07-01.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Commune {
    pub code: String,
    pub name: String,
    pub short_name: String,
    /// `Xã`, `Phường` or `Đặc khu`
    #[serde(rename = "type")]
    pub kind: String,
    pub province_code: String,
    pub lat: f64,
    pub lon: f64,
    /// Approximate; unknown for a few communes.
    pub area_km2: Option<f64>,
}

/// A province before the 2025 merger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegacyProvince {
    pub code: String,
    pub name: String,
    pub short_name: String,
    pub lat: f64,
    pub lon: f64,
}

/// A district before districts were abolished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegacyDistrict {
    pub code: String,
    pub name: String,
    pub short_name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub province_code: String,
    pub lat: f64,
    pub lon: f64,
}

/// A commune before the 2025 merger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegacyCommune {
    pub code: String,
    pub name: String,
    pub short_name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub district_code: String,
    pub province_code: String,
    pub lat: f64,
    pub lon: f64,
}

/// One row of the official conversion table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversionRow {
    pub old_commune_code: String,
    pub old_district_code: String,
    pub old_province_code: String,
    /// The old commune was split: its area went to several new communes.
    #[serde(deserialize_with = "flag")]
    pub partly_merged: bool,
    pub new_commune_code: String,
    pub new_province_code: String,
}

fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let s = String::deserialize(d)?;
    match s.as_str() {
        "0" => Ok(false),
        "1" => Ok(true),
        other => Err(serde::de::Error::custom(format!(
            "expected 0 or 1, got {other:?}"
        ))),
    }
}

pub(crate) fn parse<T: for<'de> Deserialize<'de>>(
    file: &'static str,
    text: &str,
) -> Result<Vec<T>, UnitsError> {
    let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    rdr.deserialize()
        .enumerate()
        .map(|(i, r)| {
            r.map_err(|e| UnitsError::Data {
                file,
                line: i + 2,
                reason: e.to_string(),
            })
        })
        .collect()
}

/// A short digest of the embedded data set, so that a store can tell which
/// version of the code lists it holds.
pub fn dataset_version() -> String {
    // FNV-1a over every file, in a fixed order: stable across builds and
    // platforms, and cheap enough to compute at start-up.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for text in [
        PROVINCES_2025,
        COMMUNES_2025,
        PROVINCES_LEGACY,
        DISTRICTS_LEGACY,
        COMMUNES_LEGACY,
        CONVERSION_2025,
    ] {
        for b in text.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("2025.07-{h:016x}")
}
