//! What `pgrender watch` builds on: which saved files call for which
//! re-render (`events`), and what a render changed, as text (`summary`).
//! The command's loop lives in the command layer.

pub(crate) mod events;
pub(crate) mod summary;

use std::time::Duration;

/// How long the files must stay quiet before a render: long enough to
/// join an editor's write-then-rename save into one event, short enough
/// to keep save→output well under 100 ms.
pub const QUIET: Duration = Duration::from_millis(40);
/// The longest a steady stream of events (a large `git checkout`) delays a render.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(1);
