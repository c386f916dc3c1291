//! The places tasks were spawned from, each kept once per core: a task's entry names its place
//! by a 4-byte index, which fits in the entry's padding, rather than by an 8-byte pointer that
//! would make every task bigger. There are as many places as `spawn` calls in the program's
//! source, so the list stays small.

use alloc::vec::Vec;
use core::hash::BuildHasherDefault;
use core::panic::Location;
use std::collections::HashMap;

use crate::kernel::table::IdHasher;

/// A place tasks were spawned from, by its index in [`Sites`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Site(u32);

#[derive(Default)]
pub(super) struct Sites {
    list: Vec<&'static Location<'static>>,
    /// By the location's address: one call site has one (a copy of it made elsewhere only
    /// costs another entry).
    index: HashMap<u64, Site, BuildHasherDefault<IdHasher>>,
}

impl Sites {
    /// The site of `at`, added if it is new.
    pub(super) fn site(&mut self, at: &'static Location<'static>) -> Site {
        let key = core::ptr::from_ref(at) as usize as u64;
        let list = &mut self.list;
        *self.index.entry(key).or_insert_with(|| {
            let site = Site(u32::try_from(list.len()).expect("fewer than 2^32 spawn sites"));
            list.push(at);
            site
        })
    }

    /// Where `site` is.
    pub(super) fn location(&self, site: Site) -> &'static Location<'static> {
        self.list[site.0 as usize]
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
        let mut sites = Sites::default();
        let (a, b) = (here(), here());
        let (sa, sb) = (sites.site(a), sites.site(b));
        assert_ne!(sa, sb);
        for _ in 0..3 {
            assert_eq!(sites.site(a), sa);
        }
        assert!(core::ptr::eq(sites.location(sa), a));
        assert!(core::ptr::eq(sites.location(sb), b));
        assert_eq!(sites.list.len(), 2);
    }
}
