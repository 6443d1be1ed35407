//! `TestApp`: the whole HTTP application on an ephemeral port, over a fresh
//! SQLite store in a temporary directory.

use std::net::SocketAddr;

pub struct TestApp {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
    _server: tokio::task::JoinHandle<()>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let dir = tempfile::tempdir().expect("temporary directory");
        let location = store::Location::SqliteFile(dir.path().join("motcua.db"));
        let store = store::open(&location).await.expect("open the test store");
        store
            .sync_units(units::Units::get())
            .await
            .expect("load the units");
        let state = web::AppState {
            store,
            units: units::Units::get(),
        };
        let app = web::app(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind an ephemeral port");
        let addr = listener.local_addr().expect("local address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestApp {
            addr,
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            _dir: dir,
            _server: server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}
