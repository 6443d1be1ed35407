//! A dossier as the profile's packets, and a packet read back into what it
//! says of a dossier.

use chrono::{DateTime, FixedOffset};
use dossier::{Act, Channel, Dossier, Procedure, Role, Status};

use crate::packet::{
    CapNhatTienDoHoSoMC, DinhDanh, DongBoHoSoMC, GiayToKetQua, HoSoBoSung, LePhi, TaiLieuNop,
};

/// The profile's limit on `TrichYeuHoSo`, in characters.
pub const SUMMARY_LIMIT: usize = 1000;
/// The profile's limit on `NguoiXuLy`, in characters.
pub const HANDLER_LIMIT: usize = 50;

/// A file submitted with a dossier, by reference (the receiver fetches it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedFile {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Which of the procedure's documents it is.
    pub document: String,
    /// Where to fetch it.
    pub url: String,
}

/// A result document, by reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultDocument {
    /// Its id.
    pub id: String,
    /// What it is.
    pub name: String,
    /// Where it is (its verification page, or the file).
    pub url: String,
}

/// `d` (of procedure `p`) as a `DongBoHoSoMC`, with its files and results
/// by reference. Its status is its own: never rewritten.
pub fn dossier_packet(
    d: &Dossier,
    p: &Procedure,
    files: &[SubmittedFile],
    results: &[ResultDocument],
) -> DongBoHoSoMC {
    let reached = |status: Status| {
        d.control
            .iter()
            .rev()
            .find(|c| c.to == status)
            .map(|c| c.at)
    };
    let person = d.applicant.person_id.clone();
    DongBoHoSoMC {
        ma_ho_so: d.code.to_string(),
        ma_tthc: p.national_code.clone().unwrap_or_else(|| p.code.clone()),
        ten_tthc: p.name_vi.clone(),
        ten_linh_vuc: p.field_vi.clone(),
        chu_ho_so: d.applicant.name.clone(),
        loai_doi_tuong: Some(if person.is_some() { "1" } else { "4" }.to_string()),
        ma_doi_tuong: person.clone().unwrap_or_default(),
        email: d.applicant.email.clone().unwrap_or_default(),
        trich_yeu_ho_so: cut(
            &format!("{} — {}", p.name_vi, d.applicant.name),
            SUMMARY_LIMIT,
        ),
        ngay_tiep_nhan: d.timeline.received_at(),
        ngay_hen_tra: d.due,
        trang_thai_ho_so: Some(d.status().code().to_string()),
        ngay_tra: reached(Status::ResultReturned),
        ngay_ket_thuc_xu_ly: reached(Status::Processed),
        don_vi_xu_ly: d.route.competent.to_string(),
        ghi_chu: d
            .refusal
            .as_ref()
            .map(|r| r.reason.clone())
            .unwrap_or_default(),
        tai_lieu_nop: files
            .iter()
            .map(|f| TaiLieuNop {
                tep_dinh_kem_id: f.id.clone(),
                ten_tep_dinh_kem: f.name.clone(),
                ma_thanh_phan_ho_so: f.document.clone(),
                duong_dan_tai_tep_tin: f.url.clone(),
                ..TaiLieuNop::default()
            })
            .collect(),
        danh_sach_le_phi: d
            .fees_vnd
            .map(|amount| LePhi {
                ten_phi_le_phi: p
                    .fees
                    .first()
                    .map(|f| f.name_vi.clone())
                    .unwrap_or_else(|| "Phí, lệ phí".to_string()),
                gia: Some(amount),
                ..LePhi::default()
            })
            .into_iter()
            .collect(),
        danh_sach_ho_so_bo_sung: d
            .supplement
            .iter()
            .map(|s| HoSoBoSung {
                nguoi_yeu_cau_bo_sung: s.by.clone(),
                noi_dung_bo_sung: s.items.join("; "),
                ngay_bo_sung: Some(s.at),
                ..HoSoBoSung::default()
            })
            .collect(),
        danh_sach_giay_to_ket_qua: results
            .iter()
            .map(|r| GiayToKetQua {
                ten_giay_to: r.name.clone(),
                giay_to_id: r.id.clone(),
                duong_dan_tep_tin_ket_qua: r.url.clone(),
                ..GiayToKetQua::default()
            })
            .collect(),
        kenh_thuc_hien: Some(d.channel.code().to_string()),
        ngay_nop_ho_so: Some(d.submitted_at),
        ngay_tu_choi: d.refusal.as_ref().map(|r| r.at),
        dinh_danh_chs: person
            .filter(|pid| pid.len() == 12)
            .map(|pid| DinhDanh {
                loai_dinh_danh: Some("1".into()),
                so_dinh_danh: pid,
            })
            .into_iter()
            .collect(),
        // filing online takes a log-in with the national eID
        tai_khoan_duoc_xac_thuc_voi_vneid: (d.channel == Channel::Online).then_some(true),
        ..DongBoHoSoMC::default()
    }
}

