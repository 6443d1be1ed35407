//! The national integration profile's packets in their JSON form, as the
//! provinces' systems send them to the national portal's adapter: every
//! field under the name the profile gives it (QCVN 120:2019/BTTTT, the
//! Government Office's integration guide), the fields systems in use add
//! (channel, filing and refusal times, identifiers, VNeID and online
//! payment flags), and whatever else a sender adds kept as sent, so that a
//! packet read and written again loses nothing.
//!
//! Codes (status, applicant kind, channel) are read as strings or numbers,
//! as senders differ, and written as strings; times as `yyyyMMddHHmmss`.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::stamp;

/// `DongBoHoSoMC`: a dossier, created or updated (`isUpdating`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DongBoHoSoMC {
    /// `MaHoSo`: the dossier's code.
    #[serde(rename = "MaHoSo")]
    pub ma_ho_so: String,
    /// `MaTTHC`: the procedure's code in the national database.
    #[serde(rename = "MaTTHC", default)]
    pub ma_tthc: String,
    /// `TenTTHC`: the procedure's name.
    #[serde(rename = "TenTTHC", default)]
    pub ten_tthc: String,
    /// `MaLinhVuc`: the field's code.
    #[serde(rename = "MaLinhVuc", default)]
    pub ma_linh_vuc: String,
    /// `TenLinhVuc`: the field's name.
    #[serde(rename = "TenLinhVuc", default)]
    pub ten_linh_vuc: String,
    /// `ChuHoSo`: the applicant's name.
    #[serde(rename = "ChuHoSo", default)]
    pub chu_ho_so: String,
    /// `LoaiDoiTuong`: 1 citizen, 2 enterprise, 3 state agency, 4
    /// organisation.
    #[serde(
        rename = "LoaiDoiTuong",
        default,
        deserialize_with = "code",
        skip_serializing_if = "Option::is_none"
    )]
    pub loai_doi_tuong: Option<String>,
    /// `MaDoiTuong`: the applicant's identifier.
    #[serde(rename = "MaDoiTuong", default)]
    pub ma_doi_tuong: String,
    /// `ThongTinKhac`: anything else about the applicant.
    #[serde(rename = "ThongTinKhac", default)]
    pub thong_tin_khac: String,
    /// `Email`.
    #[serde(rename = "Email", default)]
    pub email: String,
    /// `Fax`.
    #[serde(rename = "Fax", default)]
    pub fax: String,
    /// `SoDienThoai`: the applicant's telephone.
    #[serde(rename = "SoDienThoai", default)]
    pub so_dien_thoai: String,
    /// `TrichYeuHoSo`: what the dossier is about (at most 1,000
    /// characters).
    #[serde(rename = "TrichYeuHoSo", default)]
    pub trich_yeu_ho_so: String,
    /// `NgayTiepNhan`: when it was received.
    #[serde(rename = "NgayTiepNhan", default, with = "stamp::optional")]
    pub ngay_tiep_nhan: Option<DateTime<FixedOffset>>,
    /// `NgayHenTra`: the appointment for the result.
    #[serde(rename = "NgayHenTra", default, with = "stamp::optional")]
    pub ngay_hen_tra: Option<DateTime<FixedOffset>>,
    /// `TrangThaiHoSo`: the status, 1–10.
    #[serde(
        rename = "TrangThaiHoSo",
        default,
        deserialize_with = "code",
        skip_serializing_if = "Option::is_none"
    )]
    pub trang_thai_ho_so: Option<String>,
    /// `NgayTra`: when the result was returned.
    #[serde(rename = "NgayTra", default, with = "stamp::optional")]
    pub ngay_tra: Option<DateTime<FixedOffset>>,
    /// `ThongTinTra`: how and what was returned.
    #[serde(rename = "ThongTinTra", default)]
    pub thong_tin_tra: String,
    /// `HinhThuc`: how the result is returned (as the sender codes it).
    #[serde(
        rename = "HinhThuc",
        default,
        deserialize_with = "code",
        skip_serializing_if = "Option::is_none"
    )]
    pub hinh_thuc: Option<String>,
    /// `NgayKetThucXuLy`: when processing ended.
    #[serde(rename = "NgayKetThucXuLy", default, with = "stamp::optional")]
    pub ngay_ket_thuc_xu_ly: Option<DateTime<FixedOffset>>,
    /// `DonViXuLy`: the handling unit's code.
    #[serde(rename = "DonViXuLy", default)]
    pub don_vi_xu_ly: String,
    /// `GhiChu`: a note.
    #[serde(rename = "GhiChu", default)]
    pub ghi_chu: String,
    /// `TaiLieuNop`: the documents submitted.
    #[serde(rename = "TaiLieuNop", default)]
    pub tai_lieu_nop: Vec<TaiLieuNop>,
    /// `DanhSachLePhi`: the fees.
    #[serde(rename = "DanhSachLePhi", default)]
    pub danh_sach_le_phi: Vec<LePhi>,
    /// `DanhSachTepDinhKemKhac`: other attachments.
    #[serde(rename = "DanhSachTepDinhKemKhac", default)]
    pub danh_sach_tep_dinh_kem_khac: Vec<Map<String, Value>>,
    /// `DanhSachHoSoBoSung`: the requests to supplement.
    #[serde(rename = "DanhSachHoSoBoSung", default)]
    pub danh_sach_ho_so_bo_sung: Vec<HoSoBoSung>,
    /// `DanhSachGiayToKetQua`: the result documents.
    #[serde(rename = "DanhSachGiayToKetQua", default)]
    pub danh_sach_giay_to_ket_qua: Vec<GiayToKetQua>,
    /// `KenhThucHien`: 1 in person, 2 online, 3 public postal service.
    #[serde(
        rename = "KenhThucHien",
        default,
        deserialize_with = "code",
        skip_serializing_if = "Option::is_none"
    )]
    pub kenh_thuc_hien: Option<String>,
    /// `NgayNopHoSo`: when it was filed.
    #[serde(rename = "NgayNopHoSo", default, with = "stamp::optional")]
    pub ngay_nop_ho_so: Option<DateTime<FixedOffset>>,
    /// `NgayTuChoi`: when it was refused.
    #[serde(rename = "NgayTuChoi", default, with = "stamp::optional")]
    pub ngay_tu_choi: Option<DateTime<FixedOffset>>,
    /// `DinhDanhCHS`: the applicant's identifiers.
    #[serde(rename = "DinhDanhCHS", default)]
    pub dinh_danh_chs: Vec<DinhDanh>,
    /// `TaiKhoanDuocXacThucVoiVNeID`: whether the applicant's account was
    /// authenticated with VNeID.
    #[serde(
        rename = "TaiKhoanDuocXacThucVoiVNeID",
        default,
        deserialize_with = "flag",
        skip_serializing_if = "Option::is_none"
    )]
    pub tai_khoan_duoc_xac_thuc_voi_vneid: Option<bool>,
    /// `DuocThanhToanTrucTuyen`: whether it was paid online.
    #[serde(
        rename = "DuocThanhToanTrucTuyen",
        default,
        deserialize_with = "flag",
        skip_serializing_if = "Option::is_none"
    )]
    pub duoc_thanh_toan_truc_tuyen: Option<bool>,
    /// Whatever else the sender wrote, kept as written.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl DongBoHoSoMC {
    /// The applicant's personal identification number: the first
    /// `DinhDanhCHS` of kind 1, or `MaDoiTuong` of a citizen (kind 1),
    /// when it is twelve digits.
    pub fn applicant_pin(&self) -> Option<String> {
        let pin = |s: &str| {
            let s = s.trim();
            (s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.to_string())
        };
        self.dinh_danh_chs
            .iter()
            .filter(|d| d.loai_dinh_danh.as_deref() == Some("1"))
            .find_map(|d| pin(&d.so_dinh_danh))
            .or_else(|| {
                (self.loai_doi_tuong.as_deref() == Some("1"))
                    .then(|| pin(&self.ma_doi_tuong))
                    .flatten()
            })
    }
}

