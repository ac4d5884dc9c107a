//! The baton component library: what an application links to so that its baton node can set
//! its role and query its health (PROTOCOL 6.1 to 6.4).
//!
//! A [`Component`] keeps one link to the node of its host (a Unix socket by default, or
//! loopback TCP, PROTOCOL 1.4), framed as PROTOCOL 3.1 says ([`baton_codec::FrameCodec`], DER
//! unless configured otherwise). On each connection it registers with a `heartBeat` carrying
//! its component id; it answers every `healthQuery` with the health the application set
//! ([`Component::set_health`]), or asks a probe of the application at each query
//! ([`Component::on_health_query`]), and pushes heartbeats; it hands every `setRole` to the
//! application as an [`Event::RoleRequest`], whose [`RoleRequest::accept`] or
//! [`RoleRequest::refuse`] sends the `setRoleResponse` with the request's `correlationId`.
//!
//! # The watchdog
//! A dead node must not leave an active component behind, because its peer is promoting at
//! that moment (PROTOCOL 6.3). While the component is active, a node link that closes, or stays
//! silent for [`ComponentOptions::dead_interval`] (190 ms by default), makes the component
//! demote itself: the application gets [`Event::SelfDemoted`] then
//! [`Event::RoleChanged`]` { to: Role::Standby, .. }` and must stop serving. After a silence the
//! component drops the link. Either way it reconnects, registers again and reports the
//! demotion ([`Event::Connected`]` { self_demoted: true, .. }`); the node then sends it the
//! current role.
//!
//! **The rule** (PROTOCOL 6.3): the watchdog must fire before the peer node can promote.
//! With `W` = [`ComponentOptions::dead_interval`], `G` = [`ComponentOptions::stall_grace`],
//! `D` the node's peer dead interval and `H` its heartbeat interval:
//!
//! ```text
//!     W + G  <=  D - H - 2 ms        (198 ms with the node's defaults D = 300, H = 100)
//! ```
//!
//! The default `W` of 190 ms keeps it with the node's default timers; a node with faster
//! timers needs a shorter `W`. The node tells its bound when the component registers
//! (PROTOCOL 6.9, [`Component::node_timers`]), and a component whose `W + G` breaks it gets
//! [`Event::WatchdogTooLong`] (and a warning in the log) on every registration, and refuses
//! `active`: each `setRole(active)` is answered `failure` by the library itself
//! ([`Event::ActiveRefused`]), so a misconfigured component never serves where it could
//! outlive its node.
//!
//! # What the node tells the component
//! Beyond role requests (each with its [`RoleRequest::generation`] and the node's role
//! timeout in [`Component::node_timers`]) and health queries, the node may send *notices*
//! (PROTOCOL 6.9): [`Event::RestartRequested`] when the component is configured `major` and
//! failed (restart what failed, then report [`Health::Ok`]), and
//! [`Event::UnknownComponentId`] when its configuration lists no component of this id (the
//! component then stops: fix the id or the node's configuration). A component that stops on
//! purpose calls [`Component::leave`] rather than [`Component::close`], so that the node does
//! not take it for a crash.
//!
//! # Replication
//! A component configured with [`ComponentOptions::replication`] (and `replication = "sync"`
//! or `"async"` on its node's `[[component]]`) replicates its application's state through
//! its node to the standby node (PROTOCOL 2.8, 6.11; seed 002's checkpoints: add a context
//! when it enters a stable state, delete it when it leaves, modify only when necessary):
//! - the active component calls [`Component::replicate`] (or the blocking
//!   [`blocking::Component::replicate`]) with one to 64 [`Operation`]s on its records (a
//!   [`RecordKey`] is a data type and a key; the application id is the component id). It
//!   completes with the node's acknowledgement ([`Ack`]): once the standby node stored the
//!   update in `sync` mode, once the active node's mirror holds it in `async` mode
//!   ([`ReplicationMode`]). A refusal names the node's code ([`ReplicateError::Refused`],
//!   e.g. [`ErrorCode::RepertoryFull`]: nothing applied); updates are numbered 1, 2, ... on
//!   each link, in the generation of the `setRole{active}` accepted.
//! - a **hot** standby ([`StandbyKind::Hot`]) asks for its records at registration and at
//!   `setRole{standby}`, gets them as [`Event::StandbySync`], then every update the active
//!   replicates as [`Event::StandbyUpdate`], in order (a gap asks for a new sync). A
//!   **cold** one gets the records only when promoted.
//! - on promotion, [`RoleRequest::promote`] runs seed 002's steps in order on the
//!   application's [`Replica`]: restoration (the records the node sent before its
//!   `setRole{active}`, or [`Restoration::Streamed`] for a hot standby), activation, the
//!   answer to the node, auditing (returns the orphans' keys) and cleanup (the library
//!   replicates a `delete` of each orphan, then calls [`Replica::cleanup`]).
//!
//! `examples/kv_store.rs` is a replicated key-value store that keeps serving after a
//! failover.
//!
//! # Links
//! The component reconnects by itself whenever the link drops, at once after a link that
//! worked and then with exponential back-off ([`Backoff`]). Anything from the node that is
//! not a valid frame is logged (with `tracing`) and the link is dropped and reconnected; valid
//! messages the component has no use for are logged and ignored. No input from the node makes
//! the library panic.
//!
//! # Design
//! As quinn drives quinn-proto, this crate is a thin driver around one sans-IO machine, the
//! [`engine::ComponentEngine`] (the Role machine [`baton_role::ComponentRole`] and the health
//! machine [`baton_monitor::ComponentHealth`], composed): the driver reads the socket and the
//! clock (tokio's, as time since the driver started, so tests can pause it) and feeds the
//! engine, then drains its frames and events. The driver runs as a task on the caller's tokio
//! runtime; [`blocking`] runs it on a thread of its own for applications without tokio.
//!
//! # Features
//! - `runtime` (default): the tokio driver and its handles ([`Component`], [`blocking`]).
//! - Without it (`default-features = false`) the crate is [`engine`] and the types it speaks
//!   ([`Role`], [`Health`], [`WatchdogReason`]), with no tokio below it: what a caller with
//!   its own I/O embeds (the node's script components, the simulation).
//!
#![cfg_attr(
    feature = "runtime",
    doc = r#"# Example
