//! `motcua bench papers`: how many result PDFs (`paper::pdf`, the paper of
//! an issued birth registration with its QR code) a machine makes per
//! second, on one thread and on several, and how large they are.

use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct PaperArgs {
    /// How long each measurement runs, seconds.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Threads making papers at once (default: the machine's cores).
    #[arg(long)]
    threads: Option<usize>,
}

/// A birth registration's result as the portal prints it: fifteen facts,
/// a QR code of a verification address with its seal, a signer.
fn birth_certificate() -> anyhow::Result<paper::Paper> {
    let url = format!(
        "https://dichvucong.example.vn/xac-minh/UBND.29029-261207-0001?dau={}&khoa=vn-gov-bca-registry-demo-1",
        "lXzdK3hsD3qUvT8te4WnqCa2ucWfdbvA5tOTOqbWQtB4kNBjktuatrzm_kx6E-9FyxO5C15iVlq4Ore2p961ywj3kTqQ8M5rojDGIBw"
    );
    let fact = |label: &str, value: &str| paper::Block::Fact {
        label: label.into(),
        value: value.into(),
    };
    Ok(paper::Paper {
        lang: "vi".into(),
        agency: "Ủy ban nhân dân xã Tân Hào".into(),
        number: Some("Số: UBND.29029-261207-0001".into()),
        place_date: "Tân Hào, ngày 07 tháng 12 năm 2026".into(),
        title: "Giấy khai sinh (bản chính); bản sao Giấy khai sinh nếu có yêu cầu".into(),
        lead: vec!["Đăng ký khai sinh".into()],
        body: vec![
            fact("Người nộp", "Nguyễn Thế Tuấn"),
            fact("Nơi nộp hồ sơ", "Xã Tân Hào, Tỉnh Vĩnh Long"),
            fact("Họ, chữ đệm và tên của trẻ", "Nguyễn Thị Mai"),
            fact("Ngày sinh của trẻ", "20/02/2026"),
            fact("Giới tính của trẻ", "Nữ"),
            fact("Nơi sinh của trẻ", "Bệnh viện Phụ sản Từ Dũ"),
            fact("Dân tộc của trẻ", "Kinh"),
            fact("Quốc tịch của trẻ", "Việt Nam"),
            fact(
                "Số định danh cá nhân của cha/mẹ (người yêu cầu)",
                "083063836563",
            ),
            fact(
                "Họ, chữ đệm và tên của cha/mẹ (người yêu cầu)",
                "Nguyễn Thế Tuấn",
            ),
            fact("Ngày sinh của cha/mẹ (người yêu cầu)", "03/06/1963"),
            fact(
                "Nơi cư trú của cha/mẹ (người yêu cầu)",
                "Ấp 5, Xã Tân Hào, Tỉnh Vĩnh Long",
            ),
            fact(
                "Số định danh cá nhân của người cha/mẹ còn lại",
                "084166212728",
            ),
            fact(
                "Họ, chữ đệm và tên của người cha/mẹ còn lại",
                "Nguyễn Kim Bích",
            ),
            fact("Ngày cấp", "21:10 07/12/2026"),
        ],
        qr: Some(paper::Qr::encode(
            &url,
            "Quét mã QR để xác minh giấy tờ này tại".into(),
            Some(url.clone()),
        )?),
        signature: Some(paper::Signature {
            role: "Đại diện cơ quan Ủy ban nhân dân xã Tân Hào".into(),
            note: "(Ký và ghi rõ họ tên)".into(),
            name: "Nguyễn Ngọc Thắng".into(),
        }),
        footer: "Giấy khai sinh · UBND.29029-261207-0001".into(),
    })
}

pub fn papers(args: PaperArgs) -> anyhow::Result<()> {
    let paper = birth_certificate()?;
    let bytes = paper::pdf(&paper)?.len();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = args.threads.unwrap_or(cores).max(1);
    let run = Duration::from_secs(args.seconds.max(1));
    for n in [1, threads] {
        let started = Instant::now();
        let timings: Vec<Vec<f64>> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..n)
                .map(|_| {
                    s.spawn(|| {
                        let mut ms = Vec::new();
                        while started.elapsed() < run {
                            let t = Instant::now();
                            if paper::pdf(&paper).is_err() {
                                break;
                            }
                            ms.push(t.elapsed().as_secs_f64() * 1e3);
                        }
                        ms
                    })
                })
                .collect();
            workers.into_iter().filter_map(|w| w.join().ok()).collect()
        });
        let seconds = started.elapsed().as_secs_f64();
        let mut ms: Vec<f64> = timings.into_iter().flatten().collect();
        ms.sort_by(f64::total_cmp);
        let made = ms.len();
        let p50 = ms.get(made / 2).copied().unwrap_or(0.0);
        let p99 = ms.get(made * 99 / 100).copied().unwrap_or(0.0);
        println!(
            "{}",
            serde_json::json!({
                "paper": "birth certificate, 15 facts, QR code",
                "threads": n,
                "cores": cores,
                "papers": made,
                "seconds": seconds,
                "per_sec": made as f64 / seconds,
                "p50_ms": p50,
                "p99_ms": p99,
                "bytes": bytes,
            })
        );
    }
    Ok(())
}
