//! The families of the operator's requests to GoTo: every request by operation and outcome,
//! their latency, and the writes that succeeded.
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::{duration_histogram, registered};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    action: &'static str,
}

pub(super) struct RequestFamilies {
    requests: Family<RequestLabels, Counter>,
    duration: Family<OperationLabels, Histogram>,
    writes: Family<ActionLabels, Counter>,
}

impl RequestFamilies {
    /// The families, registered in `registry`.
    pub(super) fn registered(registry: &mut Registry) -> Self {
        Self {
            requests: registered(
                registry,
                "goto_requests",
                "HTTP requests sent to the GoTo API, by operation and outcome",
                Family::default(),
            ),
            duration: registered(
                registry,
                "goto_request_duration_seconds",
                "Latency of GoTo API requests",
                Family::new_with_constructor(duration_histogram as fn() -> Histogram),
            ),
            writes: registered(
                registry,
                "goto_writes",
                "Writes the operator made to GoTo (create, update, suspend, resume, delete)",
                Family::default(),
            ),
        }
    }

    /// Counts one request and its latency.
    pub(super) fn request(
        &self,
        operation: &'static str,
        outcome: &'static str,
        elapsed: Duration,
    ) {
        self.requests
            .get_or_create(&RequestLabels { operation, outcome })
            .inc();
        self.duration
            .get_or_create(&OperationLabels { operation })
            .observe(elapsed.as_secs_f64());
    }

    /// Counts one write to GoTo that succeeded.
    pub(super) fn wrote(&self, action: &'static str) {
        self.writes.get_or_create(&ActionLabels { action }).inc();
    }
}
