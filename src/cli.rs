//! The command line: `run | crds | simulate | report | export | plan | probe`.
//!
//! Every flag of `run` can also be set from the environment (`GOTO_OPERATOR_*`), which is how the
//! Helm chart configures the operator.
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Manages GoTo Meeting organizer seats declaratively from Kubernetes.
#[derive(Debug, Parser)]
#[command(name = "goto-operator", version, about)]
pub struct Cli {
    /// Log format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "GOTO_OPERATOR_LOG_FORMAT")]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object a line, for log pipelines.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the controllers (GoToAccount and GoToOrganizer).
    Run(RunArgs),
    /// Print the CustomResourceDefinitions as YAML.
    Crds,
    /// Run the GoTo API simulator on a local port.
    Simulate(SimulateArgs),
    /// Reports built from the GoTo API.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Write GoToOrganizer manifests for every organizer of a GoTo account that no object
    /// claims yet, to import the account without a single write to GoTo.
    Export(ExportArgs),
    /// Show what reconciling (or, with --delete, deleting) GoToOrganizer manifests would do,
    /// object by object, reading GoTo and the cluster and writing to neither. Exit code 0:
    /// nothing to do, 2: changes, 1: error.
    Plan(PlanArgs),
    /// GET an http:// URL and exit 0 on a 2xx answer (a health check from inside the image,
    /// which has no shell or curl), e.g. `probe http://127.0.0.1:8080/readyz`.
    Probe {
        /// The URL, e.g. http://127.0.0.1:8080/healthz.
        url: String,
    },
}

/// Flags of `goto-operator plan`.
#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// A manifest file or a directory of them (repeatable), as for `kubectl apply -f`.
    #[arg(long = "filename", short = 'f', required = true)]
    pub filename: Vec<PathBuf>,
    /// Preview deleting the objects instead of applying them: the deletion policy's outcome,
    /// naming every meeting a deletion would cancel or is blocked by.
    #[arg(long)]
    pub delete: bool,
    /// Namespace of manifests that name none (default: the kubeconfig's).
    #[arg(long, short = 'n')]
    pub namespace: Option<String>,
}

/// Flags of `goto-operator export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Namespace of the GoToAccount (and of the manifests written).
    #[arg(long, short = 'n')]
    pub namespace: String,
    /// Name of the GoToAccount whose GoTo account is exported.
    #[arg(long)]
    pub account: String,
    /// Write `managementPolicy: Manage` instead of `Observe`.
    #[arg(long)]
    pub manage: bool,
    /// Write one file per organizer into this directory (created if missing) instead of one
    /// YAML stream on stdout.
    #[arg(long = "output-dir", short = 'o')]
    pub output_dir: Option<PathBuf>,
}

/// Flags of `goto-operator run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// How often every organizer is re-read from GoTo to detect drift, in seconds.
    #[arg(long, env = "GOTO_OPERATOR_RESYNC_SECONDS", default_value_t = 600)]
    pub resync_seconds: u64,
    /// How often a deletion blocked by upcoming meetings re-audits them, in seconds.
    #[arg(long, env = "GOTO_OPERATOR_REAUDIT_SECONDS", default_value_t = 60)]
    pub reaudit_seconds: u64,
    /// After how long an object the operator has not acted on (generation not observed, or a
    /// deletion pending without a reason that says why) counts as stalled: logged, counted in
    /// goto_operator_stalled_objects and reconciled again. Default: three resync periods.
    #[arg(long, env = "GOTO_OPERATOR_STALL_SECONDS")]
    pub stall_seconds: Option<u64>,
    /// How long to wait before retrying problems only a person can fix (bad spec, bad
    /// credentials, no seat), in seconds. Fixing the object or its account retries at once.
    #[arg(
        long,
        env = "GOTO_OPERATOR_SLOW_REQUEUE_SECONDS",
        default_value_t = 300
    )]
    pub slow_requeue_seconds: u64,
    /// How many objects of each kind are reconciled at once.
    #[arg(long, env = "GOTO_OPERATOR_CONCURRENCY", default_value_t = 4)]
    pub concurrency: u16,
    /// Upper bound of one request to GoTo (token or API, body included), in seconds; a
    /// timeout also starts the account's cool-off (see the README's Security section).
    #[arg(
        long,
        env = "GOTO_OPERATOR_REQUEST_TIMEOUT_SECONDS",
        default_value_t = 30
    )]
    pub request_timeout_seconds: u64,
    /// Watch only these namespaces: repeat the flag, or separate them with commas (the
    /// environment variable too). Default: all namespaces (which needs cluster-wide rights).
    #[arg(long, env = "GOTO_OPERATOR_NAMESPACE", value_delimiter = ',')]
    pub namespace: Vec<String>,
    /// Reconcile only GoToOrganizers and GoToAccounts matching this label selector (e.g.
    /// `shard=a`), for an operator that must share a cluster with another. Claims are checked
    /// among the objects it watches.
    #[arg(long, env = "GOTO_OPERATOR_LABEL_SELECTOR")]
    pub label_selector: Option<String>,
    /// Address of the HTTP server for /metrics, /healthz and /readyz.
    #[arg(
        long,
        env = "GOTO_OPERATOR_METRICS_BIND",
        default_value = "0.0.0.0:8080"
    )]
    pub metrics_bind: SocketAddr,
    /// Serve GoTo push notifications (`POST /webhooks/goto/{namespace}/{account}`) on this
    /// address; off when unset. Each notification makes the operator re-read the organizer it
    /// names, for accounts with `spec.webhook`.
    #[arg(long, env = "GOTO_OPERATOR_WEBHOOK_BIND")]
    pub webhook_bind: Option<SocketAddr>,
    /// Elect a leader through a Lease so that only one replica acts at a time.
    #[arg(long, env = "GOTO_OPERATOR_LEADER_ELECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub leader_election: bool,
    /// Namespace of the leader-election Lease (default: the pod's namespace, else `default`).
    #[arg(long, env = "GOTO_OPERATOR_LEASE_NAMESPACE")]
    pub lease_namespace: Option<String>,
    /// Name of the leader-election Lease.
    #[arg(
        long,
        env = "GOTO_OPERATOR_LEASE_NAME",
        default_value = "goto-operator-leader"
    )]
    pub lease_name: String,
    /// Identity of this replica in the Lease (default: the pod name from HOSTNAME).
    #[arg(long, env = "GOTO_OPERATOR_IDENTITY")]
    pub identity: Option<String>,
    /// This replica's own Pod. While this replica leads, the Pod carries the label
    /// `goto-operator.dev/leader: "true"`, so that a Service can route to the leader alone (the
    /// chart's webhook Service does); the label is removed at startup and before the Lease is
    /// given up. Needs `patch` on pods; a failure is logged and retried, never fatal. Unset: no
    /// label.
    #[arg(long, env = "GOTO_OPERATOR_POD_NAME")]
    pub pod_name: Option<String>,
    /// Namespace of that Pod (default: the pod's namespace, else `default`).
    #[arg(long, env = "GOTO_OPERATOR_POD_NAMESPACE")]
    pub pod_namespace: Option<String>,
}

