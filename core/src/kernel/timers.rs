//! The kernel's timers: one store for generator tasks' sleeps (`sys::sleep`) and futures'
//! (`rt::sleep`, `rt::timeout`), a binary heap with lazy deletion and compaction.
//!
//! # Design
//! A timer is a node in a binary min-heap, ordered by deadline and then by the order the timers
//! were set, so the earliest fires first and ties fire in the order they were set (the fairness
//! contract's step 2). Who waits for it (a task, or a future's waker) sits in a *slot* of its
//! own, which never moves; a [`TimerKey`] (the slot and the timer's number) reaches it in O(1).
//!
//! * **Removing** a timer nobody waits for any more (a `Sleep` or `Timeout` dropped before its
//!   deadline, a task killed or cancelled while it sleeps) frees its slot at once, in O(1): the
//!   waker is dropped then, and the slot is reused by the next timer. Its node stays in the
//!   heap, 32 bytes, dead (its slot no longer holds its number): a dead node that comes up
//!   first is dropped without firing, and when the dead nodes outnumber the live ones (and are
//!   more than [`COMPACT_FROM`]), the heap is rebuilt from the live ones, in O(n) — O(1) per
//!   removal, amortized, since each rebuild follows at least n/2 removals.
//! * **Polling a `Sleep` again** with another waker (an async generator's poll, a `select!`)
//!   swaps the waker in its slot: no node is added.
//!
//! So the store's memory is bounded by what is live, however many timers are set and removed:
//! slots by the most timers ever live at once, nodes by twice the live ones (plus
//! [`COMPACT_FROM`]). [`Timers::len`] counts the live ones, for
//! [`Snapshot::timers`](crate::kernel::Snapshot::timers).
//!
//! Why this and not the alternatives (`cargo bench`'s W5 sets no timers, so the two loops
//! below were measured apart, in instructions counted by cachegrind). The heap this replaced
//! left a cancelled timer where it was, waker and all, until its deadline came up: a loop of
//! `rt::timeout(300 s, ..)` over quick futures grew by 69 bytes a call, and cost 1,755
//! instructions a call; here it does not grow, and costs 1,208. A heap whose nodes know their
//! place, so that a removal takes the node out at once (O(log n)), costs 1,150 there, but it
//! must tell a node's slot where it went at every step a node moves: with 10,000 tasks each
//! sleeping in turn, a sleep cost 2,177 instructions, against 1,994 with the old heap and
//! 2,044 with this one. Sleeps that fire are the common case, so this one. A hashed timer
//! wheel sets and removes in O(1), but fires by tick, not in deadline order: timers in one
//! tick would need sorting to keep the contract, and a virtual clock, which jumps to the next
//! deadline, would have to scan for it.
//!
//! A timer's number is unique in the process (stores take them from a shared counter in
//! blocks), so a key never reaches a timer of another kernel's store, or a later timer in its
//! slot.

use alloc::collections::BinaryHeap;
use alloc::vec::Vec;
use core::cmp::Ordering;
use core::num::NonZeroU64;
use core::time::Duration;
use std::sync::atomic::{AtomicU64, Ordering as Atomic};

use super::clock::Waiter;
use crate::sched::TaskId;

/// Where a timer is: its slot, and its number (which the slot must still hold).
///
/// Packed to 12 bytes (4-aligned), so that a task's `Wait::Sleep` holding one, with its tag,
/// is 16 bytes and not 24: its fields are only ever read by value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, packed(4))]
pub(crate) struct TimerKey {
    slot: u32,
    seq: NonZeroU64,
}

/// A timer in the heap (maybe dead: see the module docs).
#[derive(Clone, Copy)]
struct Node {
    deadline: Duration,
    seq: NonZeroU64,
    slot: u32,
}

impl PartialEq for Node {
    fn eq(&self, other: &Self) -> bool {
        self.seq == other.seq
    }
}

impl Eq for Node {}

impl PartialOrd for Node {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Earliest deadline first; ties in the order the timers were set. (Reversed: `BinaryHeap`
/// is a max-heap.)
impl Ord for Node {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.deadline, other.seq).cmp(&(self.deadline, self.seq))
    }
}

/// A timer's home.
struct Slot {
    /// The timer in it (`None`: the slot is free).
    seq: Option<NonZeroU64>,
    deadline: Duration,
    waiter: Option<Waiter>,
}

/// Dead nodes the heap may hold whatever the live ones (see the module docs).
pub(crate) const COMPACT_FROM: usize = 64;

/// Timer numbers handed to stores, a block at a time.
static BLOCKS: AtomicU64 = AtomicU64::new(1);

