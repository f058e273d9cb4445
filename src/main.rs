//! The `pgrender` executable: all behaviour lives in the library's `cli` module.

/// mimalloc instead of glibc's allocator: glibc's was a quarter of a run's
/// instructions, and it grows each worker thread's arena page by page (one
/// `mprotect` call each, hundreds per run).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    pgrender::cli::main()
}
