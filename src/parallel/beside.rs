//! Threads that start on another CPU than the thread starting them.
//!
//! Linux may put a new thread on its parent's CPU while another CPU idles:
//! either queued behind the busy parent, or running first while the parent
//! waits. Either one waits until the next load balance, up to a scheduler
//! tick (4 ms measured on a 2-core virtual machine, longer than rendering
//! the four default environments). So whichever of the two runs first moves
//! the child off the parent's CPU, and once the child is running elsewhere
//! it may run on every CPU again.
#![allow(unsafe_code)]

use std::io;
use std::thread::{Builder, JoinHandle};

/// Spawns `f` with `builder`, on a CPU other than the caller's when there is one.
pub fn spawn<T: Send + 'static>(builder: Builder, f: impl FnOnce() -> T + Send + 'static) -> io::Result<JoinHandle<T>> {
    imp::spawn(builder, f)
}

#[cfg(target_os = "linux")]
mod imp {
    use std::io;
    use std::mem;
    use std::os::unix::thread::JoinHandleExt;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU8, Ordering};
    use std::thread::{Builder, JoinHandle};

    use libc::{cpu_set_t, pthread_t};

    /// Who got to the hand-over first: the parent, after moving the child
    /// away, or the child, once running. The second one to arrive allows
    /// the child every CPU again, so the child ends up free either way.
    const PENDING: u8 = 0;
    const MOVED: u8 = 1;
    const STARTED: u8 = 2;

    pub fn spawn<T: Send + 'static>(
        builder: Builder,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> io::Result<JoinHandle<T>> {
        let Some((here, allowed, elsewhere)) = cpus() else { return builder.spawn(f) };
        let hand_over = Arc::new(AtomicU8::new(PENDING));
        let child_hand_over = Arc::clone(&hand_over);
        let handle = builder.spawn(move || {
            let this = pthread_self();
            if child_hand_over.swap(STARTED, Ordering::AcqRel) == MOVED {
                set_thread(this, &allowed);
            } else if current_cpu() == Some(here) {
                // Running first on the parent's CPU: the parent waits until
                // this thread leaves it.
                set_thread(this, &elsewhere);
                set_thread(this, &allowed);
            }
            f()
        })?;
        let child = handle.as_pthread_t();
        set_thread(child, &elsewhere);
        if hand_over.swap(MOVED, Ordering::AcqRel) == STARTED {
            set_thread(child, &allowed);
        }
        Ok(handle)
    }

    /// The CPU this thread runs on, the CPUs it may run on, and the same
    /// without the one it runs on; `None` when there is no other CPU to go to.
    fn cpus() -> Option<(usize, cpu_set_t, cpu_set_t)> {
        // SAFETY: `cpu_set_t` is a plain bit array; all zeroes is the empty set.
        let mut allowed: cpu_set_t = unsafe { mem::zeroed() };
        // SAFETY: the pointer and size describe `allowed`, which the call fills in.
        if unsafe { libc::sched_getaffinity(0, mem::size_of::<cpu_set_t>(), &raw mut allowed) } != 0 {
            return None;
        }
        let here = current_cpu()?;
        let mut elsewhere = allowed;
        // SAFETY: `CPU_CLR` and `CPU_COUNT` only touch the given set, and
        // `CPU_CLR` ignores CPUs beyond its size.
        let others = unsafe {
            libc::CPU_CLR(here, &mut elsewhere);
            libc::CPU_COUNT(&elsewhere)
        };
        (others > 0).then_some((here, allowed, elsewhere))
    }

    fn current_cpu() -> Option<usize> {
        // SAFETY: no arguments; returns -1 on failure.
        usize::try_from(unsafe { libc::sched_getcpu() }).ok()
    }

    fn pthread_self() -> pthread_t {
        // SAFETY: always succeeds.
        unsafe { libc::pthread_self() }
    }

    /// Best effort: a thread that could not be moved still runs, only later.
    fn set_thread(thread: pthread_t, cpus: &cpu_set_t) {
        // SAFETY: `thread` is a live thread (the caller itself, or a child
        // whose `JoinHandle` the caller holds, so it is not yet joined or
        // detached), and the pointer and size describe `cpus`.
        let _ = unsafe { libc::pthread_setaffinity_np(thread, mem::size_of::<cpu_set_t>(), cpus) };
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::io;
    use std::thread::{Builder, JoinHandle};

    pub fn spawn<T: Send + 'static>(
        builder: Builder,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> io::Result<JoinHandle<T>> {
        builder.spawn(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CPUs the calling thread may run on, as Linux lists them.
    #[cfg(target_os = "linux")]
    fn allowed_cpus() -> String {
        let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
        status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:")).unwrap().trim().to_string()
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn the_child_ends_up_free_to_run_anywhere() {
        let parent = allowed_cpus();
        for _ in 0..50 {
            let (handed_over, wait) = std::sync::mpsc::channel();
            let child = spawn(Builder::new(), move || {
                wait.recv().unwrap();
                allowed_cpus()
            })
            .unwrap();
            handed_over.send(()).unwrap();
            assert_eq!(child.join().unwrap(), parent);
        }
    }

    #[test]
    fn the_child_returns_its_value() {
        assert_eq!(spawn(Builder::new(), || 7).unwrap().join().unwrap(), 7);
    }
}
