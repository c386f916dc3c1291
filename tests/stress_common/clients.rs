//! The clients of the stress tests: plain blocking std sockets on 127.0.0.1, with timeouts, so
//! a server that stops answering fails a test instead of hanging it.

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How long a client waits for a byte before it counts the server as stuck.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// Connects, with read and write timeouts of `PATIENCE`.
pub fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(PATIENCE))?;
    stream.set_write_timeout(Some(PATIENCE))?;
    Ok(stream)
}

/// How a client leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leave {
    /// `close()`: a FIN, after what was sent.
    Close,
    /// A reset: `SO_LINGER` 0, then `close()` sends an RST and throws away what was unsent.
    Reset,
}

impl Leave {
    /// Every other client resets.
    pub fn alternate(n: usize) -> Leave {
        if n % 2 == 0 {
            Leave::Close
        } else {
            Leave::Reset
        }
    }

    pub fn apply(self, stream: TcpStream) {
        if self == Leave::Reset {
            rustix::net::sockopt::set_socket_linger(&stream, Some(Duration::ZERO))
                .expect("SO_LINGER");
        }
        drop(stream);
    }
}

/// Opens `n` connections, calling `greet` on each; panics with what failed.
pub fn open_many(
    addr: SocketAddr,
    n: usize,
    greet: impl Fn(usize, &TcpStream) -> io::Result<()>,
) -> Vec<TcpStream> {
    (0..n)
        .map(|k| {
            let stream = connect(addr).unwrap_or_else(|e| panic!("connection {k} of {n}: {e}"));
            greet(k, &stream).unwrap_or_else(|e| panic!("connection {k} of {n}: {e}"));
            stream
        })
        .collect()
}

/// Closes every connection, alternately with a FIN and a reset.
pub fn leave_all(streams: Vec<TcpStream>) {
    for (k, stream) in streams.into_iter().enumerate() {
        Leave::alternate(k).apply(stream);
    }
}

/// `total` connections, one after another on each of `threads` threads: each connects, runs
/// `talk`, and leaves (alternately with a FIN and a reset). Returns how long it took; panics
/// with the first failure.
pub fn churn(
    addr: SocketAddr,
    total: usize,
    threads: usize,
    talk: impl Fn(usize, &TcpStream) -> io::Result<()> + Sync,
) -> Duration {
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= total {
                        return Ok::<(), String>(());
                    }
                    let stream = connect(addr).map_err(|e| format!("churn {k}: connect: {e}"))?;
                    talk(k, &stream).map_err(|e| format!("churn {k}: {e}"))?;
                    Leave::alternate(k).apply(stream);
                })
            })
            .collect();
        for worker in workers {
            if let Err(e) = worker.join().expect("a churn thread panicked") {
                panic!("{e}");
            }
        }
    });
    started.elapsed()
}

/// Writes `chunk` over and over without blocking until the socket takes no more (the server
/// has stopped reading it, and every buffer on the way is full) or `cap` bytes are sent;
/// returns the bytes sent. The stream is blocking again afterwards.
pub fn fill_until_blocked(stream: &TcpStream, chunk: &[u8], cap: usize) -> io::Result<usize> {
    stream.set_nonblocking(true)?;
    let mut sent = 0;
    // The server may be slower than this loop: only a socket that stays full for a while
    // counts as blocked.
    let mut blocked_since: Option<Instant> = None;
    while sent < cap {
        match (&*stream).write(chunk) {
            Ok(n) => {
                sent += n;
                blocked_since = None;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                let since = *blocked_since.get_or_insert_with(Instant::now);
                if since.elapsed() > Duration::from_millis(200) {
                    break;
                }
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) => {
                stream.set_nonblocking(false)?;
                return Err(e);
            }
        }
    }
    stream.set_nonblocking(false)?;
    Ok(sent)
}

/// Whether at least one byte can be read now (without waiting for it).
pub fn has_data(stream: &TcpStream) -> io::Result<bool> {
    stream.set_nonblocking(true)?;
    let mut byte = [0];
    let got = match stream.peek(&mut byte) {
        Ok(n) => Ok(n > 0),
        Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(false),
        Err(e) => Err(e),
    };
    stream.set_nonblocking(false)?;
    got
}

/// Reads until the end of the stream (or a reset), returning the bytes read; fails if the
/// stream stays open and silent for `PATIENCE`.
pub fn read_to_end(stream: &TcpStream) -> io::Result<usize> {
    let mut total = 0;
    let mut buf = [0; 64 * 1024];
    loop {
        match (&*stream).read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => total += n,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return Ok(total),
            Err(e) => return Err(e),
        }
    }
}

/// Lines from a stream, with `PATIENCE` for each.
pub struct Lines(BufReader<TcpStream>);

impl Lines {
    pub fn new(stream: &TcpStream) -> Lines {
        Lines(BufReader::new(stream.try_clone().expect("a clone")))
    }

    /// The next line without its newline; `None` at the end of the stream.
    pub fn next_line(&mut self) -> io::Result<Option<String>> {
        let mut line = Vec::new();
        match self.0.read_until(b'\n', &mut line)? {
            0 => Ok(None),
            _ => {
                if line.last() == Some(&b'\n') {
                    line.pop();
                }
                Ok(Some(String::from_utf8_lossy(&line).into_owned()))
            }
        }
    }
}

/// The state of the TCP socket from `local` port to `remote` port on 127.0.0.1, as
/// `/proc/net/tcp` shows it (`1` established, `8` close-wait: the other end has half-closed),
/// if there is one.
pub fn tcp_state(local: u16, remote: u16) -> Option<u8> {
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    let (local, remote) = (format!(":{local:04X}"), format!(":{remote:04X}"));
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() > 3 && fields[1].ends_with(&local) && fields[2].ends_with(&remote) {
            u8::from_str_radix(fields[3], 16).ok()
        } else {
            None
        }
    })
}

/// The largest send buffer the system lets TCP grow to (`/proc/sys/net/ipv4/tcp_wmem`).
pub fn max_send_buffer() -> usize {
    std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
        .ok()
        .and_then(|text| text.split_whitespace().nth(2)?.parse().ok())
        .unwrap_or(4 << 20)
}

/// Whether `needle` is in what `stream` has received and not read (looked at without
/// reading it).
pub fn has_received(stream: &TcpStream, needle: &[u8]) -> io::Result<bool> {
    stream.set_nonblocking(true)?;
    let mut buf = vec![0; 64 * 1024];
    let got = match stream.peek(&mut buf) {
        Ok(n) => Ok(buf[..n].windows(needle.len()).any(|w| w == needle)),
        Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(false),
        Err(e) => Err(e),
    };
    stream.set_nonblocking(false)?;
    got
}
