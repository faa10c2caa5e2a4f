//! The local server of `bench/compare.py`'s probe hypothesis, and of the sandbox bench's HTTP GETs
//! (`runtime/benches/sandbox.rs` includes this file as a module): answers every HTTP/1.1 request on
//! 127.0.0.1 with `200 ok` and closes the connection. Native and on one thread, so that no tool
//! measured waits on it: a Python (asyncio) server took a third of each chaosrt probe's wall time.
//!
//! compare.py builds it with `rustc -O` (no crate: it is a benchmark fixture, not part of the
//! product). Run alone, it prints the port it listens on, then serves until killed.

use std::io::{Read, Write};
use std::net::TcpListener;

const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";

#[allow(dead_code)] // unused where the sandbox bench includes this file
fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{}", listener.local_addr()?.port())?;
    stdout.flush()?;
    serve(listener);
    Ok(())
}

/// Answers every connection to `listener`, one at a time, for as long as the process lives.
pub fn serve(listener: TcpListener) {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        request.clear();
        // Read up to the end of the headers (the probes send no body), answer, close.
        loop {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    request.extend_from_slice(&buf[..n]);
                    if request.windows(4).any(|w| w == b"\r\n\r\n") {
                        let _ = stream.write_all(RESPONSE);
                        break;
                    }
                }
            }
        }
    }
}
