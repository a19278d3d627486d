//! What runs around every handler: the request counters, panic containment, the bearer
//! token, the time limit and the admission limit of scoring requests; and the answers to
//! requests no route takes.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt as _;
use sha2::{Digest, Sha256};

use super::App;
use super::error::{HttpError, Shape};

/// The one endpoint a token does not guard: a liveness probe carries no credentials.
const OPEN_PATH: &str = "/v2/health/live";

/// Count the request by route pattern and status, and time it.
pub async fn record(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let response = next.run(req).await;
    let seconds = start.elapsed().as_secs_f64();
    app.http
        .observe(&route, response.status().as_u16(), seconds);
    response
}

/// A panic in a handler answers 500 with its message instead of dropping the connection;
/// the server and every other request carry on.
pub async fn catch_panic(req: Request, next: Next) -> Response {
    let shape = Shape::for_path(req.uri().path());
    match AssertUnwindSafe(next.run(req)).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            let message = panic_message(&*panic);
            eprintln!("anomalab serve: an HTTP handler panicked: {message}");
            HttpError::Internal(message).shaped(shape).into_response()
        }
    }
}

pub fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".into()
    }
}

/// With a token configured, every request but the liveness probe must carry it.
///
/// A browser cannot add a header to the dashboard's event stream, so the page is opened
/// once as `/?token=T`: the answer sets the token as an HttpOnly, same-site cookie, which
/// the page's own requests then carry.
pub async fn authorize(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let Some(token) = &app.config.token else {
        return next.run(req).await;
    };
    if req.uri().path() == OPEN_PATH {
        return next.run(req).await;
    }
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_string());
    let from_query = (req.uri().path() == "/")
        .then(|| query_token(req.uri().query()))
        .flatten();
    let sent = bearer.or_else(|| cookie_token(&req)).or(from_query.clone());
    if !sent.is_some_and(|t| same_secret(&t, token)) {
        let shape = Shape::for_path(req.uri().path());
        return HttpError::Unauthorized.shaped(shape).into_response();
    }
    let mut response = next.run(req).await;
    if from_query.is_some() {
        let cookie = format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/");
        if let Ok(v) = header::HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    response
}

/// The cookie that carries the token for the dashboard's requests.
const COOKIE: &str = "anomalab_token";

fn cookie_token(req: &Request) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

/// `token=T` of a query string (percent-decoding is not needed: tokens are printable).
fn query_token(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "token")
        .map(|(_, v)| v.to_string())
}

/// Whether `a == b`, in a time that tells nothing of where they differ or of their
/// lengths: the digests are compared, every byte of them.
fn same_secret(a: &str, b: &str) -> bool {
    let (da, db) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    da.iter()
        .zip(db.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// A request that takes longer than the limit (body upload included) is answered 503.
pub async fn deadline(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let limit = app.config.request_timeout;
    let shape = Shape::for_path(req.uri().path());
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => HttpError::Timeout(limit).shaped(shape).into_response(),
    }
}

/// Admit a scoring request only while fewer than `max_concurrency` are in progress.
/// Refusing at once (503 with `Retry-After`) rather than queueing without bound keeps the
/// memory held by waiting bodies bounded and tells an overloaded client to back off; the
/// admitted requests then queue in order for a core ([`App::blocking`]).
pub async fn admit(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let Ok(_permit) = app.admission.try_acquire() else {
        let limit = app.config.max_concurrency;
        let shape = Shape::for_path(req.uri().path());
        return HttpError::Busy { limit }.shaped(shape).into_response();
    };
    next.run(req).await
}

pub async fn not_found(method: Method, uri: Uri) -> Response {
    unrouted(method, uri, |method, path| HttpError::NotFound {
        method,
        path,
    })
}

pub async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    unrouted(method, uri, |method, path| HttpError::MethodNotAllowed {
        method,
        path,
    })
}

/// The answer to a request no route takes, naming its method and path.
fn unrouted(method: Method, uri: Uri, error: fn(String, String) -> HttpError) -> Response {
    let path = uri.path().to_string();
    let shape = Shape::for_path(&path);
    error(method.to_string(), path)
        .shaped(shape)
        .into_response()
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::StatusCode;
    use axum::routing::get;
    use tower::ServiceExt as _;

    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
        assert!(!same_secret("", "abc"));
    }

    async fn boom() -> &'static str {
        panic!("boom in a handler")
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_500_and_the_router_carries_on() {
        let router = Router::new()
            .route("/boom", get(boom))
            .route("/ok", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn(catch_panic));
        let get = |path: &str| Request::get(path).body(Body::empty()).unwrap();
        let r = router.clone().oneshot(get("/boom")).await.unwrap();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(body.contains("boom in a handler"), "{body}");
        let r = router.oneshot(get("/ok")).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
}
