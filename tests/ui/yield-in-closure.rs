use resumable::prelude::*;

#[generator(yield = u32)]
fn numbers(v: Vec<u32>) {
    v.iter().for_each(|x| {
        yield_!(*x);
    });
}

fn main() {
    let _ = numbers(vec![1, 2]);
}
