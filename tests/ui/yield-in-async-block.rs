use resumable::prelude::*;

#[generator(yield = u32)]
fn numbers() {
    let fut = async {
        yield_!(1);
    };
    drop(fut);
}

fn main() {
    let _ = numbers();
}
