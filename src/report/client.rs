//! The GoTo the report reads, in either dialect: the seed's v2 (HISTORY sessions, then each
//! session's attendees by meetingInstanceKey) or GoTo Meeting REST v1 as GoTo publishes it
//! (every attendee of every session of one organizer in one call).
use crate::goto::{GoToApi, GoToClient, V1Client};

/// The account's GoTo, in the dialect the report reads through.
#[derive(Clone, Debug)]
pub enum ReportClient {
    /// The seed's `/G2M/rest/v2`.
    V2(GoToClient),
    /// GoTo Meeting REST v1 (`/G2M/rest`).
    V1(V1Client),
}

impl ReportClient {
    /// The seam, for what both dialects answer alike (listing and reading organizers).
    pub fn api(&self) -> &dyn GoToApi {
        match self {
            ReportClient::V2(client) => client,
            ReportClient::V1(client) => client,
        }
    }
}

impl From<&GoToClient> for ReportClient {
    fn from(client: &GoToClient) -> Self {
        ReportClient::V2(client.clone())
    }
}

impl From<GoToClient> for ReportClient {
    fn from(client: GoToClient) -> Self {
        ReportClient::V2(client)
    }
}

impl From<&V1Client> for ReportClient {
    fn from(client: &V1Client) -> Self {
        ReportClient::V1(client.clone())
    }
}

impl From<V1Client> for ReportClient {
    fn from(client: V1Client) -> Self {
        ReportClient::V1(client)
    }
}
