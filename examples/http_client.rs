//! `http_client`: fetching 20 web pages one by one, then all at once, with a minimal HTTP/1.1
//! client written on the loop — against a small HTTP server on 127.0.0.1 that the example
//! starts on the same loop, and that takes 50 ms to answer each request.
//!
//! Most of a web request is waiting: for the connection, for the server to think, for the bytes.
//! Fetched one by one, the waits add up (20 x 50 ms = 1 s). Fetched as 20 tasks, the waits
//! overlap: while one task waits for its response, the loop runs the others, and the whole batch
//! takes about as long as the slowest request. One thread does it all — the 20 clients and the
//! server too. This is what asyncio was made for.
//!
//! The client is HTTP/1.1 at its smallest: connect, write a `GET` request, read the status line
//! and the headers up to the blank line, then exactly `Content-Length` bytes of body (or, with
//! no length given, up to the end of the stream).
//!
//! Python:
//! ```python
//! async def get(host, port, path):
//!     reader, writer = await asyncio.open_connection(host, port)
//!     writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
//!     head = await reader.readuntil(b"\r\n\r\n")
//!     length = int(re.search(rb"content-length: *(\d+)", head, re.I)[1])
//!     return head, await reader.readexactly(length)
//!
//! for path in paths:                                              # one by one: ~1 s
//!     await get("127.0.0.1", port, path)
//! await asyncio.gather(*(get("127.0.0.1", port, p) for p in paths))  # concurrently: ~50 ms
//! ```
//!
//! Run with `cargo run --example http_client` (about one second).
use std::cell::Cell;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use resumable::rt;
use resumable::rt::net::{TcpListener, TcpStream};

/// How many pages to fetch.
const PAGES: usize = 20;
/// How long the server takes to answer a request.
const LATENCY: Duration = Duration::from_millis(50);
/// The longest request or response head either side reads.
const MAX_HEAD: usize = 16 * 1024;

/// Reads from `stream` into `buf` until `buf` holds `\r\n\r\n`; returns where the head ends
/// (after the blank line). Bytes after it, the start of a body, stay in `buf`.
async fn read_head(stream: &TcpStream, buf: &mut Vec<u8>) -> io::Result<usize> {
    loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return Ok(i + 4);
        }
        if buf.len() > MAX_HEAD {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "head too long"));
        }
        let mut chunk = [0; 4096];
        match stream.read(&mut chunk).await? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The server: a task per connection; each answers one request after `LATENCY`.

/// What the server counts: connections open now, and the most open at once.
#[derive(Default)]
struct ServerStats {
    open: Cell<usize>,
    peak: Cell<usize>,
    served: Cell<usize>,
}

async fn serve(listener: TcpListener, stats: Rc<ServerStats>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let stats = stats.clone();
        stats.open.set(stats.open.get() + 1);
        stats.peak.set(stats.peak.get().max(stats.open.get()));
        drop(rt::spawn(async move {
            if let Err(e) = respond(&stream).await {
                eprintln!("[server] a connection failed: {e}");
            }
            stats.open.set(stats.open.get() - 1);
            stats.served.set(stats.served.get() + 1);
        }));
    }
}

/// Reads one request and answers it: `/page/N` is a page, anything else a 404.
async fn respond(stream: &TcpStream) -> io::Result<()> {
    let mut buf = Vec::new();
    let end = read_head(stream, &mut buf).await?;
    let head = String::from_utf8_lossy(&buf[..end]);
    let request_line = head.lines().next().unwrap_or("");
    let mut parts = request_line.split(' ');
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));

    rt::sleep(LATENCY).await; // "thinking": a database, a disk, another service...

    let page = path
        .strip_prefix("/page/")
        .and_then(|n| n.parse::<usize>().ok());
    let (status, kind, body) = match (method, page) {
        ("GET", Some(n)) => (
            "200 OK",
            "text/html",
            format!(
                "<!doctype html>\n<title>Page {n}</title>\n<h1>Page {n}</h1>\n<p>{}</p>\n",
                "All work and no play makes Jack a dull boy. ".repeat(n)
            ),
        ),
        ("GET", None) => (
            "404 Not Found",
            "text/plain",
            format!("no page at {path}\n"),
        ),
        _ => (
            "405 Method Not Allowed",
            "text/plain",
            "GET only\n".to_string(),
        ),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}; charset=utf-8\r\nContent-Length: {}\r\n\
         Connection: close\r\nServer: resumable-rt-example\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await
}

// ---------------------------------------------------------------------------------------------
// The client.

/// An HTTP response.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A duration in whole milliseconds.
fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}

