//! The packets' times: `yyyyMMddHHmmss` in Vietnam's civil time (UTC+7),
//! an empty string where there is none.

use calendar::VIETNAM;
use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};

/// `at` as the packets write it.
pub fn format(at: &DateTime<FixedOffset>) -> String {
    at.with_timezone(&VIETNAM)
        .format("%Y%m%d%H%M%S")
        .to_string()
}

/// A packet's time, read in Vietnam's civil time.
pub fn parse(text: &str) -> Result<DateTime<FixedOffset>, String> {
    let text = text.trim();
    if text.len() != 14 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{text:?} is not a time written yyyyMMddHHmmss"));
    }
    let naive = NaiveDateTime::parse_from_str(text, "%Y%m%d%H%M%S")
        .map_err(|_| format!("{text:?} is not a time that exists"))?;
    VIETNAM
        .from_local_datetime(&naive)
        .single()
        .ok_or_else(|| format!("{text:?} is not a time that exists"))
}

/// Serde for an optional time: `""` or absent is none.
pub mod optional {
    use chrono::{DateTime, FixedOffset};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        at: &Option<DateTime<FixedOffset>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => s.serialize_str(&super::format(at)),
            None => s.serialize_str(""),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        match text.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(t) => super::parse(t).map(Some).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_and_read_in_vietnam() {
        let utc = chrono::Utc
            .with_ymd_and_hms(2026, 12, 31, 17, 30, 5)
            .single()
            .expect("a time")
            .fixed_offset();
        // 17:30 UTC on New Year's Eve is 00:30 on New Year's Day in Hà Nội
        assert_eq!(format(&utc), "20270101003005");
        let back = parse("20270101003005").expect("read");
        assert_eq!(back, utc);
        assert_eq!(back.offset(), &VIETNAM);
    }

    #[test]
    fn what_is_not_such_a_time_is_refused_saying_so() {
        for bad in [
            "",
            "2026-12-07",
            "2026120710000",
            "202612071000000",
            "20261307100000",
            "20260230100000",
            "2026120725a000",
        ] {
            let e = parse(bad).expect_err(bad);
            assert!(e.contains("time"), "{bad}: {e}");
        }
        assert!(
            parse(" 20261207100000 ").is_ok(),
            "spaces around are forgiven"
        );
    }
}
