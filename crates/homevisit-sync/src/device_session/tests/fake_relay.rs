//! A relay stand-in on loopback for the device-session tests (the real relay depends on this
//! crate): `/v1/enroll` gives a token for one invite code (answering as a relay from before
//! enrollment said who a device is), every other request is answered 503 (two tokens get a 403).
//! It records each request's first line and `Authorization` header.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

pub const INVITE: &str = "invite-0123";
pub const DEVICE_ID: &str = "5f0c1a2b-3d4e-4f60-8a7b-9c0d1e2f3a4b";
pub const TOKEN: &str = "hv_fake_token_0123456789abcdef";
/// A token the stand-in answers as a revoked device's (403 `{"error":"revoked"}`).
pub const REVOKED_TOKEN: &str = "hv_revoked_token";
/// A token it answers with another 403 (not a revocation).
pub const FORBIDDEN_TOKEN: &str = "hv_forbidden_token";

pub struct FakeRelay {
    pub url: String,
    pub requests: Arc<Mutex<Vec<(String, String)>>>,
}

impl FakeRelay {
    pub fn start() -> FakeRelay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        // Ends with the test process.
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let (mut first, mut auth, mut length) = (String::new(), String::new(), 0usize);
                if reader.read_line(&mut first).is_err() {
                    continue;
                }
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    if lower.starts_with("authorization:") {
                        auth = line["authorization:".len()..].trim().to_string();
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                seen.lock().unwrap().push((first.trim().to_string(), auth.clone()));
                let (status, reply) = if first.starts_with("POST /v1/enroll") {
                    if String::from_utf8_lossy(&body).contains(&format!("\"{INVITE}\"")) {
                        ("200 OK", format!("{{\"device_id\":\"{DEVICE_ID}\",\"token\":\"{TOKEN}\"}}"))
                    } else {
                        ("401 Unauthorized", String::new())
                    }
                } else if auth == format!("Bearer {REVOKED_TOKEN}") {
                    ("403 Forbidden", r#"{"error":"revoked"}"#.to_string())
                } else if auth == format!("Bearer {FORBIDDEN_TOKEN}") {
                    ("403 Forbidden", r#"{"error":"forbidden"}"#.to_string())
                } else {
                    ("503 Service Unavailable", String::new())
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                    reply.len()
                );
            }
        });
        FakeRelay { url, requests }
    }

    /// Requests whose first line starts with `prefix`, with their `Authorization` header.
    pub fn requests_to(&self, prefix: &str) -> Vec<String> {
        self.requests.lock().unwrap().iter().filter(|(l, _)| l.starts_with(prefix)).map(|(_, a)| a.clone()).collect()
    }
}
