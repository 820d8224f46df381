//! `GoToAccount`: one GoTo account and how to reach it.
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::goto::{DEFAULT_TOKEN_URL, Dialect};

/// How many objects `status.blockedDeletions.objects` lists at most.
pub const BLOCKED_LIST_LIMIT: usize = 20;

/// How to reach one GoTo account: its key, OAuth client credentials, and endpoints.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "goto-operator.dev",
    version = "v1alpha1",
    kind = "GoToAccount",
    plural = "gotoaccounts",
    shortname = "gta",
    category = "goto",
    namespaced,
    status = "GoToAccountStatus",
    doc = "One GoTo account and how to reach it: its account key, the Secret with the OAuth client credentials of an admin application, the endpoints, and the request budget every organizer of the account shares. Its status says whether the credentials work, the seat inventory, and which organizers' deletion waits for a person (`OffboardingBlocked`).",
    printcolumn = r#"{"name":"Account Key","type":"string","jsonPath":".spec.accountKey"}"#,
    printcolumn = r#"{"name":"API","type":"string","description":"The dialect of GoTo's API spoken (v1: as GoTo publishes it; v2: the seed guide's)","jsonPath":".spec.api"}"#,
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Reason","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].reason"}"#,
    printcolumn = r#"{"name":"Seats In Use","type":"integer","description":"Organizers in the GoTo account","jsonPath":".status.seats.inGoTo"}"#,
    printcolumn = r#"{"name":"Waiting","type":"integer","description":"GoToOrganizers waiting for a paid seat","jsonPath":".status.seats.waitingForSeat"}"#,
    printcolumn = r#"{"name":"Blocked","type":"integer","description":"GoToOrganizers whose deletion waits for a person","jsonPath":".status.blockedDeletions.count"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct GoToAccountSpec {
    /// GoTo's account key: digits only, kept as a string (it can exceed 2^64).
    #[schemars(length(min = 1, max = 40), pattern(r"^[0-9]+$"))]
    pub account_key: String,
    /// The Secret, in this namespace, holding the OAuth client id and secret of an admin
    /// (client-credentials) application.
    pub credentials_secret_ref: CredentialsSecretRef,
    /// Which dialect of GoTo's admin API the endpoint speaks: `v2` (the seed guide's
    /// `/G2M/rest/v2`, the default) or `v1` (GoTo Meeting REST v1, as GoTo publishes it; it
    /// cannot change names, locale, time zone or roles, which are then reported as
    /// `NotSupportedByApi`).
    #[serde(default)]
    pub api: Dialect,
    /// GoTo Meeting REST base URL: https, or plain http only to a loopback host (127.0.0.0/8,
    /// ::1, localhost), checked at admission and again before any request. Unset: GoTo's own,
    /// per `api` (`https://api.getgo.com/G2M/rest/v2` for v2, `https://api.getgo.com/G2M/rest`
    /// for v1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048), pattern(r"^(https://[^\s]+|http://(localhost|127(\.[0-9]{1,3}){3}|\[::1\])(:[0-9]{1,5})?([/?#][^\s]*)?)$"))]
    pub api_base_url: Option<String>,
    /// OAuth token URL. GoTo's issuer is the unified LogMeIn one; a wrong issuer is the most
    /// common integration failure. The same rule as `apiBaseUrl`: https, or plain http only to a
    /// loopback host.
    #[serde(default = "default_token_url")]
    #[schemars(length(max = 2048), pattern(r"^(https://[^\s]+|http://(localhost|127(\.[0-9]{1,3}){3}|\[::1\])(:[0-9]{1,5})?([/?#][^\s]*)?)$"))]
    pub token_url: String,
    /// Client-side request budget: the most requests per second the operator sends for this
    /// OAuth application (token URL, client id, account key), paced evenly and shared by every
    /// organizer and every GoToAccount naming the same application. GoTo publishes a default
    /// limit of 10 requests per second per API; raise this only if GoTo raised yours.
    #[serde(default = "default_requests_per_second")]
    #[schemars(range(min = 1, max = 1000))]
    pub requests_per_second: u32,
    /// Accept GoTo push notifications for this account on the operator's webhook endpoint
    /// (`goto-operator run --webhook-bind`), verified with HMAC-SHA256 under this key. A
    /// notification only makes the operator re-read the organizer it names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<Webhook>,
}

