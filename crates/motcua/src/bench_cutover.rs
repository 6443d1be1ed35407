//! `motcua bench cutover-export --source 02 --dossiers N`: a closed
//! provincial portal's export of in-flight dossiers, as `motcua cutover
//! import` reads it (JSON lines), generated from the old province's real
//! communes and districts, for the cut-over's tests and benchmark.
//!
//! The dossiers were filed between 1 May and 27 June 2025 (the day the
//! provincial portals closed) at the province's communes, for the
//! catalog's procedures (by our code, by the national database's code, or
//! by name alone, as systems differ), at every status of the lifecycle,
//! with their processing steps; some wait on the applicant, some are past
//! their appointment. Some were filed in a commune later split between
//! new communes, and a few name a procedure this portal does not offer, a
//! commune that never was, or a time that cannot be read: each of those
//! goes to the review list. Every 50th dossier's code follows a scheme
//! shared by the provinces' portals (`DVC-YYMMDD-NNNNN`), so that two
//! merged provinces' exports hold the same old codes.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono::{Duration, NaiveDate, TimeZone};
use serde_json::{Value, json};

#[derive(clap::Args)]
pub struct ExportArgs {
    /// The old province (two digits: 02 Hà Giang, 08 Tuyên Quang …).
    #[arg(long)]
    source: String,
    /// How many dossiers.
    #[arg(long, default_value_t = 50_000)]
    dossiers: u64,
    /// Seed.
    #[arg(long, default_value_t = 2025)]
    seed: u64,
    /// Write here instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// splitmix64: enough for generated data, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// The procedures, how the export names each (code, name), and their
/// legal days.
const PROCEDURES: [(&str, &str, i64); 8] = [
    ("khai-sinh", "Đăng ký khai sinh", 1),
    ("dang-ky-thuong-tru", "Đăng ký thường trú", 7),
    ("1.001022", "Đăng ký nhận cha, mẹ, con", 3),
    ("", "CHỨNG THỰC BẢN SAO TỪ BẢN CHÍNH GIẤY TỜ, VĂN BẢN", 1),
    (
        "xac-nhan-tinh-trang-hon-nhan",
        "Cấp Giấy xác nhận tình trạng hôn nhân",
        3,
    ),
    (
        "giay-phep-xay-dung-nha-o-rieng-le",
        "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ",
        15,
    ),
    ("phieu-ly-lich-tu-phap", "Cấp Phiếu lý lịch tư pháp", 10),
    (
        "cap-doi-cap-lai-the-can-cuoc",
        "Cấp đổi, cấp lại thẻ căn cước",
        7,
    ),
];

fn stamp(t: chrono::DateTime<chrono::FixedOffset>) -> String {
    t.format("%Y%m%d%H%M%S").to_string()
}

pub fn export(args: ExportArgs) -> anyhow::Result<()> {
    let units = units::Units::get();
    let source = args.source.trim();
    if units.legacy_province(source).is_none() {
        bail!("--source: {source:?} is not a province before 1 July 2025");
    }
    let communes: Vec<&units::LegacyCommune> = units
        .legacy_communes()
        .iter()
        .filter(|c| c.province_code == source)
        .collect();
    if communes.is_empty() {
        bail!("--source: province {source} has no communes in the data");
    }
    let out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(
            std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        ),
        None => Box::new(io::stdout().lock()),
    };
    let mut out = BufWriter::new(out);
    let mut rng = Rng(args.seed ^ u64::from(source.parse::<u8>().unwrap_or(0)) << 32);
    let first = NaiveDate::from_ymd_opt(2025, 5, 1).context("a day")?;
    let closed = calendar::VIETNAM
        .with_ymd_and_hms(2025, 6, 27, 18, 0, 0)
        .single()
        .context("the cut-over")?;
    let mut per_day: std::collections::HashMap<(String, NaiveDate), u32> = Default::default();
    for n in 0..args.dossiers {
        let commune = *rng.pick(&communes);
        let day = first + Duration::days(rng.below(58) as i64);
        let received = calendar::VIETNAM
            .from_local_datetime(
                &day.and_hms_opt(7 + rng.below(9) as u32, rng.below(60) as u32, 0)
                    .context("a time")?,
            )
            .single()
            .context("a time")?;
        if received >= closed {
            continue;
        }
        let (code, name, days) = *rng.pick(&PROCEDURES);
        let scheme_shared = n % 50 == 7;
        let prefix = if scheme_shared {
            "DVC".to_string()
        } else {
            format!("000.00.{}.H{source}", commune.district_code)
        };
        let seq = per_day.entry((prefix.clone(), day)).or_insert(0);
        *seq += 1;
        let old_code = format!("{prefix}-{}-{:05}", day.format("%y%m%d"), seq);
        let online = rng.below(3) == 0;
        let due = received + Duration::days(days * 7 / 5 + 1);
        // where the dossier had come to when the portal closed
        let status = match rng.below(100) {
            0..=4 if online => 1,
            0..=14 => 2,
            15..=54 => 4,
            55..=66 => 5,
            67..=69 => 6,
            70..=89 => 9,
            90..=95 => 10,
            96..=97 => 8,
            // only a dossier filed online is refused at intake: a counter
            // turns it away before registering it
            _ if online => 3,
            _ => 4,
        };
        let mut steps = Vec::new();
        let mut t = received;
        let step = |t: chrono::DateTime<chrono::FixedOffset>, status: u8, what: &str| -> Value {
            json!({
                "MaHoSo": old_code,
                "NguoiXuLy": "Nguyễn Thị Hoa",
                "ChucDanh": "Công chức",
                "ThoiDiemXuLy": stamp(t),
                "PhongBanXuLy": "Bộ phận một cửa",
                "NoiDungXuLy": what,
                "TrangThai": status.to_string(),
                "NgayBatDau": stamp(t),
                "NgayKetThucTheoQuyDinh": stamp(due),
            })
        };
        let mut next = |t: &mut chrono::DateTime<chrono::FixedOffset>| {
            *t += Duration::hours(1 + rng.below(30) as i64);
            if *t >= closed {
                *t = closed - Duration::minutes(1);
            }
            *t
        };
        if online && status != 1 && status != 3 {
            steps.push(step(next(&mut t), 2, "Tiếp nhận hồ sơ"));
        }
        match status {
            3 => steps.push(step(next(&mut t), 3, "Hồ sơ không đủ điều kiện tiếp nhận")),
            4 | 5 | 6 | 8 | 9 | 10 => steps.push(step(next(&mut t), 4, "Chuyển xử lý")),
            _ => {}
        }
        match status {
            5 => steps.push(step(next(&mut t), 5, "Yêu cầu bổ sung bản sao giấy tờ")),
            6 => steps.push(step(next(&mut t), 6, "Yêu cầu nộp lệ phí")),
            8 => steps.push(step(next(&mut t), 8, "Dừng xử lý theo đề nghị")),
            9 | 10 => steps.push(step(next(&mut t), 9, "Hoàn thành xử lý")),
            _ => {}
        }
        let processed = (status >= 9).then_some(t);
        if status == 10 {
            steps.push(step(next(&mut t), 10, "Trả kết quả"));
        }
        let returned = (status == 10).then_some(t);
        // a personal number as issued: born 1950–2007, the century and sex
        // in its fourth digit
        let born = 1950 + rng.below(58);
        let century_sex = if born >= 2000 { 2 } else { 0 } + rng.below(2);
        let pin = format!(
            "0{source}{century_sex}{:02}{:06}",
            born % 100,
            rng.below(1_000_000)
        );
        let mut place = json!({
            "MaTinh": source,
            "MaHuyen": commune.district_code,
            "MaXa": commune.code,
        });
        let mut tthc = json!(code);
        // the few a person must look at
        let mut received_text = stamp(received);
        match n % 1000 {
            13 => tthc = json!("9.999999"),
            14 => place["MaXa"] = json!("99999"),
            15 => received_text = "27/06/2025".into(),
            _ => {}
        }
        let line = json!({
            "HoSo": {
                "MaHoSo": old_code,
                "MaTTHC": tthc,
                "TenTTHC": if n % 1000 == 13 { "Cấp phép khai thác khoáng sản" } else { name },
                "ChuHoSo": format!("Người nộp {n}"),
                "LoaiDoiTuong": "1",
                "MaDoiTuong": pin,
                "DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": pin}],
                "TrichYeuHoSo": name,
                "NgayNopHoSo": received_text,
                "NgayTiepNhan": if status == 1 { Value::Null } else { json!(received_text) },
                "NgayHenTra": if status == 1 { Value::Null } else { json!(stamp(due)) },
                "TrangThaiHoSo": status.to_string(),
                "KenhThucHien": if online { "2" } else { "1" },
                "NgayKetThucXuLy": processed.map(stamp),
                "NgayTra": returned.map(stamp),
                "DonViXuLy": format!("000.00.{}.H{source}", commune.district_code),
                "TaiLieuNop": [{
                    "TepDinhKemId": format!("{n}"),
                    "TenTepDinhKem": "to-khai.pdf",
                    "MaThanhPhanHoSo": "TK01",
                    "DuongDanTaiTepTin": format!("https://dichvucong.tinh{source}.gov.vn/tep/{n}"),
                }],
            },
            "TienDo": steps,
            "DiaBan": place,
        });
        serde_json::to_writer(&mut out, &line)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
