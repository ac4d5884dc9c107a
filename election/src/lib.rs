//! baton's sans-IO election state machine (work in progress).
#![forbid(unsafe_code)]