/// Push notifications for one account.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// The Secret (same namespace) and key holding the HMAC-SHA256 key notifications are signed
    /// with.
    pub secret_ref: SecretKeyRef,
}

/// One key of a Secret in the same namespace.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretKeyRef {
    /// Name of the Secret.
    #[schemars(
        length(min = 1, max = 253),
        pattern(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    )]
    pub name: String,
    /// Key in the Secret's data.
    #[schemars(length(min = 1, max = 253), pattern(r"^[-._a-zA-Z0-9]+$"))]
    pub key: String,
}

/// Where the OAuth client credentials are.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialsSecretRef {
    /// Name of the Secret (same namespace as the GoToAccount).
    #[schemars(
        length(min = 1, max = 253),
        pattern(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    )]
    pub name: String,
    /// Key of the client id in the Secret's data.
    #[serde(default = "default_client_id_key")]
    #[schemars(length(min = 1, max = 253), pattern(r"^[-._a-zA-Z0-9]+$"))]
    pub client_id_key: String,
    /// Key of the client secret in the Secret's data.
    #[serde(default = "default_client_secret_key")]
    #[schemars(length(min = 1, max = 253), pattern(r"^[-._a-zA-Z0-9]+$"))]
    pub client_secret_key: String,
}

/// What the operator last observed about the account.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GoToAccountStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready` (the credentials work) and `OffboardingBlocked` (True while the deletion of any
    /// of the account's organizers waits for a person), with stable reasons.
    #[serde(default)]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
    /// The organizers of this account whose deletion waits for a person (upcoming meetings and
    /// `onUpcomingMeetings: Block`). Argo CD shows an object being deleted only as "Pending
    /// deletion", so this is where a stuck offboarding shows, on the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_deletions: Option<BlockedDeletions>,
    /// The rate the request budget lets requests out at, as of the last account reconcile:
    /// `requestsPerSecond`, or less while it recovers from 429s (halved on a 429, then 10% of
    /// `requestsPerSecond` back per second without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_requests_per_second: Option<f64>,
    /// The period, in seconds, over which the account's organizers are read again for drift:
    /// `--resync-seconds`, or longer when that would need more than half of the account's rate
    /// (a v2 resync costs one read per organizer; v1 reads the account in one listing and is
    /// never stretched). The rate is never exceeded; the period stretches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_resync_seconds: Option<u64>,
    /// The seat inventory, from the account directory the operator already keeps (no extra
    /// GoTo calls in steady state), refreshed at most once per resync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seats: Option<SeatInventory>,
}

/// How the account's organizer seats are used.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeatInventory {
    /// When GoTo was listed for these numbers.
    pub observed_at: Time,
    /// Organizers in the GoTo account.
    #[serde(rename = "inGoTo")]
    pub in_goto: u32,
    /// Of which claimed by a GoToOrganizer (any namespace the operator watches).
    pub managed: u32,
    /// Of which claimed by none (`goto-operator export` writes manifests for them).
    pub unmanaged: u32,
    /// Of which suspended.
    pub suspended: u32,
    /// GoToOrganizers of this account waiting for a paid seat (`SeatUnavailable`).
    pub waiting_for_seat: u32,
}

/// The organizers of one account whose deletion is blocked.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BlockedDeletions {
    /// How many organizers' deletion is blocked.
    pub count: u32,
    /// The first 20 of them, by namespace and name.
    #[serde(default)]
    #[schemars(length(max = 20))]
    pub objects: Vec<BlockedDeletion>,
}

/// One GoToOrganizer whose deletion waits for a person.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BlockedDeletion {
    /// The GoToOrganizer's namespace.
    pub namespace: String,
    /// The GoToOrganizer's name.
    pub name: String,
    /// How many upcoming meetings its last audit found (`status.meetingAudit` lists them).
    pub upcoming_meetings: u32,
}

impl GoToAccountSpec {
    /// The base URL requests go to: `apiBaseUrl`, or GoTo's own for the dialect.
    pub fn base_url(&self) -> &str {
        self.api_base_url
            .as_deref()
            .unwrap_or(self.api.default_base_url())
    }
}

fn default_token_url() -> String {
    DEFAULT_TOKEN_URL.to_string()
}
fn default_requests_per_second() -> u32 {
    10
}
fn default_client_id_key() -> String {
    "clientId".to_string()
}
fn default_client_secret_key() -> String {
    "clientSecret".to_string()
}