fn bad(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// `GET path` from `addr`, over a new connection.
async fn get(addr: SocketAddr, path: &str) -> io::Result<Response> {
    let stream = TcpStream::connect(addr).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: resumable-rt\r\nAccept: */*\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;

    let mut buf = Vec::new();
    let end = read_head(&stream, &mut buf).await?;
    let head = std::str::from_utf8(&buf[..end - 4]).map_err(|_| bad("head is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    // "HTTP/1.1 200 OK"
    let status_line = lines.next().unwrap_or("");
    let status = match status_line.split(' ').collect::<Vec<_>>()[..] {
        [version, code, ..] if version.starts_with("HTTP/1.") => code
            .parse()
            .map_err(|_| bad(format!("bad status line {status_line:?}")))?,
        _ => return Err(bad(format!("bad status line {status_line:?}"))),
    };
    let headers = lines
        .map(|line| {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| bad(format!("bad header {line:?}")))?;
            Ok((name.trim().to_string(), value.trim().to_string()))
        })
        .collect::<io::Result<Vec<_>>>()?;
    let mut response = Response {
        status,
        headers,
        body: buf.split_off(end), // what came with the head
    };
    match response.header("Content-Length") {
        Some(length) => {
            let length: usize = length
                .parse()
                .map_err(|_| bad(format!("bad Content-Length {length:?}")))?;
            if response.body.len() > length {
                return Err(bad("more body than Content-Length"));
            }
            let have = response.body.len();
            response.body.resize(length, 0);
            stream.read_exact(&mut response.body[have..]).await?;
        }
        None => {
            // HTTP/1.0 style: the body ends with the connection. (No chunked encoding here.)
            let mut chunk = [0; 4096];
            loop {
                match stream.read(&mut chunk).await? {
                    0 => break,
                    n => response.body.extend_from_slice(&chunk[..n]),
                }
            }
        }
    }
    Ok(response)
}

/// A line about a response: status, size, title.
fn describe(path: &str, r: &Response) -> String {
    let body = String::from_utf8_lossy(&r.body);
    let title = body
        .split_once("<title>")
        .and_then(|(_, rest)| rest.split_once("</title>"))
        .map_or("", |(title, _)| title);
    format!(
        "GET {path:<9} -> {} {:>5} bytes  {title:?}",
        r.status,
        r.body.len()
    )
}

fn main() -> io::Result<()> {
    rt::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stats = Rc::new(ServerStats::default());
        let server = rt::spawn_named("http server", serve(listener, stats.clone()));
        println!(
            "An HTTP/1.1 server on http://{addr}/ (a task of this loop) answers each request after"
        );
        println!(
            "{} ms. {PAGES} pages to fetch, with a client written on the same loop.\n",
            LATENCY.as_millis()
        );
        let paths: Vec<String> = (1..=PAGES).map(|n| format!("/page/{n}")).collect();

        println!("1. One by one: each request is sent when the previous response is in.\n");
        let started = Instant::now();
        let mut bytes = 0;
        for (i, path) in paths.iter().enumerate() {
            let response = get(addr, path).await?;
            bytes += response.body.len();
            if i < 3 || i == PAGES - 1 {
                println!(
                    "  {:>6.1} ms  {}",
                    started.elapsed().as_secs_f64() * 1e3,
                    describe(path, &response)
                );
            } else if i == 3 {
                println!("  ...");
            }
        }
        let one_by_one = started.elapsed();
        println!(
            "\n   {PAGES} pages, {bytes} bytes in {}: {PAGES} waits of {} ms, end \
             to end.\n",
            ms(one_by_one),
            LATENCY.as_millis()
        );

        println!("2. Concurrently: a task per page, spawned at once, then awaited in order.\n");
        stats.peak.set(0);
        let started = Instant::now();
        let tasks: Vec<_> = paths
            .iter()
            .map(|path| {
                let path = path.clone();
                rt::spawn(async move {
                    let result = rt::timeout(Duration::from_secs(5), get(addr, &path)).await;
                    (path, result, started.elapsed())
                })
            })
            .collect();
        let mut bytes = 0;
        for (i, task) in tasks.into_iter().enumerate() {
            let (path, result, at) = task.await.expect("a fetch does not panic");
            let response = result.map_err(|_| io::Error::other(format!("{path} timed out")))??;
            bytes += response.body.len();
            if i < 3 || i == PAGES - 1 {
                println!(
                    "  {:>6.1} ms  {}",
                    at.as_secs_f64() * 1e3,
                    describe(&path, &response)
                );
            } else if i == 3 {
                println!("  ...");
            }
        }
        let concurrent = started.elapsed();
        println!(
            "\n   {PAGES} pages, {bytes} bytes in {}; the server had {} connections \
             open at once.\n",
            ms(concurrent),
            stats.peak.get()
        );

        let missing = get(addr, "/nowhere").await?;
        println!(
            "(And a page that isn't there: {} with Content-Type {:?}.)\n",
            missing.status,
            missing.header("content-type").unwrap_or("")
        );

        println!(
            "One by one: {}. Concurrently: {} ({:.0}x faster).",
            ms(one_by_one),
            ms(concurrent),
            one_by_one.as_secs_f64() / concurrent.as_secs_f64()
        );
        println!(
            "The server answered {} requests. Same thread, same code for each fetch; the only",
            stats.served.get()
        );
        println!(
            "difference is whether a fetch waits for the previous one. While a task waits for"
        );
        println!("its response, the loop runs the other fetches and the server's tasks.");

        server.abort(); // stops accepting: its task, and the listener, are dropped
        Ok(())
    })
}
