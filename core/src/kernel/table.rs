//! The task table: live tasks in a vector of slots, reached from the run queue and from
//! wakers by slot, and from the outside (handles, system calls naming a task) by id.
//!
//! A switch never hashes: what queues a task (its waker, an answer to its call) holds its
//! [`Key`], the slot plus the id, and the id tells the task from a later one that reuses the
//! slot after it ended. Only lookups by id (kill, cancel, join, a timer or descriptor firing)
//! go through the index. Freed slots are reused last-freed first, while still in cache.
//!
//! The index holds slot numbers only (4 bytes each), hashed by the id of the task in the
//! slot, and compares a wanted id with the slot's: a map from id to slot would hold the id
//! twice, in 16-byte buckets (28 bytes per task at 10,000 tasks, against 8).
//!
//! Slots come in pages of [`PAGE`]: the table grows a page at a time, so it holds at most a
//! page of unused slots (a doubling vector would hold up to as many as it uses) and never
//! moves a task.

use alloc::boxed::Box;
use alloc::vec::Vec;
use hashbrown::HashTable;
use std::collections::HashMap;

use crate::sched::TaskId;

/// Task ids are handed out in order, so they need no hashing against collisions: a multiply
/// spreads them over the table (SipHash cost more than the rest of a switch).
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl core::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8 | u64::from(*b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// A map keyed by task id.
pub(crate) type TaskMap<V> = HashMap<TaskId, V, core::hash::BuildHasherDefault<IdHasher>>;

/// Where a task lives: its slot, and its id (which the slot must still hold).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    slot: u32,
    pub(crate) id: TaskId,
}

/// A key as the run queues hold it: its slot and the low half of its id, in 8 bytes where a
/// [`Key`] takes 16 (a queue of 10,000 tasks grown to 16,384 entries costs 13 bytes per task,
/// not 26). It finds its task while the slot holds a task whose id agrees in those 32 bits: a
/// queued key is resolved within the pass after it was queued (or a step, for the wakes on the
/// loop's thread), and a slot would have to be taken by 2^32 tasks in that time for a later
/// task to pass for its own. (What may hold a key for longer, a waker, holds a whole one.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Queued {
    slot: u32,
    id: u32,
}

impl Key {
    /// The key, as a run queue holds it.
    #[inline]
    pub(crate) fn queued(self) -> Queued {
        Queued {
            slot: self.slot,
            // Truncated on purpose: the low half (see `Queued`).
            #[allow(clippy::cast_possible_truncation)]
            id: self.id.get() as u32,
        }
    }

    /// Its slot and its id, to be stored apart (a waker packs a flag beside the slot).
    pub(crate) fn into_parts(self) -> (u32, TaskId) {
        (self.slot, self.id)
    }

    /// The key `into_parts` took apart.
    pub(crate) fn from_parts(slot: u32, id: TaskId) -> Key {
        Key { slot, id }
    }
}

/// Slots per page.
const PAGE: usize = 64;

struct Slot<E> {
    /// The task in it, or the last one if it is free.
    id: TaskId,
    entry: Option<E>,
}

/// See the module documentation.
pub(crate) struct Table<E> {
    pages: Vec<Box<[Slot<E>; PAGE]>>,
    /// Slots handed out so far; the ones after them are fresh.
    used: u32,
    /// Free slots, the last freed last.
    free: Vec<u32>,
    /// The live tasks' slots, by the hash of their ids (see the module documentation).
    index: HashTable<u32>,
}

