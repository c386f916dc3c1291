//! Where the examples' binaries are, for the tests that run them as child processes
//! (`stress_*.rs`, `example_outputs.rs`).

use std::path::PathBuf;
use std::process::Command;

/// The example binary `name`, built by cargo beside this test's own executable
/// (`target/PROFILE/examples/NAME`). `cargo test` builds the examples before it runs the tests;
/// a narrower run (`--test NAME`) does not, so it is built (or brought up to date) here, by the
/// cargo that runs the test: a no-op when it is fresh.
pub fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    // target/PROFILE/deps/TEST-HASH
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test runs from target/PROFILE/deps");
    let binary = profile_dir.join("examples").join(name);
    if let Some(cargo) = option_env!("CARGO") {
        let profile = match profile_dir.file_name().and_then(|p| p.to_str()) {
            Some("debug") | None => "dev".to_string(),
            Some(other) => other.to_string(),
        };
        let built = Command::new(cargo)
            .args(["build", "--quiet", "--example", name, "--profile", &profile])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status();
        match built {
            Ok(status) if status.success() => {}
            other => eprintln!("`cargo build --example {name}` did not succeed ({other:?})"),
        }
    }
    assert!(
        binary.exists(),
        "{} is missing: build it with `cargo build --example {name}`",
        binary.display()
    );
    binary
}
