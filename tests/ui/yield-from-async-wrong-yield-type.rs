use resumable::prelude::*;

#[generator(yield = String)]
async fn names() {
    yield_!("ada".to_string());
}

#[generator(yield = u32)]
async fn numbers() {
    yield_from!(names());
}

fn main() {
    let _ = numbers();
}
