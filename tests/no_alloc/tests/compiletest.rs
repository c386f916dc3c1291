//! What the boxed generator forms say without the `alloc` feature (trybuild builds these
//! against `resumable` with default features off, whatever the workspace enables).
//!
//! Regenerate with `TRYBUILD=overwrite cargo test -p resumable-no-alloc --test compiletest`,
//! then read every `.stderr`.

#[test]
#[cfg_attr(miri, ignore)]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
