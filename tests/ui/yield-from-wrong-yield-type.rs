use resumable::prelude::*;

#[generator(yield = String)]
fn names() {
    yield_!(String::from("a"));
}

#[generator(yield = u32)]
fn numbers() {
    yield_from!(names());
}

fn main() {
    let _ = numbers();
}
