//! Configuration: a TOML file, environment variables and flags, with the precedence
//! file < env < flag; unknown file keys refused; `--help` documenting the variables.

use std::path::Path;

use crate::support::{Api, Launch, free_port};

/// Writes a config file setting the listen address, the data directory and the admin key,
/// spelling keys both with underscores and with dashes.
fn write_config(path: &Path, port: u16, data_dir: &Path) {
    let text = format!(
        "listen = \"127.0.0.1:{port}\"\ndata_dir = {:?}\nadmin-key = \"from-file-key-0123\"\n",
        data_dir.display().to_string()
    );
    std::fs::write(path, text).expect("write the config file");
}

/// A free port other than `taken`, so that each setting's port is told apart.
fn free_port_except(taken: &[u16]) -> u16 {
    loop {
        let port = free_port();
        if !taken.contains(&port) {
            return port;
        }
    }
}

/// Asserts the server announced `port` and answers there with `key`.
async fn assert_serves(server: &crate::support::Server, port: u16, key: &str) {
    assert_eq!(
        server.banner.port(),
        port,
        "banner: {:?}",
        server.banner.lines
    );
    let api = Api::new(&format!("http://127.0.0.1:{port}"), Some(key));
    api.health().await;
    api.list().await;
}

#[tokio::test]
async fn settings_come_from_file_then_env_then_flag() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().join("data");
    let config = dir.path().join("dbforge.toml");
    // Each port is picked just before its server starts, to keep the window in which another
    // process could take it short.
    let port_file = free_port();
    write_config(&config, port_file, &data_dir);
    let from_file = || Launch::new(["serve", "--config"]).args([&config]);

    let mut server = from_file().start();
    assert_serves(&server, port_file, "from-file-key-0123").await;
    assert!(
        data_dir.join("_forge").is_dir(),
        "the data directory comes from the file"
    );
    assert!(server.terminate().success());
    drop(server);

    let port_env = free_port_except(&[port_file]);
    let mut server = from_file()
        .env("DBFORGE_LISTEN", format!("127.0.0.1:{port_env}"))
        .env("DBFORGE_ADMIN_KEY", "from-env-key-01234")
        .start();
    assert_serves(&server, port_env, "from-env-key-01234").await;
    let api = Api::new(server.url(), Some("from-file-key-0123"));
    let (status, _) = api.get("/admin/databases").await;
    assert_eq!(
        status,
        reqwest::StatusCode::UNAUTHORIZED,
        "the env key replaces the file's"
    );
    assert!(server.terminate().success());
    drop(server);

    let port_flag = free_port_except(&[port_file, port_env]);
    let server = from_file()
        .env("DBFORGE_LISTEN", format!("127.0.0.1:{port_env}"))
        .args(["--listen", &format!("127.0.0.1:{port_flag}")])
        .start();
    assert_serves(&server, port_flag, "from-file-key-0123").await;
}

#[test]
fn unknown_key_in_config_file_exits_2_and_names_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("dbforge.toml");
    let text = format!(
        "listen = \"127.0.0.1:0\"\ndata-dir = {:?}\ncolour = \"blue\"\n",
        dir.path().join("data").display().to_string()
    );
    std::fs::write(&config, text).expect("write the config file");
    let run = Launch::new(["serve", "--config"])
        .args([&config])
        .run_to_exit();
    assert_eq!(run.status.code(), Some(2), "stderr: {}", run.stderr);
    assert!(run.stderr.contains("colour"), "stderr: {}", run.stderr);
    assert!(!run.stdout.contains("listening"), "stdout: {}", run.stdout);
}

#[test]
fn serve_help_names_every_environment_variable() {
    let run = Launch::new(["serve", "--help"]).run_to_exit();
    assert!(run.status.success(), "stderr: {}", run.stderr);
    let missing: Vec<&str> = [
        "DBFORGE_CONFIG",
        "DBFORGE_LISTEN",
        "DBFORGE_DATA_DIR",
        "DBFORGE_ADMIN_KEY",
        "DBFORGE_DEV",
        "DBFORGE_DURABILITY",
        "DBFORGE_STATEMENT_TIMEOUT",
        "DBFORGE_MAX_RESULT_ROWS",
        "DBFORGE_MAX_RESULT_BYTES",
        "DBFORGE_MAX_SQL_LENGTH",
        "DBFORGE_MAX_STATEMENTS",
        "DBFORGE_MAX_BODY_BYTES",
        "DBFORGE_MAX_DATABASE_SIZE",
        "DBFORGE_MAX_OPEN_DATABASES",
        "DBFORGE_IDLE_TIMEOUT",
        "DBFORGE_READERS_PER_DATABASE",
        "DBFORGE_LOG_FORMAT",
        "DBFORGE_LOG",
    ]
    .into_iter()
    // `[env: NAME=]`, or `[env: NAME]` where the value is hidden.
    .filter(|var| {
        !(run.stdout.contains(&format!("{var}=")) || run.stdout.contains(&format!("{var}]")))
    })
    .collect();
    assert!(
        missing.is_empty(),
        "--help does not name {missing:?}:\n{}",
        run.stdout
    );
}
