//! Rebuilds when the starter project that `pgrender init` embeds changes:
//! the files are compiled in, so a new or removed file must trigger a build.

fn main() {
    for path in ["pgrender.toml", ".taplo.toml", "charts", "schema", "environments"] {
        println!("cargo:rerun-if-changed={path}");
    }
}
