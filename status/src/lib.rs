//! baton's sans-IO status state machine (work in progress).
#![forbid(unsafe_code)]
