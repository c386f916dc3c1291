// `yield = &str` on a `&self` method takes the lifetime of `self` (the elision rules of the
// output): yielding from another argument needs its lifetime named.
use resumable::prelude::*;

struct Splitter {
    sep: char,
}

impl Splitter {
    #[generator(yield = &str)]
    fn split(&self, text: &str) {
        for word in text.split(self.sep) {
            yield_!(word);
        }
    }
}

fn main() {
    let s = Splitter { sep: ' ' };
    let _ = s.split("a b");
}
