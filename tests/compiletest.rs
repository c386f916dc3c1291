//! Compile-fail and must-compile UI tests for the macros (trybuild).
//!
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test --test compiletest`,
//! then read every one: each error must point at the user's mistake and say what to do.

#[test]
#[cfg_attr(miri, ignore)]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