/// Timer numbers per block.
const BLOCK: u64 = 1 << 16;

/// See the module documentation.
#[derive(Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Node>,
    slots: Vec<Slot>,
    /// Free slots, the last freed last.
    free: Vec<u32>,
    /// Timers set (not fired, not removed).
    live: usize,
    /// The next timer's number, and the end of the block it is in.
    next: u64,
    end: u64,
}

impl Timers {
    /// How many timers are set (not fired, not removed).
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// A number no timer had before.
    fn fresh_seq(&mut self) -> NonZeroU64 {
        if self.next == self.end {
            let block = BLOCKS.fetch_add(1, Atomic::Relaxed);
            self.next = block
                .checked_mul(BLOCK)
                .expect("timer numbers last 2^64 timers");
            self.end = self.next + BLOCK;
        }
        let seq = NonZeroU64::new(self.next).expect("blocks start at 1");
        self.next += 1;
        seq
    }

    /// Sets a timer for `waiter` at `deadline`.
    pub(crate) fn insert(&mut self, deadline: Duration, waiter: Waiter) -> TimerKey {
        let seq = self.fresh_seq();
        let home = Slot {
            seq: Some(seq),
            deadline,
            waiter: Some(waiter),
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = home;
                slot
            }
            None => {
                self.slots.push(home);
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 timers")
            }
        };
        self.heap.push(Node {
            deadline,
            seq,
            slot,
        });
        self.live += 1;
        TimerKey { slot, seq }
    }

    /// The slot of the timer `key`, if it is still set.
    #[inline]
    fn slot_mut(&mut self, key: TimerKey) -> Option<&mut Slot> {
        self.slots
            .get_mut(key.slot as usize)
            .filter(|slot| slot.seq == Some(key.seq))
    }

    /// When the timer `key` fires, if it is still set.
    pub(crate) fn deadline(&self, key: TimerKey) -> Option<Duration> {
        let slot = self.slots.get(key.slot as usize)?;
        (slot.seq == Some(key.seq)).then_some(slot.deadline)
    }

    /// Who waits for the timer `key`, if it is still set.
    pub(crate) fn waiter_mut(&mut self, key: TimerKey) -> Option<&mut Waiter> {
        self.slot_mut(key)?.waiter.as_mut()
    }

    /// Removes the timer `key`, if it is still set, and hands back its waiter (to be dropped
    /// once no borrow is held: a waker's destructor is foreign code).
    pub(crate) fn remove(&mut self, key: TimerKey) -> Option<Waiter> {
        let waiter = self.free_slot(key)?;
        let dead = self.heap.len() - self.live;
        if dead > COMPACT_FROM && dead > self.live {
            let slots = &self.slots;
            self.heap
                .retain(|node| slots[node.slot as usize].seq == Some(node.seq));
        }
        Some(waiter)
    }

    /// Frees the slot of the timer `key`, if it is still set; hands back its waiter.
    fn free_slot(&mut self, key: TimerKey) -> Option<Waiter> {
        let slot = self.slot_mut(key)?;
        slot.seq = None;
        let waiter = slot.waiter.take().expect("a set timer has a waiter");
        self.free.push(key.slot);
        self.live -= 1;
        Some(waiter)
    }

    /// Whether `node` is a timer still set.
    #[inline]
    fn is_live(&self, node: &Node) -> bool {
        self.slots[node.slot as usize].seq == Some(node.seq)
    }

    /// Drops the dead nodes that come first.
    fn drop_dead(&mut self) {
        while let Some(node) = self.heap.peek() {
            if self.is_live(node) {
                return;
            }
            self.heap.pop();
        }
    }

    /// The earliest deadline set.
    pub(crate) fn next_deadline(&mut self) -> Option<Duration> {
        self.drop_dead();
        self.heap.peek().map(|node| node.deadline)
    }

    /// The timer that fires first, if it is due at `now`: removed, with its waiter.
    pub(crate) fn pop_due(&mut self, now: Duration) -> Option<(TimerKey, Waiter)> {
        loop {
            let node = *self.heap.peek().filter(|node| node.deadline <= now)?;
            self.heap.pop();
            let key = TimerKey {
                slot: node.slot,
                seq: node.seq,
            };
            if let Some(waiter) = self.free_slot(key) {
                return Some((key, waiter));
            }
        }
    }

    /// Removes the timer that fires first if it is stale: dead, or a task's timer that `live`
    /// says the task no longer waits for. True if one was removed. (A task's timer is removed
    /// when the task stops waiting for it, so none should be: this keeps a stale one from
    /// moving a virtual clock.)
    pub(crate) fn drop_stale(&mut self, live: impl Fn(TaskId, TimerKey) -> bool) -> bool {
        let Some(&node) = self.heap.peek() else {
            return false;
        };
        let key = TimerKey {
            slot: node.slot,
            seq: node.seq,
        };
        let stale = match self.slot_mut(key) {
            None => true,
            Some(Slot {
                waiter: Some(Waiter::Task(id)),
                ..
            }) => !live(*id, key),
            Some(_) => false,
        };
        if stale {
            self.heap.pop();
            self.free_slot(key);
        }
        stale
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::TaskId;
    use alloc::vec;

    fn ids() -> impl Iterator<Item = TaskId> {
        core::iter::successors(Some(TaskId::FIRST), |id| Some(id.next()))
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Pops every timer due at `now`, as the tasks they wake.
    fn fire(timers: &mut Timers, now: Duration) -> Vec<TaskId> {
        core::iter::from_fn(|| timers.pop_due(now))
            .map(|(_, waiter)| match waiter {
                Waiter::Task(id) => id,
                Waiter::Waker(_) => unreachable!("these tests set tasks' timers"),
            })
            .collect()
    }

    /// Every live slot has a node, the free ones are listed, and dead nodes are bounded.
    fn check(timers: &Timers) {
        let live = timers.heap.iter().filter(|n| timers.is_live(n)).count();
        assert_eq!(live, timers.len());
        let set = timers.slots.iter().filter(|s| s.seq.is_some()).count();
        assert_eq!(set, live);
        assert!(timers
            .slots
            .iter()
            .all(|s| s.seq.is_some() == s.waiter.is_some()));
        assert_eq!(timers.slots.len(), live + timers.free.len());
        assert!(timers.heap.len() - live <= COMPACT_FROM.max(live) + 1);
    }

    #[test]
    fn timers_fire_earliest_first_and_ties_in_the_order_they_were_set() {
        let mut timers = Timers::default();
        let ids: Vec<TaskId> = ids().take(5).collect();
        let keys: Vec<TimerKey> = ids
            .iter()
            .zip([30, 10, 20, 10, 30])
            .map(|(id, at)| timers.insert(ms(at), Waiter::Task(*id)))
            .collect();
        check(&timers);
        assert_eq!(timers.next_deadline(), Some(ms(10)));
        assert_eq!(timers.deadline(keys[2]), Some(ms(20)));
        assert_eq!(fire(&mut timers, ms(9)), []);
        assert_eq!(fire(&mut timers, ms(20)), [ids[1], ids[3], ids[2]]);
        assert_eq!(fire(&mut timers, ms(100)), [ids[0], ids[4]]);
        assert_eq!((timers.len(), timers.next_deadline()), (0, None));
        assert_eq!(timers.deadline(keys[0]), None);
    }

    #[test]
    fn a_removed_timer_is_gone_at_once_and_its_slot_is_reused() {
        let mut timers = Timers::default();
        let ids: Vec<TaskId> = ids().take(4).collect();
        let keys: Vec<TimerKey> = ids
            .iter()
            .zip([10, 20, 30, 40])
            .map(|(id, at)| timers.insert(ms(at), Waiter::Task(*id)))
            .collect();
        assert!(matches!(timers.remove(keys[1]), Some(Waiter::Task(id)) if id == ids[1]));
        assert!(timers.remove(keys[1]).is_none(), "removed once");
        assert!(timers.waiter_mut(keys[1]).is_none());
        check(&timers);
        assert_eq!(timers.len(), 3);
        // The next timer takes the freed slot; the old key does not reach it.
        let later = timers.insert(ms(5), Waiter::Task(ids[1]));
        assert_eq!(later.slot, keys[1].slot);
        assert!(timers.remove(keys[1]).is_none());
        assert_eq!(timers.slots.len(), 4);
        // A fired timer's key is stale too.
        assert_eq!(fire(&mut timers, ms(10)), [ids[1], ids[0]]);
        assert!(timers.remove(keys[0]).is_none() && timers.remove(later).is_none());
        assert!(timers.remove(keys[3]).is_some());
        assert_eq!(fire(&mut timers, ms(100)), [ids[2]]);
        check(&timers);
    }

    #[test]
    fn a_key_of_another_store_reaches_nothing() {
        let (mut a, mut b) = (Timers::default(), Timers::default());
        let id = TaskId::FIRST;
        let in_a = a.insert(ms(1), Waiter::Task(id));
        let in_b = b.insert(ms(1), Waiter::Task(id));
        assert_eq!(in_a.slot, in_b.slot);
        assert_ne!(in_a, in_b);
        assert!(b.waiter_mut(in_a).is_none() && b.remove(in_a).is_none());
        assert_eq!(b.len(), 1);
        assert!(a.remove(in_a).is_some());
    }

    #[test]
    fn a_removed_timer_neither_fires_nor_counts_as_the_next_deadline() {
        let mut timers = Timers::default();
        let mut ids = ids();
        let (early, late) = (ids.next().unwrap(), ids.next().unwrap());
        let key = timers.insert(ms(10), Waiter::Task(early));
        timers.insert(ms(20), Waiter::Task(late));
        timers.remove(key);
        assert_eq!(timers.next_deadline(), Some(ms(20)));
        assert_eq!(fire(&mut timers, ms(100)), [late]);
        assert_eq!(timers.next_deadline(), None);
    }

    #[test]
    fn a_task_timer_the_task_no_longer_waits_for_is_stale() {
        let mut timers = Timers::default();
        let mut ids = ids();
        let (gone, kept) = (ids.next().unwrap(), ids.next().unwrap());
        let dead = timers.insert(ms(5), Waiter::Task(kept));
        timers.insert(ms(10), Waiter::Task(gone));
        let waits = timers.insert(ms(20), Waiter::Task(kept));
        timers.remove(dead);
        let live = |id, key| id == kept && key == waits;
        assert!(timers.drop_stale(live), "a removed timer's node");
        assert!(
            timers.drop_stale(live),
            "a timer its task no longer waits for"
        );
        assert!(!timers.drop_stale(live));
        assert_eq!((timers.len(), timers.next_deadline()), (1, Some(ms(20))));
        check(&timers);
    }

    #[test]
    fn a_waiter_is_changed_in_place() {
        let mut timers = Timers::default();
        let mut ids = ids();
        let (first, second) = (ids.next().unwrap(), ids.next().unwrap());
        let key = timers.insert(ms(10), Waiter::Task(first));
        *timers.waiter_mut(key).unwrap() = Waiter::Task(second);
        assert_eq!(timers.len(), 1);
        assert_eq!(fire(&mut timers, ms(10)), [second]);
    }

    #[test]
    fn setting_and_removing_timers_keeps_the_store_as_big_as_what_is_live() {
        // The shape of a loop of `rt::timeout` over quick futures: a long timer set and
        // removed again and again, while a few others come and go.
        let mut timers = Timers::default();
        let id = TaskId::FIRST;
        let rounds = if cfg!(miri) { 200 } else { 100_000 };
        let standing: Vec<TimerKey> = (0..3)
            .map(|i| timers.insert(ms(1000 + i), Waiter::Task(id)))
            .collect();
        for i in 0..rounds {
            let key = timers.insert(ms(300_000), Waiter::Task(id));
            if i % 7 == 0 {
                let short = timers.insert(ms(i), Waiter::Task(id));
                timers.remove(short);
            }
            assert!(timers.remove(key).is_some());
        }
        check(&timers);
        assert_eq!(timers.len(), 3);
        assert!(timers.slots.len() <= 5);
        assert!(
            timers.heap.len() <= 4 + COMPACT_FROM && timers.heap.capacity() <= 4 * COMPACT_FROM
        );
        for key in standing {
            timers.remove(key);
        }
        assert_eq!(timers.len(), 0);
    }

    #[test]
    fn any_mix_of_inserts_removes_and_pops_fires_in_order() {
        // Against a model: a list of (deadline, order set, id) kept sorted.
        let mut timers = Timers::default();
        let mut model: Vec<(Duration, u64, TaskId, TimerKey)> = vec![];
        let mut ids = ids();
        let mut rng: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let (mut now, mut order) = (0, 0);
        let steps = if cfg!(miri) { 300 } else { 20_000 };
        for _ in 0..steps {
            match next() % 4 {
                0 | 1 => {
                    let at = ms(now + next() % 50);
                    let id = ids.next().unwrap();
                    let key = timers.insert(at, Waiter::Task(id));
                    order += 1;
                    model.push((at, order, id, key));
                }
                2 if !model.is_empty() => {
                    let (.., id, key) = model.remove((next() % model.len() as u64) as usize);
                    assert!(matches!(timers.remove(key), Some(Waiter::Task(i)) if i == id));
                }
                _ => {
                    now += next() % 20;
                    model.sort_by_key(|&(at, order, ..)| (at, order));
                    let due = model.iter().take_while(|t| t.0 <= ms(now)).count();
                    let expected: Vec<TaskId> = model.drain(..due).map(|t| t.2).collect();
                    assert_eq!(fire(&mut timers, ms(now)), expected);
                }
            }
            assert_eq!(timers.len(), model.len());
        }
        check(&timers);
    }
}
