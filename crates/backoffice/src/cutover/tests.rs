use calendar::WorkingCalendar;
use dossier::{Catalog, Status};
use serde_json::json;

use super::*;

fn calendar() -> WorkingCalendar<'static> {
    WorkingCalendar::official().expect("the calendar")
}

fn catalog() -> &'static Catalog {
    Catalog::official().expect("the catalog")
}

/// A line of Hà Giang's export: a birth registration filed at the
/// counter of Trần Phú (00691, which went whole to Hà Giang 2), being
/// processed.
fn line() -> serde_json::Value {
    json!({
        "HoSo": {
            "MaHoSo": "000.00.24.H23-250620-0012",
            "MaTTHC": "khai-sinh",
            "TenTTHC": "Đăng ký khai sinh",
            "ChuHoSo": "Lò Thị Mai",
            "LoaiDoiTuong": "1",
            "MaDoiTuong": "002190000123",
            "Email": "mai@example.vn",
            "TrichYeuHoSo": "Đăng ký khai sinh cho con",
            "NgayNopHoSo": "20250620080000",
            "NgayTiepNhan": "20250620081500",
            "NgayHenTra": "20250623170000",
            "TrangThaiHoSo": "4",
            "KenhThucHien": "1",
            "DonViXuLy": "000.00.24.H23",
            "TaiLieuNop": [{
                "TepDinhKemId": "f1",
                "TenTepDinhKem": "to-khai.pdf",
                "MaThanhPhanHoSo": "TK01",
                "DuongDanTaiTepTin": "https://dvc.hagiang.gov.vn/tep/f1",
                "SHA256": "AB".repeat(32)
            }],
            "DanhSachLePhi": [{"TenPhiLePhi": "Lệ phí", "Gia": "8000"}]
        },
        "TienDo": [
            {"MaHoSo": "000.00.24.H23-250620-0012", "NguoiXuLy": "Hoàng Văn Dũng",
             "ThoiDiemXuLy": "20250620090000", "TrangThai": "4",
             "NoiDungXuLy": "Chuyển xử lý"}
        ],
        "DiaBan": {"MaTinh": "02", "MaHuyen": "024", "MaXa": "00691"}
    })
}

fn read(v: &serde_json::Value) -> Exported {
    read_line(&v.to_string()).expect("a readable line")
}

fn planned(v: &serde_json::Value) -> Plan {
    plan(&read(v), "02", Decision::default(), catalog(), &calendar())
}

/// What `v` becomes once a person chose `place` for it.
fn decided(v: &serde_json::Value, place: &str) -> Plan {
    let decision = Decision { place: Some(place) };
    plan(&read(v), "02", decision, catalog(), &calendar())
}

fn arrival(v: &serde_json::Value) -> Arrival {
    match planned(v) {
        Plan::Arrive(a) => *a,
        Plan::Review(r) => panic!("reviewed: {r:?}"),
    }
}

fn review(v: &serde_json::Value) -> Review {
    match planned(v) {
        Plan::Review(r) => r,
        Plan::Arrive(a) => panic!("arrived: {:?}", a.dossier.code),
    }
}

fn set(v: &mut serde_json::Value, path: &[&str], value: serde_json::Value) {
    let mut at = v;
    for p in &path[..path.len() - 1] {
        at = &mut at[*p];
    }
    at[path[path.len() - 1]] = value;
}

