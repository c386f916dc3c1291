//! The places tasks were spawned from, each kept once per thread: a task (and its entry in the
//! core) names its place by a 4-byte index, which fits in padding, rather than by an 8-byte
//! pointer that would make every task — and every `Syscall`, which can carry one — bigger.
//! There are as many places as `spawn` calls in the program's source, so the list stays small.
//!
//! Per thread: a task holds an `Rc`, so it is made, spawned and reported on one thread.

use alloc::vec::Vec;
use core::cell::RefCell;
use core::hash::BuildHasherDefault;
use core::panic::Location;
use std::collections::HashMap;

use super::table::IdHasher;

/// A place tasks were spawned from, by its index in this thread's list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Site(u32);

#[derive(Default)]
struct Sites {
    list: Vec<&'static Location<'static>>,
    /// By the location's address: one call site has one (a copy of it made elsewhere only
    /// costs another entry).
    index: HashMap<u64, Site, BuildHasherDefault<IdHasher>>,
}

std::thread_local! {
    static SITES: RefCell<Sites> = RefCell::default();
}

impl Site {
    /// The site of `at`, added to this thread's list if it is new.
    pub(crate) fn of(at: &'static Location<'static>) -> Site {
        let key = core::ptr::from_ref(at) as usize as u64;
        SITES.with(|sites| {
            let sites = &mut *sites.borrow_mut();
            let list = &mut sites.list;
            *sites.index.entry(key).or_insert_with(|| {
                let site = Site(u32::try_from(list.len()).expect("fewer than 2^32 spawn sites"));
                list.push(at);
                site
            })
        })
    }

    /// Where it is.
    ///
    /// # Panics
    /// On another thread than the one that made it (a task never leaves its thread).
    pub(crate) fn location(self) -> &'static Location<'static> {
        SITES.with(|sites| sites.borrow().list[self.0 as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn here() -> &'static Location<'static> {
        Location::caller()
    }

    #[test]
    fn each_place_is_kept_once_and_found_again() {
        let (a, b) = (here(), here());
        let (sa, sb) = (Site::of(a), Site::of(b));
        assert_ne!(sa, sb);
        for _ in 0..3 {
            assert_eq!(Site::of(a), sa);
        }
        assert!(core::ptr::eq(sa.location(), a));
        assert!(core::ptr::eq(sb.location(), b));
    }
}
