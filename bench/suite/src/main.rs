//! `baton-bench`: the failover, switchover, scale and soak benchmark suite, with keepalived
//! measured side by side in the same run.
//!
//! `bash bench/suite.sh` builds it in release and runs every section; see
//! `bench/suite/README.md` for what each section measures. Progress goes to standard error,
//! the tables (Markdown, pasted as they are into BENCHMARKS.md) to standard output and to
//! `--out`.
#![forbid(unsafe_code)]

mod compare;
mod control;
mod etcd_scale;
mod failover;
mod faults;
mod keepalived;
mod machine;
mod plots;
mod replication;
mod report;
mod scale;
mod soak;
mod spinners;
mod stats;
mod vip;

use clap::{Parser, ValueEnum};
use report::{Series, Table};
use std::path::PathBuf;
use std::process::ExitCode;

/// A part of the suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Section {
    /// baton pair: crash, silent failure and switchover at every interval.
    Failover,
    /// keepalived pair in two network namespaces: the same three.
    Keepalived,
    /// One node with many components; peak frames/s through the pure Node.
    Scale,
    /// Spurious role changes at a 10 ms heartbeat with both cores busy.
    Soak,
    /// Clusters in network namespaces (quorum, witness, pair, fencing, etcd) under faults,
    /// and corosync votequorum beside quorum mode.
    Faults,
    /// The client-visible outage at a virtual IP: baton's `[[vip]]` and keepalived's
    /// `virtual_ipaddress` moving the same VIP (network namespaces, a client asking every
    /// millisecond).
    Vip,
    /// Etcd mode at scale: many clusters of three members on one etcd.
    EtcdScale,
    /// Replication (PROTOCOL 2.8) over one loopback link: updates per second, lag at an
    /// offered load, restore of a large repertory.
    Replication,
    /// SIGKILLs of the active node of a pair under a steady replication load (`sync` and
    /// `async` components): acknowledged updates lost, the `async` loss window.
    ReplicationCampaign,
}

/// Which soaks to run: `realtime = true` off, on, or both (`--soak-realtime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SoakRealtime {
    /// Normal scheduling only.
    Off,
    /// `realtime = true` only.
    On,
    /// Normal, then `realtime = true`.
    Both,
}

impl SoakRealtime {
    /// Whether each soak to run has `realtime = true`, in order.
    pub fn modes(self) -> &'static [bool] {
        match self {
            SoakRealtime::Off => &[false],
            SoakRealtime::On => &[true],
            SoakRealtime::Both => &[false, true],
        }
    }
}

