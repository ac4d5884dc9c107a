//! SVG plots beside the tables (`--plots DIR`): the distribution of every trial, one dot a
//! trial and a bar at the median, on a logarithmic time axis. `failover-<N>ms.svg`: baton
//! (and baton with TLS) beside keepalived at an interval of N ms, for each scenario;
//! `faults.svg`: the failover time of each fault of the fault section, per cluster kind.

use crate::faults::{Fault, Kind, Sample};
use crate::report::{metric, Scenario, Series, System};
use crate::stats::Summary;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// One row of a plot: its label, colour and samples (ms).
struct Row {
    label: String,
    colour: RGBColor,
    samples: Vec<f64>,
}

const BATON: RGBColor = RGBColor(26, 127, 55);
const BATON_TLS: RGBColor = RGBColor(9, 105, 218);
const PEER: RGBColor = RGBColor(207, 34, 46);

/// The name of `system` in a plot, and its colour.
fn system(system: System) -> (&'static str, RGBColor) {
    match system {
        System::Baton => ("baton", BATON),
        System::BatonTls => ("baton, TLS", BATON_TLS),
        System::Keepalived => ("keepalived", PEER),
    }
}

/// The failover plots, one an interval with samples; the files written.
///
/// # Errors
/// A plot could not be drawn or written.
pub fn failover(series: &[Series], intervals: &[u64], dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    for &interval in intervals {
        let mut rows = Vec::new();
        for scenario in [Scenario::Crash, Scenario::Silent, Scenario::Switchover] {
            for sys in [System::Baton, System::BatonTls, System::Keepalived] {
                let primary = match sys {
                    System::Keepalived => metric::NEW_MASTER,
                    _ => metric::ACTIVE_CONFIRMED,
                };
                let found = series.iter().find(|s| {
                    s.system == sys
                        && s.scenario == scenario
                        && s.interval_ms == interval
                        && s.metric == primary
                });
                if let Some(s) = found.filter(|s| !s.samples_ms.is_empty()) {
                    let (name, colour) = system(sys);
                    rows.push(Row {
                        label: format!("{}: {name}", scenario.name()),
                        colour,
                        samples: s.samples_ms.clone(),
                    });
                }
            }
        }
        if rows.is_empty() {
            continue;
        }
        let path = dir.join(format!("failover-{interval}ms.svg"));
        let title = format!(
            "fault to new active, {interval} ms heartbeat / advert (ms, log scale; dot = trial, bar = median)"
        );
        draw(&path, &title, &rows)?;
        written.push(path);
    }
    Ok(written)
}

/// The fault section's plot (`faults.svg`), if any fault has a failover time.
///
/// # Errors
/// The plot could not be drawn or written.
pub fn faults(samples: &[Sample], dir: &Path) -> Result<Option<PathBuf>, String> {
    let colours = [
        BATON,
        BATON_TLS,
        RGBColor(130, 80, 223),
        RGBColor(154, 103, 0),
        RGBColor(207, 34, 46),
    ];
    let mut rows = Vec::new();
    for fault in Fault::ALL {
        for (kind, colour) in Kind::ALL.into_iter().zip(colours) {
            let times: Vec<f64> = samples
                .iter()
                .filter(|s| s.kind == kind && s.fault == fault)
                .filter_map(|s| s.failover_ms)
                .collect();
            if !times.is_empty() {
                rows.push(Row {
                    label: format!("{}: {}", fault.name(), kind.name()),
                    colour,
                    samples: times,
                });
            }
        }
    }
    if rows.is_empty() {
        return Ok(None);
    }
    let path = dir.join("faults.svg");
    let title = "fault to another member serving (ms, log scale; dot = fault, bar = median)";
    draw(&path, title, &rows)?;
    Ok(Some(path))
}

/// The VIP section's plot (`vip-outage.svg`): the client-visible outage of every trial,
/// baton's `[[vip]]` beside keepalived's `virtual_ipaddress`, per scenario and interval; the
/// file written, if any series has samples.
///
/// # Errors
/// The plot could not be drawn or written.
pub fn vip(series: &[Series], dir: &Path) -> Result<Option<PathBuf>, String> {
    let mut intervals: Vec<u64> = series.iter().map(|s| s.interval_ms).collect();
    intervals.sort_unstable();
    intervals.dedup();
    let mut rows = Vec::new();
    for scenario in [Scenario::Crash, Scenario::Silent, Scenario::Switchover] {
        for &interval in &intervals {
            for sys in [System::Baton, System::Keepalived] {
                let found = series.iter().find(|s| {
                    s.system == sys
                        && s.scenario == scenario
                        && s.interval_ms == interval
                        && s.metric == crate::vip::METRIC
                });
                if let Some(s) = found.filter(|s| !s.samples_ms.is_empty()) {
                    let (name, colour) = system(sys);
                    rows.push(Row {
                        label: format!("{}, {interval} ms: {name}", scenario.name()),
                        colour,
                        samples: s.samples_ms.clone(),
                    });
                }
            }
        }
    }
    if rows.is_empty() {
        return Ok(None);
    }
    let path = dir.join("vip-outage.svg");
    let title = "client-visible outage at the VIP (ms, log scale; dot = trial, bar = median)";
    draw(&path, title, &rows)?;
    Ok(Some(path))
}