/// Every step of `d` (form 05) as a `CapNhatTienDoHoSoMC`, each with its
/// number (1 first): with the dossier's code, the key that makes a step
/// sent twice the same step.
pub fn progress_packets(d: &Dossier) -> Vec<(u64, CapNhatTienDoHoSoMC)> {
    d.control
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let department = c
                .agency
                .as_ref()
                .map(|a| dossier::agency_name(a).map_or_else(|| a.to_string(), |n| n.vi))
                .unwrap_or_default();
            let what = match &c.comment {
                Some(comment) if !comment.trim().is_empty() => {
                    format!("{}: {}", Act::name_vi(&c.act), comment.trim())
                }
                _ => Act::name_vi(&c.act).to_string(),
            };
            (
                i as u64 + 1,
                CapNhatTienDoHoSoMC {
                    ma_ho_so: d.code.to_string(),
                    nguoi_xu_ly: cut(&c.name, HANDLER_LIMIT),
                    chuc_danh: match c.role {
                        Role::Applicant => "Người nộp hồ sơ",
                        Role::Officer => "Công chức",
                        Role::Leader => "Lãnh đạo",
                    }
                    .to_string(),
                    thoi_diem_xu_ly: Some(c.at),
                    phong_ban_xu_ly: department,
                    noi_dung_xu_ly: what,
                    trang_thai: Some(c.to.code().to_string()),
                    ngay_bat_dau: Some(c.at),
                    ngay_ket_thuc_theo_quy_dinh: d.due,
                    ..CapNhatTienDoHoSoMC::default()
                },
            )
        })
        .collect()
}

/// The first `limit` characters of `text`.
fn cut(text: &str, limit: usize) -> String {
    text.chars().take(limit).collect()
}

/// What is wrong with a field of a packet, for the sender's operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The field, as the profile names it.
    pub field: &'static str,
    /// What is wrong and what would be right.
    pub reason: String,
}

/// What a `DongBoHoSoMC` says of a dossier, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Reported {
    /// Its code.
    pub code: String,
    /// The procedure's code in the national database.
    pub procedure: String,
    /// Its status.
    pub status: Status,
    /// How it was filed, if said.
    pub channel: Option<Channel>,
    /// Who applied: 1 citizen, 2 enterprise, 3 state agency, 4
    /// organisation, if said.
    pub applicant_kind: Option<u8>,
    /// The applicant's name.
    pub applicant: String,
    /// When it was filed.
    pub filed_at: Option<DateTime<FixedOffset>>,
    /// When it was received.
    pub received_at: Option<DateTime<FixedOffset>>,
    /// The appointment for the result.
    pub due: Option<DateTime<FixedOffset>>,
    /// When processing ended.
    pub processed_at: Option<DateTime<FixedOffset>>,
    /// When the result was returned.
    pub returned_at: Option<DateTime<FixedOffset>>,
    /// When it was refused.
    pub refused_at: Option<DateTime<FixedOffset>>,
    /// The handling unit's code.
    pub handling_unit: String,
}

