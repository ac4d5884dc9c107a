//! Etcd mode's I/O (PROTOCOL 5.12): the client that carries the Election's
//! [`baton_election::EtcdCommand`]s to etcd and brings [`baton_election::EtcdInput`]s back.
//! It speaks the JSON gateway of etcd's v3 API over HTTP/1.1 (`/v3/lease/grant`,
//! `/v3/lease/keepalive`, `/v3/lease/revoke`, `/v3/kv/txn`, `/v3/kv/range`, `/v3/watch`),
//! so that building baton needs no `protoc`:
//!
//! - `http`: a minimal HTTP/1.1 client (one POST per connection, chunked streams);
//! - `wire`: the JSON bodies and the typed reading of etcd's answers (pure);
//! - `client`: requests bounded by the request timeout across the endpoints, and the watch.
//!
//! The decisions (when to renew, campaign, stand down, resign) are the Election's
//! (`election/src/etcd/`); the driver (`driver/etcd.rs`) runs the client's tasks.

mod client;
pub mod http;
pub mod wire;

pub use client::{CallError, Client};
