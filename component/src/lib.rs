//! The baton component library (in progress).
#![forbid(unsafe_code)]
