// The async form of async-stream #107: the stream's items must live as long as the consumer
// keeps them, so the body may not yield references to something that dies first.
use resumable::prelude::*;

fn main() {
    let mut outer = vec![];
    {
        let v = vec![0; 10];
        let v_ref = &v;
        let mut s = coroutine!(async {
            for x in v_ref {
                yield x;
            }
        });
        futures::executor::block_on(async {
            while let Some(x) = s.next().await {
                outer.push(x);
            }
        });
    }
    println!("{outer:?}");
}
