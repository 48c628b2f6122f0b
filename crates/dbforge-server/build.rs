//! Builds the web dashboard (`web/`) with npm and tells `src/ops/dashboard.rs` which folder to
//! embed. Runs `npm ci` only when `node_modules` is missing or older than the lock file, and
//! `npm run build` only when a source is newer than the last build, so Rust-only rebuilds
//! stay cheap. Without npm (or with a Node.js too old for Vite) the build still succeeds: a
//! cargo warning says why, and a placeholder page explaining how to get the dashboard is
//! embedded instead. A dashboard that fails to compile fails the build: that is a bug to fix.
//!
//! A fallback must not stick once its cause is gone: cargo reruns this script when a
//! directory on the PATH changes (Node.js installed), and after an npm failure (registry
//! unreachable, npm missing) when `node_modules` or `dist` appears or changes; a path that
//! does not exist reruns it on every build, which is what a failed `npm ci` wants.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;
use std::{env, fs};

/// Inputs of the web build, relative to `web/`; a change to any of them rebuilds.
const INPUTS: &[&str] = &[
    "src",
    "public",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "tsconfig.json",
];

/// Oldest Node.js that Vite 8 runs on.
const MIN_NODE: (u32, u32) = (20, 19);

/// Written by `npm ci` (relative to `web/`): the packages are installed.
const INSTALLED: &str = "node_modules/.package-lock.json";
/// Written by `npm run build`: the dashboard is built.
const BUILT: &str = "dist/index.html";

/// Why the dashboard is not built, and whether it is worth trying again when npm's outputs
/// change (an npm failure), rather than only when the PATH or the sources do.
struct Unbuilt {
    reason: String,
    retry: bool,
}

impl Unbuilt {
    fn settled(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            retry: false,
        }
    }

    fn npm(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            retry: true,
        }
    }
}

/// How a command failed: it could not be started, or it ran and failed.
enum RunError {
    NotStarted(std::io::Error),
    Failed(String),
}

impl RunError {
    fn describe(&self, what: &str) -> String {
        match self {
            Self::NotStarted(e) => format!("{what} could not be started: {e}"),
            Self::Failed(output) => format!("{what} failed: {}", last_lines(output)),
        }
    }
}

fn main() {
    if env::var_os("CARGO_FEATURE_DASHBOARD").is_none() {
        return;
    }
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let web = manifest.join("../../web");
    // Only existing paths: cargo reruns the script on every build for a missing one.
    for input in INPUTS.iter().map(|i| web.join(i)).filter(|p| p.exists()) {
        println!("cargo::rerun-if-changed={}", input.display());
    }
    println!("cargo::rerun-if-env-changed=DBFORGE_SKIP_DASHBOARD_BUILD");
    let folder = match build_dashboard(&web) {
        Ok(()) => {
            // A deleted (or replaced) build is rebuilt.
            println!("cargo::rerun-if-changed={}", web.join(BUILT).display());
            web.join("dist")
        }
        Err(Unbuilt { reason, retry }) => {
            println!(
                "cargo::warning=the dashboard is not built ({reason}); a page explaining how to build it is served at / instead"
            );
            // Installing or upgrading Node.js changes a directory on the PATH: the next
            // build notices it and tries again, with no web file touched.
            println!("cargo::rerun-if-env-changed=PATH");
            let path = env::var_os("PATH").unwrap_or_default();
            for dir in env::split_paths(&path).filter(|d| d.is_dir()) {
                println!("cargo::rerun-if-changed={}", dir.display());
            }
            if retry {
                // npm failed here (or could not start): try again once the packages are
                // installed or a build appears, by hand or by the next attempt; while either
                // is missing, cargo reruns this script on every build.
                for path in [INSTALLED, BUILT] {
                    println!("cargo::rerun-if-changed={}", web.join(path).display());
                }
            }
            write_placeholder(&out.join("dashboard-placeholder"), &reason)
        }
    };
    let folder = folder.canonicalize().unwrap_or(folder);
    let generated = format!(
        "#[derive(rust_embed::Embed)]\n#[folder = {:?}]\npub struct Assets;\n",
        folder.display().to_string()
    );
    fs::write(out.join("dashboard_assets.rs"), generated).expect("write dashboard_assets.rs");
}

