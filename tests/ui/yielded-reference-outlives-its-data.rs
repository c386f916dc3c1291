// A generator yields references to a local that is dropped before they are read (async-stream
// #107): the yield type is the consumer's, so the body may not yield anything shorter-lived.
use resumable::prelude::*;

fn main() {
    let mut outer = vec![];
    {
        let v = vec![0; 10];
        let v_ref = &v;
        let g = coroutine! {
            for x in v_ref {
                yield x;
            }
        };
        for x in g {
            outer.push(x);
        }
    }
    println!("{outer:?}");
}
