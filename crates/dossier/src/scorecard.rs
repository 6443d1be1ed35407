//! The province scorecard of Decision 766/QĐ-TTg (23 June 2022): the
//! index of service to citizens and businesses, 100 points in six groups —
//! publicity and transparency (18), progress of settlement (20), online
//! public services (12), online payment (10), satisfaction (18) and
//! digitisation of dossiers and results (22). motcua measures three of
//! them from its own dossiers: progress (the share processed by the
//! appointment of form 01), online services (the share filed online) and
//! satisfaction (the applicants' ratings, 1–5); the others are left
//! unscored rather than guessed.

use serde::Serialize;

/// What a period's dossiers give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServiceCounts {
    /// Processed in the period.
    pub processed: i64,
    /// Of those, by their appointment.
    pub on_time: i64,
    /// Rated by their applicant.
    pub rated: i64,
    /// The sum of the ratings.
    pub rating_sum: i64,
    /// Filed in the period.
    pub filed: i64,
    /// Of those, online.
    pub filed_online: i64,
}

/// One group of the index.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// Its key.
    pub key: &'static str,
    /// Its name in Vietnamese.
    pub name_vi: &'static str,
    /// Its name in English.
    pub name_en: &'static str,
    /// The points it weighs.
    pub weight: f64,
    /// The points earned; `None`: not measured here, or nothing to
    /// measure in the period.
    pub score: Option<f64>,
    /// The rate behind the score (0–1).
    pub rate: Option<f64>,
}

/// The scorecard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    /// The six groups.
    pub groups: Vec<Group>,
    /// The points earned in the measured groups.
    pub measured_score: f64,
    /// The points those groups weigh.
    pub measured_weight: f64,
}

fn ratio(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

impl Scorecard {
    /// The scorecard of `c`.
    pub fn of(c: ServiceCounts) -> Scorecard {
        let measured = |key, name_vi, name_en, weight: f64, rate: Option<f64>| Group {
            key,
            name_vi,
            name_en,
            weight,
            score: rate.map(|r| (r.clamp(0.0, 1.0) * weight * 100.0).round() / 100.0),
            rate,
        };
        let unmeasured = |key, name_vi, name_en, weight| Group {
            key,
            name_vi,
            name_en,
            weight,
            score: None,
            rate: None,
        };
        let groups = vec![
            unmeasured(
                "publicity",
                "Công khai, minh bạch",
                "Publicity and transparency",
                18.0,
            ),
            measured(
                "progress",
                "Tiến độ giải quyết",
                "Progress of settlement",
                20.0,
                ratio(c.on_time, c.processed),
            ),
            measured(
                "online_services",
                "Dịch vụ công trực tuyến",
                "Online public services",
                12.0,
                ratio(c.filed_online, c.filed),
            ),
            unmeasured(
                "online_payment",
                "Thanh toán trực tuyến",
                "Online payment",
                10.0,
            ),
            measured(
                "satisfaction",
                "Mức độ hài lòng",
                "Satisfaction",
                18.0,
                ratio(c.rating_sum, c.rated * 5),
            ),
            unmeasured(
                "digitisation",
                "Số hóa hồ sơ",
                "Digitisation of dossiers and results",
                22.0,
            ),
        ];
        let measured_score = groups.iter().filter_map(|g| g.score).sum();
        let measured_weight = groups
            .iter()
            .filter(|g| g.score.is_some())
            .map(|g| g.weight)
            .sum();
        Scorecard {
            groups,
            measured_score,
            measured_weight,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_groups_weigh_100_and_only_measured_ones_score() {
        let s = Scorecard::of(ServiceCounts::default());
        assert_eq!(s.groups.iter().map(|g| g.weight).sum::<f64>(), 100.0);
        assert!(
            s.groups.iter().all(|g| g.score.is_none()),
            "nothing to measure"
        );
        assert_eq!((s.measured_score, s.measured_weight), (0.0, 0.0));
        let s = Scorecard::of(ServiceCounts {
            processed: 10,
            on_time: 9,
            rated: 4,
            rating_sum: 18,
            filed: 20,
            filed_online: 15,
        });
        let score = |k: &str| s.groups.iter().find(|g| g.key == k).and_then(|g| g.score);
        assert_eq!(score("progress"), Some(18.0));
        assert_eq!(score("online_services"), Some(9.0));
        assert_eq!(score("satisfaction"), Some(16.2));
        assert_eq!(score("publicity"), None);
        assert_eq!(s.measured_weight, 50.0);
        assert!((s.measured_score - 43.2).abs() < 1e-9);
    }
}
