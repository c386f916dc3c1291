use resumable::prelude::*;

#[generator(yield = u32, resume = u32)]
fn echo() {
    println!("got {}", yield_!(1));
    assert_eq!(yield_!(2), 20, "second resume");
    assert!(yield_!(3) == 30);
    let v = [yield_!(4), yield_!(5)];
    assert_eq!(v.len(), 2);
}

fn main() {
    let mut g = echo();
    assert_eq!(g.start(), GeneratorState::Yielded(1));
    assert_eq!(g.send(10), GeneratorState::Yielded(2));
    assert_eq!(g.send(20), GeneratorState::Yielded(3));
    assert_eq!(g.send(30), GeneratorState::Yielded(4));
    assert_eq!(g.send(40), GeneratorState::Yielded(5));
    assert_eq!(g.send(50), GeneratorState::Complete(()));
}
