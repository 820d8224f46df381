//! A hostile GoTo endpoint for memory tests (issue 21 item 2): a token endpoint and an account
//! listing of about 30 MiB, 30 pages just under the client's 1 MiB body bound, each organizer
//! padded with hundreds of fields the client does not know. Bound to 127.0.0.1.
#![allow(dead_code)] // each test binary uses a different subset

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::Query;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};

/// Pages served; each is just under the client's 1 MiB body bound.
pub const PAGES: usize = 30;
pub const PAGE_BYTES: usize = 1_000_000;
/// Unknown fields per organizer.
const PADDING_FIELDS: usize = 200;
/// The whole test process may peak at this (the operator's container limit is 256 MiB).
pub const PEAK_LIMIT_KIB: u64 = 128 * 1024;

/// One page of the hostile listing: organizers with hundreds of unknown fields each.
pub fn page(number: usize) -> String {
    let mut body = String::with_capacity(PAGE_BYTES + 4096);
    body.push_str(r#"{"organizers":["#);
    let mut i = 0;
    while body.len() < PAGE_BYTES - 4096 {
        if i > 0 {
            body.push(',');
        }
        let key = number * 100_000 + i;
        write!(
            body,
            r#"{{"organizerKey":"{key}","email":"user{key}@example.com","status":"ACTIVE""#
        )
        .unwrap();
        for f in 0..PADDING_FIELDS {
            write!(body, r#","f{f}":{f}"#).unwrap();
        }
        body.push('}');
        i += 1;
    }
    body.push(']');
    if number + 1 < PAGES {
        write!(body, r#","nextPageToken":"p{}""#, number + 1).unwrap();
    }
    body.push('}');
    assert!(
        body.len() < 1024 * 1024,
        "a page stays under the body bound"
    );
    body
}

pub fn entries_served() -> usize {
    (0..PAGES)
        .map(|n| page(n).matches("organizerKey").count())
        .sum()
}

/// A running hostile endpoint: its address, and how many listing pages it served.
pub struct Hostile {
    pub addr: std::net::SocketAddr,
    pub pages_served: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Hostile {
    /// Serves the token endpoint and the listing on a free loopback port.
    pub async fn start() -> Hostile {
        let pages_served = Arc::new(AtomicUsize::new(0));
        let counter = pages_served.clone();
        let app = Router::new()
            .route(
                "/oauth/token",
                post(|| async {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        r#"{"access_token":"t","token_type":"Bearer","expires_in":3600}"#,
                    )
                }),
            )
            .route(
                "/G2M/rest/v2/accounts/{account}/organizers",
                get(move |Query(query): Query<HashMap<String, String>>| {
                    let counter = counter.clone();
                    async move {
                        let number = query
                            .get("pageToken")
                            .and_then(|t| t.strip_prefix('p'))
                            .and_then(|n| n.parse().ok())
                            .unwrap_or(0);
                        counter.fetch_add(1, Ordering::Relaxed);
                        ([(header::CONTENT_TYPE, "application/json")], page(number)).into_response()
                    }
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Hostile {
            addr,
            pages_served,
            task,
        }
    }

    pub fn pages_served(&self) -> usize {
        self.pages_served.load(Ordering::Relaxed)
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}