/// Flags of `goto-operator simulate`.
#[derive(Debug, Clone, Args)]
pub struct SimulateArgs {
    /// Address to listen on; loopback unless told otherwise.
    #[arg(long, default_value = "127.0.0.1:8089")]
    pub bind: SocketAddr,
    /// The simulated account's key (digits).
    #[arg(long, default_value = "4200000000000000001")]
    pub account_key: String,
    /// The OAuth client id the simulator accepts.
    #[arg(long, default_value = "demo-client")]
    pub client_id: String,
    /// The OAuth client secret the simulator accepts (a test credential, never a real one).
    #[arg(long, env = "GOTO_SIM_CLIENT_SECRET", default_value = "demo-secret")]
    pub client_secret: String,
    /// Paid organizer seats (default: unlimited).
    #[arg(long)]
    pub seats: Option<u32>,
    /// Most API requests admitted in any sliding one-second window; above it the simulator
    /// answers 429 with Retry-After and counts requests that arrive before it ran out.
    #[arg(long, visible_alias = "requests-per-second")]
    pub rate_limit: Option<f64>,
    /// Access-token lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    pub token_ttl: u64,
    /// Seed file (YAML or JSON): organizers, upcoming meetings, HISTORY sessions with attendees.
    #[arg(long)]
    pub seed: Option<PathBuf>,
    /// Fraction (0..1) of API requests answered with a 503.
    #[arg(long, default_value_t = 0.0)]
    pub fault_5xx_rate: f64,
    /// Added latency per request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// The first key handed out (default 2^64 + 1, which catches v2 clients that parse keys as
    /// numbers). GoTo's v1 sends keys as JSON int64 numbers: use e.g. 9007199254740993 (2^53 + 1)
    /// for a world served through v1.
    #[arg(long)]
    pub first_key: Option<u128>,
    /// Keep every v1 request and answer whole, for `GET /_sim/exchanges` (conformance checks).
    #[arg(long)]
    pub record_exchanges: bool,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Who attended which meeting sessions in a date range.
    Attendance(AttendanceArgs),
}

/// Output format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Csv,
    Json,
}

/// Flags of `goto-operator report attendance`.
#[derive(Debug, Clone, Args)]
pub struct AttendanceArgs {
    /// First day of the range (YYYY-MM-DD, UTC, inclusive) or an RFC 3339 timestamp.
    #[arg(long)]
    pub from: String,
    /// Last day of the range (YYYY-MM-DD, UTC, inclusive) or an RFC 3339 timestamp.
    #[arg(long)]
    pub to: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Csv)]
    pub format: ReportFormat,
    /// Write to this file (atomically) instead of stdout.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Only this organizer, by email (repeatable).
    #[arg(long = "email")]
    pub emails: Vec<String>,
    /// Only this organizer, by key (repeatable).
    #[arg(long = "organizer-key")]
    pub organizer_keys: Vec<String>,
    /// Read a GoToAccount and its Secret through the kubeconfig: NAMESPACE/NAME.
    #[arg(
        long,
        conflicts_with = "account_key",
        required_unless_present = "account_key"
    )]
    pub account: Option<String>,
    /// Standalone: the GoTo account key; credentials come from GOTO_CLIENT_ID / GOTO_CLIENT_SECRET.
    #[arg(long)]
    pub account_key: Option<String>,
    /// The dialect of GoTo's API to read through: v2 (the seed guide's, the default) or v1
    /// (GoTo Meeting REST v1, as GoTo publishes it). With --account: the GoToAccount's `api`.
    #[arg(long, value_parser = parse_api)]
    pub api: Option<crate::goto::Dialect>,
    /// Standalone: the GoTo REST base URL (default: GoTo's own for --api).
    #[arg(long)]
    pub api_base_url: Option<String>,
    /// Standalone: the OAuth token URL.
    #[arg(long, default_value = crate::goto::DEFAULT_TOKEN_URL)]
    pub token_url: String,
}

/// `--api`: `v1` or `v2`, as `spec.api` spells them.
fn parse_api(value: &str) -> Result<crate::goto::Dialect, String> {
    match value {
        "v1" => Ok(crate::goto::Dialect::V1),
        "v2" => Ok(crate::goto::Dialect::V2),
        other => Err(format!("{other:?} is not an API dialect: use v1 or v2")),
    }
}
