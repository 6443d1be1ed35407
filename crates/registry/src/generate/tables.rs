//! The published frequencies the generator draws from. Weights are integers
//! (relative frequencies); each table names its source.

/// Family names and their shares in per ten thousand.
///
/// The fourteen most common names carry the shares widely cited for the
/// Vietnamese population (e.g. the English Wikipedia article "Vietnamese
/// name", after Lê Trung Hoa, *Họ và tên người Việt Nam*, 2005); the pairs
/// cited together (Hoàng/Huỳnh 5 %, Vũ/Võ 3.9 %) are split north/south-wise
/// roughly evenly. The remaining 11.5 % is spread over a tail of other
/// common names with decreasing weights chosen for this generator.
pub const FAMILY_NAMES: &[(&str, u64)] = &[
    ("Nguyễn", 3800),
    ("Trần", 1100),
    ("Lê", 950),
    ("Phạm", 700),
    ("Hoàng", 280),
    ("Huỳnh", 220),
    ("Phan", 450),
    ("Vũ", 200),
    ("Võ", 190),
    ("Đặng", 210),
    ("Bùi", 200),
    ("Đỗ", 140),
    ("Hồ", 130),
    ("Ngô", 130),
    ("Dương", 100),
    ("Lý", 50),
    // tail: 1,150 in total
    ("Trịnh", 90),
    ("Đinh", 90),
    ("Trương", 85),
    ("Lâm", 75),
    ("Mai", 70),
    ("Đoàn", 70),
    ("Lương", 65),
    ("Cao", 60),
    ("Hà", 60),
    ("Tô", 45),
    ("Tạ", 45),
    ("Châu", 40),
    ("Lưu", 40),
    ("Thái", 35),
    ("Triệu", 35),
    ("Quách", 30),
    ("Kiều", 30),
    ("Phùng", 30),
    ("La", 25),
    ("Vương", 25),
    ("Mạc", 20),
    ("Khúc", 15),
    ("Tăng", 20),
    ("Diệp", 15),
    ("Lạc", 5),
    ("Thân", 10),
    ("Văn", 10),
    ("Nông", 10),
];

/// Middle names of men, with weights chosen for this generator (no national
/// frequency table of middle or given names is published); the first,
/// "Văn", is drawn separately with a share that falls for younger people.
pub const MALE_MIDDLE: &[(&str, u64)] = &[
    ("Văn", 0),
    ("Đức", 14),
    ("Hữu", 12),
    ("Minh", 14),
    ("Quang", 10),
    ("Công", 9),
    ("Thanh", 8),
    ("Xuân", 6),
    ("Ngọc", 6),
    ("Duy", 7),
    ("Hoàng", 7),
    ("Anh", 6),
    ("Gia", 6),
    ("Đình", 8),
    ("Quốc", 8),
    ("Trung", 5),
    ("Tuấn", 4),
    ("Bảo", 5),
    ("Thế", 5),
    ("Mạnh", 4),
];

/// Middle names of women, with weights chosen for this generator; the
/// first, "Thị", is drawn separately with a share that falls for younger
/// people.
pub const FEMALE_MIDDLE: &[(&str, u64)] = &[
    ("Thị", 0),
    ("Ngọc", 14),
    ("Thu", 10),
    ("Thanh", 10),
    ("Minh", 6),
    ("Kim", 8),
    ("Thùy", 7),
    ("Phương", 6),
    ("Bảo", 5),
    ("Khánh", 5),
    ("Mai", 5),
    ("Hoài", 4),
    ("Ánh", 3),
    ("Hồng", 6),
    ("Quỳnh", 4),
    ("Diệu", 3),
    ("Thảo", 3),
    ("Tuyết", 3),
];

/// Given names of men, common ones, drawn with weights falling gently
/// along the list (chosen for this generator, not published figures).
pub const MALE_GIVEN: &[&str] = &[
    "Hùng", "Dũng", "Tuấn", "Minh", "Hải", "Nam", "Long", "Phong", "Cường", "Thắng", "Sơn", "Quân",
    "Hiếu", "Trung", "Đức", "Huy", "Khoa", "Khang", "Bảo", "Phúc", "An", "Kiên", "Tùng", "Thành",
    "Tiến", "Vinh", "Hoàng", "Việt", "Toàn", "Lâm", "Đạt", "Thịnh", "Nghĩa", "Tâm", "Hưng",
    "Quang", "Bình", "Tài", "Hòa", "Lợi", "Khôi", "Nhân", "Trí", "Thái", "Hậu", "Đông", "Phát",
    "Lộc", "Vũ", "Hiển",
];

/// Given names of women, common ones, drawn with weights falling gently
/// along the list (chosen for this generator, not published figures).
pub const FEMALE_GIVEN: &[&str] = &[
    "Lan", "Hương", "Hoa", "Mai", "Linh", "Trang", "Hà", "Thảo", "Ngọc", "Hằng", "Nga", "Huyền",
    "Yến", "Phương", "Anh", "Nhung", "Thủy", "Loan", "Hạnh", "Dung", "Hiền", "Vy", "Nhi", "My",
    "Châu", "Tâm", "Vân", "Oanh", "Thu", "Trinh", "Ly", "Uyên", "Quỳnh", "Giang", "Chi", "Ngân",
    "Thư", "An", "Hồng", "Liên", "Nhàn", "Xuân", "Diễm", "Tuyết", "Cúc", "Đào", "Lệ", "Bích",
    "Thơ", "Duyên",
];

