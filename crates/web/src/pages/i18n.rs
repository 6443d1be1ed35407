//! Every text the pages show, in Vietnamese (first) and English, side by
//! side: templates call `t.name()` on a [`Tr`].

/// The language of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    /// `vi` / `en`: the `<html lang>`, the `lang` cookie and `?lang=` value.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }
}

/// Of a text written in both languages, the one `t` reads.
pub(crate) fn pick<'a>(t: Tr, vi: &'a str, en: &'a str) -> &'a str {
    match t.0 {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

/// The texts of one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tr(pub Lang);

/// One table of `texts/words.json`: codes the platform stores (a registry
/// field, an audit event, a scope…) in words.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct WordTable {
    /// Where the words are shown (for translators).
    #[allow(dead_code)]
    about: String,
    /// The words of a code the table does not name; without it, such a
    /// code shows as itself.
    #[serde(default)]
    otherwise: Option<Both>,
    words: std::collections::HashMap<String, Both>,
}

/// A text in both languages.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Both {
    vi: String,
    en: String,
}

/// The tables of `texts/words.json`, by name (read once; the file is part of
/// the binary and its tests check it is whole).
static WORDS: std::sync::LazyLock<std::collections::HashMap<String, WordTable>> =
    std::sync::LazyLock::new(|| {
        serde_json::from_str(include_str!("../../texts/words.json")).unwrap_or_else(|e| {
            tracing::error!(error = %e, "texts/words.json: codes show as themselves");
            std::collections::HashMap::new()
        })
    });

impl Tr {
    /// `code` in words, from the table `table` of `texts/words.json` (its
    /// `otherwise` when the table does not name the code).
    fn word(&self, table: &str, code: &str) -> Option<&'static str> {
        let table = WORDS.get(table)?;
        let both = table.words.get(code).or(table.otherwise.as_ref())?;
        Some(pick(*self, &both.vi, &both.en))
    }

    /// `code` in words, or the code itself where `table` has none.
    fn word_or_code(&self, table: &str, code: &str) -> String {
        self.word(table, code).unwrap_or(code).to_string()
    }
}

macro_rules! texts {
    ($list:ident; $($name:ident => $vi:expr, $en:expr;)*) => {
        impl Tr {
            $(
                pub fn $name(&self) -> &'static str {
                    match self.0 {
                        Lang::Vi => $vi,
                        Lang::En => $en,
                    }
                }
            )*
        }

        /// These fixed texts in both languages (for tests).
        #[cfg(test)]
        pub(crate) fn $list() -> Vec<(&'static str, &'static str, &'static str)> {
            vec![$((stringify!($name), $vi, $en)),*]
        }
    };
}

texts! {
    all_texts;
    // layout
    portal_name => "Cổng dịch vụ công một cửa", "One-stop public service portal";
    skip_link => "Bỏ qua, đến nội dung chính", "Skip to main content";
    nav_label => "Điều hướng chính", "Main navigation";
    nav_home => "Trang chủ", "Home";
    nav_units => "Tra cứu đơn vị hành chính", "Administrative units";
    nav_convert => "Chuyển đổi địa chỉ", "Convert addresses";
    nav_menu => "Danh mục", "Menu";
    header_account => "Tài khoản", "Account";
    switch_lang => "English", "Tiếng Việt";
    switch_lang_title => "Switch to English", "Chuyển sang tiếng Việt";
    footer_about => "motcua là phần mềm nguồn mở (Apache-2.0) giúp vận hành dịch vụ công qua một cổng duy nhất.",
        "motcua is open-source software (Apache-2.0) for running public services through one portal.";
    footer_data => "Dữ liệu đơn vị hành chính, phiên bản", "Administrative-unit data, version";
    footer_htmx => "Giấy phép htmx", "htmx licence";

    // home
    home_lead => "Một cửa cho mọi dịch vụ công: tìm thủ tục, nộp hồ sơ trực tuyến với thông tin được điền sẵn, theo dõi hồ sơ và nhận kết quả.",
        "One door to every public service: find a procedure, apply online with your details filled in, follow your dossier and receive the result.";
    home_popular => "Dịch vụ công thường dùng", "Commonly used services";
    home_all_procedures => "Xem tất cả thủ tục", "See every procedure";
    home_yours => "Hồ sơ của bạn", "Your dossiers";
    home_mine_text => "Xem các hồ sơ bạn đã nộp, tình trạng và kết quả.", "See the dossiers you filed, their status and their results.";
    home_mine_login => "Đăng nhập để xem các hồ sơ bạn đã nộp.", "Log in to see the dossiers you filed.";
    home_lookup_text => "Có mã hồ sơ trên giấy hẹn? Xem tình trạng mà không cần đăng nhập.", "Have the code from your appointment slip? See where your dossier stands without logging in.";
    home_login_text => "Dùng tài khoản định danh điện tử để nộp hồ sơ trực tuyến; thông tin của bạn được điền sẵn từ Cơ sở dữ liệu quốc gia về dân cư.",
        "Use your electronic identification account to apply online; your details are filled in from the National Population Database.";
    home_more => "Tra cứu khác", "Other look-ups";
    home_reform => "Từ ngày 1/7/2025, cả nước có 34 tỉnh, thành phố và 3.321 xã, phường, đặc khu; cấp huyện không còn.",
        "Since 1 July 2025 the country has 34 provinces and cities and 3,321 communes, wards and special zones; districts no longer exist.";
    home_units_text => "Tìm xã, phường, tỉnh mới, hoặc xem một tên cũ nay thuộc đơn vị nào.",
        "Find a new commune, ward or province, or see where an old name belongs now.";
    home_convert_text => "Dán danh sách địa chỉ cũ để nhận địa chỉ mới theo đơn vị hành chính sau sắp xếp.",
        "Paste a list of old addresses and get them in the new administrative units.";

    // unit look-up
    units_title => "Tra cứu đơn vị hành chính", "Look up an administrative unit";
    units_lead => "Tìm xã, phường, tỉnh mới hoặc tên cũ trước ngày 1/7/2025. Có thể gõ không dấu.",
        "Find a new commune, ward or province, or an old name from before 1 July 2025. Diacritics are optional.";
    search_label => "Tên xã, phường hoặc tỉnh", "Commune, ward or province name";
    search_hint => "Ví dụ: phuc xa, Ba Đình, tan dinh ho chi minh", "For example: phuc xa, Ba Đình, tan dinh ho chi minh";
    search_button => "Tìm", "Search";
    searching => "Đang tìm…", "Searching…";
    results_heading => "Kết quả", "Results";
    no_results => "Không tìm thấy đơn vị nào phù hợp.", "No matching unit found.";
    kind_province => "Tỉnh, thành phố", "Province";
    kind_commune => "Xã, phường mới", "New commune";
    kind_legacy_province => "Tỉnh cũ", "Former province";
    kind_legacy_district => "Huyện cũ", "Former district";
    kind_legacy_commune => "Xã, phường cũ", "Former commune";
    now => "→ nay:", "→ now:";
    district_abolished => "Cấp huyện đã bỏ từ 1/7/2025; nay thuộc", "Districts were abolished on 1 July 2025; now in";
    no_successor => "Không có trong bảng chuyển đổi chính thức.", "Not in the official conversion table.";
    provinces_heading => "34 tỉnh, thành phố", "The 34 provinces and cities";

    // commune and province pages
    field_type => "Loại", "Type";
    field_province => "Tỉnh, thành phố", "Province";
    field_code => "Mã", "Code";
    field_centroid => "Tọa độ trung tâm", "Centroid";
    field_area => "Diện tích", "Area";
    field_phone => "Mã vùng điện thoại", "Telephone area code";
    field_communes => "Số xã, phường, đặc khu", "Communes, wards and special zones";
    unknown => "Chưa rõ", "Unknown";
    predecessors_heading => "Hình thành từ các xã, phường cũ", "Formed from these former communes";
    no_predecessors => "Không có xã, phường cũ nào trong bảng chuyển đổi.", "No former commune in the conversion table.";
    partly => "một phần", "part";
    merged_from => "Hợp nhất từ các tỉnh cũ", "Merged from the former provinces";
    communes_heading => "Xã, phường, đặc khu", "Communes, wards and special zones";
    back_to_search => "← Tra cứu đơn vị khác", "← Look up another unit";
    unit_not_found_title => "Không tìm thấy đơn vị", "Unit not found";
    unit_not_found => "Không có đơn vị hành chính nào với mã này.", "There is no administrative unit with this code.";

    // address conversion
    convert_title => "Chuyển đổi địa chỉ cũ sang địa chỉ mới", "Convert old addresses to new ones";
    convert_lead => "Dán các địa chỉ trước ngày 1/7/2025, mỗi dòng một địa chỉ. Hệ thống không đoán: khi xã, phường cũ đã bị chia, mọi khả năng đều được liệt kê.",
        "Paste addresses from before 1 July 2025, one per line. Nothing is guessed: when an old commune was split, every possibility is listed.";
    textarea_label => "Địa chỉ cũ, mỗi dòng một địa chỉ", "Old addresses, one per line";
    convert_button => "Chuyển đổi", "Convert";
    converting => "Đang chuyển đổi…", "Converting…";
    col_number => "STT", "No.";
    col_input => "Địa chỉ cũ", "Old address";
    col_status => "Trạng thái", "Status";
    col_new => "Địa chỉ mới", "New address";
    status_converted => "Đã chuyển đổi", "Converted";
    status_ambiguous => "Nhiều khả năng", "Several possibilities";
    status_not_found => "Không tìm thấy", "Not found";
    candidates_intro => "Có thể là một trong:", "Could be any of:";
    recognised_as => "Nhận diện là", "Recognised as";
    partly_note => "Xã, phường cũ đã bị chia; hãy kiểm tra lại phần địa chỉ chi tiết.",
        "The old commune was split; please check the street part.";
    not_found_note => "Không nhận ra xã, phường cũ trong địa chỉ này.", "No former commune was recognised in this address.";
    already_new => "Địa chỉ đã theo đơn vị hành chính mới.", "Already written in the 2025 units.";
    province_recognised => "Tỉnh, thành phố nhận diện được:", "Province recognised:";
    col_new_code => "Mã xã, phường mới", "New commune code";
    col_candidates => "Các khả năng", "Candidates";
    empty_input => "Hãy dán ít nhất một địa chỉ.", "Paste at least one address.";
    download_csv => "Tải kết quả (CSV)", "Download the results (CSV)";

    // errors
    forbidden_title => "Biểu mẫu đã hết hạn", "The form has expired";
    forbidden_text => "Biểu mẫu không hợp lệ hoặc đã hết hạn. Vui lòng tải lại trang rồi gửi lại; nội dung bạn đã nhập vẫn còn trong ô nhập.",
        "The form is invalid or has expired. Please reload the page and submit again; what you typed is still in the box.";
    reload => "Tải lại trang", "Reload the page";
    bad_request_title => "Yêu cầu không hợp lệ", "Invalid request";
    bad_request_text => "Không đọc được dữ liệu gửi lên. Vui lòng thử lại từ biểu mẫu.", "The submitted data could not be read. Please try again from the form.";
    server_error_title => "Đã có lỗi", "Something went wrong";
    server_error_text => "Đã có lỗi trong hệ thống. Vui lòng thử lại sau ít phút.", "Something went wrong on our side. Please try again in a few minutes.";
    page_not_found_title => "Không tìm thấy", "Not found";
    page_not_found_text => "Không có trang hoặc hồ sơ nào như bạn yêu cầu.", "There is no page or record like the one you asked for.";
    page_forbidden_title => "Không được phép", "Not allowed";
    page_forbidden_text => "Bạn không có quyền xem hoặc làm việc này.", "You are not allowed to see or do this.";
    unavailable_title => "Tạm thời không phục vụ được", "Temporarily unavailable";
    page_method_title => "Không thực hiện được", "This cannot be done here";
    page_method_text => "Địa chỉ này không nhận thao tác đó. Hãy quay lại trang trước và dùng các nút trên trang.", "This address does not take that action. Go back and use the buttons on the page.";
    page_too_large_title => "Nội dung quá lớn", "Too large";
    page_too_large_text => "Tệp hoặc biểu mẫu gửi lên vượt quá giới hạn cho phép: mỗi tệp tối đa 10 MB, một biểu mẫu không kèm tệp tối đa 2 MB. Hãy quay lại và gửi tệp nhỏ hơn.", "The file or form sent is over the limit: at most 10 MB for each file, 2 MB for a form without a file. Go back and send a smaller file.";
    page_too_many_title => "Quá nhiều yêu cầu", "Too many requests";
    page_too_many_text => "Bạn đã gửi quá nhiều yêu cầu trong thời gian ngắn. Vui lòng đợi một lát rồi thử lại.", "You sent too many requests in a short time. Please wait a moment and try again.";
    page_bad_request_title => "Yêu cầu không hợp lệ", "The request cannot be answered";
    page_bad_request_text => "Địa chỉ hoặc nội dung gửi lên không đúng. Hãy quay lại trang trước hoặc về trang chủ.", "The address or what was sent is not right. Go back, or start again from the home page.";
    page_request_id => "Nếu cần hỗ trợ, hãy cung cấp mã yêu cầu:", "If you ask for help, quote the request id:";
    page_go_home => "Về trang chủ", "Go to the home page";
    unavailable_text => "Hệ thống tạm thời không phục vụ được. Vui lòng thử lại sau ít phút.", "The service is temporarily unavailable. Please try again in a few minutes.";
}