/// What `p` says of a dossier; otherwise every problem of it, each naming
/// its field.
pub fn read_packet(p: &DongBoHoSoMC) -> Result<Reported, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut problem =
        |field: &'static str, reason: String| problems.push(Problem { field, reason });
    if p.ma_ho_so.trim().is_empty() {
        problem("MaHoSo", "the dossier's code is missing".into());
    }
    // a code read by `find`, or the problem saying what it may be
    let mut coded =
        |field: &'static str, code: Option<&str>, what: &str, find: &dyn Fn(u8) -> Option<u8>| {
            let code = code?;
            let found = code.parse().ok().and_then(find);
            match found {
                None if code.is_empty() => problem(field, format!("it is missing: {what}")),
                None => problem(field, format!("{code:?} is not {what}")),
                Some(_) => {}
            }
            found
        };
    let status = coded(
        "TrangThaiHoSo",
        Some(p.trang_thai_ho_so.as_deref().unwrap_or("")),
        "a status: a code from 1 to 10",
        &|n| Status::from_code(n).map(Status::code),
    )
    .and_then(Status::from_code);
    let channel = coded(
        "KenhThucHien",
        p.kenh_thuc_hien.as_deref(),
        "a channel: 1 in person, 2 online, 3 postal",
        &|n| (1..=3).contains(&n).then_some(n),
    )
    .and_then(|n| {
        [Channel::InPerson, Channel::Online, Channel::Postal]
            .into_iter()
            .find(|c| c.code() == n)
    });
    let applicant_kind = coded(
        "LoaiDoiTuong",
        p.loai_doi_tuong.as_deref(),
        "a kind of applicant: 1 citizen, 2 enterprise, 3 state agency, 4 organisation",
        &|n| (1..=4).contains(&n).then_some(n),
    );
    let length = p.trich_yeu_ho_so.chars().count();
    if length > SUMMARY_LIMIT {
        problem(
            "TrichYeuHoSo",
            format!("the summary has {length} characters: at most {SUMMARY_LIMIT}"),
        );
    }
    for (i, id) in p.dinh_danh_chs.iter().enumerate() {
        let digits = match id.loai_dinh_danh.as_deref() {
            Some("1") => 12,
            Some("2") => 9,
            other => {
                problem(
                    "DinhDanhCHS",
                    format!(
                        "identifier {}: {other:?} is not a kind: 1 the 12-digit personal number, 2 a 9-digit identity card",
                        i + 1
                    ),
                );
                continue;
            }
        };
        if id.so_dinh_danh.len() != digits || !id.so_dinh_danh.bytes().all(|b| b.is_ascii_digit()) {
            problem(
                "DinhDanhCHS",
                format!(
                    "identifier {}: {:?} is not {digits} digits",
                    i + 1,
                    id.so_dinh_danh
                ),
            );
        }
    }
    if let Some(status) = status {
        let received = !matches!(
            status,
            Status::NewlyRegistered | Status::NotReceived | Status::Withdrawn
        );
        if received && p.ngay_tiep_nhan.is_none() {
            problem(
                "NgayTiepNhan",
                format!(
                    "a dossier with status {} ({}) was received: when is missing",
                    status.code(),
                    status.name_en()
                ),
            );
        }
        if status == Status::ResultReturned && p.ngay_tra.is_none() {
            problem(
                "NgayTra",
                "a dossier with status 10 (result returned) was returned: when is missing".into(),
            );
        }
    }
    if let (Some(received), Some(due)) = (p.ngay_tiep_nhan, p.ngay_hen_tra)
        && due < received
    {
        problem(
            "NgayHenTra",
            format!(
                "the appointment ({}) is before the dossier was received ({})",
                crate::stamp::format(&due),
                crate::stamp::format(&received)
            ),
        );
    }
    match status {
        Some(status) if problems.is_empty() => Ok(Reported {
            code: p.ma_ho_so.trim().to_string(),
            procedure: p.ma_tthc.clone(),
            status,
            channel,
            applicant_kind,
            applicant: p.chu_ho_so.clone(),
            filed_at: p.ngay_nop_ho_so,
            received_at: p.ngay_tiep_nhan,
            due: p.ngay_hen_tra,
            processed_at: p.ngay_ket_thuc_xu_ly,
            returned_at: p.ngay_tra,
            refused_at: p.ngay_tu_choi,
            handling_unit: p.don_vi_xu_ly.clone(),
        }),
        _ => Err(problems),
    }
}