/// The 54 ethnic groups: their codes (the official list of Decision
/// 121-TCTK/PPCĐ of 2 March 1979, still used by the population database)
/// and their populations at the 2019 Population and Housing Census (General
/// Statistics Office, *Kết quả toàn bộ Tổng điều tra dân số và nhà ở năm
/// 2019*; rounded), used as weights.
pub const ETHNICITIES: &[(&str, &str, u64)] = &[
    ("01", "Kinh", 82_085_826),
    ("02", "Tày", 1_845_492),
    ("03", "Thái", 1_820_950),
    ("04", "Hoa", 749_466),
    ("05", "Khơ-me", 1_319_652),
    ("06", "Mường", 1_452_095),
    ("07", "Nùng", 1_083_298),
    ("08", "HMông", 1_393_547),
    ("09", "Dao", 891_151),
    ("10", "Gia-rai", 513_930),
    ("11", "Ngái", 1_649),
    ("12", "Ê-đê", 398_671),
    ("13", "Ba-na", 286_910),
    ("14", "Xơ-đăng", 212_277),
    ("15", "Sán Chay", 201_398),
    ("16", "Cơ-ho", 200_800),
    ("17", "Chăm", 178_948),
    ("18", "Sán Dìu", 183_004),
    ("19", "Hrê", 149_460),
    ("20", "Mnông", 127_334),
    ("21", "Ra-glai", 146_613),
    ("22", "Xtiêng", 100_752),
    ("23", "Bru-Vân Kiều", 94_598),
    ("24", "Thổ", 91_430),
    ("25", "Giáy", 67_858),
    ("26", "Cơ-tu", 74_173),
    ("27", "Gié-Triêng", 63_322),
    ("28", "Mạ", 50_322),
    ("29", "Khơ-mú", 90_612),
    ("30", "Co", 40_442),
    ("31", "Tà-ôi", 52_356),
    ("32", "Chơ-ro", 29_520),
    ("33", "Kháng", 16_180),
    ("34", "Xinh-mun", 29_503),
    ("35", "Hà Nhì", 25_539),
    ("36", "Chu-ru", 23_242),
    ("37", "Lào", 17_532),
    ("38", "La Chí", 15_126),
    ("39", "La Ha", 10_157),
    ("40", "Phù Lá", 12_471),
    ("41", "La Hủ", 12_113),
    ("42", "Lự", 6_757),
    ("43", "Lô Lô", 4_827),
    ("44", "Chứt", 7_513),
    ("45", "Mảng", 4_650),
    ("46", "Pà Thẻn", 8_248),
    ("47", "Co Lao", 4_003),
    ("48", "Cống", 2_729),
    ("49", "Bố Y", 3_232),
    ("50", "Si La", 909),
    ("51", "Pu Péo", 903),
    ("52", "Brâu", 525),
    ("53", "Ơ-đu", 428),
    ("54", "Rơ-măm", 639),
];

/// Religions, in per ten thousand of the population, after the 2019 census
/// (GSO; 86.3 % follow no religion, Catholics 6.1 %, Buddhists 4.8 %,
/// Protestants 1.0 %, Hòa Hảo 1.0 %, Cao Đài 0.6 %, others the rest).
pub const RELIGIONS: &[(&str, u64)] = &[
    ("none", 8630),
    ("catholic", 610),
    ("buddhist", 480),
    ("protestant", 100),
    ("hoa_hao", 100),
    ("cao_dai", 60),
    ("other", 20),
];

/// The age pyramid: the share of each five-year age group (0–4, 5–9, …,
/// 95–99) in per ten thousand, after the shape of the 2019 census (GSO,
/// *Completed results of the 2019 Viet Nam Population and Housing Census*,
/// 2020): wide at 0–14, a bulge at 25–40, thinning after 60. Rounded; used
/// for the ages of the household members drawn independently (heads and
/// single people).
pub const AGE_GROUPS: &[u64] = &[
    840, 860, 740, 660, 700, 820, 850, 790, 720, 660, 590, 520, 430, 300, 180, 120, 90, 55, 20, 5,
];

/// Street names (national heroes and events, found in most towns).
pub const STREETS: &[&str] = &[
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Trãi",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Quang Trung",
    "Hùng Vương",
    "Phan Chu Trinh",
    "Phan Bội Châu",
    "Nguyễn Du",
    "Lê Duẩn",
    "Điện Biên Phủ",
    "Nguyễn Huệ",
    "Bà Triệu",
    "Ngô Quyền",
    "Lê Thánh Tông",
    "Trần Phú",
    "Nguyễn Văn Cừ",
    "Võ Thị Sáu",
    "Cách Mạng Tháng Tám",
];