impl Tr {
    pub fn lang(&self) -> Lang {
        self.0
    }

    /// `1.000` / `1,000`
    pub fn int(&self, n: usize) -> String {
        let sep = match self.0 {
            Lang::Vi => '.',
            Lang::En => ',',
        };
        let digits = n.to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(c);
        }
        out
    }

    /// `15,09` / `15.09`
    pub fn decimal(&self, x: f64, places: usize) -> String {
        let s = format!("{x:.places$}");
        match self.0 {
            Lang::Vi => s.replace('.', ","),
            Lang::En => s,
        }
    }

    pub fn split_among(&self, n: usize) -> String {
        match self.0 {
            Lang::Vi => format!("được chia cho {} xã, phường", self.int(n)),
            Lang::En => format!("split among {} communes", self.int(n)),
        }
    }

    pub fn fits_several(&self, n: usize) -> String {
        match self.0 {
            Lang::Vi => format!(
                "Tên này khớp {} xã, phường cũ; hãy ghi thêm quận, huyện để phân biệt.",
                self.int(n)
            ),
            Lang::En => format!(
                "The name fits {} former communes; add the district to tell them apart.",
                self.int(n)
            ),
        }
    }

    pub fn results_count(&self, n: usize) -> String {
        match (self.0, n) {
            (Lang::Vi, _) => format!("{} kết quả", self.int(n)),
            (Lang::En, 1) => "1 result".to_string(),
            (Lang::En, _) => format!("{} results", self.int(n)),
        }
    }

    pub fn too_many_lines(&self, got: usize, max: usize) -> String {
        match self.0 {
            Lang::Vi => format!(
                "Mỗi lần chỉ chuyển đổi được tối đa {} dòng; bạn đã dán {} dòng. Hãy chia nhỏ danh sách.",
                self.int(max),
                self.int(got)
            ),
            Lang::En => format!(
                "At most {} lines can be converted at a time; you pasted {}. Please split the list.",
                self.int(max),
                self.int(got)
            ),
        }
    }

    pub fn max_lines_hint(&self, max: usize) -> String {
        match self.0 {
            Lang::Vi => format!("Tối đa {} dòng mỗi lần.", self.int(max)),
            Lang::En => format!("Up to {} lines at a time.", self.int(max)),
        }
    }

    pub fn summary(
        &self,
        total: usize,
        converted: usize,
        ambiguous: usize,
        missing: usize,
    ) -> String {
        match self.0 {
            Lang::Vi => format!(
                "{} địa chỉ: {} đã chuyển đổi, {} nhiều khả năng, {} không tìm thấy.",
                self.int(total),
                self.int(converted),
                self.int(ambiguous),
                self.int(missing)
            ),
            Lang::En => format!(
                "{} addresses: {} converted, {} with several possibilities, {} not found.",
                self.int(total),
                self.int(converted),
                self.int(ambiguous),
                self.int(missing)
            ),
        }
    }

    pub fn communes_count(&self, wards: usize, communes: usize, zones: usize) -> String {
        match self.0 {
            Lang::Vi => format!(
                "{} phường, {} xã, {} đặc khu",
                self.int(wards),
                self.int(communes),
                self.int(zones)
            ),
            Lang::En => format!(
                "{} wards, {} communes, {} special zones",
                self.int(wards),
                self.int(communes),
                self.int(zones)
            ),
        }
    }

    /// A 2025 commune's type word (`Phường`, `Xã`, `Đặc khu`).
    pub fn commune_kind(&self, kind: &str) -> String {
        match (self.0, kind) {
            (Lang::Vi, k) => k.to_string(),
            (Lang::En, "Phường") => "Ward".to_string(),
            (Lang::En, "Xã") => "Commune".to_string(),
            (Lang::En, "Đặc khu") => "Special zone".to_string(),
            (Lang::En, k) => k.to_string(),
        }
    }

    /// A 2025 province's type (`tỉnh`, `thành phố trung ương`).
    pub fn province_kind(&self, kind: &str) -> String {
        match (self.0, kind) {
            (Lang::Vi, "tỉnh") => "Tỉnh".to_string(),
            (Lang::Vi, "thành phố trung ương") => {
                "Thành phố trực thuộc trung ương".to_string()
            }
            (Lang::Vi, k) => k.to_string(),
            (Lang::En, "tỉnh") => "Province".to_string(),
            (Lang::En, "thành phố trung ương") => "Centrally-run city".to_string(),
            (Lang::En, k) => k.to_string(),
        }
    }
}

