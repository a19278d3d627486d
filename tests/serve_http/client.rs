//! A tiny HTTP/1.1 client over `std::net::TcpStream` (one request per connection), and a
//! server-sent event reader, so the tests need no HTTP client crate.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// A response: status, headers (names lower-cased) and the body (de-chunked).
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }
}

/// The request's bytes: request line, headers (`Host`, `Connection: close`,
/// `Content-Length` added), body.
pub fn raw_request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

pub fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s
}

pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let mut s = connect(addr);
    s.write_all(&raw_request(method, path, headers, body))
        .expect("send");
    read_response(&mut s)
}

pub fn get(addr: SocketAddr, path: &str) -> Resp {
    request(addr, "GET", path, &[], b"")
}

pub fn post_json(addr: SocketAddr, path: &str, body: &str) -> Resp {
    let h = [("Content-Type", "application/json")];
    request(addr, "POST", path, &h, body.as_bytes())
}

/// Read a whole response (the server closes the connection after it).
pub fn read_response(s: &mut TcpStream) -> Resp {
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read response");
    parse(&raw)
        .unwrap_or_else(|| panic!("incomplete response: {:?}", String::from_utf8_lossy(&raw)))
}

fn parse(raw: &[u8]) -> Option<Resp> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let rest = &raw[end + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Some(Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    })
}

/// The data of every complete chunk of a chunked body.
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&raw[..eol]).to_string();
        let Ok(size) = usize::from_str_radix(size_text.trim(), 16) else {
            break;
        };
        let start = eol + 2;
        if size == 0 || raw.len() < start + size {
            break;
        }
        out.extend_from_slice(&raw[start..start + size]);
        raw = &raw[(start + size + 2).min(raw.len())..];
    }
    out
}

/// A server-sent event.
#[derive(Debug, Clone, PartialEq)]
pub struct Sse {
    pub event: String,
    pub id: Option<String>,
    pub data: String,
}

/// An open `GET /events` stream.
pub struct EventStream {
    stream: TcpStream,
    raw: Vec<u8>,
    seen: usize,
}

impl EventStream {
    pub fn open(addr: SocketAddr, headers: &[(&str, &str)]) -> EventStream {
        EventStream::open_at(addr, "/events", headers)
    }

    /// The stream at `path` (`/events` with a query).
    pub fn open_at(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> EventStream {
        let mut stream = connect(addr);
        stream
            .write_all(&raw_request("GET", path, headers, b""))
            .unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        EventStream {
            stream,
            raw: Vec::new(),
            seen: 0,
        }
    }

    /// The next event that `pick` accepts, waiting up to `wait`.
    pub fn next_where(&mut self, wait: Duration, pick: impl Fn(&Sse) -> bool) -> Option<Sse> {
        let deadline = Instant::now() + wait;
        loop {
            let events = self.events();
            while self.seen < events.len() {
                self.seen += 1;
                if pick(&events[self.seen - 1]) {
                    return Some(events[self.seen - 1].clone());
                }
            }
            if Instant::now() > deadline {
                return None;
            }
            let mut buf = [0u8; 4096];
            match self.stream.read(&mut buf) {
                Ok(0) => return None,
                Ok(n) => self.raw.extend_from_slice(&buf[..n]),
                Err(_) => {} // the read timeout: look at the clock again
            }
        }
    }

    /// Whether the server ended the stream (end of file) within `wait`.
    pub fn closed_within(&mut self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        let mut buf = [0u8; 4096];
        while Instant::now() < deadline {
            match self.stream.read(&mut buf) {
                Ok(0) => return true,
                Ok(n) => self.raw.extend_from_slice(&buf[..n]),
                Err(_) => {}
            }
        }
        false
    }

    /// Every complete event received so far.
    fn events(&self) -> Vec<Sse> {
        let Some(resp) = parse(&self.raw) else {
            return Vec::new();
        };
        assert_eq!(resp.status, 200, "{}", resp.body);
        let complete = match resp.body.rfind("\n\n") {
            Some(i) => &resp.body[..i],
            None => return Vec::new(),
        };
        complete
            .split("\n\n")
            .filter_map(|block| {
                let mut e = Sse {
                    event: "message".into(),
                    id: None,
                    data: String::new(),
                };
                let mut any = false;
                for line in block.lines() {
                    let (k, v) = line.split_once(':').unwrap_or((line, ""));
                    let v = v.strip_prefix(' ').unwrap_or(v).to_string();
                    match k {
                        "event" => e.event = v,
                        "id" => e.id = Some(v),
                        "data" => e.data = v,
                        _ => continue,
                    }
                    any = true;
                }
                any.then_some(e)
            })
            .collect()
    }
}
