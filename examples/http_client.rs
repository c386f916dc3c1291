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
//! The client is HTTP/1.1 at its smallest: connect (by name: `localhost`), write a `GET`
//! request, read the status line and the headers up to the blank line, then exactly
//! `Content-Length` bytes of body (or, with no length given, up to the end of the stream). Its
//! reading is `futures::io`'s — `BufReader`, `read_line`, `read_exact`, `read_to_end` — over rt's
//! `TcpStream`, which implements `AsyncRead`/`AsyncWrite`; nothing of it is hand-written. The
//! concurrent fetches are tasks of an [`rt::TaskGroup`]: awaited together they give the pages in
//! the order asked (asyncio's `gather`); a timeout around them cancels every fetch still running.
//!
//! Python:
//! ```python
//! async def get(host, port, path):
//!     reader, writer = await asyncio.open_connection(host, port)
//!     writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
//!     status = await reader.readline()
//!     headers = []
//!     while (line := await reader.readline()) != b"\r\n":
//!         headers.append(line.decode().split(":", 1))
//!     length = int(dict(headers)["Content-Length"])
//!     return status, headers, await reader.readexactly(length)
//!
//! for path in paths:                                              # one by one: ~1 s
//!     await get("localhost", port, path)
//! async with asyncio.timeout(5):                                  # concurrently: ~50 ms
//!     pages = await asyncio.gather(*(get("localhost", port, p) for p in paths))
//! ```
//!
//! Run with `cargo run --example http_client` (about one second).
use std::cell::Cell;
use std::io;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use futures::StreamExt;
use resumable::rt::net::{TcpListener, TcpStream};
use resumable::rt::{self, TaskGroup};

/// How many pages to fetch.
const PAGES: usize = 20;
/// How long the server takes to answer a request.
const LATENCY: Duration = Duration::from_millis(50);
/// The longest line of a request's or a response's head that either side reads.
const MAX_LINE: u64 = 8 * 1024;
/// The most header lines either side reads.
const MAX_HEADERS: usize = 100;

/// Reads one line of a head (up to `MAX_LINE` bytes), without its `\r\n`: `None` at the blank
/// line that ends the head.
async fn head_line(reader: &mut BufReader<&TcpStream>) -> io::Result<Option<String>> {
    let mut line = String::new();
    // `take` bounds the line: a peer that never sends a newline costs `MAX_LINE`, not memory.
    let n = (&mut *reader).take(MAX_LINE).read_line(&mut line).await?;
    if n == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    if !line.ends_with('\n') {
        return Err(bad("a line of the head is too long"));
    }
    let line = line.trim_end_matches(['\r', '\n']);
    Ok((!line.is_empty()).then(|| line.to_string()))
}

/// Reads a head: its first line and its header lines.
async fn read_head(reader: &mut BufReader<&TcpStream>) -> io::Result<(String, Vec<String>)> {
    let first = head_line(reader)
        .await?
        .ok_or_else(|| bad("an empty head"))?;
    let mut headers = Vec::new();
    while let Some(line) = head_line(reader).await? {
        if headers.len() == MAX_HEADERS {
            return Err(bad("too many headers"));
        }
        headers.push(line);
    }
    Ok((first, headers))
}

// ---------------------------------------------------------------------------------------------
// The server: a task per connection, in a group; each answers one request after `LATENCY`.

/// What the server counts: connections open now, and the most open at once.
#[derive(Default)]
struct ServerStats {
    open: Cell<usize>,
    peak: Cell<usize>,
    served: Cell<usize>,
}

