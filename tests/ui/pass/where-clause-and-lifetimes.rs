use resumable::prelude::*;
use std::fmt::Display;

#[generator(yield = &'a T)]
fn pairs<'a, 'b, T>(items: &'a [T], label: &'b str) -> &'b str
where
    T: Display + 'a,
    'b: 'a,
{
    for item in items {
        yield_!(item);
    }
    label
}

struct Words(Vec<String>);

impl Words {
    #[generator(yield = &str)]
    fn longer_than<'s>(&'s self, n: usize) -> usize
    where
        Self: 's,
    {
        let mut count = 0;
        for w in self.0.iter().filter(|w| w.len() > n) {
            count += 1;
            yield_!(w.as_str());
        }
        count
    }
}

fn main() {
    let v = vec![1, 2];
    let mut g = pairs(&v, "end");
    assert_eq!(g.by_ref().copied().collect::<Vec<_>>(), [1, 2]);
    assert_eq!(g.take_return(), Some("end"));

    let w = Words(vec!["a".into(), "abc".into(), "abcd".into()]);
    assert_eq!(w.longer_than(2).collect::<Vec<_>>(), ["abc", "abcd"]);
}
