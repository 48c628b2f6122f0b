//! A response body that holds the server memory its results were charged
//! (`--max-result-memory`) until it is sent or dropped, whatever the front that built it.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use dbforge_engine::ResultCharge;
use http_body::{Frame, SizeHint};

/// A body that holds results' memory charges until it is sent (or dropped).
pub struct ChargedBody {
    inner: Body,
    _charges: Vec<ResultCharge>,
}

impl ChargedBody {
    pub fn new(inner: Body, charges: Vec<ResultCharge>) -> Self {
        Self {
            inner,
            _charges: charges,
        }
    }
}

impl HttpBody for ChargedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// `response`, whose body holds `charges` until it is sent.
pub fn holding(
    response: axum::response::Response,
    charges: Vec<ResultCharge>,
) -> axum::response::Response {
    response.map(|body| Body::new(ChargedBody::new(body, charges)))
}
