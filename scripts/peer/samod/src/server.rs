//! Server mode (its own OS process): a samod `Repo` with filesystem storage behind a WebSocket
//! listener on 127.0.0.1, configured like the JS peer's server (`sharePolicy: async () => false`):
//! it announces no document to anyone but answers every request and accepts every change.
//! Prints `{"event":"listening","port":P,"pid":..}` on stdout, then exits on stdin EOF (the
//! orchestrator went away), SIGTERM/SIGINT, or after `max_life_s`.

use std::{path::PathBuf, time::Duration};

use samod::{PeerId, Repo, ShareConfig, storage::TokioFilesystemStorage};
use tokio::io::AsyncReadExt;

use crate::net::ws_transport;

pub async fn run(port: u16, dir: PathBuf, max_life_s: u64) -> std::io::Result<()> {
    std::fs::create_dir_all(&dir)?;
    let repo = Repo::build_tokio()
        .with_storage(TokioFilesystemStorage::new(&dir))
        .with_peer_id(PeerId::from("sync-server"))
        .with_share_policy(ShareConfig::read_write().with_announce(false))
        .load()
        .await;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let port = listener.local_addr()?.port();
    let acceptor = repo
        .make_acceptor(url::Url::parse(&format!("ws://127.0.0.1:{port}")).expect("valid url"))
        .map_err(|_| std::io::Error::other("repo stopped"))?;
    println!("{}", serde_json::json!({"event": "listening", "port": port, "pid": std::process::id()}));

    let accept_loop = async {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { continue };
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                match tokio_tungstenite::accept_async(tcp).await {
                    Ok(ws) => {
                        if acceptor.accept(ws_transport(ws, None)).is_err() {
                            eprintln!("server: repo stopped, connection dropped");
                        }
                    }
                    Err(e) => eprintln!("server: websocket handshake failed: {e}"),
                }
            });
        }
    };
    let stdin_closed = async {
        let mut stdin = tokio::io::stdin();
        let mut buf = [0u8; 64];
        while let Ok(n) = stdin.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    };
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = accept_loop => {}
        _ = stdin_closed => {}
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
        _ = tokio::time::sleep(Duration::from_secs(max_life_s)) => eprintln!("server: max lifetime reached"),
    }
    // Flush storage like the JS server's shutdown, bounded.
    let _ = tokio::time::timeout(Duration::from_secs(10), repo.stop()).await;
    Ok(())
}
