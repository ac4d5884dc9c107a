//! baton's conformance tester, the library behind `baton conformance`: an h2spec for the
//! baton protocol. It connects to an implementation under test, plays the other side of a
//! link (the other member of a pair, a status client), drives the implementation from role
//! to role with the protocol alone, and reports requirement by requirement (each with its
//! PROTOCOL.md section: section 10's checklist is the index) whether the implementation did
//! what the requirement says.
//!
//! - [`member::run`]: peer links and the election (PROTOCOL 3, 4, 5, 9).
//! - [`status::run`]: the status interface (PROTOCOL 1.5, 6.5, 6.7, 9).
//! - [`secure`]: transport security as each listener enforces it (PROTOCOL 3.4), over TLS.
//! - [`transport::Transport`]: plain TCP, or mutual TLS through the caller's [`transport::Tls`]
//!   (PROTOCOL 3.4).
//! - [`report::Report`]: the verdicts; h2spec-like text, JSON, the exit status.
#![forbid(unsafe_code)]

/// Declares a suite's requirements as constants, and `REQUIREMENTS`, all of them in the
/// order the tests run (documented by the leading string).
macro_rules! requirements {
    ($all:literal; $($name:ident = $id:literal, $section:literal, $level:ident, $title:literal;)*) => {
        $(
            #[doc = $title]
            pub const $name: $crate::report::Requirement = $crate::report::Requirement {
                id: $id,
                section: $section,
                level: $crate::report::Level::$level,
                title: $title,
            };
        )*
        #[doc = $all]
        pub const REQUIREMENTS: &[$crate::report::Requirement] = &[$($name),*];
    };
}

pub mod component;
pub mod malformed;
pub mod member;
pub mod msg;
pub mod node;
pub mod report;
pub mod secure;
pub mod status;
pub mod transport;
pub mod wire;

pub use report::{Level, Outcome, Report, Requirement};
