//! Components in order (PROTOCOL 6.1, *Components in order*) through the whole Node: two
//! script components, a VIP after an application; exact typed outputs (the hook jobs, in
//! the order the driver is asked to run them).

use baton_component::Role;
use baton_core::{Instant, NodeRole};
use baton_engine::{
    Event, Hook, HookEnv, HookJob, JobId, Node, NodeConfig, Notice, ScriptComponent,
};
use baton_monitor::ComponentPolicy;
use baton_role::{ComponentOrder, FailureReason};
use std::time::Duration;

fn ms(n: u64) -> Instant {
    Instant::ZERO + Duration::from_millis(n)
}

const APP: &str = "2001";
const VIP: &str = "2002";

fn script(id: &str) -> ScriptComponent {
    ScriptComponent {
        id: id.to_owned(),
        check: None,
        activate: Some("activate".to_owned()),
        deactivate: Some("deactivate".to_owned()),
        start: None,
        stop: None,
        timeout: Duration::from_secs(1),
        check_interval: Duration::from_secs(1),
    }
}

/// alpha alone (its peer never connects), the VIP listed first but after the application.
fn config() -> NodeConfig {
    let mut c = NodeConfig::pair([("alpha", "1"), ("beta", "2")], 0);
    c.scripts = vec![script(VIP), script(APP)];
    for id in [APP, VIP] {
        c.components
            .insert(id.to_owned(), ComponentPolicy::default());
    }
    c.component_order = ComponentOrder::new([(VIP, [APP])]).unwrap();
    c
}

/// The job `id` of script component `index` (`VIP` is 0, `APP` 1).
fn job(id: u64, index: usize, hooks: &[Hook], role: Role) -> Event {
    Event::RunHooks {
        id: JobId(id),
        job: HookJob {
            component: index,
            hooks: hooks.to_vec(),
            env: HookEnv {
                component: [VIP, APP][index].to_owned(),
                role,
                member: "alpha".to_owned(),
                peer: "beta".to_owned(),
            },
        },
    }
}

fn jobs_and_roles(node: &mut Node) -> Vec<Event> {
    std::iter::from_fn(|| node.poll_event())
        .filter(|e| {
            matches!(
                e,
                Event::RunHooks { .. }
                    | Event::RoleChanged { .. }
                    | Event::Notice(Notice::PromotionFailed { .. })
            )
        })
        .collect()
}

fn run_to(node: &mut Node, t: u64) -> Vec<Event> {
    let mut out = Vec::new();
    while let Some(at) = node.poll_timeout().filter(|at| *at <= ms(t)) {
        node.handle_timeout(at);
        out.extend(jobs_and_roles(node));
    }
    out
}

/// The components of `jobs`, in order.
fn ids(jobs: Vec<HookJob>) -> Vec<String> {
    jobs.into_iter().map(|j| j.env.component).collect()
}

fn up() -> [Hook; 2] {
    [Hook::Start, Hook::Activate]
}

#[test]
fn the_vip_is_activated_after_the_application_confirmed() {
    let mut node = Node::new(config(), ms(0)).unwrap();
    jobs_and_roles(&mut node);
    let promoting = Event::RoleChanged {
        from: NodeRole::Negotiating,
        to: NodeRole::Promoting,
    };
    assert_eq!(
        run_to(&mut node, 400),
        [promoting, job(1, 1, &up(), Role::Active)]
    );
    node.handle_hooks_done(ms(400), JobId(1), true);
    assert_eq!(jobs_and_roles(&mut node), [job(2, 0, &up(), Role::Active)]);
    node.handle_hooks_done(ms(500), JobId(2), true);
    let active = Event::RoleChanged {
        from: NodeRole::Promoting,
        to: NodeRole::Active,
    };
    assert_eq!(jobs_and_roles(&mut node), [active]);
    // At exit the clean-up runs in the order of a demotion: the VIP first.
    assert_eq!(ids(node.exit_jobs()), [VIP, APP]);
}

#[test]
fn a_failed_application_leaves_the_vip_untouched_and_the_start_cleanup_goes_vip_first() {
    assert_eq!(ids(Node::start_jobs(&config())), [VIP, APP]);
    let mut node = Node::new(config(), ms(0)).unwrap();
    jobs_and_roles(&mut node);
    run_to(&mut node, 400);
    node.handle_hooks_done(ms(400), JobId(1), false);
    let events = jobs_and_roles(&mut node);
    assert_eq!(
        events,
        [
            Event::Notice(Notice::PromotionFailed {
                component: APP.to_owned(),
                reason: FailureReason::Refused,
            }),
            Event::RoleChanged {
                from: NodeRole::Promoting,
                to: NodeRole::PromotionFailed,
            },
        ]
    );
    // Alone, the node stays PromotionFailed: the VIP is never activated.
    assert_eq!(run_to(&mut node, 5000), []);
    assert_eq!(node.role(), NodeRole::PromotionFailed);
}
