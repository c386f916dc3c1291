use resumable::prelude::*;

// The trait says what the method returns; `#[generator]` goes on the implementations.
trait Walk {
    #[generator(yield = &str, resume = u32)]
    fn walk<T: Into<u32>>(&self, from: T) -> usize
    where
        Self: Sized;

    #[generator(yield = u8, throw = std::io::Error)]
    fn read(&mut self) -> Result<(), std::io::Error>;

    #[generator(yield = u8, pinned)]
    async fn stream(&self);

    #[generator(resume = u8)]
    fn no_yield_key(&self);
}

fn main() {}
