// In a `throw` generator a yield evaluates to a `Result`: ignoring it is warned about at the
// yield, with a suggestion that is valid code.
#![deny(unused_must_use)]
use resumable::prelude::*;

#[derive(Debug)]
struct MyError;

#[generator(yield = u32, throw = MyError)]
fn careful() -> Result<(), MyError> {
    yield_!(1);
    Ok(())
}

#[generator(yield = u32)]
fn plain() {
    yield_!(1);
}

#[generator(yield = u32, throw = MyError)]
fn delegating() -> Result<(), MyError> {
    yield_from!(plain());
    Ok(())
}

fn main() {
    let _ = careful();
    let _ = delegating();
    let mut t = coroutine!(|first: Result<u32, MyError>| {
        let _ = first;
        yield 1;
    });
    let _ = t.send(Ok(1));
}