/// An item of `TaiLieuNop`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaiLieuNop {
    /// `TepDinhKemId`: the file's id.
    #[serde(rename = "TepDinhKemId", default)]
    pub tep_dinh_kem_id: String,
    /// `TenTepDinhKem`: the file's name.
    #[serde(rename = "TenTepDinhKem", default)]
    pub ten_tep_dinh_kem: String,
    /// `MaThanhPhanHoSo`: which of the procedure's documents it is.
    #[serde(rename = "MaThanhPhanHoSo", default)]
    pub ma_thanh_phan_ho_so: String,
    /// `DuongDanTaiTepTin`: where to fetch it.
    #[serde(rename = "DuongDanTaiTepTin", default)]
    pub duong_dan_tai_tep_tin: String,
    /// `DuocSoHoa`: whether it was digitised.
    #[serde(
        rename = "DuocSoHoa",
        default,
        deserialize_with = "flag",
        skip_serializing_if = "Option::is_none"
    )]
    pub duoc_so_hoa: Option<bool>,
    /// `DuocTaiSuDung`: whether it was reused from an earlier dossier.
    #[serde(
        rename = "DuocTaiSuDung",
        default,
        deserialize_with = "flag",
        skip_serializing_if = "Option::is_none"
    )]
    pub duoc_tai_su_dung: Option<bool>,
    /// `DuocLayTuKhoDMQG`: whether it came from the national data store.
    #[serde(
        rename = "DuocLayTuKhoDMQG",
        default,
        deserialize_with = "flag",
        skip_serializing_if = "Option::is_none"
    )]
    pub duoc_lay_tu_kho_dmqg: Option<bool>,
    /// Whatever else the sender wrote.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// An item of `DanhSachLePhi`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LePhi {
    /// `TenPhiLePhi`: what the fee is.
    #[serde(rename = "TenPhiLePhi", default)]
    pub ten_phi_le_phi: String,
    /// `MaPhiLePhi`: its code.
    #[serde(rename = "MaPhiLePhi", default)]
    pub ma_phi_le_phi: String,
    /// `Gia`: the amount, in đồng.
    #[serde(
        rename = "Gia",
        default,
        deserialize_with = "amount",
        skip_serializing_if = "Option::is_none"
    )]
    pub gia: Option<u64>,
    /// Whatever else the sender wrote.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// An item of `DanhSachHoSoBoSung`: a request to supplement.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HoSoBoSung {
    /// `NguoiYeuCauBoSung`: who asked.
    #[serde(rename = "NguoiYeuCauBoSung", default)]
    pub nguoi_yeu_cau_bo_sung: String,
    /// `NoiDungBoSung`: what is to be supplemented.
    #[serde(rename = "NoiDungBoSung", default)]
    pub noi_dung_bo_sung: String,
    /// `NgayBoSung`: when it was asked.
    #[serde(rename = "NgayBoSung", default, with = "stamp::optional")]
    pub ngay_bo_sung: Option<DateTime<FixedOffset>>,
    /// Whatever else the sender wrote.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// An item of `DanhSachGiayToKetQua`: a result document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GiayToKetQua {
    /// `TenGiayTo`: what it is.
    #[serde(rename = "TenGiayTo", default)]
    pub ten_giay_to: String,
    /// `GiayToId`: its id.
    #[serde(rename = "GiayToId", default)]
    pub giay_to_id: String,
    /// `DuongDanTepTinKetQua`: where it is.
    #[serde(rename = "DuongDanTepTinKetQua", default)]
    pub duong_dan_tep_tin_ket_qua: String,
    /// Whatever else the sender wrote.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// An item of `DinhDanhCHS`: one of the applicant's identifiers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DinhDanh {
    /// `LoaiDinhDanh`: 1 the 12-digit personal identification number, 2 a
    /// 9-digit identity card number.
    #[serde(
        rename = "LoaiDinhDanh",
        default,
        deserialize_with = "code",
        skip_serializing_if = "Option::is_none"
    )]
    pub loai_dinh_danh: Option<String>,
    /// `SoDinhDanh`: the number.
    #[serde(rename = "SoDinhDanh", default)]
    pub so_dinh_danh: String,
}

