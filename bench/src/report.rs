//! The Markdown report: the environment it was measured in, a summary of the targets, and one
//! section per scenario. Also the small statistics every scenario shares (median of rounds)
//! and the number formatting, so that all sections read alike.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::load::Phase;

/// A goal the project set itself, and what this run measured against it.
pub struct Target {
    pub what: String,
    pub goal: String,
    pub measured: String,
    /// None when the figure has no pass/fail reading.
    pub met: Option<bool>,
}

/// The report of one scenario.
pub struct Section {
    pub title: String,
    /// Markdown, without the heading.
    pub body: String,
    pub targets: Vec<Target>,
}

/// Where and how the figures were taken.
pub struct Environment {
    pub command: String,
    pub server_version: String,
    pub rounds: usize,
    pub measure: Duration,
    pub warmup: Duration,
    pub data_root: String,
    pub client_threads: usize,
}

/// The median of some values (the mean of the middle two for an even count; 0 when empty).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// One measurement repeated over rounds: the figures of each round, reported as medians.
#[derive(Default)]
pub struct Rounds {
    pub rate: Vec<f64>,
    pub p50_ms: Vec<f64>,
    pub p99_ms: Vec<f64>,
    pub errors: u64,
    pub first_error: Option<String>,
}

impl Rounds {
    pub fn push(&mut self, phase: &Phase) {
        self.rate.push(phase.rate());
        self.p50_ms.push(phase.p50_ms());
        self.p99_ms.push(phase.p99_ms());
        self.errors += phase.errors;
        if self.first_error.is_none() {
            self.first_error.clone_from(&phase.first_error);
        }
    }

    pub fn rate(&self) -> f64 {
        median(&self.rate)
    }

    /// The cells `rate | p50 | p99 | errors | rounds` of a table row.
    pub fn cells(&self) -> Vec<String> {
        vec![
            rate(self.rate()),
            ms(median(&self.p50_ms)),
            ms(median(&self.p99_ms)),
            self.errors.to_string(),
            self.rate
                .iter()
                .map(|r| rate(*r))
                .collect::<Vec<_>>()
                .join(" / "),
        ]
    }

    /// A line naming the first error, if there was one.
    pub fn error_note(&self, label: &str) -> Option<String> {
        self.first_error.as_ref().map(|e| {
            format!(
                "- **{label}: {} failed requests**; the first: `{}`\n",
                self.errors,
                truncate(e, 300)
            )
        })
    }
}

/// A Markdown table.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    /// Whether the columns after the first hold numbers (aligned right) or text.
    numeric: bool,
}

impl Table {
    /// A table of figures: every column but the first is aligned right.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
            numeric: true,
        }
    }

    /// A table of text cells, all aligned left.
    pub fn text(header: &[&str]) -> Self {
        Self {
            numeric: false,
            ..Self::new(header)
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
        let mut out = line(&self.header);
        let rule: Vec<String> = (0..self.header.len())
            .map(|i| {
                if i > 0 && self.numeric {
                    "---:".into()
                } else {
                    "---".into()
                }
            })
            .collect();
        out.push_str(&line(&rule));
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }
}

/// `12,345` (requests per second and other counts).
pub fn rate(value: f64) -> String {
    thousands(value.round().max(0.0) as u64)
}

pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    // Groups of three from the right; the first group holds the remaining one to three digits.
    let head = match digits.len() % 3 {
        0 => 3.min(digits.len()),
        r => r,
    };
    let (first, rest) = digits.split_at(head);
    let mut out = first.to_owned();
    for group in rest.as_bytes().chunks(3) {
        out.push(',');
        out.push_str(&String::from_utf8_lossy(group));
    }
    out
}

/// Milliseconds with a precision that suits their size.
pub fn ms(value: f64) -> String {
    if value < 1.0 {
        format!("{value:.3} ms")
    } else if value < 100.0 {
        format!("{value:.2} ms")
    } else {
        format!("{value:.0} ms")
    }
}

/// A ratio as a percentage; one decimal, so that a ratio just under a goal does not print as
/// the goal itself.
/// "`what`: **ratio** (median of the per-round ratios: a / b / c; goal >= g)."
pub fn ratio_line(what: &str, ratio: f64, rounds: &[f64], goal: f64) -> String {
    let rounds: Vec<String> = rounds.iter().map(|r| percent(*r)).collect();
    format!(
        "\n{what}: **{}** (median of the per-round ratios: {}; goal >= {}).",
        percent(ratio),
        rounds.join(" / "),
        percent(goal)
    )
}

