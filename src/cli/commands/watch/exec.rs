//! `watch --exec CMD`: runs a shell command after each successful render,
//! on its own thread so the watch keeps rendering meanwhile. Runs never
//! overlap: renders finished while one runs collapse into one next run
//! with the latest request. A failing command is reported, never fatal.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use crate::cli::terminal::error;

/// Names of the environment variables the command sees.
pub const VAR_ENVS: &str = "PGRENDER_ENVS";
/// Set when exactly one environment was rendered.
pub const VAR_ENV: &str = "PGRENDER_ENV";
/// The output folder.
pub const VAR_OUT: &str = "PGRENDER_OUT";

/// One request to run the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The environments just rendered.
    pub envs: Vec<String>,
    /// The output folder.
    pub out: PathBuf,
}

/// The environment variables a run gets.
pub fn variables(request: &Request) -> Vec<(&'static str, String)> {
    let mut vars = vec![(VAR_ENVS, request.envs.join(" ")), (VAR_OUT, request.out.display().to_string())];
    if let [env] = request.envs.as_slice() {
        vars.push((VAR_ENV, env.clone()));
    }
    vars
}

/// Folds a new request into a waiting one: the union of environments, the latest folder.
pub fn coalesce(waiting: Option<Request>, new: Request) -> Request {
    match waiting {
        None => new,
        Some(mut old) => {
            for env in new.envs {
                if !old.envs.contains(&env) {
                    old.envs.push(env);
                }
            }
            Request { envs: old.envs, out: new.out }
        }
    }
}

#[derive(Default)]
struct State {
    waiting: Option<Request>,
    running: Option<u32>,
    stop: bool,
}

/// The command runner.
pub struct Exec {
    shared: Arc<(Mutex<State>, Condvar)>,
}

impl Exec {
    /// Starts the runner thread for `command`, run from `dir`.
    pub fn start(command: String, dir: &Path) -> Exec {
        let shared = Arc::new((Mutex::new(State::default()), Condvar::new()));
        let worker = Arc::clone(&shared);
        let dir = dir.to_path_buf();
        std::thread::spawn(move || work(&worker, &command, &dir));
        Exec { shared }
    }

    /// Asks for a run; if one is going, the next run starts when it ends.
    pub fn request(&self, request: Request) {
        let (lock, wake) = &*self.shared;
        let mut state = lock.lock().unwrap_or_else(PoisonError::into_inner);
        state.waiting = Some(coalesce(state.waiting.take(), request));
        wake.notify_one();
    }

    /// Stops the runner, ending a running command.
    pub fn stop(&self) {
        let (lock, wake) = &*self.shared;
        let mut state = lock.lock().unwrap_or_else(PoisonError::into_inner);
        state.stop = true;
        if let Some(pid) = state.running {
            terminate(pid);
        }
        wake.notify_one();
    }
}

fn work(shared: &(Mutex<State>, Condvar), command: &str, dir: &Path) {
    let (lock, wake) = shared;
    loop {
        let request = {
            let mut state = lock.lock().unwrap_or_else(PoisonError::into_inner);
            while state.waiting.is_none() && !state.stop {
                state = wake.wait(state).unwrap_or_else(PoisonError::into_inner);
            }
            if state.stop {
                return;
            }
            state.waiting.take().expect("woken with a request")
        };
        let mut child = match shell(command).current_dir(dir).envs(variables(&request)).spawn() {
            Ok(child) => child,
            Err(err) => {
                error(format_args!("--exec could not start `{command}`: {err}"));
                continue;
            }
        };
        lock.lock().unwrap_or_else(PoisonError::into_inner).running = Some(child.id());
        let status = child.wait();
        let mut state = lock.lock().unwrap_or_else(PoisonError::into_inner);
        state.running = None;
        if state.stop {
            return;
        }
        match status {
            Ok(status) if status.success() => {}
            Ok(status) => error(format_args!("--exec `{command}` failed ({status}); still watching")),
            Err(err) => error(format_args!("--exec `{command}` failed: {err}; still watching")),
        }
    }
}

fn shell(command: &str) -> Command {
    if cfg!(windows) {
        let mut cmd = Command::new("cmd");
        cmd.args(["/C", command]);
        cmd
    } else {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", command]);
        // Its own process group, which `terminate` ends as a whole.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        cmd
    }
}

/// Sends SIGTERM to a command still running at shutdown: to its whole
/// process group, so what the shell started stops too.
fn terminate(pid: u32) {
    #[cfg(any(target_os = "linux", target_os = "macos"))]
    if let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::TERM);
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos")))]
    let _ = pid;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(envs: &[&str], out: &str) -> Request {
        Request { envs: envs.iter().map(|e| (*e).to_string()).collect(), out: out.into() }
    }

    #[test]
    fn one_environment_also_gets_pgrender_env() {
        assert_eq!(
            variables(&req(&["local"], "/p/k8s-manifests")),
            [(VAR_ENVS, "local".into()), (VAR_OUT, "/p/k8s-manifests".into()), (VAR_ENV, "local".into())]
        );
        let vars = variables(&req(&["eks", "local"], "/o"));
        assert_eq!(vars, [(VAR_ENVS, "eks local".into()), (VAR_OUT, "/o".into())]);
    }

    #[test]
    fn waiting_requests_merge_their_environments() {
        let merged = coalesce(Some(req(&["eks"], "/a")), req(&["local", "eks"], "/b"));
        assert_eq!(merged, req(&["eks", "local"], "/b"));
        assert_eq!(coalesce(None, req(&["gke"], "/c")), req(&["gke"], "/c"));
    }

    #[cfg(unix)]
    #[test]
    fn runs_the_command_with_its_variables() {
        let tmp = tempfile::tempdir().unwrap();
        let exec = Exec::start(format!("echo \"${VAR_ENVS}|${VAR_OUT}\" > ran.txt"), tmp.path());
        exec.request(req(&["local"], "/out"));
        let ran = tmp.path().join("ran.txt");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::fs::read_to_string(&ran).map_or(true, |t| !t.ends_with('\n')) {
            assert!(std::time::Instant::now() < deadline, "command did not run");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(std::fs::read_to_string(&ran).unwrap(), "local|/out\n");
        exec.stop();
    }
}