/// Serves `listener` for as long as it runs (asyncio's `start_server`). Its connections are
/// tasks of its group: when the server's task is aborted, the group is dropped with it, and so
/// are the connections it was serving.
async fn serve(listener: TcpListener, stats: Rc<ServerStats>) {
    let mut connections = TaskGroup::new();
    let mut incoming = listener.incoming();
    while let Some(stream) = incoming.next().await {
        let Ok(stream) = stream else {
            continue; // a connection gone before it was taken
        };
        // Results nobody waits for are not kept: take those of the connections that ended.
        while connections.try_join_next().is_some() {}
        let stats = stats.clone();
        stats.open.set(stats.open.get() + 1);
        stats.peak.set(stats.peak.get().max(stats.open.get()));
        connections.spawn(async move {
            if let Err(e) = respond(&stream).await {
                eprintln!("[server] a connection failed: {e}");
            }
            stats.open.set(stats.open.get() - 1);
            stats.served.set(stats.served.get() + 1);
        });
    }
}

/// Reads one request and answers it: `/page/N` is a page, anything else a 404.
async fn respond(stream: &TcpStream) -> io::Result<()> {
    let (request_line, _headers) = read_head(&mut BufReader::new(stream)).await?;
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

/// `GET path` from `localhost:port`, over a new connection.
async fn get(port: u16, path: &str) -> io::Result<Response> {
    let stream = TcpStream::connect(("localhost", port)).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost:{port}\r\nUser-Agent: resumable-rt\r\n\
         Accept: */*\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;

    let mut reader = BufReader::new(&stream);
    let (status_line, header_lines) = read_head(&mut reader).await?;
    // "HTTP/1.1 200 OK"
    let status = match status_line.split(' ').collect::<Vec<_>>()[..] {
        [version, code, ..] if version.starts_with("HTTP/1.") => code
            .parse()
            .map_err(|_| bad(format!("bad status line {status_line:?}")))?,
        _ => return Err(bad(format!("bad status line {status_line:?}"))),
    };
    let headers = header_lines
        .iter()
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
        body: Vec::new(),
    };
    match response.header("Content-Length") {
        Some(length) => {
            let length: usize = length
                .parse()
                .map_err(|_| bad(format!("bad Content-Length {length:?}")))?;
            response.body.resize(length, 0);
            reader.read_exact(&mut response.body).await?;
        }
        // HTTP/1.0 style: the body ends with the connection. (No chunked encoding here.)
        None => drop(reader.read_to_end(&mut response.body).await?),
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
        let port = listener.local_addr()?.port();
        let stats = Rc::new(ServerStats::default());
        let server = rt::spawn_named("http server", serve(listener, stats.clone()));
        println!(
            "An HTTP/1.1 server on http://localhost:{port}/ (a task of this loop) answers each request"
        );
        println!(
            "after {} ms. {PAGES} pages to fetch, with a client written on the same loop.\n",
            LATENCY.as_millis()
        );
        let paths: Vec<String> = (1..=PAGES).map(|n| format!("/page/{n}")).collect();

        println!("1. One by one: each request is sent when the previous response is in.\n");
        let started = Instant::now();
        let mut bytes = 0;
        for (i, path) in paths.iter().enumerate() {
            let response = get(port, path).await?;
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

        println!(
            "2. Concurrently: a task per page in a group, awaited together (asyncio's gather).\n"
        );
        stats.peak.set(0);
        let started = Instant::now();
        let fetches = TaskGroup::new();
        for path in &paths {
            let path = path.clone();
            fetches.spawn(async move {
                let response = get(port, &path).await;
                (path, response, started.elapsed())
            });
        }
        // The group's results come in the order the fetches were spawned. Had the timeout
        // struck, the group would have been dropped with every fetch still running.
        let results = rt::timeout(Duration::from_secs(5), fetches.join_all())
            .await
            .map_err(|_| io::Error::other("the fetches timed out"))?;
        let mut bytes = 0;
        for (i, result) in results.into_iter().enumerate() {
            let (path, response, at) = result.expect("a fetch does not panic");
            let response = response?;
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

        let missing = get(port, "/nowhere").await?;
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

        server.abort(); // its task, its listener and its group of connections are dropped
        Ok(())
    })
}
