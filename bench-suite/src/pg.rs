//! The PostgreSQL server the `connections-pg*` groups talk to: `PERFKIT_PG_URL` when set (CI
//! starts one with `.ci/postgres.sh`), otherwise a throwaway cluster this process starts from
//! the server binaries (`PG_BIN`, default `/usr/lib/postgresql/15/bin`) on first use and
//! stops in [`stop`]. As root the server runs as the `postgres` user.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

/// The server binaries' folder.
fn bin() -> PathBuf {
    std::env::var_os("PG_BIN").map_or_else(
        || PathBuf::from("/usr/lib/postgresql/15/bin"),
        PathBuf::from,
    )
}

/// Whether the groups can run: a URL is given, or the binaries are there to start a server.
#[must_use]
pub fn available() -> bool {
    std::env::var_os("PERFKIT_PG_URL").is_some() || bin().join("initdb").exists()
}

/// A cluster this process started: its folder.
static STARTED: Mutex<Option<PathBuf>> = Mutex::new(None);
static URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// The server's URL, starting a throwaway cluster the first time if none is given.
///
/// # Panics
/// If no URL is given and the cluster cannot be started.
pub fn url() -> &'static str {
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("PERFKIT_PG_URL") {
            return url;
        }
        start().unwrap_or_else(|e| panic!("start a PostgreSQL cluster: {e}"))
    })
}

/// Runs `script` with `sh -c`, as the `postgres` user when we are root.
fn sh(script: &str) -> std::io::Result<()> {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let status = if root {
        Command::new("su")
            .args(["postgres", "-s", "/bin/sh", "-c", script])
            .status()?
    } else {
        Command::new("sh").args(["-c", script]).status()?
    };
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "`{script}` failed: {status}"
        )))
    }
}

fn start() -> std::io::Result<String> {
    let dir = std::env::temp_dir().join(format!("perfkit-bench-pg-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("pw"), "perfkit\n")?;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let status = Command::new("chown")
            .arg("-R")
            .arg("postgres")
            .arg(&dir)
            .status()?;
        if !status.success() {
            return Err(std::io::Error::other(
                "chown the cluster's folder to postgres",
            ));
        }
    }
    let (bin, d) = (bin().display().to_string(), dir.display().to_string());
    // A free port: whatever the OS hands out now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    sh(&format!(
        "'{bin}/initdb' -D '{d}/data' -U perfkit --auth=scram-sha-256 --pwfile='{d}/pw' -E UTF8 \
         >'{d}/initdb.log' 2>&1 && '{bin}/pg_ctl' -D '{d}/data' -l '{d}/server.log' -w -o \
         \"-p {port} -k '{d}' -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off\" \
         start >/dev/null"
    ))?;
    *STARTED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(dir);
    // A report that panics exits without its cleanup: stop the server on the way out.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        previous(info);
        if std::thread::current().name() == Some("main") {
            stop();
        }
    }));
    Ok(format!(
        "postgres://perfkit:perfkit@127.0.0.1:{port}/postgres"
    ))
}

/// Stops the cluster this process started, if any.
pub fn stop() {
    let started = STARTED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    if let Some(dir) = started {
        let (bin, d) = (bin().display().to_string(), dir.display().to_string());
        let _ = sh(&format!(
            "'{bin}/pg_ctl' -D '{d}/data' -m fast -w stop >/dev/null"
        ));
        let _ = std::fs::remove_dir_all(dir);
    }
}
