//! baton's sans-IO monitor state machine (work in progress).
#![forbid(unsafe_code)]