/// Builds `web/dist` if needed; `Err` says why the dashboard cannot be built here.
fn build_dashboard(web: &Path) -> Result<(), Unbuilt> {
    if env::var_os("DBFORGE_SKIP_DASHBOARD_BUILD").is_some() {
        return Err(Unbuilt::settled("DBFORGE_SKIP_DASHBOARD_BUILD is set"));
    }
    if !web.join("package.json").is_file() {
        return Err(Unbuilt::settled(
            "the web/ sources are not next to this crate",
        ));
    }
    let version = run_quiet(Command::new("node").arg("--version"))
        .map_err(|_| Unbuilt::settled("Node.js (node and npm) was not found on the PATH"))?;
    let (major, minor) = parse_node_version(&version)
        .ok_or_else(|| Unbuilt::settled(format!("cannot read the Node.js version {version:?}")))?;
    if (major, minor) < MIN_NODE {
        return Err(Unbuilt::settled(format!(
            "Node.js {major}.{minor} is too old; the dashboard needs {}.{} or newer",
            MIN_NODE.0, MIN_NODE.1
        )));
    }
    if modified(&web.join(INSTALLED)) < modified(&web.join("package-lock.json")) {
        run_quiet(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(web),
        )
        .map_err(|e| Unbuilt::npm(e.describe("`npm ci` in web/")))?;
    }
    let index = web.join(BUILT);
    let built = modified(&index);
    let newest_input = INPUTS
        .iter()
        .map(|input| newest(&web.join(input)))
        .max()
        .flatten();
    if built.is_none() || newest_input > built {
        match run_quiet(Command::new("npm").args(["run", "build"]).current_dir(web)) {
            Ok(_) => {}
            Err(e @ RunError::NotStarted(_)) => {
                return Err(Unbuilt::npm(e.describe("`npm run build` in web/")));
            }
            // The sources do not compile: a bug to fix, not an environment to work around.
            Err(RunError::Failed(output)) => panic!("`npm run build` in web/ failed:\n{output}"),
        }
        // Date the build by the sources it was made from. Cargo reruns a script when a file it
        // watches changed after the script started, so a fresh timestamp on `index.html`
        // (watched) would run this script, and recompile the crate, a second time for nothing.
        if let Some(sources) = newest_input {
            let stamped = fs::File::options()
                .write(true)
                .open(&index)
                .and_then(|f| f.set_modified(sources));
            if let Err(e) = stamped {
                println!("cargo::warning=could not date {}: {e}", index.display());
            }
        }
    }
    Ok(())
}

/// Runs a command, capturing its output (npm's chatter must not reach cargo's stdout, which
/// cargo reads as instructions). `Ok(stdout)` on success.
fn run_quiet(command: &mut Command) -> Result<String, RunError> {
    match command.output() {
        Ok(output) if output.status.success() => {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        }
        Ok(output) => Err(RunError::Failed(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))),
        Err(e) => Err(RunError::NotStarted(e)),
    }
}

fn last_lines(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(3)..].join(" | ")
}

/// `v20.19.1` -> (20, 19).
fn parse_node_version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.trim().trim_start_matches('v').split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time of a file, or of any file under a directory.
fn newest(path: &Path) -> Option<SystemTime> {
    let meta = fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    fs::read_dir(path)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| newest(&entry.path()))
        .max()
}

fn write_placeholder(dir: &Path, reason: &str) -> PathBuf {
    fs::create_dir_all(dir).expect("create the placeholder folder");
    let reason = reason
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let page = format!(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>DB-Forge</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:4rem auto;padding:0 1rem}}code{{background:#8881;padding:.1rem .3rem;border-radius:4px}}</style>
</head>
<body>
<h1>DB-Forge</h1>
<p>The API is running: see the <a href="/docs/">interactive API documentation</a>.</p>
<p>This binary was built without its web dashboard: {reason}.</p>
<p>To get the dashboard, install Node.js {major}.{minor} or newer (with npm), then rebuild:
<code>cargo build --release</code>. The build runs <code>npm ci</code> and <code>npm run build</code> in <code>web/</code>
and embeds the result. See docs/DASHBOARD.md.</p>
</body>
</html>
"#,
        major = MIN_NODE.0,
        minor = MIN_NODE.1,
    );
    fs::write(dir.join("index.html"), page).expect("write the placeholder page");
    dir.to_path_buf()
}
