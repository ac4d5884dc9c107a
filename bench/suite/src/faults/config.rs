//! The files of a fault-suite cluster: each member's configuration and the fence script.

use super::cluster::{PEER_PORT, STATUS_PORT};
use super::net;
use super::Kind;
use std::path::Path;
use std::time::Duration;

/// The etcd lease TTL of the etcd-mode cluster (PROTOCOL 5.12): etcd's smallest with its
/// default election timeout.
pub const ETCD_TTL_MS: u64 = 2000;
/// The etcd client port in the hub namespace (on [`net::ETCD_ADDR`]).
pub const ETCD_PORT: u16 = 2379;
/// Timers of a run: the heartbeat; the quorum timers scale with it (defaults at 100 ms).
#[derive(Debug, Clone, Copy)]
pub struct Timers {
    /// Heartbeat, ms (dead interval: three of them).
    pub heartbeat_ms: u64,
}

impl Timers {
    /// The `[timers]` table: pair mode takes only the heartbeat; quorum mode also the quorum
    /// timers, the defaults of OPERATIONS scaled by heartbeat / 100 ms (the lease inequality
    /// is linear, so it still holds).
    pub fn table(&self, quorum: bool) -> String {
        let h = self.heartbeat_ms;
        let mut t = format!("\n[timers]\nheartbeat_ms = {h}\nretry_backoff_ms = {h}\n");
        if quorum {
            t += &format!(
                "voter_lease_ms = {}\nactive_lease_ms = {}\nrenew_ms = {}\n\
                 election_timeout_ms = {}\nstagger_ms = {}\ndemotion_bound_ms = {}\n",
                8 * h,
                9 * h / 2,
                h,
                h / 2,
                3 * h,
                3 * h
            );
        }
        t
    }

    /// The linked components' watchdog: two heartbeats minus 2 ms (PROTOCOL 6.3).
    pub fn watchdog(&self) -> Duration {
        Duration::from_millis(2 * self.heartbeat_ms).saturating_sub(Duration::from_millis(2))
    }
}

/// Member `i`'s configuration file: its members, timers, listeners (in `dir`), its
/// components (a linked one and a script one writing `marker`) and, with fencing, `[fence]`.
pub fn member(
    kind: Kind,
    names: &[&str],
    witness: &[bool],
    i: usize,
    dir: &Path,
    timers: Timers,
    marker: &Path,
) -> String {
    let d = dir.display();
    let name = names[i];
    let quorum = kind.quorum();
    let mut t = format!("# baton-bench faults: {name}\nname = \"{name}\"\nlog = \"info\"\n");
    if quorum {
        t += &format!("election = \"quorum\"\nstate_dir = \"{d}/{name}.state.d\"\n");
    }
    if kind == Kind::Etcd3 {
        t += "election = \"etcd\"\n";
    }
    for (j, m) in names.iter().enumerate() {
        t += &format!(
            "\n[[member]]\nname = \"{m}\"\nid = \"{}\"\naddress = \"{}:{PEER_PORT}\"\n{}",
            j + 1,
            net::addr(j),
            if witness[j] { "witness = true\n" } else { "" }
        );
    }
    t += &timers.table(quorum);
    t += &format!(
        "\n[listen]\ncomponent_socket = \"{d}/{name}.sock\"\nstatus = \"127.0.0.1:{STATUS_PORT}\"\n\
         control_socket = \"{d}/{name}.ctl\"\n"
    );
    if kind == Kind::Etcd3 {
        t += &format!(
            "\n[etcd]\nendpoints = [\"http://{}:{ETCD_PORT}\"]\nprefix = \"/baton/faults\"\n\
             ttl_ms = {ETCD_TTL_MS}\n",
            net::ETCD_ADDR
        );
    }
    if kind == Kind::PairFence {
        t += &format!("\n[fence]\ncommand = \"sh {d}/fence.sh\"\ntimeout_ms = 3000\n");
    }
    if !witness[i] {
        let m = marker;
        let m = m.display();
        t += "\n[[component]]\nid = \"1001\"\nseverity = \"fatal\"\n";
        t += &format!(
            "\n[[component]]\nid = \"2001\"\nseverity = \"fatal\"\n\
             activate = \"echo active > {m}\"\ndeactivate = \"echo standby > {m}\"\n"
        );
    }
    if i == 0 && kind == Kind::PairFence {
        let _ = std::fs::write(dir.join("fence.sh"), fence_script(dir));
    }
    t
}

/// The fence command's script (`sh DIR/fence.sh`): the harness's stand-in for a power
/// fence. It reads the fenced member's pid from `DIR/pids/$BATON_FENCE_MEMBER` (written at
/// each start), sends it SIGKILL, waits until the process is gone (a zombie or no
/// `/proc/<pid>`, at most 2 s), then until that member's script marker no longer says
/// `active` (its guard's `deactivate`, at most 1 s), and exits 0: "that member is down".
pub fn fence_script(dir: &Path) -> String {
    let d = dir.display();
    format!(
        r#"m="$BATON_FENCE_MEMBER"
pid=$(cat "{d}/pids/$m") || exit 1
kill -KILL "$pid" 2>/dev/null
i=0
while [ $i -lt 1000 ]; do
  s=$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)
  if [ -z "$s" ] || [ "$s" = Z ]; then break; fi
  sleep 0.002; i=$((i+1))
done
j=0
while [ $j -lt 500 ] && grep -q active "{d}/$m.marker" 2>/dev/null; do sleep 0.002; j=$((j+1)); done
exit 0
"#
    )
}