pub fn percent(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

pub fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn truncate(s: &str, max: usize) -> String {
    let one_line = s.replace(['\n', '`'], " ");
    match one_line.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &one_line[..at]),
        None => one_line,
    }
}

/// The whole report.
pub fn render(env: &Environment, sections: &[Section]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# DB-Forge benchmarks\n");
    let _ = writeln!(
        out,
        "Generated by the `dbforge-bench` tool (`bench/`); regenerate with the command below \
         (run it through `cargo run --release -p dbforge-bench -- ...` after \
         `cargo build --release -p dbforge-cli`).\n"
    );
    let _ = writeln!(out, "- Command: `{}`", env.command);
    let _ = writeln!(out, "- Date: {}", utc_now());
    let _ = writeln!(
        out,
        "- Machine: `nproc` = {}, {}, {} RAM; data directories on {}",
        nproc(),
        cpu_model(),
        total_memory(),
        filesystem_of(Path::new(&env.data_root))
    );
    let _ = writeln!(
        out,
        "- Server: DB-Forge {} (release build), started fresh by the tool for each scenario \
         with a new temporary data directory; the client (hyper HTTP/1.1, one keep-alive \
         connection per worker, {} runtime thread{}) runs on the same machine",
        env.server_version,
        env.client_threads,
        if env.client_threads == 1 { "" } else { "s" }
    );
    let _ = writeln!(
        out,
        "\n> Figures are the **median of {} round{}** of {} each (after {} of warm-up) on a \
         noisy {}-core machine shared by client and server; absolute numbers vary from run \
         to run by tens of percent. Ratios compare measurements taken in the same run, \
         alternating within each round, so they are steadier than the absolute figures. \
         Latencies are client-side (request sent to response read), p50/p99 from an HDR \
         histogram.\n",
        env.rounds,
        if env.rounds == 1 { "" } else { "s" },
        seconds(env.measure),
        seconds(env.warmup),
        nproc()
    );
    let targets: Vec<&Target> = sections.iter().flat_map(|s| &s.targets).collect();
    if !targets.is_empty() {
        let _ = writeln!(out, "## Targets\n");
        let mut table = Table::text(&["What", "Goal", "Measured", "Met"]);
        for t in targets {
            let met = match t.met {
                Some(true) => "yes",
                Some(false) => "**NO**",
                None => "-",
            };
            table.row(vec![
                t.what.clone(),
                t.goal.clone(),
                t.measured.clone(),
                met.into(),
            ]);
        }
        out.push_str(&table.render());
        out.push('\n');
    }
    for section in sections {
        let _ = writeln!(out, "## {}\n", section.title);
        out.push_str(section.body.trim_end());
        out.push_str("\n\n");
    }
    out
}

/// Logical CPUs, as `nproc` prints them.
pub fn nproc() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn total_memory() -> String {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or_else(
            || "unknown".into(),
            |kib| format!("{:.0} GiB", kib as f64 / 1024.0 / 1024.0),
        )
}

/// The file system holding `path` (from /proc/mounts: the longest mount point above it),
/// because fsync costs nothing on tmpfs and that changes the durability figures.
fn filesystem_of(path: &Path) -> String {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    let best = mounts
        .lines()
        .filter_map(|l| {
            let mut fields = l.split_whitespace();
            let _device = fields.next()?;
            let mount = fields.next()?;
            let kind = fields.next()?;
            path.starts_with(mount)
                .then(|| (mount.len(), kind.to_owned()))
        })
        .max_by_key(|(len, _)| *len);
    match best {
        Some((_, kind)) => format!("{kind} (`{}`)", path.display()),
        None => format!("`{}`", path.display()),
    }
}

/// The current UTC time as `YYYY-MM-DD HH:MM UTC`.
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rest = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// Days since 1970-01-01 to a (year, month, day) of the proleptic Gregorian calendar
/// (Howard Hinnant's algorithm; avoids a date crate for one line of the report).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[]), 0.0);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn formatting() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(rate(999.6), "1,000");
        assert_eq!(ms(0.4321), "0.432 ms");
        assert_eq!(ms(12.345), "12.35 ms");
        assert_eq!(percent(0.4996), "50.0%");
        assert_eq!(percent(0.494), "49.4%");
    }

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
    }
}
