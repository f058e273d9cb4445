//! One writer at a time: an exclusive lock on the output folder, held
//! while writing.

use std::fs::{self, File};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::Error;

/// How long a second writer waits for the first before giving up: a render
/// writes in milliseconds, so waiting this long means something is stuck.
pub const LOCK_WAIT: Duration = Duration::from_secs(2);

/// The environment variable that replaces [`LOCK_WAIT`], in milliseconds.
pub const LOCK_WAIT_VAR: &str = "PGRENDER_LOCK_WAIT_MS";

/// An exclusive hold on an output folder; released on drop (and by the
/// kernel if the process dies, so a killed run never blocks the next one).
#[derive(Debug)]
pub struct OutLock {
    _file: File,
}

/// Takes the output folder's lock, waiting up to `wait` for another writer.
///
/// The lock is an advisory `flock` on the folder itself, so it leaves no
/// file behind in the output.
pub fn lock(out: &Path, wait: Duration) -> Result<OutLock, Error> {
    let file = File::open(out).map_err(|source| Error::Write { path: out.to_path_buf(), source })?;
    let deadline = Instant::now() + wait;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(OutLock { _file: file }),
            Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(25));
            }
            Err(fs::TryLockError::WouldBlock) => return Err(Error::Locked { path: out.to_path_buf() }),
            Err(fs::TryLockError::Error(source)) => return Err(Error::Write { path: out.to_path_buf(), source }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_while_the_first_holds_the_lock() {
        let tmp = tempfile::tempdir().unwrap();
        let wait = Duration::from_millis(100);
        let first = lock(tmp.path(), wait).unwrap();
        let started = Instant::now();
        assert!(matches!(lock(tmp.path(), wait), Err(Error::Locked { .. })));
        assert!(started.elapsed() >= wait);
        drop(first);
        lock(tmp.path(), wait).unwrap();
    }

    #[test]
    fn a_second_writer_gets_the_lock_once_the_first_lets_go() {
        let tmp = tempfile::tempdir().unwrap();
        let first = lock(tmp.path(), LOCK_WAIT).unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            drop(first);
        });
        let started = Instant::now();
        lock(tmp.path(), LOCK_WAIT).unwrap();
        assert!(started.elapsed() < LOCK_WAIT, "the waiter noticed the release only at its deadline");
        release.join().unwrap();
    }
}
