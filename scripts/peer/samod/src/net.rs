//! WebSocket transports for samod with byte counters (the counterpart of the JS peer's
//! `CountingWebSocketClientAdapter`): payload bytes and messages of binary WS messages per
//! direction, plus TCP bytes (HTTP upgrade + WS framing) from a counting socket wrapper.

use std::{
    convert::Infallible,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
    task::{Context, Poll},
    time::Instant,
};

use futures::{FutureExt, SinkExt, StreamExt, future::BoxFuture};
use samod::{DialError, Dialer, Transport};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::{WebSocketStream, tungstenite::Message};

#[derive(Debug)]
pub struct NetError(String);
impl std::fmt::Display for NetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for NetError {}

/// Per-client counters (all connections the client's dialer made).
#[derive(Default)]
pub struct Counters {
    pub payload_out: AtomicU64,
    pub payload_in: AtomicU64,
    pub msgs_out: AtomicU64,
    pub msgs_in: AtomicU64,
    pub wire_out: AtomicU64,
    pub wire_in: AtomicU64,
    pub sockets: AtomicU64,
    /// First message sent / received since the last `reset_marks` (W2 latency breakdown).
    pub first_send: Mutex<Option<Instant>>,
    pub first_recv: Mutex<Option<Instant>>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Snapshot {
    pub payload_out: u64,
    pub payload_in: u64,
    pub msgs_out: u64,
    pub msgs_in: u64,
    pub wire_out: u64,
    pub wire_in: u64,
}

impl Snapshot {
    pub fn minus(self, b: Snapshot) -> Snapshot {
        Snapshot {
            payload_out: self.payload_out - b.payload_out,
            payload_in: self.payload_in - b.payload_in,
            msgs_out: self.msgs_out - b.msgs_out,
            msgs_in: self.msgs_in - b.msgs_in,
            wire_out: self.wire_out - b.wire_out,
            wire_in: self.wire_in - b.wire_in,
        }
    }
}

impl Counters {
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            payload_out: self.payload_out.load(Relaxed),
            payload_in: self.payload_in.load(Relaxed),
            msgs_out: self.msgs_out.load(Relaxed),
            msgs_in: self.msgs_in.load(Relaxed),
            wire_out: self.wire_out.load(Relaxed),
            wire_in: self.wire_in.load(Relaxed),
        }
    }

    pub fn reset_send_mark(&self) {
        *self.first_send.lock().unwrap() = None;
    }

    pub fn take_recv_mark(&self) -> Option<Instant> {
        self.first_recv.lock().unwrap().take()
    }

    fn sent(&self, n: usize) {
        self.payload_out.fetch_add(n as u64, Relaxed);
        self.msgs_out.fetch_add(1, Relaxed);
        self.first_send.lock().unwrap().get_or_insert_with(Instant::now);
    }

    fn received(&self, n: usize) {
        self.payload_in.fetch_add(n as u64, Relaxed);
        self.msgs_in.fetch_add(1, Relaxed);
        self.first_recv.lock().unwrap().get_or_insert_with(Instant::now);
    }
}

/// A socket that counts the TCP bytes read and written.
struct CountingIo<T> {
    inner: T,
    counters: Arc<Counters>,
}

impl<T: AsyncRead + Unpin> AsyncRead for CountingIo<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        self.counters.wire_in.fetch_add((buf.filled().len() - before) as u64, Relaxed);
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for CountingIo<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &r {
            self.counters.wire_out.fetch_add(*n as u64, Relaxed);
        }
        r
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// samod `Transport` over a WebSocket: binary messages in both directions (as samod's own
/// tungstenite/axum adapters do), counting payloads when `counters` is given.
pub fn ws_transport<S>(ws: WebSocketStream<S>, counters: Option<Arc<Counters>>) -> Transport
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sink, stream) = ws.split();
    let c_in = counters.clone();
    let stream = stream
        .filter_map(move |msg| {
            let r = match msg {
                Ok(Message::Binary(b)) => {
                    if let Some(c) = &c_in {
                        c.received(b.len());
                    }
                    Some(Ok(b.to_vec()))
                }
                Ok(Message::Text(_)) => Some(Err(NetError("unexpected text message".into()))),
                Ok(_) => None, // ping/pong/close
                Err(e) => Some(Err(NetError(format!("websocket receive error: {e}")))),
            };
            futures::future::ready(r)
        })
        .boxed();
    let sink = sink.sink_map_err(|e| NetError(format!("websocket send error: {e}"))).with(move |msg: Vec<u8>| {
        if let Some(c) = &counters {
            c.sent(msg.len());
        }
        futures::future::ready(Ok::<_, NetError>(Message::Binary(msg.into())))
    });
    Transport::new(stream, Box::pin(sink))
}

/// Client dialer: TCP (no Nagle, like Node's `ws`) + WebSocket handshake, counted.
pub struct CountingWsDialer {
    pub url: url::Url,
    pub counters: Arc<Counters>,
}

impl Dialer for CountingWsDialer {
    type Error = Infallible;

    fn url(&self) -> url::Url {
        self.url.clone()
    }

    fn connect(&self) -> BoxFuture<'static, Result<Transport, DialError<Infallible>>> {
        let url = self.url.clone();
        let counters = self.counters.clone();
        async move {
            let host = url.host_str().unwrap_or("127.0.0.1").to_string();
            let port = url.port().unwrap_or(80);
            let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await.map_err(DialError::transient)?;
            tcp.set_nodelay(true).map_err(DialError::transient)?;
            counters.sockets.fetch_add(1, Relaxed);
            let io = CountingIo { inner: tcp, counters: counters.clone() };
            let (ws, _resp) = tokio_tungstenite::client_async(url.as_str(), io).await.map_err(DialError::transient)?;
            Ok(ws_transport(ws, Some(counters)))
        }
        .boxed()
    }
}
