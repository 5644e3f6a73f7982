//! Prometheus metrics: counts and latencies only, labelled by endpoint and outcome (never by
//! device, school or document, so no metric can identify a family).

use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Outcome {
    pub endpoint: &'static str,
    pub status: u16,
}

pub struct Metrics {
    registry: Mutex<Registry>,
    pub requests: Family<Outcome, Counter>,
    pub sync_seconds: Histogram,
    pub messages_in: Counter,
    pub messages_out: Counter,
    pub refused: Counter,
    pub bytes_in: Counter,
    pub bytes_out: Counter,
    /// Sessions live requests ran to look again after a change they may read.
    pub live_looks: Counter,
    /// Refused writes not written to the audit trail (a device over its audited refusals a minute).
    pub audit_suppressed: Counter,
    /// Sync requests holding an admission permit, and waiting for one ([`crate::admission`]),
    /// as of the last scrape.
    pub sync_running: Gauge,
    pub sync_waiting: Gauge,
    /// Sync requests in line whose bodies are still arriving, as of the last scrape.
    pub sync_reading: Gauge,
}

impl Metrics {
    pub fn new() -> Self {
        let requests = Family::<Outcome, Counter>::default();
        let sync_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        let (messages_in, messages_out, refused, bytes_in, bytes_out) =
            (Counter::default(), Counter::default(), Counter::default(), Counter::default(), Counter::default());
        let mut registry = Registry::with_prefix("homevisit_relay");
        registry.register("requests", "HTTP requests by endpoint and status", requests.clone());
        registry.register("sync_duration_seconds", "Time to answer a sync request", sync_seconds.clone());
        registry.register("sync_messages_received", "Document sync messages received", messages_in.clone());
        registry.register("sync_messages_sent", "Document sync messages sent", messages_out.clone());
        registry.register("sync_refused", "Document messages refused (forbidden or malformed)", refused.clone());
        registry.register("sync_bytes_received", "Sync body bytes received", bytes_in.clone());
        registry.register("sync_bytes_sent", "Sync body bytes sent", bytes_out.clone());
        let live_looks = Counter::default();
        registry.register(
            "live_looks",
            "Sessions run by live requests looking again after a change",
            live_looks.clone(),
        );
        let audit_suppressed = Counter::default();
        registry.register(
            "audit_suppressed",
            "Refused writes counted but not written to the audit trail (over a device's audited refusals a minute)",
            audit_suppressed.clone(),
        );
        let (sync_running, sync_waiting) = (Gauge::default(), Gauge::default());
        registry.register(
            "sync_running",
            "Sync requests being worked on (holding an admission permit)",
            sync_running.clone(),
        );
        registry.register("sync_waiting", "Sync requests waiting for an admission permit", sync_waiting.clone());
        let sync_reading = Gauge::default();
        registry.register(
            "sync_reading_bodies",
            "Sync requests in line whose bodies are still arriving (a slow uplink, or a device trickling bytes)",
            sync_reading.clone(),
        );
        Self {
            registry: Mutex::new(registry),
            requests,
            sync_seconds,
            messages_in,
            messages_out,
            refused,
            bytes_in,
            bytes_out,
            live_looks,
            audit_suppressed,
            sync_running,
            sync_waiting,
            sync_reading,
        }
    }

    pub fn count(&self, endpoint: &'static str, status: u16) {
        self.requests.get_or_create(&Outcome { endpoint, status }).inc();
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        prometheus_client::encoding::text::encode(&mut out, &registry).expect("writing to a String cannot fail");
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