impl Tr {
    /// Slip 02: whom to ask while completing the dossier.
    pub fn slip02_contact(&self, receiving: &str) -> String {
        match self.0 {
            Lang::Vi => format!(
                "Trong quá trình hoàn thiện hồ sơ nếu có vướng mắc, Ông/Bà liên hệ với {receiving} để được hướng dẫn."
            ),
            Lang::En => format!(
                "If anything is unclear while you complete it, ask {receiving} for guidance."
            ),
        }
    }

    /// Slip 03: who refuses the dossier, before the reason.
    pub fn slip03_lead(&self, by: &str) -> String {
        match self.0 {
            Lang::Vi => format!(
                "Sau khi nghiên cứu, đối chiếu với các quy định hiện hành, {by} từ chối tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:"
            ),
            Lang::En => format!(
                "Having examined the dossier against the rules in force, {by} refuses to receive or settle it, for this reason:"
            ),
        }
    }

    /// Slip 04: when the dossier was received, by whom, and the first
    /// appointment.
    pub fn slip04_received(&self, received: &str, receiving: &str, due: &str) -> String {
        match self.0 {
            Lang::Vi => format!(
                "Ngày {received}, {receiving} tiếp nhận hồ sơ của Ông/Bà; thời hẹn trả kết quả giải quyết hồ sơ là {due}."
            ),
            Lang::En => format!(
                "On {received}, {receiving} received your dossier, with the result due on {due}."
            ),
        }
    }

    /// Slip 04: the result is late, before the reason.
    pub fn slip04_late(&self, agency: &str) -> String {
        match self.0 {
            Lang::Vi => format!(
                "Tuy nhiên đến nay, {agency} chưa trả kết quả giải quyết hồ sơ của Ông/Bà. Lý do:"
            ),
            Lang::En => format!("{agency} has not yet returned the result. The reason:"),
        }
    }

