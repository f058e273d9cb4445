//! The `pgrender` executable: all behaviour lives in the library's `cli` module.

fn main() -> std::process::ExitCode {
    pgrender::cli::main()
}
