//! A plugin's stdout and stderr, kept for the run's log up to a cap.
//!
//! Past the cap, writes still succeed and are counted but not kept: a plugin that prints a lot is
//! noisy, not broken (wasmtime-wasi's memory pipe fails the write instead, which traps most guests'
//! `println!`).

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

/// What a call printed to one stream: the first `cap` bytes, and how many more there were.
#[derive(Debug, Clone)]
pub struct Capture {
    cap: usize,
    kept: Arc<Mutex<Captured>>,
}

#[derive(Debug, Default)]
struct Captured {
    bytes: Vec<u8>,
    dropped: usize,
}

impl Capture {
    pub fn new(cap: usize) -> Capture {
        Capture {
            cap,
            kept: Default::default(),
        }
    }

    /// The bytes kept, and how many were written beyond them.
    pub fn contents(&self) -> (Vec<u8>, usize) {
        let kept = self.kept.lock().unwrap();
        (kept.bytes.clone(), kept.dropped)
    }
}

impl AsyncWrite for Capture {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut kept = self.kept.lock().unwrap();
        let room = self.cap.saturating_sub(kept.bytes.len()).min(buf.len());
        kept.bytes.extend_from_slice(&buf[..room]);
        kept.dropped += buf.len() - room;
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl IsTerminal for Capture {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for Capture {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn writes_past_the_cap_succeed_and_are_counted_not_kept() {
        let capture = Capture::new(4);
        let mut stream = std::pin::Pin::from(capture.async_stream());
        stream.write_all(b"abc").await.unwrap();
        stream.write_all(b"defgh").await.unwrap();
        assert_eq!(capture.contents(), (b"abcd".to_vec(), 4));
    }
}