    /// Slip 04: the apology, before the new appointment.
    pub fn slip04_apology(&self, agency: &str) -> String {
        match self.0 {
            Lang::Vi => format!(
                "Sự chậm trễ này đã gây phiền hà cho Ông/Bà. {agency} xin lỗi Ông/Bà và sẽ trả kết quả cho Ông/Bà vào"
            ),
            Lang::En => format!(
                "We are sorry for the trouble this delay has caused you. {agency} apologises and will return the result on"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every list of fixed texts, and whether each of its texts must read
    /// differently in the two languages (no word left untranslated).
    /// A list's texts: `(name, vi, en)`.
    type Texts = Vec<(&'static str, &'static str, &'static str)>;

    fn lists() -> Vec<(&'static str, Texts, bool)> {
        vec![
            ("pages", all_texts(), false),
            ("tracker", tracker_texts(), false),
            ("login", login_texts(), true),
            ("act for", act_texts(), true),
            ("account", account_texts(), false),
            ("consent", consent_texts(), false),
            ("organisations", org_texts(), false),
            ("portal", portal_texts(), true),
        ]
    }

    #[test]
    fn every_text_exists_in_both_languages() {
        for (list, texts, translated) in lists() {
            assert!(!texts.is_empty(), "{list}");
            for (name, vi, en) in texts {
                assert!(!vi.trim().is_empty(), "{list}: {name} (vi)");
                assert!(!en.trim().is_empty(), "{list}: {name} (en)");
                if translated {
                    assert_ne!(vi, en, "{list}: {name} is translated");
                }
            }
        }
    }

    #[test]
    fn every_word_table_is_read_whole_in_both_languages() {
        let tables: Result<std::collections::HashMap<String, WordTable>, _> =
            serde_json::from_str(include_str!("../../texts/words.json"));
        let tables = tables.unwrap();
        let mut names: Vec<&str> = tables.keys().map(String::as_str).collect();
        names.sort_unstable();
        // each one a method of `Tr` reads
        assert_eq!(
            names,
            [
                "audit_event",
                "scope_words",
                "tracker_basis",
                "tracker_field",
                "tracker_purpose",
                "tracker_service_name"
            ]
        );
        for (name, table) in &tables {
            assert!(!table.about.trim().is_empty(), "{name}");
            assert!(!table.words.is_empty(), "{name}");
            let otherwise = table.otherwise.iter().map(|b| ("(otherwise)", b));
            for (code, both) in table
                .words
                .iter()
                .map(|(c, b)| (c.as_str(), b))
                .chain(otherwise)
            {
                assert!(!both.vi.trim().is_empty(), "{name}.{code} (vi)");
                assert!(!both.en.trim().is_empty(), "{name}.{code} (en)");
                assert_ne!(both.vi, both.en, "{name}.{code} is translated");
            }
        }
        assert_eq!(WORDS.len(), tables.len());
        let (vi, en) = (Tr(Lang::Vi), Tr(Lang::En));
        assert_eq!(
            vi.tracker_service_name("person.get"),
            "Đọc thông tin công dân"
        );
        assert_eq!(
            en.tracker_purpose("birth-registration"),
            "Birth registration"
        );
        assert_eq!(en.tracker_purpose("x-new"), "x-new");
        assert!(
            vi.tracker_basis("ND-63/2024")
                .starts_with("Nghị định 63/2024/NĐ-CP")
        );
        assert_eq!(vi.scope_words("address"), "Nơi thường trú");
        assert_eq!(en.scope_words("x"), "Another access, not described");
    }

    #[test]
    fn the_too_large_page_states_the_limits_in_force() {
        let mib = |bytes: usize| bytes / (1024 * 1024);
        let (file, form) = (
            mib(dossier::MAX_ATTACHMENT_BYTES),
            mib(crate::extract::BODY_LIMIT_BYTES),
        );
        for lang in [Lang::Vi, Lang::En] {
            let text = Tr(lang).page_too_large_text();
            assert!(text.contains(&format!("{file} MB")), "{text}");
            assert!(text.contains(&format!("{form} MB")), "{text}");
        }
    }

    #[test]
    fn numbers_follow_the_language() {
        assert_eq!(Tr(Lang::Vi).int(1000), "1.000");
        assert_eq!(Tr(Lang::En).int(1234567), "1,234,567");
        assert_eq!(Tr(Lang::En).int(12), "12");
        assert_eq!(Tr(Lang::Vi).decimal(15.09, 2), "15,09");
        assert_eq!(Lang::parse(" EN "), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
    }
}

// ---- the data tracker (`pages::tracker`) ----------------------------------

texts! {
    tracker_texts;
    tracker_title => "Ai đã xem dữ liệu của tôi", "Who has looked at my data";
    tracker_lead => "Mỗi lần một cơ quan, tổ chức đọc dữ liệu của bạn qua nền tảng trao đổi dữ liệu đều được ghi vào nhật ký không thể sửa: ai đọc, khi nào, những trường nào, với mục đích gì và cho hồ sơ nào.",
        "Every time an agency or organisation reads your data through the data exchange, it is written to a log that cannot be altered: who read it, when, which fields, for what purpose and for which case.";
    tracker_eid_note => "Bạn đang xem dữ liệu của chính mình sau khi đăng nhập bằng định danh điện tử; không ai khác xem được trang này.",
        "You are seeing your own data after logging in with your electronic identification; no one else can see this page.";
    tracker_not_yours_title => "Không thể xem dữ liệu này", "You cannot see this data";
    tracker_not_yours => "Mỗi người chỉ xem được nhật ký truy cập dữ liệu của chính mình.", "Each person can see only the accesses to their own data.";
    tracker_person => "Số định danh cá nhân", "Personal identification number";
    tracker_filter_legend => "Lọc theo thời gian", "Filter by period";
    tracker_from => "Từ ngày", "From";
    tracker_to => "Đến ngày", "To";
    tracker_filter_button => "Lọc", "Filter";
    tracker_clear => "Xem tất cả", "Show all";
    tracker_download_csv => "Tải CSV", "Download CSV";
    tracker_download_json => "Tải JSON", "Download JSON";
    tracker_col_when => "Thời gian (giờ Việt Nam)", "When (Vietnam time)";
    tracker_col_who => "Cơ quan đã xem", "Who";
    tracker_col_fields => "Các trường dữ liệu", "Fields";
    tracker_col_purpose => "Mục đích và căn cứ", "Purpose and basis";
    tracker_col_case => "Hồ sơ", "Case";
    tracker_service => "Dịch vụ", "Service";
    tracker_legal_basis => "Căn cứ pháp lý", "Legal basis";
    tracker_consent => "Theo sự đồng ý của bạn", "On your consent";
    tracker_no_case => "Không ghi", "Not given";
    tracker_draft => "Tờ khai đang điền:", "Form being filled:";
    tracker_dossier => "Hồ sơ", "Dossier";
    tracker_none => "Không có lượt truy cập nào trong khoảng thời gian này.", "No access was recorded in this period.";
    tracker_table_caption => "Các lượt truy cập dữ liệu, mới nhất trước", "Accesses to the data, newest first";
    tracker_bad_pid_title => "Số định danh không hợp lệ", "Invalid identification number";
    tracker_bad_pid => "Số định danh cá nhân gồm đúng 12 chữ số.", "A personal identification number has exactly 12 digits.";
    tracker_bad_period_title => "Khoảng thời gian không hợp lệ", "Invalid period";
    tracker_bad_period => "Nhập ngày theo dạng năm-tháng-ngày (ví dụ 2026-03-01), và ngày bắt đầu không sau ngày kết thúc.", "Enter days as year-month-day (for example 2026-03-01), with the start day not after the end day.";
    tracker_unavailable_title => "Chưa đọc được nhật ký", "The log cannot be read";
}

impl Tr {
    /// A registry field's name in words (the code itself when unknown).
    pub fn tracker_field(&self, code: &str) -> String {
        self.word_or_code("tracker_field", code)
    }

    /// `3 lượt truy cập` / `3 accesses`
    pub fn tracker_count(&self, n: usize) -> String {
        match (self.0, n) {
            (Lang::Vi, _) => format!("{} lượt truy cập", self.int(n)),
            (Lang::En, 1) => "1 access".to_string(),
            (Lang::En, _) => format!("{} accesses", self.int(n)),
        }
    }
}

#[cfg(test)]
mod tracker_tests {
    use super::*;

    #[test]
    fn tracker_counts_and_field_names_read_in_words() {
        assert_eq!(Tr(Lang::En).tracker_count(1), "1 access");
        assert_eq!(Tr(Lang::Vi).tracker_count(1200), "1.200 lượt truy cập");
        assert_eq!(Tr(Lang::En).tracker_field("full_name"), "Full name");
        assert_eq!(Tr(Lang::Vi).tracker_field("x_unknown"), "x_unknown");
    }
}

texts! {
    login_texts;
    login_title => "Đăng nhập bằng định danh điện tử", "Log in with electronic identification";
    login_lead => "để tiếp tục đến", "to continue to";
    login_identifier => "Số định danh cá nhân, mã số thuế hoặc hộ chiếu", "Personal identification number, tax code or passport";
    login_identifier_hint => "Công dân: 12 chữ số. Người nước ngoài: mã quốc gia, dấu hai chấm, số hộ chiếu (ví dụ JP:TZ1234567).",
        "Citizens: 12 digits. Foreigners: country code, a colon, passport number (for example JP:TZ1234567).";
    login_password => "Mật khẩu", "Password";
    login_otp => "Mã xác thực một lần (6 chữ số)", "One-time code (6 digits)";
    login_otp_hint => "Dịch vụ này yêu cầu tài khoản định danh mức 2: nhập mã trong ứng dụng xác thực của bạn.",
        "This service requires a level-2 identification account: enter the code from your authenticator app.";
    login_button => "Đăng nhập", "Log in";
    login_too_many => "Quá nhiều lần đăng nhập từ địa chỉ này. Vui lòng thử lại sau", "Too many log-in attempts from this address. Please try again in";
    login_seconds => "giây.", "seconds.";
    login_otp_optional => "Không bắt buộc. Nhập mã để đăng nhập mức 2 (cần cho việc thay mặt tổ chức).", "Optional. Enter the code to log in at level 2 (needed to act for an organisation).";
    login_wrong => "Thông tin đăng nhập không đúng. Kiểm tra số định danh, mật khẩu và mã xác thực rồi thử lại.",
        "The log-in details are not correct. Check the identifier, the password and the code, then try again.";
    login_locked => "Tài khoản tạm khóa do nhập sai nhiều lần. Vui lòng thử lại sau", "The account is locked after too many failed attempts. Please try again in";
    login_minutes => "phút.", "minutes.";
    login_needs_level2 => "Dịch vụ này yêu cầu tài khoản định danh điện tử mức 2 có mã xác thực một lần. Tài khoản của bạn chưa đáp ứng; hãy nâng mức tài khoản tại cơ quan công an.",
        "This service requires a level-2 electronic identification account with a one-time code. Your account does not meet it yet; upgrade it at a police office.";
    login_org => "Từ ngày 1/7/2025, tổ chức đăng nhập thông qua người đại diện theo pháp luật hoặc người được ủy quyền bằng tài khoản định danh của cá nhân đó.",
        "Since 1 July 2025 organisations log in through their legal representative, or a person they authorised, with that person's own identification account.";
    login_expired => "Phiên đăng nhập đã hết hạn. Vui lòng quay lại dịch vụ và thử lại.", "The log-in page has expired. Please go back to the service and try again.";
    login_bad_request => "Yêu cầu đăng nhập không hợp lệ", "The log-in request is not valid";
}

texts! {
    act_texts;
    act_title => "Thay mặt tổ chức", "Act for an organisation";
    act_lead => "Dịch vụ này làm việc với tổ chức. Chọn tổ chức bạn thay mặt:", "This service works with organisations. Choose the organisation you act for:";
    act_none => "Bạn chưa là người đại diện theo pháp luật, người đứng đầu hay người được ủy quyền của tổ chức nào.",
        "You are not a legal representative, the head or an authorised person of any organisation.";
    act_button => "Thay mặt tổ chức này", "Act for this organisation";
    act_as_representative => "Người đại diện theo pháp luật", "Legal representative";
    act_as_head => "Người đứng đầu", "Head";
    act_as_authorised => "Người được ủy quyền", "Authorised person";
    act_cancel => "Hủy và quay lại dịch vụ", "Cancel and go back to the service";
    act_tax_code => "Mã số thuế", "Tax code";
    act_refused_level2 => "Cần đăng nhập tài khoản định danh mức 2 (có mã xác thực một lần).", "A level-2 log-in (with a one-time code) is needed.";
    act_refused_not_authorised => "Bạn không phải người đại diện, người đứng đầu và chưa được tổ chức ủy quyền.", "You are neither a representative nor the head, and the organisation has not authorised you.";
    act_refused_scope => "Văn bản ủy quyền không bao gồm dịch vụ này.", "Your authorisation does not cover this service.";
    act_refused_not_yet => "Văn bản ủy quyền chưa có hiệu lực.", "Your authorisation has not started yet.";
    act_refused_expired => "Văn bản ủy quyền đã hết hạn.", "Your authorisation has expired.";
    act_refused_revoked => "Văn bản ủy quyền đã bị thu hồi.", "Your authorisation was revoked.";
    act_refused_consent => "Văn bản ủy quyền còn chờ sự đồng ý của tất cả người đại diện theo pháp luật.", "Your authorisation waits for the consent of every legal representative.";
    logout_title => "Đăng xuất", "Log out";
    logout_question => "Bạn có muốn đăng xuất khỏi tài khoản định danh điện tử trên thiết bị này?", "Do you want to log out of your electronic identification account on this device?";
    logout_button => "Đăng xuất", "Log out";
    logout_done => "Bạn đã đăng xuất.", "You are logged out.";
    logout_bad => "Yêu cầu đăng xuất không hợp lệ", "The log-out request is not valid";
    legacy_refused => "Tài khoản tổ chức đăng nhập bằng tên đăng nhập và mật khẩu đã ngừng từ",
        "Organisation accounts with a username and password stopped at";
    legacy_refused_how => "Hãy đăng nhập bằng tài khoản định danh mức 2 của người đại diện theo pháp luật, người đứng đầu hoặc người được tổ chức ủy quyền, rồi chọn thay mặt tổ chức. Tổ chức vẫn giữ nguyên định danh với các dịch vụ.",
        "Log in with the level-2 account of the legal representative, the head or a person the organisation authorised, then choose to act for it. The organisation keeps the same identifier with every service.";
}

texts! {
    account_texts;
    account_title => "Tài khoản định danh điện tử", "Electronic identification account";
    account_name => "Họ và tên / tên tổ chức", "Name";
    account_identifier => "Số định danh / mã số thuế / hộ chiếu", "Identification number / tax code / passport";
    account_kind => "Loại tài khoản", "Kind of account";
    account_level => "Mức định danh", "Assurance level";
    account_second_factor => "Mã xác thực một lần", "One-time code";
    account_yes => "Đã đăng ký", "Enrolled";
    account_no => "Chưa đăng ký", "Not enrolled";
    account_citizen => "Công dân Việt Nam", "Vietnamese citizen";
    account_foreigner => "Người nước ngoài", "Foreigner";
    account_organisation => "Tổ chức", "Organisation";
    account_tracker_link => "Ai đã xem dữ liệu của tôi", "Who has looked at my data";
    account_trail => "Nhật ký tài khoản", "Account activity";
    account_trail_hint => "Mọi lần đăng nhập, đăng nhập sai, khóa tài khoản và thay đổi phương thức xác thực, mới nhất trước.",
        "Every log-in, failed attempt, lock and change of factor, newest first.";
    passkey_login => "Đăng nhập bằng khóa truy cập (passkey)", "Log in with a passkey";
    passkey_add => "Thêm khóa truy cập (passkey) trên thiết bị này", "Add a passkey on this device";
    passkey_count => "Khóa truy cập (passkey)", "Passkeys";
    account_when => "Thời điểm", "When";
    account_event => "Sự kiện", "Event";
    account_client => "Dịch vụ", "Service";
    account_detail => "Chi tiết", "Details";
}

impl Tr {
    /// What an exchange service does, in words (its code when unknown).
    pub fn tracker_service_name(&self, code: &str) -> String {
        self.word_or_code("tracker_service_name", code)
    }

    /// A purpose of reading someone's data, in words (its code when
    /// unknown).
    pub fn tracker_purpose(&self, code: &str) -> String {
        self.word_or_code("tracker_purpose", code)
    }

    /// A legal basis by its name (its code when unknown).
    pub fn tracker_basis(&self, code: &str) -> String {
        self.word_or_code("tracker_basis", code)
    }

    /// An assurance level in words (`Mức 2`).
    pub fn level_name(&self, level: identity::AssuranceLevel) -> &'static str {
        match (level, self.0) {
            (identity::AssuranceLevel::Level1, Lang::Vi) => "Mức 1",
            (identity::AssuranceLevel::Level1, Lang::En) => "Level 1",
            (identity::AssuranceLevel::Level2, Lang::Vi) => "Mức 2",
            (identity::AssuranceLevel::Level2, Lang::En) => "Level 2",
        }
    }

    /// The detail of an audit entry as the reader reads it: the platform
    /// writes its details in English (`level 1, pwd+otp`, `wrong
    /// password`); a Vietnamese reader gets them in Vietnamese, words the
    /// platform did not write as they are.
    pub fn audit_detail(&self, event: &str, detail: &str) -> String {
        if self.0 == Lang::En {
            return detail.to_string();
        }
        fn method(m: &str) -> &str {
            match m {
                "pwd" => "mật khẩu",
                "otp" => "mã xác thực một lần",
                "hwk" | "passkey" => "khóa truy cập",
                "user" => "xác minh người dùng",
                other => other,
            }
        }
        if event == "login"
            && let Some(rest) = detail.strip_prefix("level ")
        {
            // `level {level}, {methods}` where the level reads `level N`
            let rest = rest.strip_prefix("level ").unwrap_or(rest);
            if let Some((level, methods)) = rest.split_once(", ") {
                let methods: Vec<&str> = methods
                    .split(['+', ','])
                    .map(str::trim)
                    .map(method)
                    .collect();
                return format!("mức {level}, {}", methods.join(" + "));
            }
        }
        if let Some((n, rest)) = detail.split_once(" failed log-ins in a row: locked for ")
            && let Some(minutes) = rest.strip_suffix(" minutes")
        {
            return format!("{n} lần đăng nhập sai liên tiếp: tạm khóa {minutes} phút");
        }
        match detail {
            "wrong password" => "sai mật khẩu".into(),
            "a one-time code used before" => "mã xác thực đã được dùng".into(),
            "wrong one-time code" => "sai mã xác thực một lần".into(),
            "a one-time code for an account without the factor" => {
                "mã xác thực cho tài khoản chưa đăng ký yếu tố này".into()
            }
            "the account is locked" => "tài khoản đang bị tạm khóa".into(),
            "the service requires level 2" => "dịch vụ yêu cầu định danh mức 2".into(),
            "logged out" => "đã đăng xuất".into(),
            "a passkey was added" => "đã thêm một khóa truy cập".into(),
            "old portal account: wrong password" => "tài khoản cổng cũ: sai mật khẩu".into(),
            "old portal account, before the cut-over" => {
                "tài khoản cổng cũ, trước thời điểm chuyển đổi".into()
            }
            other => other.to_string(),
        }
    }

    pub fn audit_event(&self, code: &str) -> &'static str {
        self.word("audit_event", code).unwrap_or_default()
    }
}

#[cfg(test)]
mod account_tests {
    use super::*;

    #[test]
    fn audit_details_read_in_vietnamese() {
        let vi = Tr(Lang::Vi);
        for (event, detail, read) in [
            ("login", "level 1, pwd", "mức 1, mật khẩu"),
            (
                "login",
                "level level 2, pwd+otp",
                "mức 2, mật khẩu + mã xác thực một lần",
            ),
            ("login", "level 2, passkey", "mức 2, khóa truy cập"),
            ("login_failed", "wrong password", "sai mật khẩu"),
            (
                "locked",
                "5 failed log-ins in a row: locked for 15 minutes",
                "5 lần đăng nhập sai liên tiếp: tạm khóa 15 phút",
            ),
            ("logout", "logged out", "đã đăng xuất"),
            ("consent_given", "openid profile", "openid profile"),
        ] {
            assert_eq!(vi.audit_detail(event, detail), read, "{detail}");
            assert_eq!(Tr(Lang::En).audit_detail(event, detail), detail);
        }
        assert_eq!(vi.level_name(identity::AssuranceLevel::Level2), "Mức 2");
        assert_eq!(
            Tr(Lang::En).level_name(identity::AssuranceLevel::Level1),
            "Level 1"
        );
    }

    #[test]
    fn audit_events_read_in_words() {
        assert_eq!(Tr(Lang::En).audit_event("login"), "Logged in");
        assert_eq!(Tr(Lang::Vi).audit_event("x"), "Sự kiện khác");
    }
}

texts! {
    consent_texts;
    consent_title => "Cho phép chia sẻ thông tin", "Allow sharing your information";
    consent_lead => "muốn được nhận các thông tin sau về bạn từ tài khoản định danh điện tử:", "wants to receive this information about you from your electronic identification account:";
    consent_allow => "Đồng ý", "Allow";
    consent_deny => "Từ chối", "Deny";
    consent_note => "Bạn có thể xem lại các lần chia sẻ trong nhật ký tài khoản.", "You can review what was shared in your account activity.";
}

impl Tr {
    /// What a scope lets a service read, in words.
    pub fn scope_words(&self, scope: &str) -> &'static str {
        self.word("scope_words", scope).unwrap_or_default()
    }
}

#[cfg(test)]
mod consent_tests {
    use super::*;

    #[test]
    fn every_scope_is_described_in_both_languages() {
        let unknown = Tr(Lang::En).scope_words("no-such-scope");
        for s in identity::client::SCOPES {
            assert_ne!(Tr(Lang::Vi).scope_words(s), Tr(Lang::En).scope_words(s));
            // every scope is described as what it is
            assert_ne!(Tr(Lang::En).scope_words(s), unknown, "{s}");
        }
    }
}

texts! {
    org_texts;
    org_title => "Thay mặt tổ chức", "Act for an organisation";
    org_lead => "Các tổ chức bạn là người đại diện theo pháp luật hoặc người đứng đầu, và những người được tổ chức ủy quyền. Ủy quyền có hiệu lực khi tất cả người đại diện theo pháp luật đồng ý.",
        "The organisations you legally represent or head, and the people they have authorised. An authorisation takes effect once every legal representative has consented.";
    org_needs_level2 => "Quản lý ủy quyền cần đăng nhập mức 2: mật khẩu và mã xác thực một lần, hoặc khóa truy cập (passkey).",
        "Managing authorisations needs a level-2 log-in: the password and a one-time code, or a passkey.";
    org_grants => "Người được ủy quyền", "Authorised people";
    org_no_grants => "Chưa ủy quyền cho ai.", "Nobody is authorised yet.";
    org_new_grant => "Ủy quyền cho một người", "Authorise a person";
    org_grantee => "Số định danh (hoặc hộ chiếu) của người được ủy quyền", "Identification number (or passport) of the person";
    org_services => "Dịch vụ được ủy quyền", "Services covered";
    org_services_hint => "Mã dịch vụ, cách nhau bởi dấu phẩy; để trống là mọi dịch vụ.", "Service codes separated by commas; empty for every service.";
    org_days => "Thời hạn (ngày)", "Period (days)";
    org_grant_button => "Ủy quyền", "Authorise";
    org_consent_button => "Đồng ý", "Consent";
    org_revoke_button => "Thu hồi", "Revoke";
    org_all_services => "Mọi dịch vụ", "Every service";
    org_in_force => "Đang có hiệu lực", "In force";
    org_waiting => "Chờ đồng ý, còn thiếu:", "Waiting for consent, missing:";
    org_expired => "Đã hết hạn", "Expired";
    org_revoked => "Đã thu hồi ngày", "Revoked on";
    org_granted => "Đã ghi nhận ủy quyền.", "The authorisation is recorded.";
    org_consented => "Đã ghi nhận sự đồng ý của bạn.", "Your consent is recorded.";
    org_revoked_done => "Đã thu hồi ủy quyền.", "The authorisation is revoked.";
    org_not_yours => "Bạn không đại diện cho tổ chức này.", "You do not represent this organisation.";
    org_no_such_person => "Không tìm thấy tài khoản định danh của người này.", "No identification account of this person was found.";
}

// ---- the portal's procedures and dossiers, the officers' workbench ---------

texts! {
    portal_texts;
    nav_procedures => "Thủ tục", "Procedures";
    nav_dossiers => "Hồ sơ của tôi", "My dossiers";
    nav_lookup => "Tra cứu hồ sơ", "Look up a dossier";
    nav_workbench => "Cán bộ", "Officers";
    p_catalog_title => "Thủ tục hành chính", "Administrative procedures";
    p_catalog_lead => "Tìm thủ tục, xem thời hạn, lệ phí và giấy tờ cần có, rồi nộp hồ sơ trực tuyến. Giấy tờ Nhà nước đã có, bạn không phải nộp lại.",
        "Find a procedure, see its time limit, fees and documents, and apply online. You are never asked for what the state already holds.";
    p_search_label => "Tìm thủ tục (có dấu hoặc không dấu)", "Find a procedure (with or without diacritics)";
    p_search_button => "Tìm", "Search";
    p_place => "Nơi nộp hồ sơ", "Where to file";
    p_place_province => "Tỉnh, thành phố", "Province or city";
    p_place_commune => "Xã, phường, đặc khu", "Commune, ward or special zone";
    p_place_filter => "Tìm xã, phường theo tên (có dấu hoặc không dấu)", "Find the commune by name (with or without diacritics)";
    p_no_procedure => "Không có thủ tục nào khớp. Thử từ khác, ví dụ “khai sinh”, “tạm trú”.", "No procedure matches. Try other words, e.g. “birth”, “residence”.";
    p_level => "Cấp thực hiện", "Level";
    p_authority => "Cơ quan giải quyết", "Competent authority";
    p_time_limit => "Thời hạn giải quyết", "Time limit";
    p_cutoff => "Hồ sơ nhận sau giờ này được tính từ ngày làm việc tiếp theo:", "Dossiers received after this time count from the next working day:";
    p_fees => "Phí, lệ phí", "Fees";
    p_no_fee => "Không mất phí", "No fee";
    p_fee_by_province => "do Hội đồng nhân dân cấp tỉnh quy định", "set by the provincial People's Council";
    p_online => "nộp trực tuyến", "online";
    p_exemptions => "Miễn, giảm", "Exemptions";
    p_documents => "Thành phần hồ sơ", "Documents";
    p_held => "Nhà nước đã có — bạn không phải nộp", "The state holds it — you are not asked for it";
    p_optional => "nếu có", "if any";
    p_result => "Kết quả", "Result";
    p_legal_basis => "Căn cứ pháp lý", "Legal basis";
    p_sources => "Nguồn đối chiếu", "Checked against";
    p_apply => "Nộp hồ sơ trực tuyến", "Apply online";
    p_apply_title => "Nộp hồ sơ", "Apply";
    p_prefilled_note => "Các ô có dấu ✓ được điền sẵn từ Cơ sở dữ liệu quốc gia về dân cư qua nền tảng chia sẻ dữ liệu; lần đọc này được ghi lại, bạn xem được trong trang “Ai đã xem dữ liệu của tôi”.",
        "Fields marked ✓ are filled from the National Population Database through the data exchange; the read is logged and you can see it on “Who has looked at my data”.";
    p_prefilled => "✓ Điền sẵn từ dữ liệu dân cư", "✓ Filled from the population data";
    p_prefill_refused => "Không điền sẵn được, vui lòng tự điền:", "Could not be filled in; please type it:";
    p_email => "Thư điện tử nhận thông báo (không bắt buộc)", "E-mail for notices (optional)";
    p_submit => "Nộp hồ sơ", "Submit the dossier";
    p_form_errors => "Hồ sơ chưa nộp được. Vui lòng sửa:", "The dossier was not filed. Please correct:";
    p_required => "bắt buộc", "required";
    p_choose => "— Chọn —", "— Choose —";
    p_date_hint => "Ngày/tháng/năm, ví dụ 20/02/2026", "Day/month/year, for example 20/02/2026";
    p_error_prefix => "Lỗi:", "Error:";
    p_filed => "Đã nộp hồ sơ. Mã hồ sơ của bạn:", "Your dossier is filed. Its code:";
    p_my_title => "Hồ sơ của tôi", "My dossiers";
    p_my_none => "Bạn chưa nộp hồ sơ nào.", "You have not filed any dossier yet.";
    p_notices => "Thông báo", "Notices";
    p_new => "mới", "new";
    p_code => "Mã hồ sơ", "Dossier code";
    p_old_code => "Mã hồ sơ cũ", "Former dossier code";
    p_reported_title => "Tiến độ do đơn vị xử lý báo về", "Progress reported by the office handling it";
    p_reported_by => "Đơn vị xử lý", "Handled by";
    p_reported_at => "Báo lần cuối lúc", "Last reported at";
    p_reported_elsewhere => "Hồ sơ đang do đơn vị này giải quyết: việc bổ sung, rút hồ sơ và nhận kết quả làm với đơn vị này.", "This dossier is being handled by this office: supplements, withdrawal and the result go through it.";
    p_reported_none => "Đơn vị chưa báo bước xử lý nào.", "The office has not reported a processing step yet.";
    p_department => "Bộ phận", "Department";
    p_ops_title => "Vận hành kết nối", "Connections at work";
    p_ops_scope => "Phạm vi", "Scope";
    p_ops_nation => "Toàn quốc", "The whole country";
    p_ops_upstream => "Gửi lên Cổng Dịch vụ công quốc gia", "Sending to the National Public Service Portal";
    p_ops_alert => "Có hồ sơ chờ gửi lâu hơn ngưỡng cảnh báo: kiểm tra kết nối tới Cổng quốc gia.", "A dossier has waited longer than the alert allows: check the connection to the national portal.";
    p_ops_waiting => "Hồ sơ chờ gửi", "Dossiers waiting to be sent";
    p_ops_failing => "Trong đó đã gửi lỗi", "Of which failed at least once";
    p_ops_oldest => "Hồ sơ chờ lâu nhất", "The oldest has waited";
    p_ops_last_error => "Lỗi gần nhất", "Last failure";
    p_ops_fail_timeout => "Cổng quốc gia nhận kết nối nhưng không trả lời kịp; hệ thống tự gửi lại sau.", "The national portal took the call and did not answer in time; it is sent again later.";
    p_ops_fail_unreachable => "Không kết nối được tới Cổng quốc gia (mạng hoặc địa chỉ); hệ thống tự gửi lại sau.", "The national portal could not be reached (network or address); it is sent again later.";
    p_ops_fail_login => "Cổng quốc gia từ chối đăng nhập của hệ thống này: kiểm tra tên và mật khẩu kết nối.", "The national portal refused this system's log-in: check the connection's user name and password.";
    p_ops_fail_refused => "Cổng quốc gia trả lời lỗi; xem chi tiết kỹ thuật.", "The national portal answered with an error; see the technical detail.";
    p_ops_detail => "Chi tiết kỹ thuật (tiếng Anh)", "Technical detail";
    p_ops_retry => "Gửi lại ngay", "Send again now";
    p_ops_retried => "Đã đưa vào hàng gửi lại ngay, số hồ sơ:", "Made due to be sent now, dossiers:";
    p_ops_offices => "Hệ thống một cửa của các tỉnh đã kết nối", "Provinces' one-stop systems connected";
    p_ops_none => "Chưa có hệ thống nào kết nối trong phạm vi này.", "No system is connected in this scope yet.";
    p_ops_office => "Hệ thống", "System";
    p_ops_last => "Gói tin gần nhất", "Last message";
    p_ops_applied => "Đã nhận (24 giờ)", "Received (24 hours)";
    p_ops_quarantined => "Cách ly, chờ xử lý", "Quarantined, to resolve";
    p_ops_waiting_packet => "Chờ gói tin hồ sơ", "Waiting for their dossier";
    p_ops_to_deliver => "Hồ sơ chờ chuyển đến", "Dossiers to deliver";
    p_ops_deliver_fail_timeout => "Hệ thống của tỉnh nhận nhưng không trả lời kịp; hồ sơ được gửi lại sau.", "The province's system took the call and did not answer in time; the dossiers are sent again later.";
    p_ops_deliver_fail_unreachable => "Không kết nối được tới hệ thống của tỉnh (mạng hoặc địa chỉ); hồ sơ được gửi lại sau.", "The province's system could not be reached (network or address); the dossiers are sent again later.";
    p_ops_deliver_held => "Hệ thống của tỉnh đã nhận nhưng giữ lại hồ sơ (trùng mã với hồ sơ khác, hoặc tệp không đúng như đã báo); cán bộ vận hành của tỉnh cần xem xét, lý do có trong API.", "The province's system read the dossier but holds it back (its code taken there by another dossier, or a file not as announced); the province's operator must look at it; the API gives the reason.";
    p_ops_deliver_fail_refused => "Hệ thống của tỉnh trả lời lỗi, chưa nhận hồ sơ; hồ sơ được gửi lại sau.", "The province's system answered with an error and did not take the dossiers; they are sent again later.";
    p_ops_silent => "im lặng hơn 1 ngày", "silent for over a day";
    p_ops_in_24h => "trong 24 giờ", "in 24 hours";
    p_delivery_push => "đẩy sang", "push";
    p_delivery_pull => "tự lấy về", "pull";
    p_never => "chưa có", "none yet";
    p_ago => "trước", "ago";
    p_minutes => "phút", "minutes";
    p_hours => "giờ", "hours";
    p_days => "ngày", "days";
    p_find_code => "Tìm hồ sơ theo mã (mã mới hoặc mã trên cổng tỉnh cũ)", "Find a dossier by its code (new, or its code on the former provincial portal)";
    p_find_none => "Không có hồ sơ nào mang mã này, mới hay cũ. Kiểm tra lại từng ký tự.", "No dossier has this code, new or former. Check it character by character.";
    p_find_many => "Mã cũ này thuộc nhiều hồ sơ của các tỉnh đã hợp nhất; chọn hồ sơ bên dưới.", "This former code belongs to several dossiers of the merged provinces; choose one below.";
    p_procedure => "Thủ tục", "Procedure";
    p_status => "Trạng thái", "Status";
    p_submitted => "Ngày nộp", "Filed on";
    p_due => "Hẹn trả kết quả", "Result due";
    p_due_after_receipt => "Có khi hồ sơ được tiếp nhận", "Set when the dossier is received";
    p_agency => "Cơ quan xử lý", "Handled by";
    p_received_by => "Nơi tiếp nhận", "Received by";
    p_received_at => "Thời điểm tiếp nhận", "Received at";
    p_channel => "Hình thức nộp", "Channel";
    p_applicant => "Người nộp", "Applicant";
    p_timeline => "Quá trình giải quyết (phiếu kiểm soát)", "Processing steps (control slip)";
    p_when => "Thời gian", "When";
    p_who => "Người thực hiện", "Who";
    p_what => "Nội dung", "What";
    p_comment => "Ý kiến", "Comment";
    p_comment_with => "Ý kiến kèm theo", "Comment with";
    p_slip_none_title => "Chưa có phiếu này", "This slip does not exist yet";
    p_slip_none => "Phiếu 01 có khi hồ sơ được tiếp nhận, phiếu 02 khi có yêu cầu bổ sung, phiếu 03 khi hồ sơ bị từ chối, phiếu 04 khi cơ quan xin lỗi và hẹn lại; phiếu 05 luôn có.", "Slip 01 exists once the dossier is received, 02 once a supplement is asked for, 03 once it is refused, 04 once the agency apologises with a new appointment; 05 always exists.";
    p_back_to_dossier => "Về trang hồ sơ", "Back to the dossier";
    p_paper_tools => "Giấy tờ này", "This paper";
    p_print_or_save => "In hoặc lưu thành tệp PDF", "Print or save as a PDF file";
    p_filter_all => "Tất cả", "All";
    p_filters => "Lọc hồ sơ", "Filter the dossiers";
    p_result_none_title => "Chưa có kết quả", "No result yet";
    p_result_none => "Kết quả có khi hồ sơ được giải quyết và lãnh đạo phê duyệt.", "The result exists once the dossier is processed and a leader approves it.";
    p_result_view => "Xem, in kết quả", "View and print the result";
    p_number => "Số", "No.";
    p_issued_at => "Ngày cấp", "Issued on";
    p_verify_at => "Xác minh giấy tờ này: quét mã QR hoặc mở", "Verify this paper: scan the QR code or open";
    p_verify_link => "trang xác minh", "its verification page";
    p_verify_qr => "Mã QR dẫn đến trang xác minh kết quả", "QR code leading to the result's verification page";
    p_result_pdf => "Tải về bản PDF", "Download as a PDF";
    p_pdf_verify => "Quét mã QR để xác minh giấy tờ này tại", "Scan the QR code to verify this paper at";
    p_verify_title => "Xác minh kết quả thủ tục hành chính", "Verify the result of a procedure";
    p_verify_ok => "Hợp lệ: đây là kết quả do cơ quan dưới đây cấp, không bị sửa đổi.", "Genuine: this is the result the agency below issued, unaltered.";
    p_verify_data => "Nội dung trên giấy tờ", "What the paper states";
    p_verify_failed_title => "Không xác minh được", "Cannot be verified";
    p_verify_failed => "Mã trên giấy tờ không khớp với kết quả nào do cơ quan nhà nước cấp qua cổng này. Giấy tờ có thể bị sửa đổi hoặc mã bị chép sai.", "The code on the paper matches no result issued through this portal. The paper may have been altered, or the code copied wrong.";
    p_other_acts => "Các thao tác khác", "Other actions";
    p_proposal => "Kết quả đề xuất", "Proposed result";
    p_result_outcome => "Kết quả giải quyết", "Outcome";
    p_proposed_by => "Người đề xuất", "Proposed by";
    p_yes => "Có", "Yes";
    p_no => "Không", "No";
    p_form_data => "Thông tin tờ khai", "The form";
    p_slips => "Phiếu in", "Printable slips";
    p_slip_01 => "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", "Receipt and appointment slip";
    p_slip_02 => "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ", "Request to supplement the dossier";
    p_slip_03 => "Phiếu từ chối tiếp nhận, giải quyết hồ sơ", "Refusal to receive or process the dossier";
    p_slip_04 => "Phiếu xin lỗi và hẹn lại ngày trả kết quả", "Apology and new appointment";
    p_slip_05 => "Phiếu kiểm soát quá trình giải quyết hồ sơ", "Processing-control slip";
    p_actions => "Thao tác", "Actions";
    p_reason => "Lý do", "Reason";
    p_items => "Nội dung cần bổ sung (mỗi dòng một mục, nêu đủ một lần)", "What is needed (one item per line, all at once)";
    p_amount => "Số tiền (đồng)", "Amount (đồng)";
    p_outcome => "Kết quả đề xuất", "Proposed result";
    p_outcome_issued => "Cấp kết quả", "Issue the result";
    p_outcome_refused => "Từ chối", "Refuse";
    p_outcome_was_issued => "Được giải quyết, cấp kết quả", "Granted: the result is issued";
    p_outcome_was_refused => "Từ chối giải quyết (lý do ở phiếu 03)", "Refused (the reasons are on form 03)";
    p_summary => "Tóm tắt, lý do", "Summary, reasons";
    p_new_due => "Ngày hẹn mới", "New appointment";
    p_note => "Nội dung đã bổ sung", "What you supplied";
    p_score => "Mức độ hài lòng", "Satisfaction";
    p_score_hint => "1: rất không hài lòng · 5: rất hài lòng", "1: very dissatisfied · 5: very satisfied";
    p_done => "Đã ghi nhận.", "Done.";
    p_conflict => "Hồ sơ vừa được người khác cập nhật; đây là tình trạng mới nhất, vui lòng thao tác lại.", "Someone else updated the dossier meanwhile; this is how it stands now, please act again.";
    p_lookup_title => "Tra cứu hồ sơ", "Look up a dossier";
    p_lookup_lead => "Nhập mã hồ sơ in trên giấy hẹn để xem tình trạng giải quyết.", "Enter the code printed on your appointment slip to see where it stands.";
    p_lookup_none => "Không tìm thấy hồ sơ có mã này.", "No dossier has this code.";
    p_workbench => "Bàn làm việc của cán bộ", "Officer workbench";
    p_workbench_none => "Tài khoản này chưa được phân công ở cơ quan nào.", "This account is not assigned to any agency.";
    p_queue_empty => "Không có hồ sơ.", "No dossier.";
    p_show_all => "Xem cả hồ sơ đã xong", "Show finished dossiers too";
    p_show_open => "Chỉ hồ sơ đang giải quyết", "Open dossiers only";
    p_assignee => "Người xử lý", "Assigned to";
    p_assign_to => "Giao cho", "Assign to";
    p_role_officer => "cán bộ", "officer";
    p_role_leader => "lãnh đạo", "leader";
    p_overdue => "Quá hạn", "Overdue";
    p_due_soon => "Sắp đến hạn", "Due soon";
    p_on_time => "Trong hạn", "On time";
    p_print => "In", "Print";
    p_qr_label => "Mã QR chứa mã hồ sơ", "QR code holding the dossier code";
    p_address => "Địa chỉ", "Address";
    p_slip_documents => "Thành phần hồ sơ nộp gồm", "Documents handed in";
    p_slip_no_documents => "Không phải nộp giấy tờ: Nhà nước đã có dữ liệu", "None to hand in: the state already holds the data";
    p_slip_sets => "Số lượng hồ sơ", "Number of sets";
    p_slip_one_set => "01 bộ", "1 set";
    p_slip_time_limit => "Thời gian giải quyết hồ sơ theo quy định", "Time limit set by law";
    p_slip_received => "Thời gian nhận hồ sơ", "Dossier received";
    p_slip_due => "Thời gian trả kết quả giải quyết hồ sơ", "Result to be returned";
    p_slip_result_at => "Đăng ký nhận kết quả tại", "Result to be collected at";
    p_slip_result_online => "hoặc trực tuyến, trên trang hồ sơ tại Cổng dịch vụ công", "or online, on the dossier's page of the public service portal";
    p_slip_applicant_signs => "Người nộp hồ sơ", "Applicant";
    p_slip_receiver_signs => "Người tiếp nhận hồ sơ", "Receiving officer";
    p_slip_sign_note => "(Ký và ghi rõ họ tên)", "(Signature and full name)";
    p_slip02_lead => "Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:", "To complete the dossier, the following is needed:";
    p_slip02_signer => "Người hướng dẫn", "Guided by";
    p_slip03_close => "Xin thông báo cho Ông/Bà được biết và thực hiện.", "You are informed of this accordingly.";
    p_slip03_receiver => "Người tiếp nhận hồ sơ", "Receiving officer";
    p_slip_for_agency => "Đại diện cơ quan", "For the agency";
    p_slip04_thanks => "Xin trân trọng cảm ơn sự hợp tác của Ông/Bà.", "Thank you for your understanding.";
    p_rated => "Bạn đã đánh giá:", "You rated:";
    p_supplement_items => "Cần bổ sung", "Needed";
    p_apology => "Lời xin lỗi của cơ quan", "The agency's apology";
    p_unlawful => "Không thực hiện được:", "Not possible:";
    p_channel_online => "Trực tuyến", "Online";
    p_channel_in_person => "Trực tiếp", "In person";
    p_channel_postal => "Bưu chính công ích", "Public postal service";
    p_files => "Giấy tờ đính kèm", "Attached documents";
    p_file => "Tệp (PDF, JPEG hoặc PNG, tối đa 10 MiB)", "File (PDF, JPEG or PNG, at most 10 MiB)";
    p_attach => "Đính kèm", "Attach";
    p_not_attached => "chưa đính kèm", "not attached yet";
    p_choose_file => "Chọn giấy tờ và tệp cần đính kèm.", "Choose the document and the file to attach.";
    p_file_too_large => "Tệp quá lớn, tối đa", "The file is too large; at most";
    p_late_warning => "Hồ sơ đã quá hạn hẹn: cần gửi phiếu xin lỗi và hẹn lại (mẫu 04).", "The appointment has passed: send an apology with a new appointment (form 04).";
}
