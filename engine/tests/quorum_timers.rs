//! A node refuses quorum timers that break the lease inequality of PROTOCOL 5.9.6 (as
//! `baton check-config` does), with the numbers, and starts with the defaults.

use baton_core::Instant;
use baton_engine::{Node, NodeConfig, NodeConfigError};
use std::time::Duration;

fn three(me: usize) -> NodeConfig {
    NodeConfig::quorum(&[("alpha", "1"), ("beta", "2"), ("gamma", "3")], me)
}

#[test]
fn the_default_quorum_timers_start() {
    assert!(Node::new(three(0), Instant::ZERO).is_ok());
}

#[test]
fn timers_breaking_the_lease_inequality_are_refused_with_the_numbers() {
    let mut c = three(0);
    c.quorum.active_lease = Duration::from_millis(700);
    let Err(e) = Node::new(c, Instant::ZERO) else {
        panic!("a node started with active_lease 700 ms");
    };
    assert!(matches!(e, NodeConfigError::Election(_)), "{e:?}");
    assert_eq!(
        e.to_string(),
        "election: lease inequality broken: active_lease 700.000 ms / \
         (1 - 10000 ppm) + demotion_bound 300.000 ms = 1007.070 ms exceeds voter_lease 800.000 \
         ms / (1 + 10000 ppm) = 792.079 ms; with these, active_lease must be at most 487.158 ms"
    );
}

#[test]
fn renewals_slower_than_a_third_of_the_lease_are_refused() {
    let mut c = three(1);
    c.quorum.renew = Duration::from_millis(151);
    let Err(e) = Node::new(c, Instant::ZERO) else {
        panic!("a node started with renew 151 ms");
    };
    assert_eq!(
        e.to_string(),
        "election: renew 151.000 ms exceeds active_lease / 3 = 150.000 ms"
    );
}
