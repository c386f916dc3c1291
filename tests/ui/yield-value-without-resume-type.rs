// The averager without `resume = f64`: the value sent in at a yield is `()`. The error is at the
// yield and says to declare the resume type.
use resumable::prelude::*;

#[generator(yield = f64)]
fn averager() {
    let (mut total, mut n, mut avg) = (0.0, 0.0, 0.0);
    loop {
        let term: f64 = yield_!(avg);
        total += term;
        n += 1.0;
        avg = total / n;
    }
}

fn main() {
    let _ = averager();
}