#[test]
fn a_dossier_arrives_routed_under_the_new_units_with_its_course_kept() {
    let a = arrival(&line());
    let d = &a.dossier;
    // Trần Phú went whole to Hà Giang 2 (00691) of the new Tuyên Quang
    assert_eq!(d.place, "00691");
    assert_eq!(d.route.competent.as_str(), "UBND.00691");
    assert_eq!(d.route.province, "08");
    assert_eq!(a.agency, d.route.receiving);
    assert_eq!(a.day.to_string(), "2025-06-20");
    assert_eq!(d.status(), Status::Processing);
    assert_eq!(d.channel, Channel::InPerson);
    // the appointment as the portal gave it, not recomputed
    assert_eq!(
        d.due.map(|t| t.to_rfc3339()),
        Some("2025-06-23T17:00:00+07:00".to_string())
    );
    let steps: Vec<(Status, String)> = d
        .timeline
        .steps()
        .iter()
        .map(|s| (s.status, s.at.to_rfc3339()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (Status::Received, "2025-06-20T08:15:00+07:00".into()),
            (Status::Processing, "2025-06-20T09:00:00+07:00".into()),
        ]
    );
    let acts: Vec<&str> = d.control.iter().map(|c| c.act.as_str()).collect();
    assert_eq!(acts, ["receive", "start_processing"]);
    assert_eq!(d.control[1].name, "Hoàng Văn Dũng");
    // the closed portal is named by its province, not its code
    assert_eq!(d.control[0].name, "Cổng dịch vụ công Tỉnh Hà Giang");
    assert_eq!(d.control[1].comment.as_deref(), Some("Chuyển xử lý"));
    assert_eq!(d.applicant.subject, "pin:002190000123");
    assert_eq!(d.applicant.person_id.as_deref(), Some("002190000123"));
    assert_eq!(d.applicant.email.as_deref(), Some("mai@example.vn"));
    assert_eq!(d.fees_vnd, Some(8000));
    let legacy = d.legacy.as_ref().expect("where it came from");
    assert_eq!(legacy.code, "000.00.24.H23-250620-0012");
    assert_eq!(a.old_code(), legacy.code);
    assert_eq!(legacy.source, "02");
    assert_eq!(legacy.unit, "000.00.24.H23");
    assert_eq!(legacy.place, ["02", "024", "00691"].map(String::from));
    assert_eq!(legacy.files.len(), 1);
    assert_eq!(legacy.files[0].sha256.as_deref(), Some(&*"ab".repeat(32)));
    // the new code: the receiving agency's, of the day of receipt
    let code = DossierCode::new(a.agency.clone(), a.day, 7).expect("a code");
    assert_eq!(a.under(code.clone()).code, code);
}

#[test]
fn a_split_commune_is_never_guessed_and_a_persons_choice_brings_it_in() {
    let mut v = line();
    // Quang Trung (00688) was split between Hà Giang 2 and Hà Giang 1
    set(&mut v, &["DiaBan", "MaXa"], json!("00688"));
    let r = review(&v);
    assert_eq!(r.kind, ReviewKind::SplitCommune);
    assert_eq!(r.candidates, ["00691", "00694"]);
    assert!(r.reason.contains("Quang Trung"), "{}", r.reason);
    assert!(r.reason.contains("Hà Giang 1"), "{}", r.reason);
    let chosen = decided(&v, "00694");
    match chosen {
        Plan::Arrive(a) => assert_eq!(a.dossier.route.competent.as_str(), "UBND.00694"),
        Plan::Review(r) => panic!("{r:?}"),
    }
    // a choice that is not a commune in force is refused
    let wrong = decided(&v, "99999");
    assert!(matches!(wrong, Plan::Review(r) if r.kind == ReviewKind::UnknownPlace));
}

#[test]
fn a_dossier_waiting_for_a_supplement_keeps_its_clock_stopped() {
    let mut v = line();
    set(&mut v, &["HoSo", "TrangThaiHoSo"], json!("5"));
    set(
        &mut v,
        &["TienDo"],
        json!([
            {"MaHoSo": "000.00.24.H23-250620-0012", "NguoiXuLy": "Hoàng Văn Dũng",
             "ThoiDiemXuLy": "20250620090000", "TrangThai": "4"},
            {"MaHoSo": "000.00.24.H23-250620-0012", "NguoiXuLy": "Hoàng Văn Dũng",
             "ThoiDiemXuLy": "20250621100000", "TrangThai": "5",
             "NoiDungXuLy": "Bổ sung giấy chứng sinh"}
        ]),
    );
    let d = arrival(&v).dossier;
    assert_eq!(d.status(), Status::SupplementRequested);
    assert!(d.lifecycle.supplement_requested());
    let s = d.supplement.as_ref().expect("form 02");
    assert_eq!(s.items, ["Bổ sung giấy chứng sinh"]);
    assert_eq!(s.by, "Hoàng Văn Dũng");
    let now = s.at + chrono::Duration::days(3);
    let pauses = d.timeline.pauses(now).expect("pauses");
    assert_eq!(pauses.len(), 1);
    assert_eq!(pauses[0].from(), s.at);
    // steps that arrive out of order are put in order
    let mut swapped = v.clone();
    let steps = swapped["TienDo"].as_array_mut().expect("steps");
    steps.reverse();
    assert_eq!(arrival(&swapped).dossier.timeline, d.timeline);
}