/// A strip plot of `rows` into `path`.
fn draw(path: &Path, title: &str, rows: &[Row]) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let all = rows.iter().flat_map(|r| r.samples.iter().copied());
    let (lo, hi) = all.fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
    // Whole decades around the samples (at least 0.1 ms: a log axis has no zero).
    let lo = 10f64.powf(lo.max(0.1).log10().floor());
    let hi = 10f64.powf(hi.max(lo * 10.0).log10().ceil());
    let height = 70 + 26 * u32::try_from(rows.len()).unwrap_or(u32::MAX / 32);
    let root = SVGBackend::new(path, (900, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let n = rows.len();
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 15))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(300)
        .build_cartesian_2d((lo..hi).log_scale(), 0f64..n as f64)
        .map_err(|e| fail(&e))?;
    let label = |y: &f64| {
        let i = n.saturating_sub(1 + (*y - 0.5).round().max(0.0) as usize);
        rows.get(i).map(|r| r.label.clone()).unwrap_or_default()
    };
    chart
        .configure_mesh()
        .y_labels(n.max(1) * 2 + 1)
        .y_label_formatter(&|y| {
            // Only the row centres carry a label.
            if (y.fract() - 0.5).abs() < 1e-6 {
                label(y)
            } else {
                String::new()
            }
        })
        .x_desc("ms")
        .disable_y_mesh()
        .draw()
        .map_err(|e| fail(&e))?;
    for (i, row) in rows.iter().enumerate() {
        let y = (n - 1 - i) as f64 + 0.5;
        // A trial's dot, spread a little up and down by its order so equal times stay visible.
        let dots = row.samples.iter().enumerate().map(|(k, &x)| {
            let jitter = ((k % 7) as f64 - 3.0) * 0.04;
            Circle::new((x.max(lo), y + jitter), 2, row.colour.mix(0.6).filled())
        });
        chart.draw_series(dots).map_err(|e| fail(&e))?;
        if let Some(s) = Summary::of(&row.samples) {
            let bar = PathElement::new(
                vec![(s.median.max(lo), y - 0.35), (s.median.max(lo), y + 0.35)],
                row.colour.stroke_width(3),
            );
            chart
                .draw_series(std::iter::once(bar))
                .map_err(|e| fail(&e))?;
        }
    }
    root.present().map_err(|e| fail(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vip_plot_has_a_row_for_each_system_scenario_and_interval() {
        let dir = std::env::temp_dir().join(format!("baton-plots-vip-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder");
        let mut all = vec![
            series(
                System::Baton,
                Scenario::Crash,
                crate::vip::METRIC,
                &[1.5, 1.8],
            ),
            series(
                System::Keepalived,
                Scenario::Crash,
                crate::vip::METRIC,
                &[28.0, 29.5, 31.0],
            ),
            series(
                System::Baton,
                Scenario::Crash,
                metric::ACTIVE_CONFIRMED,
                &[0.5],
            ),
        ];
        all[1].interval_ms = 100;
        let written = vip(&all, &dir).expect("drawn");
        assert_eq!(written, Some(dir.join("vip-outage.svg")));
        let svg = std::fs::read_to_string(dir.join("vip-outage.svg")).expect("written");
        assert!(svg.contains("crash (SIGKILL), 10 ms: baton"), "{svg}");
        assert!(svg.contains("crash (SIGKILL), 100 ms: keepalived"), "{svg}");
        // Five dots: the failover series of another metric is not drawn.
        assert_eq!(svg.matches("<circle").count(), 5, "{svg}");
        assert_eq!(vip(&all[2..], &dir).expect("nothing to draw"), None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn series(system: System, scenario: Scenario, metric: &str, samples: &[f64]) -> Series {
        Series {
            system,
            scenario,
            interval_ms: 10,
            metric: metric.into(),
            samples_ms: samples.to_vec(),
            missed: 0,
        }
    }

    #[test]
    fn one_plot_an_interval_with_a_row_for_each_primary_series() {
        let dir = std::env::temp_dir().join(format!("baton-plots-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder");
        let all = [
            series(
                System::Baton,
                Scenario::Crash,
                metric::ACTIVE_CONFIRMED,
                &[0.6, 0.7, 0.9],
            ),
            series(
                System::Baton,
                Scenario::Crash,
                metric::STATUS_ACTIVE,
                &[5.0],
            ),
            series(
                System::Keepalived,
                Scenario::Crash,
                metric::NEW_MASTER,
                &[30.0, 31.0],
            ),
        ];
        let written = failover(&all, &[10, 100], &dir).expect("drawn");
        assert_eq!(written, [dir.join("failover-10ms.svg")]);
        let svg = std::fs::read_to_string(&written[0]).expect("written");
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("crash (SIGKILL): baton"), "{svg}");
        assert!(svg.contains("crash (SIGKILL): keepalived"), "{svg}");
        // Five dots: three of baton, two of keepalived; the status series is not drawn.
        assert_eq!(svg.matches("<circle").count(), 5, "{svg}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
