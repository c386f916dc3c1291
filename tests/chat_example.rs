#![cfg(not(miri))] // The loop needs the operating system's poller, which Miri cannot emulate.
//! The chat server of `examples/chat_server.rs` (its `chat` module, compiled in here), driven
//! by a hundred clients: tasks on the server's own loop, and threads with blocking sockets
//! beside clients that misbehave. Every line said by a client that behaves reaches every other
//! one, and stopping the server says goodbye to everyone still connected.

#[allow(dead_code)] // the example's `main` and its demo are not used here
#[path = "../examples/chat_server.rs"]
mod chat_server;

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use chat_server::chat::Server;
use futures::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use futures::StreamExt;
use resumable::rt::net::{TcpListener, TcpStream};
use resumable::rt::{self, TaskGroup};
use std::cell::Cell;
use std::rc::Rc;

/// Clients that behave.
const CLIENTS: usize = 100;
/// The longest a client waits for a line before the test fails.
const PATIENCE: Duration = Duration::from_secs(20);

/// What a client that behaves does on the loop: says its name, waits for everyone to be in,
/// says `hi from NAME`, counts itself in `done` once it has heard every other client's line,
/// and returns the lines it heard from others and the goodbye, up to the end of its connection.
async fn loop_client(
    addr: SocketAddr,
    name: String,
    said: Rc<async_lock::Barrier>,
    done: Rc<Cell<usize>>,
) -> Vec<String> {
    let (reader, mut writer) = TcpStream::connect(addr).await.expect("connect").split();
    let mut lines = futures::io::BufReader::new(reader).lines();
    let mut next = async || {
        rt::timeout(PATIENCE, lines.next())
            .await
            .unwrap_or_else(|_| panic!("{name} heard nothing for {PATIENCE:?}"))
            .map(|line| line.expect("a line"))
    };
    next().await.expect("the welcome");
    writer
        .write_all(format!("{name}\n").as_bytes())
        .await
        .unwrap();
    next().await.expect("the hello");
    said.wait().await; // everyone is in the room before anyone speaks
    writer
        .write_all(format!("hi from {name}\n").as_bytes())
        .await
        .unwrap();
    let mut heard = Vec::new();
    while let Some(line) = next().await {
        if line.contains(": hi from ") || line.contains("shutting down") {
            heard.push(line);
            if heard.len() == CLIENTS - 1 {
                done.set(done.get() + 1);
            }
        }
    }
    heard
}

#[test]
fn a_hundred_clients_on_the_servers_loop_hear_every_line_and_the_goodbye() {
    let (heard, stats) = rt::block_on(async {
        let server = Server::start(TcpListener::bind("127.0.0.1:0").unwrap(), false).unwrap();
        let said = Rc::new(async_lock::Barrier::new(CLIENTS));
        let done = Rc::new(Cell::new(0));
        let clients = TaskGroup::new();
        for n in 0..CLIENTS {
            let name = format!("c{n:03}");
            clients.spawn(loop_client(server.addr(), name, said.clone(), done.clone()));
        }
        // Everyone says a line; once every client has heard all the others', stop.
        let all_heard = async {
            while done.get() < CLIENTS {
                rt::sleep(Duration::from_millis(5)).await;
            }
        };
        if rt::timeout(PATIENCE, all_heard).await.is_err() {
            panic!("{} of {CLIENTS} clients heard every line", done.get());
        }
        let stats = server.stop().await;
        (clients.join_all().await, stats)
    });
    for (n, heard) in heard.into_iter().enumerate() {
        let heard = heard.expect("a client task");
        let mut expected: Vec<String> = (0..CLIENTS)
            .filter(|&k| k != n)
            .map(|k| format!("c{k:03}: hi from c{k:03}"))
            .collect();
        expected.push("* The server is shutting down. Bye!".to_string());
        let mut got = heard.clone();
        got.sort();
        expected.sort();
        assert_eq!(got, expected, "client c{n:03}");
        assert!(
            heard.last().unwrap().contains("shutting down"),
            "the goodbye comes last"
        );
    }
    assert_eq!(stats.connections, CLIENTS);
    assert_eq!(stats.lines, CLIENTS);
    // Each line to the 99 others, and each arrival to those already in.
    assert_eq!(
        stats.deliveries,
        CLIENTS * (CLIENTS - 1) + CLIENTS * (CLIENTS - 1) / 2
    );
}