#[test]
fn a_packet_alone_lands_where_it_says_through_the_acts_between() {
    let mut v = line();
    set(&mut v, &["TienDo"], json!([]));
    set(&mut v, &["HoSo", "TrangThaiHoSo"], json!("10"));
    set(
        &mut v,
        &["HoSo", "NgayKetThucXuLy"],
        json!("20250622150000"),
    );
    set(&mut v, &["HoSo", "NgayTra"], json!("20250623090000"));
    let d = arrival(&v).dossier;
    assert_eq!(d.status(), Status::ResultReturned);
    let last = d.timeline.steps().last().expect("steps");
    assert_eq!(last.at.to_rfc3339(), "2025-06-23T09:00:00+07:00");
    let processed = d
        .timeline
        .steps()
        .iter()
        .find(|s| s.status == Status::Processed)
        .expect("processed");
    assert_eq!(processed.at.to_rfc3339(), "2025-06-22T15:00:00+07:00");
    // refused after processing: the refusal is kept with its reason
    set(&mut v, &["HoSo", "TrangThaiHoSo"], json!("9"));
    set(&mut v, &["HoSo", "NgayTra"], json!(""));
    set(&mut v, &["HoSo", "NgayTuChoi"], json!("20250622150000"));
    let d = arrival(&v).dossier;
    assert_eq!(d.lifecycle.outcome(), Some(Outcome::Refused));
    assert!(d.refusal.as_ref().is_some_and(|r| !r.at_intake));
}

#[test]
fn an_online_dossier_is_registered_then_received() {
    let mut v = line();
    set(&mut v, &["HoSo", "KenhThucHien"], json!(2));
    let d = arrival(&v).dossier;
    assert_eq!(d.channel, Channel::Online);
    let statuses: Vec<Status> = d.timeline.steps().iter().map(|s| s.status).collect();
    assert_eq!(
        statuses,
        [
            Status::NewlyRegistered,
            Status::Received,
            Status::Processing
        ]
    );
    // received when the portal says it was
    assert_eq!(
        d.timeline.received_at().map(|t| t.to_rfc3339()),
        Some("2025-06-20T08:15:00+07:00".into())
    );
}

#[test]
fn a_province_level_procedure_goes_to_the_new_province() {
    let mut v = line();
    set(&mut v, &["HoSo", "MaTTHC"], json!("phieu-ly-lich-tu-phap"));
    set(&mut v, &["DiaBan", "MaXa"], json!(""));
    let d = arrival(&v).dossier;
    assert_eq!(d.place, "08");
    assert_eq!(d.route.competent.as_str(), "CONGAN.08");
    // a split commune does not matter to a province's procedure
    set(&mut v, &["DiaBan", "MaXa"], json!("00688"));
    assert_eq!(arrival(&v).dossier.place, "08");
    // a person deciding by a commune decides its province
    let by_commune = decided(&v, "00694");
    assert!(matches!(by_commune, Plan::Arrive(a) if a.dossier.place == "08"));
}

#[test]
fn the_procedure_is_found_by_its_national_code_or_its_name() {
    let mut v = line();
    set(&mut v, &["HoSo", "MaTTHC"], json!("1.001022"));
    assert_eq!(arrival(&v).dossier.procedure, "nhan-cha-me-con");
    set(&mut v, &["HoSo", "MaTTHC"], json!("2.000986"));
    set(&mut v, &["HoSo", "TenTTHC"], json!("ĐĂNG KÝ  KHAI TỬ"));
    assert_eq!(arrival(&v).dossier.procedure, "khai-tu");
    set(
        &mut v,
        &["HoSo", "TenTTHC"],
        json!("Cấp phép khai thác cát"),
    );
    let r = review(&v);
    assert_eq!(r.kind, ReviewKind::UnknownProcedure);
    assert!(r.reason.contains("2.000986"), "{}", r.reason);
}