/// `CapNhatTienDoHoSoMC`: one processing step of a dossier.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CapNhatTienDoHoSoMC {
    /// `MaHoSo`: the dossier's code.
    #[serde(rename = "MaHoSo")]
    pub ma_ho_so: String,
    /// `NguoiXuLy`: who handled it (at most 50 characters).
    #[serde(rename = "NguoiXuLy", default)]
    pub nguoi_xu_ly: String,
    /// `ChucDanh`: their title.
    #[serde(rename = "ChucDanh", default)]
    pub chuc_danh: String,
    /// `ThoiDiemXuLy`: when.
    #[serde(rename = "ThoiDiemXuLy", default, with = "stamp::optional")]
    pub thoi_diem_xu_ly: Option<DateTime<FixedOffset>>,
    /// `PhongBanXuLy`: the department.
    #[serde(rename = "PhongBanXuLy", default)]
    pub phong_ban_xu_ly: String,
    /// `NoiDungXuLy`: what was done.
    #[serde(rename = "NoiDungXuLy", default)]
    pub noi_dung_xu_ly: String,
    /// `TrangThai`: the status after the step, 1–10.
    #[serde(
        rename = "TrangThai",
        default,
        deserialize_with = "code",
        skip_serializing_if = "Option::is_none"
    )]
    pub trang_thai: Option<String>,
    /// `NgayBatDau`: when the step began.
    #[serde(rename = "NgayBatDau", default, with = "stamp::optional")]
    pub ngay_bat_dau: Option<DateTime<FixedOffset>>,
    /// `NgayKetThucTheoQuyDinh`: when it must end by law.
    #[serde(rename = "NgayKetThucTheoQuyDinh", default, with = "stamp::optional")]
    pub ngay_ket_thuc_theo_quy_dinh: Option<DateTime<FixedOffset>>,
    /// Whatever else the sender wrote.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The profile's fields that hold times (`yyyyMMddHHmmss`), wherever they
