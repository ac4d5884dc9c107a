//! baton's sans-IO role state machine (work in progress).
#![forbid(unsafe_code)]
