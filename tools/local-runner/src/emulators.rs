//! Starts and stops the two emulators as child processes: DynamoDB Local (Java) and
//! LocalStack in host mode (Python). Each runs in its own process group, which is
//! signalled whole on shutdown, and dies with the runner if the runner is killed.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("{0} is not set: run the project scripts (scripts/start.sh), which install and locate the emulators")]
    NotInstalled(&'static str),
    #[error("{what} not found at {path}: run scripts/install.sh")]
    Missing { what: &'static str, path: PathBuf },
    #[error("port {0} on 127.0.0.1 is already in use: is another local stack running?")]
    PortInUse(u16),
    #[error("could not start {name}: {source}")]
    Spawn { name: &'static str, source: std::io::Error },
    #[error("{name} exited during start-up; see {log}")]
    Exited { name: &'static str, log: PathBuf },
    #[error("{name} was not ready after {seconds} s; see {log}")]
    NotReady {
        name: &'static str,
        seconds: u64,
        log: PathBuf,
    },
}

/// How long an emulator gets to stop on SIGTERM. LocalStack under hypercorn ignores it;
/// both emulators hold their state in memory only, so SIGKILL loses nothing.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// A running emulator.
pub struct Emulator {
    pub name: &'static str,
    pub log: PathBuf,
    child: Child,
}

fn require_env(name: &'static str) -> Result<PathBuf, EmulatorError> {
    std::env::var_os(name)
        .map(PathBuf::from)
        .ok_or(EmulatorError::NotInstalled(name))
}

fn require_file(what: &'static str, path: PathBuf) -> Result<PathBuf, EmulatorError> {
    if path.exists() {
        Ok(path)
    } else {
        Err(EmulatorError::Missing { what, path })
    }
}

async fn ensure_port_free(port: u16) -> Result<(), EmulatorError> {
    match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
        Ok(_) => Err(EmulatorError::PortInUse(port)),
        Err(_) => Ok(()),
    }
}

fn spawn(name: &'static str, mut command: Command, log: &Path) -> Result<Emulator, EmulatorError> {
    let spawn_err = |source| EmulatorError::Spawn { name, source };
    let out = std::fs::File::create(log).map_err(spawn_err)?;
    let err = out.try_clone().map_err(spawn_err)?;
    command
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .kill_on_drop(true);
    let runner = std::process::id() as libc::pid_t;
    // SAFETY: prctl and getppid are async-signal-safe and only affect the child being started.
    unsafe {
        command.pre_exec(move || {
            // If the runner dies without cleaning up, the kernel ends the emulator too…
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            // …unless it died already, before this line ran.
            if libc::getppid() != runner {
                return Err(std::io::Error::other("the local runner exited during start-up"));
            }
            Ok(())
        });
    }
    let child = command.spawn().map_err(spawn_err)?;
    Ok(Emulator {
        name,
        log: log.to_owned(),
        child,
    })
}

/// Starts DynamoDB Local, in memory, on `port`, with telemetry off. It runs in `state_dir`,
/// because it writes its `dynamodb-local-metadata.json` into its current directory. It
/// listens on every interface, not 127.0.0.1 only: the jar has no option for the address.
pub async fn start_dynamodb_local(port: u16, logs: &Path, state_dir: &Path) -> Result<Emulator, EmulatorError> {
    let name = "DynamoDB Local";
    // Absolute, as the emulator does not run in the runner's current directory.
    let dir = std::path::absolute(require_env("OMP_DYNAMODB_LOCAL_DIR")?)
        .map_err(|source| EmulatorError::Spawn { name, source })?;
    let jar = require_file("DynamoDBLocal.jar", dir.join("DynamoDBLocal.jar"))?;
    ensure_port_free(port).await?;
    std::fs::create_dir_all(state_dir).map_err(|source| EmulatorError::Spawn { name, source })?;
    let mut command = Command::new("java");
    command
        .current_dir(state_dir)
        .arg(format!(
            "-Djava.library.path={}",
            dir.join("DynamoDBLocal_lib").display()
        ))
        .arg("-jar")
        .arg(jar)
        .args(["-inMemory", "-disableTelemetry", "-port", &port.to_string()]);
    spawn(name, command, &logs.join("dynamodb-local.log"))
}

/// Starts LocalStack (EventBridge and SQS only) on `127.0.0.1:port`.
pub async fn start_localstack(port: u16, logs: &Path, state_dir: &Path) -> Result<Emulator, EmulatorError> {
    let python = require_file("LocalStack's Python", require_env("OMP_LOCALSTACK_PYTHON")?)?;
    ensure_port_free(port).await?;
    let _ = std::fs::create_dir_all(state_dir);
    let address = format!("127.0.0.1:{port}");
    let mut command = Command::new(python);
    command
        .args(["-m", "localstack.runtime.main"])
        .env("GATEWAY_LISTEN", &address)
        .env("GATEWAY_SERVER", "hypercorn")
        .env("LOCALSTACK_HOST", &address)
        .env("SERVICES", "events,sqs,kms,s3")
        .env("DNS_ADDRESS", "0")
        .env("SQS_ENDPOINT_STRATEGY", "path")
        .env("DISABLE_EVENTS", "1")
        .env("SKIP_INFRA_DOWNLOADS", "1")
        .env("LOCALSTACK_VOLUME_DIR", state_dir);
    spawn("LocalStack", command, &logs.join("localstack.log"))
}

impl Emulator {
    /// Waits until `ready` succeeds, the child exits, or `limit` passes.
    pub async fn wait_ready<F, Fut>(&mut self, limit: Duration, mut ready: F) -> Result<(), EmulatorError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Err(EmulatorError::Exited {
                    name: self.name,
                    log: self.log.clone(),
                });
            }
            if ready().await {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                return Err(EmulatorError::NotReady {
                    name: self.name,
                    seconds: limit.as_secs(),
                    log: self.log.clone(),
                });
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Asks the emulator's whole process group to stop (SIGTERM).
    pub fn terminate(&self) {
        if let Some(pid) = self.child.id() {
            // SAFETY: signals the process group this runner created for the child.
            unsafe { libc::killpg(pid as libc::pid_t, libc::SIGTERM) };
        }
    }

    /// Waits for the emulator to stop after [`terminate`](Self::terminate); kills its whole
    /// process group if it has not after a grace period.
    pub async fn stop(mut self) {
        let Some(pid) = self.child.id() else { return };
        if tokio::time::timeout(STOP_GRACE, self.child.wait()).await.is_err() {
            tracing::info!(name = self.name, "did not stop on SIGTERM; killing it");
            // SAFETY: the group's leader is not reaped yet, so the group id is still ours.
            unsafe { libc::killpg(pid as libc::pid_t, libc::SIGKILL) };
            let _ = self.child.wait().await;
        }
    }
}
