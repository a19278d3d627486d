//! The bearer token, the body size limit, the request time limit and the admission limit.

use std::io::Write;
use std::time::Duration;

use anomalab::serve::http::HttpConfig;

use super::client::{connect, get, post_json, raw_request, read_response, request};
use super::{Server, classifier, config};

const ONE_ROW: &str =
    r#"{"dataframe_split": {"columns": ["duration", "bytes", "proto"], "data": [[1, 2, "tcp"]]}}"#;

#[test]
fn a_token_guards_every_endpoint_but_liveness() {
    let public = HttpConfig {
        addr: "0.0.0.0:8080".parse().unwrap(),
        ..config()
    };
    let refused = public.check().unwrap_err().to_string();
    assert!(refused.contains("--token-file"), "{refused}");
    let guarded = HttpConfig {
        token: Some("s3cret".into()),
        ..public
    };
    guarded.check().unwrap();
    let server = Server::start(classifier(), guarded);
    let a = server.addr;

    for path in [
        "/metrics",
        "/alerts",
        "/events",
        "/v2",
        "/v2/health/ready",
        "/v2/models/best",
    ] {
        let r = get(a, path);
        assert_eq!(r.status, 401, "{path}");
        assert_eq!(r.header("www-authenticate"), Some("Bearer"), "{path}");
        assert!(
            r.json()["error"]
                .as_str()
                .unwrap()
                .contains("Authorization: Bearer")
        );
    }
    let r = post_json(a, "/invocations", ONE_ROW);
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error_code"], "UNAUTHENTICATED");
    for wrong in ["Bearer s3cre", "Bearer s3cret2", "Basic s3cret", "s3cret"] {
        let r = request(a, "GET", "/metrics", &[("Authorization", wrong)], b"");
        assert_eq!(r.status, 401, "{wrong}");
    }
    assert_eq!(get(a, "/v2/health/live").status, 200);
    let ok = request(
        a,
        "GET",
        "/metrics",
        &[("Authorization", "bearer s3cret")],
        b"",
    );
    assert_eq!(ok.status, 200);
    let h = [
        ("Authorization", "Bearer s3cret"),
        ("Content-Type", "application/json"),
    ];
    let r = request(a, "POST", "/invocations", &h, ONE_ROW.as_bytes());
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn a_body_over_the_limit_is_413() {
    let server = Server::start(
        classifier(),
        HttpConfig {
            max_body_bytes: 2048,
            ..config()
        },
    );
    let rows = vec![r#"[1, 2, "tcp"]"#; 400].join(", ");
    let big = format!(
        r#"{{"dataframe_split": {{"columns": ["duration", "bytes", "proto"], "data": [{rows}]}}}}"#
    );
    assert!(big.len() > 4096);
    let r = post_json(server.addr, "/invocations", &big);
    assert_eq!(r.status, 413, "{}", r.body);
    let json = r.json();
    assert_eq!(json["error_code"], "REQUEST_LIMIT_EXCEEDED");
    assert_eq!(
        json["message"],
        "the request body is larger than the limit of 2048 bytes"
    );
    let r = post_json(server.addr, "/v2/models/best/infer", &big);
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(post_json(server.addr, "/invocations", ONE_ROW).status, 200);
}

/// Send a request's head and the first byte of its body, and leave it waiting.
fn start_slow_request(server: &Server) -> std::net::TcpStream {
    let mut s = connect(server.addr);
    let full = raw_request(
        "POST",
        "/invocations",
        &[("Content-Type", "application/json")],
        ONE_ROW.as_bytes(),
    );
    let cut = full.len() - ONE_ROW.len() + 1;
    s.write_all(&full[..cut]).unwrap();
    s
}

#[test]
fn a_request_past_the_time_limit_is_503() {
    let server = Server::start(
        classifier(),
        HttpConfig {
            request_timeout: Duration::from_millis(300),
            ..config()
        },
    );
    let mut slow = start_slow_request(&server);
    let r = read_response(&mut slow);
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(
        r.json()["message"],
        "the request took longer than the limit of 0.3s"
    );
    assert_eq!(post_json(server.addr, "/invocations", ONE_ROW).status, 200);
}

#[test]
fn scoring_requests_beyond_the_limit_are_503_and_the_rest_still_answer() {
    let server = Server::start(
        classifier(),
        HttpConfig {
            max_concurrency: 1,
            ..config()
        },
    );
    let mut slow = start_slow_request(&server);
    std::thread::sleep(Duration::from_millis(300));
    let busy = post_json(server.addr, "/invocations", ONE_ROW);
    assert_eq!(busy.status, 503, "{}", busy.body);
    assert_eq!(busy.header("retry-after"), Some("1"));
    assert!(busy.json()["message"].as_str().unwrap().contains("busy"));
    // Cheap endpoints are not counted against the scoring limit.
    assert_eq!(get(server.addr, "/metrics").status, 200);
    slow.write_all(&ONE_ROW.as_bytes()[1..]).unwrap();
    assert_eq!(read_response(&mut slow).status, 200);
    assert_eq!(post_json(server.addr, "/invocations", ONE_ROW).status, 200);
}