/// appear in a packet.
const TIMES: [&str; 10] = [
    "NgayTiepNhan",
    "NgayHenTra",
    "NgayTra",
    "NgayKetThucXuLy",
    "NgayNopHoSo",
    "NgayTuChoi",
    "NgayBoSung",
    "ThoiDiemXuLy",
    "NgayBatDau",
    "NgayKetThucTheoQuyDinh",
];

/// A packet read from its JSON, with the problems of its times named by
/// field (each one, not only the first): a time that cannot be read is
/// reported and left out, so that the rest of the packet is still read
/// and checked. `None` when the packet is not of its kind at all.
pub fn from_json<T: serde::de::DeserializeOwned>(
    mut value: Value,
) -> (Option<T>, Vec<crate::Problem>) {
    let mut problems = Vec::new();
    bad_times(&mut value, &mut problems);
    match serde_json::from_value(value) {
        Ok(packet) => (Some(packet), problems),
        Err(e) => {
            problems.push(crate::Problem {
                field: "data",
                reason: format!("the packet is not one of its kind: {e}"),
            });
            (None, problems)
        }
    }
}

fn bad_times(value: &mut Value, problems: &mut Vec<crate::Problem>) {
    match value {
        Value::Object(members) => {
            for (name, member) in members.iter_mut() {
                if let Some(field) = TIMES.iter().find(|t| **t == name.as_str()) {
                    let reason = match &*member {
                        Value::Null => None,
                        Value::String(t) if t.trim().is_empty() => None,
                        Value::String(t) => stamp::parse(t).err(),
                        other => Some(format!("{other} is not a time written yyyyMMddHHmmss")),
                    };
                    if let Some(reason) = reason {
                        problems.push(crate::Problem {
                            field,
                            reason: format!("{reason} (Vietnam's time, e.g. 20261207083000)"),
                        });
                        *member = Value::Null;
                    }
                } else {
                    bad_times(member, problems);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| bad_times(i, problems)),
        _ => {}
    }
}

/// A code sent as a string or a number; `""` or absent is none.
fn code<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(other) => {
            return Err(serde::de::Error::custom(format!(
                "{other} is not a code (a string or a number)"
            )));
        }
    })
}