/// A blocking client on its own thread: reads lines until `pred` says stop or the end.
fn read_until(reader: &mut impl BufRead, mut done: impl FnMut(&str) -> bool) -> Vec<String> {
    let mut heard = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return heard,
            Ok(_) => {
                let line = line.trim_end().to_string();
                let stop = done(&line);
                heard.push(line);
                if stop {
                    return heard;
                }
            }
        }
    }
}

#[test]
fn thread_clients_are_served_whole_beside_clients_that_misbehave() {
    const THREADS: usize = 40;
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = async_channel::bounded::<()>(1);
    let server = thread::spawn(move || {
        rt::block_on(async {
            let server = Server::start(TcpListener::bind("127.0.0.1:0").unwrap(), false).unwrap();
            addr_tx.send(server.addr()).unwrap();
            let _ = stop_rx.recv().await;
            server.stop().await
        })
    });
    let addr: SocketAddr = addr_rx.recv().unwrap();
    let connect = || {
        let stream = std::net::TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let _welcome = read_until(&mut reader, |_| true);
        (stream, reader)
    };
    let named = |name: &str| {
        let (mut stream, mut reader) = connect();
        writeln!(stream, "{name}").unwrap();
        let _hello = read_until(&mut reader, |_| true);
        (stream, reader)
    };

    // Misbehaving clients, before and during the talk: bad UTF-8, a half line then a hang-up,
    // a reset with a line on its way, a flood without newlines.
    let (mut latin1, mut latin1_reader) = named("latin1");
    latin1.write_all(b"caf\xe9\n").unwrap();
    let (mut half, _) = named("half");
    half.write_all(b"never finish").unwrap();
    drop(half);
    let (mut reset, _) = named("reset");
    reset.write_all(b"going, going\n").unwrap();
    rustix::net::sockopt::set_socket_linger(&reset, Some(Duration::ZERO)).unwrap();
    drop(reset);
    let (mut flood, _) = named("flood");
    flood.write_all(&vec![b'x'; 64 * 1024]).unwrap();
    flood.shutdown(Shutdown::Write).unwrap();

    let ready = Arc::new(Barrier::new(THREADS));
    let talkers: Vec<_> = (0..THREADS)
        .map(|n| {
            let (ready, named) = (ready.clone(), named);
            let name = format!("t{n:02}");
            let (mut stream, mut reader) = named(&name);
            thread::spawn(move || {
                ready.wait();
                writeln!(stream, "hi from {name}").unwrap();
                let mut count = 0;
                let heard = read_until(&mut reader, |line| {
                    count += usize::from(line.contains(": hi from t"));
                    count == THREADS - 1
                });
                (name, heard, stream)
            })
        })
        .collect();
    let mut streams = Vec::new();
    for talker in talkers {
        let (name, heard, stream) = talker.join().expect("a talking thread");
        let mut from: Vec<String> = heard
            .iter()
            .filter_map(|l| l.split_once(": hi from ").map(|(who, _)| who.to_string()))
            .collect();
        from.sort();
        let expected: Vec<String> = (0..THREADS)
            .map(|k| format!("t{k:02}"))
            .filter(|k| *k != name)
            .collect();
        assert_eq!(from, expected, "{name} heard every other talker once");
        assert!(
            heard.iter().all(|l| !l.contains("never finish")),
            "{name} heard the half line"
        );
        streams.push(stream);
    }
    let latin1_heard = read_until(&mut latin1_reader, |l| l.contains("not valid UTF-8"));
    assert!(latin1_heard.last().unwrap().contains("not valid UTF-8"));
    latin1.shutdown(Shutdown::Both).unwrap();

    stop_tx.close();
    let stats = server.join().expect("the server's thread");
    assert_eq!(stats.invalid_utf8, 1);
    assert_eq!(
        stats.unfinished, 1,
        "the half line, not the flood (which was cut into lines)"
    );
    assert!(
        stats.lines >= THREADS + 2,
        "the talk, latin1's, reset's and the flood's"
    );
    drop(streams);
}
