//! Builds the web dashboard (`web/`) with npm and tells `src/dashboard.rs` which folder to
//! embed. Runs `npm ci` only when `node_modules` is missing or older than the lock file, and
//! `npm run build` only when a source is newer than the last build, so Rust-only rebuilds
//! stay cheap. Without npm (or with a Node.js too old for Vite) the build still succeeds: a
//! cargo warning says why, and a placeholder page explaining how to get the dashboard is
//! embedded instead. A dashboard that fails to compile fails the build: that is a bug to fix.

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
        Ok(dist) => dist,
        Err(reason) => {
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
fn build_dashboard(web: &Path) -> Result<PathBuf, String> {
    if env::var_os("DBFORGE_SKIP_DASHBOARD_BUILD").is_some() {
        return Err("DBFORGE_SKIP_DASHBOARD_BUILD is set".into());
    }
    if !web.join("package.json").is_file() {
        return Err("the web/ sources are not next to this crate".into());
    }
    let version = run_quiet(Command::new("node").arg("--version"))
        .map_err(|_| "Node.js (node and npm) was not found on the PATH".to_owned())?;
    let (major, minor) = parse_node_version(&version)
        .ok_or_else(|| format!("cannot read the Node.js version {version:?}"))?;
    if (major, minor) < MIN_NODE {
        return Err(format!(
            "Node.js {major}.{minor} is too old; the dashboard needs {}.{} or newer",
            MIN_NODE.0, MIN_NODE.1
        ));
    }
    let installed = web.join("node_modules/.package-lock.json");
    if modified(&installed) < modified(&web.join("package-lock.json")) {
        run_quiet(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(web),
        )
        .map_err(|output| format!("`npm ci` in web/ failed: {}", last_lines(&output)))?;
    }
    let dist = web.join("dist");
    let built = modified(&dist.join("index.html"));
    let newest_input = INPUTS
        .iter()
        .map(|input| newest(&web.join(input)))
        .max()
        .flatten();
    let stale = built.is_none() || newest_input > built;
    if stale
        && let Err(output) = run_quiet(Command::new("npm").args(["run", "build"]).current_dir(web))
    {
        // The sources do not compile: a bug to fix, not an environment to work around.
        panic!("`npm run build` in web/ failed:\n{output}");
    }
    Ok(dist)
}

/// Runs a command, capturing its output (npm's chatter must not reach cargo's stdout, which
/// cargo reads as instructions). `Ok(stdout)` on success, `Err(all output)` otherwise.
fn run_quiet(command: &mut Command) -> Result<String, String> {
    match command.output() {
        Ok(output) if output.status.success() => {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        }
        Ok(output) => Err(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )),
        Err(e) => Err(e.to_string()),
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
