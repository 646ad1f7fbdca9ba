//! The two directions of a session, as a type: per-direction state is a `[T; 2]`
//! indexed by a [`Dir`], not by a bare 0 or 1.

use std::ops::{Index, IndexMut};

/// A direction of a session: packets from its source (the side that opened it) or
/// from its destination.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Dir {
    /// From the session's source.
    #[default]
    Src = 0,
    /// From the session's destination.
    Dst = 1,
}

impl Dir {
    /// Both, source first.
    pub const BOTH: [Dir; 2] = [Dir::Src, Dir::Dst];

    /// The direction of a packet's direction bit (its low bit).
    #[inline]
    pub const fn from_bit(b: u8) -> Dir {
        if b & 1 == 0 {
            Dir::Src
        } else {
            Dir::Dst
        }
    }

    /// 0 for the source, 1 for the destination.
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The other direction.
    #[inline]
    pub const fn other(self) -> Dir {
        match self {
            Dir::Src => Dir::Dst,
            Dir::Dst => Dir::Src,
        }
    }

    /// This direction's bit in a two-bit set (1 for the source, 2 for the destination).
    #[inline]
    pub const fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// `src` or `dst`, whichever is this direction's.
    #[inline]
    pub fn pick<T>(self, src: T, dst: T) -> T {
        match self {
            Dir::Src => src,
            Dir::Dst => dst,
        }
    }
}

impl<T> Index<Dir> for [T; 2] {
    type Output = T;
    fn index(&self, d: Dir) -> &T {
        &self[d.index()]
    }
}

impl<T> IndexMut<Dir> for [T; 2] {
    fn index_mut(&mut self, d: Dir) -> &mut T {
        &mut self[d.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_index_pairs() {
        let mut v = [10, 20];
        v[Dir::Dst] += 1;
        assert_eq!((v[Dir::Src], v[Dir::Dst]), (10, 21));
        assert_eq!(Dir::from_bit(3), Dir::Dst);
        assert_eq!(Dir::Src.other(), Dir::Dst);
        assert_eq!(Dir::Src.bit() | Dir::Dst.bit(), 3);
        assert_eq!(Dir::Dst.pick("a", "b"), "b");
    }
}