```no_run
use baton_component::{Component, ComponentOptions, Endpoint, Event, Health, Role};

# async fn serve() {} async fn stop_serving() {}
#[tokio::main]
async fn main() -> Result<(), baton_component::Error> {
    let endpoint = Endpoint::Unix("/run/baton/components.sock".into());
    // Returns at once: the component connects (and reconnects) in the background.
    let (component, mut events) = Component::connect(endpoint, ComponentOptions::new("1001")).await?;
    component.set_health(Health::Ok);
    while let Some(event) = events.recv().await {
        match event {
            Event::RoleRequest(request) => {
                // Switch first, then answer: `success` means "done".
                match request.role() {
                    Role::Active => serve().await,
                    Role::Standby => stop_serving().await,
                }
                if request.accept().await.is_err() {
                    // Withdrawn meanwhile: go back to the role the component holds.
                    if component.role() != Some(Role::Active) {
                        stop_serving().await;
                    }
                }
            }
            // Includes the watchdog's self-demotion: stop serving at once.
            Event::RoleChanged { to: Role::Standby, .. } => stop_serving().await,
            // The node refused this id: the component stopped, and so does the loop.
            Event::UnknownComponentId => return Err(baton_component::Error::UnknownComponentId),
            other => println!("{other:?}"),
        }
    }
    Ok(())
}
```

`examples/app.rs` is a complete application: it prints what happens, accepts every role
(or refuses `active` with `--refuse-active`, to demo a failed promotion) and reads its
health from standard input:
`cargo run -p baton-component --example app -- --socket /run/baton/components.sock --id 1001`.

Events and role requests share one ordered stream ([`Events`]) rather than two: the order
of a request, its withdrawal and a self-demotion matters, and an application that answers
requests cannot then miss a demotion. [`Component::watch`] adds a `watch` of the
component's [`State`] for other tasks.
"#
)]
#![forbid(unsafe_code)]
// The crate docs describe the runtime, which `default-features = false` leaves out.
#![cfg_attr(not(feature = "runtime"), allow(rustdoc::broken_intra_doc_links))]

pub mod engine;
mod replica;
mod types;

#[cfg(feature = "runtime")]
pub mod blocking;
#[cfg(feature = "runtime")]
mod component;
#[cfg(feature = "runtime")]
mod driver;
#[cfg(feature = "runtime")]
mod event;
#[cfg(feature = "runtime")]
mod options;
#[cfg(feature = "runtime")]
mod promotion;
#[cfg(feature = "runtime")]
mod request;

pub use baton_codec::Encoding;
pub use replica::{
    Ack, ErrorCode, Operation, Record, RecordKey, ReplicateError, Restoration, MAX_DATA_TYPE,
    MAX_KEY, MAX_OPERATIONS, MAX_VALUE,
};
pub use types::{Health, Role, WatchdogReason};

#[cfg(feature = "runtime")]
pub use component::{Component, Error, Events};
#[cfg(feature = "runtime")]
pub use event::{DisconnectReason, Event, NodeTimers, State};
#[cfg(feature = "runtime")]
pub use options::{
    Backoff, ComponentOptions, Endpoint, ReplicationMode, ReplicationOptions, StandbyKind,
    MIN_MAX_FRAME,
};
#[cfg(feature = "runtime")]
pub use promotion::{PromoteError, Promoted, Replica};
#[cfg(feature = "runtime")]
pub use request::{AnswerError, RoleRequest};
