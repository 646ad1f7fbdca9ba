//! Session timers (Arkime's `ArkimePQ`): a parser asks for a callback on its session
//! once `timeout` seconds of packet time pass without the timer being renewed. BGP uses
//! one to save a segment of a session that has gone quiet.

use std::collections::VecDeque;

use crate::Session;

/// What a timer does when it fires.
pub type PqCallback = fn(&mut Session);

#[derive(Clone, Copy, Debug)]
struct Item {
    expire: u64,
    idx: u32,
    key: &'static str,
    cb: PqCallback,
}

/// One packet thread's timers, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Pq {
    items: VecDeque<Item>,
}

/// Timers fired per check, as in Arkime.
const MAX_PER_RUN: usize = 10;

impl Pq {
    /// Sets (or pushes back) the timer `key` of session `idx` to fire after `expire`.
    pub(crate) fn upsert(&mut self, idx: u32, key: &'static str, expire: u64, cb: PqCallback) {
        if let Some(p) = self.items.iter().position(|i| i.idx == idx && i.key == key) {
            self.items.remove(p);
        }
        self.items.push_back(Item {
            expire,
            idx,
            key,
            cb,
        });
    }

    /// Forgets every timer of session `idx` (it is being freed).
    pub(crate) fn remove_session(&mut self, idx: u32) {
        self.items.retain(|i| i.idx != idx);
    }

    /// Takes the timers that expired before `now` (at most ten).
    pub(crate) fn due(&mut self, now: u64) -> Vec<(u32, PqCallback)> {
        let mut out = Vec::new();
        while out.len() < MAX_PER_RUN {
            match self.items.front() {
                Some(i) if i.expire < now => {
                    out.push((i.idx, i.cb));
                    self.items.pop_front();
                }
                _ => break,
            }
        }
        out
    }

    /// Whether no timer is set.
    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cb(s: &mut Session) {
        s.mid_save = true;
    }

    #[test]
    fn renew_expire_and_remove() {
        let mut pq = Pq::default();
        pq.upsert(1, "bgp", 110, cb);
        pq.upsert(2, "bgp", 105, cb);
        pq.upsert(1, "bgp", 120, cb); // renewed: now after session 2
        assert!(pq.due(105).is_empty(), "expire is exclusive");
        assert_eq!(pq.due(106).iter().map(|d| d.0).collect::<Vec<_>>(), vec![2]);
        assert!(pq.due(119).is_empty());
        pq.remove_session(1);
        assert!(pq.is_empty());
    }
}