/// A yes or no sent as a boolean, `0`/`1` or `"true"`/`"false"`.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(b),
        Some(Value::Number(n)) if n.as_u64() == Some(0) => Some(false),
        Some(Value::Number(n)) if n.as_u64() == Some(1) => Some(true),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "" => None,
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "{other:?} is not a yes or no (true/false, 1/0)"
                )));
            }
        },
        Some(other) => {
            return Err(serde::de::Error::custom(format!(
                "{other} is not a yes or no (true/false, 1/0)"
            )));
        }
    })
}

/// An amount in đồng sent as a number or a string of digits.
fn amount<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(
            s.trim()
                .parse()
                .map_err(|_| serde::de::Error::custom(format!("{s:?} is not an amount in đồng")))?,
        ),
        Some(Value::Number(n)) => Some(
            n.as_u64()
                .ok_or_else(|| serde::de::Error::custom(format!("{n} is not an amount in đồng")))?,
        ),
        Some(other) => {
            return Err(serde::de::Error::custom(format!(
                "{other} is not an amount in đồng"
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_applicants_number_is_read_from_its_identifiers_or_a_citizens_code() {
        let read = |mut v: serde_json::Value| -> Option<String> {
            v["MaHoSo"] = serde_json::json!("H29.12-261207-0001");
            v["MaTTHC"] = serde_json::json!("1.001193");
            serde_json::from_value::<DongBoHoSoMC>(v)
                .expect("a packet")
                .applicant_pin()
        };
        let id = |kind: &str, n: &str| serde_json::json!({"LoaiDinhDanh": kind, "SoDinhDanh": n});
        assert_eq!(
            read(
                serde_json::json!({"DinhDanhCHS": [id("2", "012345678"), id("1", "001190000001")]})
            ),
            Some("001190000001".into())
        );
        // a number as a number, spaces around it
        assert_eq!(
            read(
                serde_json::json!({"DinhDanhCHS": [{"LoaiDinhDanh": 1, "SoDinhDanh": " 001190000001 "}]})
            ),
            Some("001190000001".into())
        );
        // not twelve digits: none
        for n in ["00119000000", "0011900000012", "00119000000x", ""] {
            assert_eq!(
                read(serde_json::json!({"DinhDanhCHS": [id("1", n)]})),
                None,
                "{n}"
            );
        }
        // a citizen's code, when no identifier names them
        assert_eq!(
            read(serde_json::json!({"LoaiDoiTuong": "1", "MaDoiTuong": "001190000001"})),
            Some("001190000001".into())
        );
        // an enterprise's code is not a person's number
        assert_eq!(
            read(serde_json::json!({"LoaiDoiTuong": "2", "MaDoiTuong": "001190000001"})),
            None
        );
        assert_eq!(read(serde_json::json!({})), None);
    }

    use super::*;
    use serde_json::json;

    /// A packet as a province's system sends it: codes as numbers or
    /// strings, empty times, a field the profile does not name.
    fn sent() -> Value {
        json!({
            "MaHoSo": "000.00.12.H29-250701-0001",
            "MaTTHC": "1.001193",
            "TenTTHC": "Đăng ký khai sinh",
            "MaLinhVuc": "HT",
            "TenLinhVuc": "Hộ tịch",
            "ChuHoSo": "Nguyễn Văn An",
            "LoaiDoiTuong": 1,
            "MaDoiTuong": "001090000001",
            "TrichYeuHoSo": "Đăng ký khai sinh cho con",
            "NgayTiepNhan": "20250701083000",
            "NgayHenTra": "20250702170000",
            "TrangThaiHoSo": "5",
            "NgayTra": "",
            "KenhThucHien": "2",
            "NgayNopHoSo": "20250701080000",
            "DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": "001090000001"}],
            "TaiKhoanDuocXacThucVoiVNeID": 1,
            "DuocThanhToanTrucTuyen": "false",
            "TaiLieuNop": [{"TepDinhKemId": "7", "TenTepDinhKem": "to-khai.pdf",
                            "MaThanhPhanHoSo": "to-khai", "DuocSoHoa": true,
                            "KichThuoc": 20480}],
            "DanhSachLePhi": [{"TenPhiLePhi": "Lệ phí", "Gia": "8000"}],
            "MaCoQuanTiepNhan": "H29.12"
        })
    }

    #[test]
    fn a_packet_is_read_as_sent_and_written_again_losing_nothing() {
        let p: DongBoHoSoMC = serde_json::from_value(sent()).expect("read");
        assert_eq!(p.trang_thai_ho_so.as_deref(), Some("5"), "5 stays 5");
        assert_eq!(p.loai_doi_tuong.as_deref(), Some("1"));
        assert_eq!(p.ngay_tra, None);
        assert_eq!(p.tai_khoan_duoc_xac_thuc_voi_vneid, Some(true));
        assert_eq!(p.duoc_thanh_toan_truc_tuyen, Some(false));
        assert_eq!(p.danh_sach_le_phi[0].gia, Some(8000));
        assert_eq!(p.other["MaCoQuanTiepNhan"], "H29.12", "kept as sent");
        assert_eq!(p.tai_lieu_nop[0].other["KichThuoc"], 20480);
        let again: DongBoHoSoMC =
            serde_json::from_value(serde_json::to_value(&p).expect("written")).expect("read again");
        assert_eq!(again, p);
        let written = serde_json::to_value(&p).expect("written");
        assert_eq!(written["NgayTiepNhan"], "20250701083000");
        assert_eq!(
            written["TrangThaiHoSo"], "5",
            "codes are written as strings"
        );
        assert_eq!(written["MaCoQuanTiepNhan"], "H29.12");
    }

    #[test]
    fn a_bad_time_code_or_flag_is_refused_naming_what_is_wrong() {
        for (field, value, says) in [
            ("NgayHenTra", json!("2025-07-02"), "yyyyMMddHHmmss"),
            ("TrangThaiHoSo", json!([5]), "not a code"),
            ("DuocThanhToanTrucTuyen", json!("có"), "yes or no"),
        ] {
            let mut v = sent();
            v[field] = value;
            let e = serde_json::from_value::<DongBoHoSoMC>(v).expect_err(field);
            assert!(e.to_string().contains(says), "{field}: {e}");
        }
        let mut v = sent();
        v["DanhSachLePhi"][0]["Gia"] = json!("tám nghìn");
        let e = serde_json::from_value::<DongBoHoSoMC>(v).expect_err("an amount");
        assert!(e.to_string().contains("amount"), "{e}");
    }

    #[test]
    fn a_step_is_read_and_written_with_its_names() {
        let step: CapNhatTienDoHoSoMC = serde_json::from_value(json!({
            "MaHoSo": "X-1", "NguoiXuLy": "Trần Bình", "ChucDanh": "Công chức",
            "ThoiDiemXuLy": "20250701090000", "PhongBanXuLy": "Tư pháp",
            "NoiDungXuLy": "Tiếp nhận", "TrangThai": 2,
            "NgayBatDau": "20250701090000", "NgayKetThucTheoQuyDinh": ""
        }))
        .expect("read");
        assert_eq!(step.trang_thai.as_deref(), Some("2"));
        assert_eq!(step.ngay_ket_thuc_theo_quy_dinh, None);
        let written = serde_json::to_value(&step).expect("written");
        assert_eq!(written["ThoiDiemXuLy"], "20250701090000");
        assert_eq!(written["TrangThai"], "2");
    }
}
