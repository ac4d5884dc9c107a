//! baton conformance suite (work in progress).
#![forbid(unsafe_code)]