/// Command line of `baton-bench`.
#[derive(Debug, Parser)]
#[command(
    name = "baton-bench",
    about = "baton failover, switchover, scale and soak benchmarks, side by side with keepalived"
)]
pub struct Options {
    /// Sections to run (default: all, in this order).
    #[arg(value_enum)]
    pub sections: Vec<Section>,
    /// Trials per scenario and interval.
    #[arg(long, default_value_t = 20)]
    pub trials: usize,
    /// Heartbeat / advert intervals, ms.
    #[arg(long, value_delimiter = ',', default_values_t = [10u64, 100, 1000])]
    pub intervals: Vec<u64>,
    /// Length of the soak, seconds.
    #[arg(long, default_value_t = 600)]
    pub soak_secs: u64,
    /// The soak's nodes: normal scheduling (`off`), `realtime = true` (`on`), or one soak of
    /// each, normal first, in one table (`both`).
    #[arg(long, value_enum, default_value_t = SoakRealtime::Off)]
    pub soak_realtime: SoakRealtime,
    /// soak: in the runs with `realtime = true`, this process too (it hosts the four
    /// components and the watchers) locks its memory and runs SCHED_FIFO 10 once the
    /// spinners started, as an application would next to a real-time node.
    #[arg(long)]
    pub soak_harness_realtime: bool,
    /// Component counts of the scale section.
    #[arg(long, value_delimiter = ',', default_values_t = [1000usize, 10000])]
    pub components: Vec<usize>,
    /// Seconds each scale point is measured for (after the components registered).
    #[arg(long, default_value_t = 10)]
    pub scale_secs: u64,
    /// failover: after the plaintext pair, the same trials on a pair with mutual TLS
    /// (`[tls]`, certificates from `baton certs`), and the TLS / plaintext ratios.
    #[arg(long)]
    pub tls: bool,
    /// A short run to check the suite works: 3 trials, intervals 10 and 100 ms, a 10 s soak,
    /// 1,000 components for 3 s, with --tls, one fault of each per cluster and one corosync
    /// trial per fault and timer setting, replication runs of 1 s and 100,000 records, 3
    /// kills in the replication campaign. Overrides the options above.
    #[arg(long)]
    pub quick: bool,
    /// faults: how many of each fault per cluster kind.
    #[arg(long, default_value_t = 5)]
    pub faults: usize,
    /// faults: the clusters' heartbeat, ms (quorum timers scale with it; 100 = defaults).
    #[arg(long, default_value_t = 100)]
    pub faults_heartbeat: u64,
    /// faults: the cluster kinds to run (default: all four).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub clusters: Vec<faults::Kind>,
    /// faults: the faults to run (default: all seven).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub fault: Vec<faults::Fault>,
    /// faults: keep both cores busy with two spinning processes for the whole section
    /// (the clusters and corosync alike).
    #[arg(long)]
    pub faults_busy: bool,
    /// etcd-scale: how many clusters of three members share the etcd.
    #[arg(long, default_value_t = 100)]
    pub etcd_clusters: usize,
    /// faults: corosync trials per fault and timer setting (0: none).
    #[arg(long, default_value_t = 10)]
    pub corosync_trials: usize,
    /// replication: seconds of each throughput and lag run.
    #[arg(long, default_value_t = 5.0)]
    pub repl_secs: f64,
    /// replication: offered load of the lag run, updates per second.
    #[arg(long, default_value_t = 100_000)]
    pub repl_rate: u64,
    /// replication: records of the restore run.
    #[arg(long, default_value_t = 1_000_000)]
    pub repl_records: u64,
    /// replication: the links' encoding rules, one run of each.
    #[arg(long, value_delimiter = ',', default_values_t = [baton_codec::Encoding::Der, baton_codec::Encoding::Uper])]
    pub repl_encodings: Vec<baton_codec::Encoding>,
    /// replication-campaign: SIGKILLs of the active node.
    #[arg(long, default_value_t = 20)]
    pub kills: usize,
    /// replication-campaign: the components are hot standbys (they keep a copy from the
    /// node's stream) instead of cold ones.
    #[arg(long)]
    pub campaign_hot: bool,
    /// The `baton` binary (default: beside this one).
    #[arg(long)]
    pub baton: Option<PathBuf>,
    /// Also write the tables to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also draw SVG plots of every trial into this folder (`failover-<N>ms.svg` per
    /// interval, `faults.svg`, `vip-outage.svg`).
    #[arg(long)]
    pub plots: Option<PathBuf>,
    /// Also write every sample, as JSON, to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// vip: both systems real-time, alike: baton's nodes with `realtime = true` (memory
    /// locked, SCHED_FIFO 10), keepalived with `vrrp_rt_priority 10` and `vrrp_no_swap`.
    #[arg(long)]
    pub vip_realtime: bool,
    /// Keep the working folders (configurations, logs) of each section.
    #[arg(long)]
    pub keep: bool,
}

impl Options {
    /// The `baton` binary to run.
    pub fn baton_exe(&self) -> PathBuf {
        self.baton.clone().unwrap_or_else(|| {
            let me = std::env::current_exe().unwrap_or_default();
            me.with_file_name("baton")
        })
    }

    fn apply_quick(&mut self) {
        if self.quick {
            self.trials = 3;
            self.intervals = vec![10, 100];
            self.soak_secs = 10;
            self.components = vec![1000];
            self.scale_secs = 3;
            self.tls = true;
            self.faults = 1;
            self.corosync_trials = 1;
            self.repl_secs = 1.0;
            self.repl_records = 100_000;
            self.kills = 3;
        }
    }
}

/// Prints a progress line to standard error.
pub fn progress(section: &str, line: impl AsRef<str>) {
    eprintln!("[{section}] {}", line.as_ref());
}