#[test]
fn a_place_that_does_not_hold_together_is_reviewed() {
    let mut v = line();
    set(&mut v, &["DiaBan", "MaTinh"], json!("08"));
    let r = review(&v);
    assert_eq!(r.kind, ReviewKind::UnknownPlace);
    assert!(r.reason.contains("old province 02"), "{}", r.reason);
    let mut v = line();
    set(&mut v, &["DiaBan", "MaXa"], json!("12345678"));
    assert_eq!(review(&v).kind, ReviewKind::UnknownPlace);
    let mut v = line();
    set(&mut v, &["DiaBan"], json!({}));
    let r = review(&v);
    assert_eq!(r.kind, ReviewKind::UnknownPlace);
    assert!(r.reason.contains("commune is missing"), "{}", r.reason);
}

#[test]
fn a_course_the_lifecycle_does_not_allow_is_reviewed() {
    let mut v = line();
    set(&mut v, &["HoSo", "TrangThaiHoSo"], json!("4"));
    set(
        &mut v,
        &["TienDo"],
        json!([
            {"MaHoSo": "000.00.24.H23-250620-0012", "ThoiDiemXuLy": "20250620090000",
             "TrangThai": "7"}
        ]),
    );
    let r = review(&v);
    assert_eq!(r.kind, ReviewKind::Unlawful);
    assert!(r.reason.contains("is 7 (Withdrawn"), "{}", r.reason);
    // a step of another dossier
    let mut v = line();
    v["TienDo"][0]["MaHoSo"] = json!("X-1");
    assert_eq!(review(&v).kind, ReviewKind::Unreadable);
}

#[test]
fn every_problem_of_an_unreadable_line_is_named() {
    assert!(read_line("not json").is_err());
    assert!(read_line("[1]").is_err());
    let mut v = line();
    set(&mut v, &["HoSo", "NgayHenTra"], json!("23/06/2025"));
    v["TienDo"][0]["ThoiDiemXuLy"] = json!("yesterday");
    let problems = read_line(&v.to_string()).expect_err("bad times");
    let fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
    assert_eq!(fields, ["NgayHenTra", "ThoiDiemXuLy"]);
    let mut v = line();
    set(&mut v, &["HoSo", "TrangThaiHoSo"], json!("11"));
    let r = review(&v);
    assert_eq!(r.kind, ReviewKind::Unreadable);
    assert!(r.reason.starts_with("TrangThaiHoSo"), "{}", r.reason);
    let mut v = line();
    v.as_object_mut().expect("a line").remove("HoSo");
    let problems = read_line(&v.to_string()).expect_err("no dossier");
    assert_eq!(problems[0].field, "HoSo");
}

#[test]
fn a_csv_row_reads_as_its_json_line() {
    let v = line();
    let mut header: Vec<String> = Vec::new();
    let mut row: Vec<String> = Vec::new();
    for (k, val) in v["HoSo"].as_object().expect("HoSo") {
        if let Some(s) = val.as_str() {
            header.push(k.clone());
            row.push(s.to_string());
        }
    }
    for (k, val) in v["DiaBan"].as_object().expect("DiaBan") {
        header.push(k.clone());
        row.push(val.as_str().unwrap_or_default().to_string());
    }
    header.push(STEPS_COLUMN.into());
    row.push(v["TienDo"].to_string());
    let from_csv = read_row(&header, &row).expect("a row");
    let mut plain = read(&v);
    plain.dossier.tai_lieu_nop.clear();
    plain.dossier.danh_sach_le_phi.clear();
    assert_eq!(from_csv, plain);
    assert!(read_row(&header, &row[1..]).is_err());
    let mut bad = row.clone();
    if let Some(last) = bad.last_mut() {
        *last = "[{".into();
    }
    assert_eq!(
        read_row(&header, &bad).expect_err("bad steps")[0].field,
        "TienDo"
    );
}

#[test]
fn an_organisation_is_filed_under_its_tax_code_and_anyone_else_under_the_old_dossier() {
    let mut v = line();
    set(&mut v, &["HoSo", "LoaiDoiTuong"], json!("2"));
    set(&mut v, &["HoSo", "MaDoiTuong"], json!("5100123456"));
    let d = arrival(&v).dossier;
    assert_eq!(d.applicant.subject, "tax:5100123456");
    assert_eq!(d.applicant.person_id, None);
    set(&mut v, &["HoSo", "MaDoiTuong"], json!(""));
    assert_eq!(
        arrival(&v).dossier.applicant.subject,
        "cutover:02:000.00.24.H23-250620-0012"
    );
}
