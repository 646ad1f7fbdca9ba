//! Intrusive doubly linked lists over slab indices, so a session can be moved to the
//! tail of its queue or unlinked in O(1) without allocating (Arkime's DLL queues).

/// "No index".
pub const NIL: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Link {
    prev: u32,
    next: u32,
    list: u32,
}

impl Default for Link {
    fn default() -> Self {
        Link {
            prev: NIL,
            next: NIL,
            list: NIL,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Head {
    first: u32,
    last: u32,
    count: u32,
}

impl Default for Head {
    fn default() -> Self {
        Head {
            first: NIL,
            last: NIL,
            count: 0,
        }
    }
}

/// A family of lists in which each index is on at most one list.
#[derive(Clone, Debug, Default)]
pub struct Lists {
    links: Vec<Link>,
    heads: Vec<Head>,
}

impl Lists {
    /// `n` empty lists.
    pub fn new(n: usize) -> Self {
        Lists {
            links: Vec::new(),
            heads: vec![Head::default(); n],
        }
    }

    fn link_mut(&mut self, i: u32) -> &mut Link {
        let i = i as usize;
        if i >= self.links.len() {
            self.links.resize(i + 1, Link::default());
        }
        &mut self.links[i]
    }

    /// The list `i` is on.
    pub fn list_of(&self, i: u32) -> Option<u32> {
        self.links
            .get(i as usize)
            .map(|l| l.list)
            .filter(|l| *l != NIL)
    }

    /// Unlinks `i` from whatever list it is on.
    pub fn remove(&mut self, i: u32) {
        let Some(l) = self.links.get(i as usize).copied() else {
            return;
        };
        if l.list == NIL {
            return;
        }
        if l.prev != NIL {
            self.link_mut(l.prev).next = l.next;
        } else if let Some(h) = self.heads.get_mut(l.list as usize) {
            h.first = l.next;
        }
        if l.next != NIL {
            self.link_mut(l.next).prev = l.prev;
        } else if let Some(h) = self.heads.get_mut(l.list as usize) {
            h.last = l.prev;
        }
        if let Some(h) = self.heads.get_mut(l.list as usize) {
            h.count -= 1;
        }
        *self.link_mut(i) = Link::default();
    }

    /// Appends `i` to `list`, unlinking it from any list first.
    pub fn push_tail(&mut self, list: u32, i: u32) {
        self.remove(i);
        let Some(h) = self.heads.get(list as usize).copied() else {
            return;
        };
        *self.link_mut(i) = Link {
            prev: h.last,
            next: NIL,
            list,
        };
        if h.last != NIL {
            self.link_mut(h.last).next = i;
        }
        let h = &mut self.heads[list as usize];
        if h.first == NIL {
            h.first = i;
        }
        h.last = i;
        h.count += 1;
    }

    /// The first index on `list`.
    pub fn head(&self, list: u32) -> Option<u32> {
        self.heads
            .get(list as usize)
            .map(|h| h.first)
            .filter(|f| *f != NIL)
    }

    /// Number of indices on `list`.
    pub fn count(&self, list: u32) -> u32 {
        self.heads.get(list as usize).map_or(0, |h| h.count)
    }

    /// Indices on `list`, first to last.
    pub fn iter(&self, list: u32) -> impl Iterator<Item = u32> + '_ {
        let mut cur = self.head(list).unwrap_or(NIL);
        std::iter::from_fn(move || {
            if cur == NIL {
                return None;
            }
            let i = cur;
            cur = self.links.get(i as usize).map_or(NIL, |l| l.next);
            Some(i)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn move_to_tail_and_remove() {
        let mut l = Lists::new(2);
        for i in 0..4 {
            l.push_tail(0, i);
        }
        l.push_tail(0, 1);
        assert_eq!(l.iter(0).collect::<Vec<_>>(), vec![0, 2, 3, 1]);
        l.push_tail(1, 2);
        assert_eq!(l.iter(0).collect::<Vec<_>>(), vec![0, 3, 1]);
        assert_eq!(l.iter(1).collect::<Vec<_>>(), vec![2]);
        l.remove(0);
        l.remove(0);
        assert_eq!(l.head(0), Some(3));
        assert_eq!(l.count(0), 2);
        assert_eq!(l.list_of(2), Some(1));
        l.remove(3);
        l.remove(1);
        assert_eq!(l.head(0), None);
        assert_eq!(l.count(0), 0);
    }
}