/// What a `CapNhatTienDoHoSoMC` says of a dossier's processing, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportedStep {
    /// The dossier's code.
    pub code: String,
    /// The status after the step.
    pub status: Status,
    /// When it was done.
    pub at: DateTime<FixedOffset>,
    /// Who did it.
    pub handler: String,
    /// What was done.
    pub content: String,
}

/// What `s` says of a dossier's processing; otherwise every problem of it,
/// each naming its field.
pub fn read_step(s: &CapNhatTienDoHoSoMC) -> Result<ReportedStep, Vec<Problem>> {
    let mut problems = Vec::new();
    if s.ma_ho_so.trim().is_empty() {
        problems.push(Problem {
            field: "MaHoSo",
            reason: "the dossier's code is missing".into(),
        });
    }
    let status = s
        .trang_thai
        .as_deref()
        .and_then(|c| c.parse().ok())
        .and_then(Status::from_code);
    if status.is_none() {
        problems.push(Problem {
            field: "TrangThai",
            reason: format!(
                "{:?} is not a status: a code from 1 to 10",
                s.trang_thai.as_deref().unwrap_or("")
            ),
        });
    }
    if s.thoi_diem_xu_ly.is_none() {
        problems.push(Problem {
            field: "ThoiDiemXuLy",
            reason: "when the step was done is missing (yyyyMMddHHmmss)".into(),
        });
    }
    let length = s.nguoi_xu_ly.chars().count();
    if length > HANDLER_LIMIT {
        problems.push(Problem {
            field: "NguoiXuLy",
            reason: format!("the handler's name has {length} characters: at most {HANDLER_LIMIT}"),
        });
    }
    match (status, s.thoi_diem_xu_ly) {
        (Some(status), Some(at)) if problems.is_empty() => Ok(ReportedStep {
            code: s.ma_ho_so.trim().to_string(),
            status,
            at,
            handler: s.nguoi_xu_ly.clone(),
            content: s.noi_dung_xu_ly.clone(),
        }),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calendar::WorkingCalendar;
    use chrono::Duration;
    use dossier::{Actor, Applicant, Catalog, DossierCode, Filing};

    fn when(minutes: i64) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-12-07T08:00:00+07:00").expect("a time")
            + Duration::minutes(minutes)
    }

    /// A birth registration filed online, received, taken, processed and
    /// asked for a supplement.
    fn supplement_asked() -> (Dossier, &'static Procedure) {
        let catalog = Catalog::official().expect("the catalog");
        let p = catalog.get("khai-sinh").expect("birth registration");
        let calendar = WorkingCalendar::official().expect("the calendar");
        let route = dossier::route(p, "00097", Channel::Online, None).expect("routed");
        let code =
            DossierCode::new(route.receiving.clone(), when(0).date_naive(), 1).expect("a code");
        let applicant = Actor {
            subject: "s-1".into(),
            name: "Nguyễn Văn An".into(),
            role: Role::Applicant,
            agency: None,
            person_id: Some("001090000001".into()),
        };
        let officer = Actor {
            subject: "o-1".into(),
            name: "Tôn Nữ Thị Huyền Trang Công Chức Tư Pháp Hộ Tịch Xã Ba Đình Thành Phố Hà Nội"
                .into(),
            role: Role::Officer,
            agency: Some(route.competent.clone()),
            person_id: None,
        };
        let filing = Filing {
            procedure: p.code.clone(),
            channel: Channel::Online,
            applicant: Applicant {
                subject: "s-1".into(),
                name: "Nguyễn Văn An".into(),
                person_id: Some("001090000001".into()),
                email: Some("an@example.vn".into()),
            },
            route,
            place: "00097".into(),
            form: serde_json::Map::new(),
            prefilled: vec![],
            at: when(0),
            by: applicant,
        };
        let mut d = Dossier::file(code, filing, p, &calendar).expect("filed");
        for (i, (act, comment)) in [
            (Act::Receive, Some("Hồ sơ đủ")),
            (Act::Claim, None),
            (Act::StartProcessing, None),
            (
                Act::RequestSupplement {
                    items: vec![
                        "Giấy chứng sinh bản chính".into(),
                        "Tờ khai có chữ ký".into(),
                    ],
                },
                None,
            ),
        ]
        .into_iter()
        .enumerate()
        {
            d.act(
                &officer,
                act,
                comment,
                when(10 * (i as i64 + 1)),
                p,
                &calendar,
            )
            .expect("lawful");
        }
        (d, p)
    }

    #[test]
    fn a_dossier_is_its_packet_with_its_own_status() {
        let (d, p) = supplement_asked();
        let files = [SubmittedFile {
            id: "f-1".into(),
            name: "to-khai.pdf".into(),
            document: "to-khai".into(),
            url: "https://motcua.example.vn/tep/f-1".into(),
        }];
        let packet = dossier_packet(&d, p, &files, &[]);
        assert_eq!(packet.ma_ho_so, d.code.to_string());
        assert_eq!(packet.trang_thai_ho_so.as_deref(), Some("5"), "5 stays 5");
        assert_eq!(packet.kenh_thuc_hien.as_deref(), Some("2"));
        assert_eq!(packet.loai_doi_tuong.as_deref(), Some("1"));
        assert_eq!(packet.ma_doi_tuong, "001090000001");
        assert_eq!(packet.dinh_danh_chs[0].so_dinh_danh, "001090000001");
        assert_eq!(packet.tai_khoan_duoc_xac_thuc_voi_vneid, Some(true));
        assert_eq!(packet.ngay_nop_ho_so, Some(when(0)));
        assert_eq!(packet.ngay_tiep_nhan, Some(when(10)));
        assert_eq!(packet.ngay_hen_tra, d.due);
        assert_eq!(packet.ngay_tra, None);
        assert_eq!(packet.don_vi_xu_ly, d.route.competent.to_string());
        assert_eq!(
            packet.danh_sach_ho_so_bo_sung[0].noi_dung_bo_sung,
            "Giấy chứng sinh bản chính; Tờ khai có chữ ký"
        );
        assert_eq!(packet.tai_lieu_nop[0].duong_dan_tai_tep_tin, files[0].url);
        assert!(packet.trich_yeu_ho_so.starts_with(&p.name_vi));
        // read back, it says the same
        let json = serde_json::to_value(&packet).expect("written");
        assert_eq!(json["NgayTiepNhan"], "20261207081000");
        let read: DongBoHoSoMC = serde_json::from_value(json).expect("read");
        let reported = read_packet(&read).expect("a valid packet");
        assert_eq!(reported.code, d.code.to_string());
        assert_eq!(reported.status, Status::SupplementRequested);
        assert_eq!(reported.channel, Some(Channel::Online));
        assert_eq!(reported.received_at, Some(when(10)));
        assert_eq!(reported.due, d.due);
    }

    #[test]
    fn every_step_is_a_numbered_progress_packet() {
        let (d, _) = supplement_asked();
        let steps = progress_packets(&d);
        let statuses: Vec<_> = steps
            .iter()
            .map(|(n, s)| (*n, s.trang_thai.clone().unwrap_or_default()))
            .collect();
        assert_eq!(
            statuses,
            [(1, "1"), (2, "2"), (3, "2"), (4, "4"), (5, "5")].map(|(n, s)| (n, s.to_string()))
        );
        let (_, received) = &steps[1];
        assert_eq!(received.noi_dung_xu_ly, "Tiếp nhận: Hồ sơ đủ");
        assert_eq!(received.thoi_diem_xu_ly, Some(when(10)));
        assert_eq!(received.chuc_danh, "Công chức");
        assert_eq!(
            received.nguoi_xu_ly.chars().count(),
            HANDLER_LIMIT,
            "cut to the limit"
        );
        assert!(
            !received.phong_ban_xu_ly.is_empty() && !received.phong_ban_xu_ly.contains("UBND.")
        );
        assert!(steps.iter().all(|(_, s)| s.ma_ho_so == d.code.to_string()));
    }

    #[test]
    fn a_step_is_read_back_and_a_bad_one_names_every_field() {
        let (d, _) = supplement_asked();
        for (_, step) in progress_packets(&d) {
            let read = read_step(&step).expect("a valid step");
            assert_eq!(read.code, d.code.to_string());
            assert_eq!(Some(read.at), step.thoi_diem_xu_ly);
        }
        let bad = CapNhatTienDoHoSoMC {
            nguoi_xu_ly: "x".repeat(HANDLER_LIMIT + 1),
            trang_thai: Some("0".into()),
            ..CapNhatTienDoHoSoMC::default()
        };
        let fields: Vec<_> = read_step(&bad)
            .expect_err("refused")
            .iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(fields, ["MaHoSo", "TrangThai", "ThoiDiemXuLy", "NguoiXuLy"]);
    }

    #[test]
    fn every_problem_of_a_packet_is_named_at_once() {
        let bad = DongBoHoSoMC {
            ma_ho_so: " ".into(),
            trang_thai_ho_so: Some("11".into()),
            kenh_thuc_hien: Some("4".into()),
            loai_doi_tuong: Some("9".into()),
            trich_yeu_ho_so: "x".repeat(SUMMARY_LIMIT + 1),
            dinh_danh_chs: vec![
                crate::packet::DinhDanh {
                    loai_dinh_danh: Some("1".into()),
                    so_dinh_danh: "12345".into(),
                },
                crate::packet::DinhDanh {
                    loai_dinh_danh: Some("7".into()),
                    so_dinh_danh: "123456789".into(),
                },
            ],
            ..DongBoHoSoMC::default()
        };
        let problems = read_packet(&bad).expect_err("refused");
        let fields: Vec<_> = problems.iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "MaHoSo",
                "TrangThaiHoSo",
                "KenhThucHien",
                "LoaiDoiTuong",
                "TrichYeuHoSo",
                "DinhDanhCHS",
                "DinhDanhCHS"
            ]
        );
        assert!(problems[1].reason.contains("1 to 10"), "{problems:?}");
        let missing = DongBoHoSoMC {
            ma_ho_so: "X-1".into(),
            ..DongBoHoSoMC::default()
        };
        let problems = read_packet(&missing).expect_err("refused");
        assert_eq!(problems[0].field, "TrangThaiHoSo");
        assert!(
            problems[0].reason.starts_with("it is missing"),
            "{problems:?}"
        );
        // a status that needs its times
        let returned = DongBoHoSoMC {
            ma_ho_so: "X-1".into(),
            trang_thai_ho_so: Some("10".into()),
            ngay_hen_tra: Some(when(0)),
            ..DongBoHoSoMC::default()
        };
        let fields: Vec<_> = read_packet(&returned)
            .expect_err("refused")
            .iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(fields, ["NgayTiepNhan", "NgayTra"]);
        let early = DongBoHoSoMC {
            ma_ho_so: "X-1".into(),
            trang_thai_ho_so: Some("2".into()),
            ngay_tiep_nhan: Some(when(60)),
            ngay_hen_tra: Some(when(0)),
            ..DongBoHoSoMC::default()
        };
        let problems = read_packet(&early).expect_err("refused");
        assert_eq!(problems[0].field, "NgayHenTra");
        assert!(problems[0].reason.contains("before"), "{problems:?}");
    }
}