fn main() -> ExitCode {
    let mut opts = Options::parse();
    opts.apply_quick();
    if opts.sections.is_empty() {
        opts.sections = vec![
            Section::Failover,
            Section::Keepalived,
            Section::Scale,
            Section::Soak,
            Section::Faults,
            Section::Vip,
            Section::EtcdScale,
            Section::Replication,
            Section::ReplicationCampaign,
        ];
    }
    if opts.faults == 0 || opts.faults_heartbeat < 10 {
        eprintln!("baton-bench: --faults must be at least 1, --faults-heartbeat at least 10 ms");
        return ExitCode::from(2);
    }
    if opts.trials == 0 || opts.intervals.is_empty() || opts.intervals.contains(&0) {
        eprintln!("baton-bench: --trials and every interval must be at least 1");
        return ExitCode::from(2);
    }
    let baton = opts.baton_exe();
    if opts
        .sections
        .iter()
        .any(|s| !matches!(s, Section::Keepalived | Section::Replication))
        && !baton.is_file()
    {
        eprintln!(
            "baton-bench: no baton binary at {} (build it: cargo build --release -p baton-node, or pass --baton)",
            baton.display()
        );
        return ExitCode::from(2);
    }

    let mut tables: Vec<Table> = vec![machine::table(&opts)];
    let mut series: Vec<Series> = Vec::new();
    let mut failed = Vec::new();
    let mut fault_samples = Vec::new();
    let mut vip_series = Vec::new();
    for section in opts.sections.clone() {
        let name = format!("{section:?}").to_lowercase();
        progress(&name, "starting");
        let result = match section {
            Section::Failover => failover::run(&opts).map(|(s, t)| {
                series.extend(s);
                t
            }),
            Section::Keepalived => match keepalived::run(&opts) {
                Ok(s) => {
                    series.extend(s);
                    Ok(Vec::new())
                }
                Err(keepalived::Error::Skipped(why)) => {
                    progress(&name, format!("skipped: {why}"));
                    let mut t = Table::new("keepalived", &["skipped"]);
                    t.row(vec![why]);
                    Ok(vec![t])
                }
                Err(keepalived::Error::Failed(why)) => Err(why),
            },
            Section::Scale => scale::run(&opts),
            Section::Soak => soak::run(&opts),
            Section::EtcdScale => etcd_scale::run(&opts),
            Section::Replication => replication::run(&opts),
            Section::ReplicationCampaign => replication::campaign::run(&opts),
            Section::Faults => faults::run(&opts).map(|r| {
                fault_samples.extend(r.samples);
                r.tables
            }),
            Section::Vip => vip::run(&opts).map(|r| {
                vip_series.extend(r.series);
                r.tables
            }),
        };
        match result {
            Ok(t) => tables.extend(t),
            Err(why) => {
                progress(&name, format!("FAILED: {why}"));
                failed.push(format!("{name}: {why}"));
            }
        }
    }
    // The failover tables (baton, keepalived, ratios) go first, after the machine; the VIP
    // table (the client's view) before them when it was run.
    let compared = compare::tables(&series, &opts.intervals);
    tables.splice(1..1, compared);
    if let Some(i) = tables.iter().position(|t| t.title.starts_with("VIP:")) {
        let vip_table = tables.remove(i);
        tables.insert(1, vip_table);
    }

    if let Some(dir) = &opts.plots {
        let drawn = std::fs::create_dir_all(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))
            .and_then(|()| plots::failover(&series, &opts.intervals, dir))
            .and_then(|mut all| {
                all.extend(plots::faults(&fault_samples, dir)?);
                all.extend(plots::vip(&vip_series, dir)?);
                Ok(all)
            });
        match drawn {
            Ok(all) => all
                .iter()
                .for_each(|p| progress("plots", format!("wrote {}", p.display()))),
            Err(e) => {
                eprintln!("baton-bench: plots: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let mut text = String::new();
    for t in &tables {
        text += &t.markdown();
        text.push('\n');
    }
    print!("{text}");
    if let Some(path) = &opts.out {
        if let Err(e) = std::fs::write(path, &text) {
            eprintln!("baton-bench: cannot write {}: {e}", path.display());
            return ExitCode::from(1);
        }
    }
    if let Some(path) = &opts.json {
        let doc = serde_json::to_string_pretty(&series).unwrap_or_default();
        if let Err(e) = std::fs::write(path, doc) {
            eprintln!("baton-bench: cannot write {}: {e}", path.display());
            return ExitCode::from(1);
        }
    }
    if let (Some(path), false) = (&opts.json, vip_series.is_empty()) {
        // The VIP section's outages, beside the others: vip.json.
        let path = path.with_file_name("vip.json");
        let doc = serde_json::to_string_pretty(&vip_series).unwrap_or_default();
        if let Err(e) = std::fs::write(&path, doc) {
            eprintln!("baton-bench: cannot write {}: {e}", path.display());
            return ExitCode::from(1);
        }
    }
    if let (Some(path), false) = (&opts.json, fault_samples.is_empty()) {
        // The fault section's samples, beside the others: faults.json.
        let path = path.with_file_name("faults.json");
        let doc = serde_json::to_string_pretty(&fault_samples).unwrap_or_default();
        if let Err(e) = std::fs::write(&path, doc) {
            eprintln!("baton-bench: cannot write {}: {e}", path.display());
            return ExitCode::from(1);
        }
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        for f in &failed {
            eprintln!("baton-bench: section failed: {f}");
        }
        ExitCode::from(1)
    }
}
