//! Request bodies with read deadlines (slow POST): a body must keep arriving — no gap longer
//! than [`limits::HTTP_BODY_IDLE_S`], and n bytes within [`limits::HTTP_BODY_GRACE_S`] +
//! n / [`limits::HTTP_BODY_RATE_MIN_BYTES_PER_S`] seconds of its start. Past either deadline the
//! body ends with an error, the handler's answer is replaced by 408 `BODY_TIMEOUT`, and the
//! connection is closed (the rest of the body is never read).

use axum::body::{Body, Bytes};
use hyper::body::{Frame, SizeHint};
use ob_model::limits;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// A body that fails once it arrives too slowly, and says so in `timed_out`.
pub(crate) struct TimedBody {
    inner: Body,
    started: Instant,
    received_bytes: u64,
    deadline: Pin<Box<Sleep>>,
    timed_out: Arc<AtomicBool>,
}

impl TimedBody {
    /// Wraps `inner`; `timed_out` is set when a deadline passes.
    pub(crate) fn new(inner: Body, timed_out: Arc<AtomicBool>) -> TimedBody {
        let started = Instant::now();
        let first = started + Duration::from_secs(limits::HTTP_BODY_IDLE_S.min(limits::HTTP_BODY_GRACE_S));
        TimedBody { inner, started, received_bytes: 0, deadline: Box::pin(tokio::time::sleep_until(first)), timed_out }
    }

    /// The earlier of the idle deadline (from now) and the rate deadline (from the start).
    fn next_deadline(&self) -> Instant {
        let idle = Instant::now() + Duration::from_secs(limits::HTTP_BODY_IDLE_S);
        let allowed_ms = limits::HTTP_BODY_GRACE_S * 1000
            + self.received_bytes.saturating_mul(1000) / limits::HTTP_BODY_RATE_MIN_BYTES_PER_S;
        idle.min(self.started + Duration::from_millis(allowed_ms))
    }
}

impl hyper::body::Body for TimedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received_bytes += data.len() as u64;
                }
                let next = this.next_deadline();
                this.deadline.as_mut().reset(next);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(end) => Poll::Ready(end),
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.timed_out.store(true, Ordering::Relaxed);
                    Poll::Ready(Some(Err(axum::Error::new("the request body arrived too slowly"))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