/// Where the index looks for `id` first.
#[inline]
fn hash(id: TaskId) -> u64 {
    id.get().wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl<E> Default for Table<E> {
    fn default() -> Self {
        Table {
            pages: Vec::new(),
            used: 0,
            free: Vec::new(),
            index: HashTable::new(),
        }
    }
}

impl<E> Table<E> {
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Adds task `id`, made by `entry` from the key it will have (its waker holds it).
    pub(crate) fn insert_with(&mut self, id: TaskId, entry: impl FnOnce(Key) -> E) -> Key {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                let slot = self.used;
                self.used = slot.checked_add(1).expect("fewer than 2^32 live tasks");
                if slot as usize / PAGE == self.pages.len() {
                    let page: Box<[Slot<E>]> =
                        (0..PAGE).map(|_| Slot { id, entry: None }).collect();
                    self.pages
                        .push(page.try_into().ok().expect("a page of PAGE slots"));
                }
                slot
            }
        };
        let key = Key { slot, id };
        *self.slot_mut(slot).expect("a handed-out slot") = Slot {
            id,
            entry: Some(entry(key)),
        };
        let pages = &self.pages;
        self.index.insert_unique(hash(id), slot, |&s| {
            hash(pages[s as usize / PAGE][s as usize % PAGE].id)
        });
        key
    }

    #[cfg(test)]
    fn insert(&mut self, id: TaskId, entry: E) -> Key {
        self.insert_with(id, |_| entry)
    }

    #[inline]
    fn slot(&self, slot: u32) -> Option<&Slot<E>> {
        let slot = slot as usize;
        Some(&self.pages.get(slot / PAGE)?[slot % PAGE])
    }

    #[inline]
    fn slot_mut(&mut self, slot: u32) -> Option<&mut Slot<E>> {
        let slot = slot as usize;
        Some(&mut self.pages.get_mut(slot / PAGE)?[slot % PAGE])
    }

    /// The key of the live task that `queued` was taken from (see [`Queued`]).
    #[inline]
    pub(crate) fn resolve(&self, queued: Queued) -> Option<Key> {
        let slot = self.slot(queued.slot)?;
        #[allow(clippy::cast_possible_truncation)]
        let same = slot.id.get() as u32 == queued.id;
        (same && slot.entry.is_some()).then_some(Key {
            slot: queued.slot,
            id: slot.id,
        })
    }

    /// `resolve`, with the task's entry.
    #[inline(always)]
    pub(crate) fn resolve_mut(&mut self, queued: Queued) -> Option<(Key, &mut E)> {
        let slot = self.slot_mut(queued.slot)?;
        let id = slot.id;
        #[allow(clippy::cast_possible_truncation)]
        match &mut slot.entry {
            Some(entry) if id.get() as u32 == queued.id => Some((
                Key {
                    slot: queued.slot,
                    id,
                },
                entry,
            )),
            _ => None,
        }
    }

    /// The key of the live task `id`.
    pub(crate) fn key(&self, id: TaskId) -> Option<Key> {
        let pages = &self.pages;
        self.index
            .find(hash(id), |&s| {
                pages[s as usize / PAGE][s as usize % PAGE].id == id
            })
            .map(|&slot| Key { slot, id })
    }

    pub(crate) fn contains(&self, id: TaskId) -> bool {
        self.key(id).is_some()
    }

    #[inline]
    pub(crate) fn get(&self, key: Key) -> Option<&E> {
        match self.slot(key.slot) {
            Some(slot) if slot.id == key.id => slot.entry.as_ref(),
            _ => None,
        }
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, key: Key) -> Option<&mut E> {
        match self.slot_mut(key.slot) {
            Some(slot) if slot.id == key.id => slot.entry.as_mut(),
            _ => None,
        }
    }

    pub(crate) fn by_id(&self, id: TaskId) -> Option<&E> {
        self.get(self.key(id)?)
    }

    pub(crate) fn by_id_mut(&mut self, id: TaskId) -> Option<&mut E> {
        self.get_mut(self.key(id)?)
    }

    pub(crate) fn remove(&mut self, key: Key) -> Option<E> {
        let slot = self.slot_mut(key.slot)?;
        if slot.id != key.id {
            return None;
        }
        let entry = slot.entry.take()?;
        let pages = &self.pages;
        if let Ok(found) = self.index.find_entry(hash(key.id), |&s| {
            pages[s as usize / PAGE][s as usize % PAGE].id == key.id
        }) {
            found.remove();
        }
        self.free.push(key.slot);
        Some(entry)
    }

    /// The live tasks, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (TaskId, &E)> {
        self.pages
            .iter()
            .flat_map(|page| page.iter())
            .filter_map(|slot| Some((slot.id, slot.entry.as_ref()?)))
    }

    /// Empties the table, handing back what was in it.
    #[cfg(test)]
    pub(crate) fn drain(&mut self) -> Vec<E> {
        self.index.clear();
        self.free.clear();
        self.used = 0;
        self.pages
            .drain(..)
            .flat_map(|page| Vec::from(page as Box<[Slot<E>]>))
            .filter_map(|slot| slot.entry)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> impl Iterator<Item = TaskId> {
        core::iter::successors(Some(TaskId::FIRST), |id| Some(id.next()))
    }

    #[test]
    fn a_key_finds_its_task_and_not_a_later_one_in_the_same_slot() {
        let mut table = Table::default();
        let mut ids = ids();
        let (a, b, c) = (
            ids.next().unwrap(),
            ids.next().unwrap(),
            ids.next().unwrap(),
        );
        let ka = table.insert(a, "a");
        let kb = table.insert(b, "b");
        assert_eq!((table.get(ka), table.get(kb)), (Some(&"a"), Some(&"b")));
        assert_eq!(table.key(b), Some(kb));
        assert_eq!(table.remove(ka), Some("a"));
        assert_eq!(table.remove(ka), None);
        // `c` takes the slot `a` left.
        let kc = table.insert(c, "c");
        assert_eq!(kc.slot, ka.slot);
        assert_eq!(table.get(ka), None);
        assert_eq!(table.get_mut(ka), None);
        assert_eq!(table.remove(ka), None);
        // So does a queued key, in half the bytes.
        assert_eq!(table.resolve(kc.queued()), Some(kc));
        assert_eq!(table.resolve(ka.queued()), None);
        assert_eq!(
            table.resolve_mut(kb.queued()).map(|(k, e)| (k, *e)),
            Some((kb, "b"))
        );
        assert_eq!(table.by_id(c), Some(&"c"));
        assert_eq!(table.by_id(a), None);
        assert!(!table.contains(a) && table.contains(b) && table.contains(c));
        assert_eq!(table.len(), 2);
        let mut live: Vec<(TaskId, &str)> = table.iter().map(|(id, e)| (id, *e)).collect();
        live.sort();
        assert_eq!(live, [(b, "b"), (c, "c")]);
        let mut drained = table.drain();
        drained.sort();
        assert_eq!(drained, ["b", "c"]);
        assert!(table.is_empty() && table.get(kb).is_none());
    }

    #[test]
    fn the_table_grows_by_pages_and_reuses_freed_slots_first() {
        let mut table = Table::default();
        let ids: Vec<TaskId> = ids().take(3 * PAGE + 5).collect();
        let keys: Vec<Key> = ids.iter().map(|&id| table.insert(id, id.get())).collect();
        assert_eq!(table.pages.len(), 4);
        for (key, id) in keys.iter().zip(&ids) {
            assert_eq!(table.get(*key), Some(&id.get()));
            assert_eq!(table.key(*id), Some(*key));
        }
        table.remove(keys[7]);
        table.remove(keys[PAGE + 1]);
        let later = ids.last().unwrap().next();
        let k = table.insert(later, 0);
        assert_eq!(k.slot, keys[PAGE + 1].slot);
        assert_eq!(table.pages.len(), 4);
        assert_eq!(table.len(), 3 * PAGE + 4);
    }

    #[test]
    fn the_index_finds_every_live_task_by_id_through_growth_and_reuse() {
        let mut table = Table::default();
        let mut ids = ids();
        let mut live: Vec<(TaskId, Key)> = Vec::new();
        for round in 0..4 {
            for _ in 0..1000 {
                let id = ids.next().unwrap();
                live.push((id, table.insert(id, id.get())));
            }
            // Every other task ends: its id is found no more, its slot is reused next round.
            let (gone, kept): (Vec<_>, Vec<_>) = live
                .iter()
                .enumerate()
                .partition(|(i, _)| (i + round) % 2 == 0);
            for (_, &(id, key)) in &gone {
                assert_eq!(table.remove(key), Some(id.get()));
                assert_eq!(table.key(id), None);
                assert!(!table.contains(id));
            }
            live = kept.into_iter().map(|(_, &k)| k).collect();
            for &(id, key) in &live {
                assert_eq!(table.key(id), Some(key));
                assert_eq!(table.by_id(id), Some(&id.get()));
            }
            assert_eq!(table.len(), live.len());
        }
    }
}
