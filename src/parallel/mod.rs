//! Per-environment work spread over all cores, and work started ahead of the
//! step that needs it. A single item runs on the calling thread: starting
//! rayon's pool costs more than rendering one environment, and `--env X` is
//! the common (watch, pre-commit) case.

use std::sync::{Mutex, Once, OnceLock, PoisonError};
use std::thread::JoinHandle;

use rayon::prelude::*;

mod beside;

/// `items.map(f)` in order, in parallel when there is more than one item.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    if items.len() > 1 {
        join_pool();
        items.par_iter().map(f).collect()
    } else {
        items.iter().map(f).collect()
    }
}

/// Makes the first thread that needs rayon's pool one of its workers: it
/// takes its share of the items instead of waiting for the pool's threads to
/// wake up and finish, and the pool starts one thread fewer. Another thread
/// using the pool later waits for it, as with any rayon pool.
fn join_pool() {
    static JOINED: Once = Once::new();
    JOINED.call_once(|| {
        // Fails only if the pool already exists, which leaves it as it is.
        let _ = rayon::ThreadPoolBuilder::new()
            .use_current_thread()
            .spawn_handler(|worker| {
                let mut builder = std::thread::Builder::new();
                if let Some(name) = worker.name() {
                    builder = builder.name(name.to_string());
                }
                if let Some(size) = worker.stack_size() {
                    builder = builder.stack_size(size);
                }
                beside::spawn(builder, move || worker.run()).map(drop)
            })
            .build_global();
    });
}

/// A value computed on its own thread from the moment it is asked for, and
/// waited for where it is first needed: work that only a later step needs
/// (compiling a schema's validator) overlaps the steps before it.
pub struct Background<T> {
    handle: Mutex<Option<JoinHandle<T>>>,
    value: OnceLock<T>,
}

impl<T: Send + 'static> Background<T> {
    /// Starts computing `f` on a new thread.
    pub fn spawn(f: impl FnOnce() -> T + Send + 'static) -> Self {
        let handle = beside::spawn(std::thread::Builder::new(), f).expect("failed to spawn thread");
        Background { handle: Mutex::new(Some(handle)), value: OnceLock::new() }
    }

    /// A value already computed, for callers that take either kind.
    pub fn done(value: T) -> Self {
        Background { handle: Mutex::new(None), value: OnceLock::from(value) }
    }

    /// Whether [`Background::get`] would return at once.
    pub fn is_ready(&self) -> bool {
        self.value.get().is_some()
            || self.handle.lock().unwrap_or_else(PoisonError::into_inner).as_ref().is_some_and(JoinHandle::is_finished)
    }

    /// The value, waiting for it if it is not computed yet; a panic on the
    /// computing thread is resumed here.
    pub fn get(&self) -> &T {
        self.value.get_or_init(|| {
            let handle = self.handle.lock().unwrap_or_else(PoisonError::into_inner).take();
            // `OnceLock` runs one initialiser, so the handle is still there.
            let handle = handle.expect("a background value is joined once");
            handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_keeps_order() {
        assert_eq!(map(&[1, 2, 3], |x| x * 10), vec![10, 20, 30]);
    }

    #[test]
    fn background_values_are_computed_once_and_shared() {
        let value = Background::spawn(|| vec![1, 2, 3]);
        let first: *const Vec<i32> = value.get();
        assert_eq!(value.get(), &vec![1, 2, 3]);
        assert!(std::ptr::eq(first, value.get()));
    }

    #[test]
    fn a_value_already_computed_is_there_at_once() {
        assert!(Background::done(5).is_ready());
        assert_eq!(Background::done(5).get(), &5);
    }

    #[test]
    fn a_panic_in_the_background_reaches_the_waiter() {
        let value: Background<()> = Background::spawn(|| panic!("boom"));
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| value.get()));
        assert_eq!(caught.unwrap_err().downcast_ref::<&str>(), Some(&"boom"));
    }
}
