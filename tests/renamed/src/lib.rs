//! `resumable` depended on as `gens`, in edition 2024: `::resumable` does not resolve here, so
//! `coroutine!` must find its crate through `$crate` and `#[generator]` through `crate = ..`.
//! Edition 2024 also reserves `gen` and changes what opaque return types capture.
#![deny(warnings)]
#![forbid(unsafe_code)]

/// A method generator borrowing `self`, with the crate path given explicitly.
pub struct Words(pub String);

impl Words {
    #[gens::generator(yield = &str, crate = ::gens)]
    pub fn iter(&self) -> usize {
        let mut n = 0;
        for w in self.0.split(' ') {
            gens::yield_!(w);
            n += 1;
        }
        n
    }
}

#[gens::generator(yield = u8, resume = u8, crate = gens)]
fn doubler() {
    let mut x = gens::yield_!(0);
    loop {
        x = gens::yield_!(x * 2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gens::{GeneratorState, State};

    #[test]
    fn attribute_form_with_a_renamed_crate() {
        let w = Words("a b c".into());
        let mut g = w.iter();
        assert_eq!(g.by_ref().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(g.take_return(), Some(3));
        let mut d = doubler();
        d.start();
        assert_eq!(d.send(4), GeneratorState::Yielded(8));
    }

    #[test]
    fn coroutine_finds_its_crate_through_dollar_crate() {
        let mut g = gens::coroutine! { yield 1; yield 2; };
        assert_eq!(g.send(()), GeneratorState::Yielded(1));
        assert_eq!(g.state(), State::Suspended);
        let mut c = gens::coroutine!(|x: u32| {
            let y = yield x;
            y + 1
        });
        assert_eq!(c.send(5), GeneratorState::Yielded(5));
        assert_eq!(c.send(9), GeneratorState::Complete(10));
    }
}
