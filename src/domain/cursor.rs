//! Where reading an IMAP folder resumes: its UIDVALIDITY and the next UID to read
//! (RFC 3501 §2.3.1.1). A UID is never 0, so the types say so.

use std::fmt;
use std::num::NonZeroU32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uid(pub NonZeroU32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UidValidity(pub NonZeroU32);

impl Uid {
    pub const FIRST: Uid = Uid(NonZeroU32::MIN);

    pub fn new(value: u32) -> Option<Uid> {
        NonZeroU32::new(value).map(Uid)
    }

    pub fn get(self) -> u32 {
        self.0.get()
    }

    /// The UID after this one; `None` past the largest (the folder would need a new
    /// UIDVALIDITY anyway).
    pub fn next(self) -> Option<Uid> {
        self.0.checked_add(1).map(Uid)
    }
}

impl UidValidity {
    pub fn new(value: u32) -> Option<UidValidity> {
        NonZeroU32::new(value).map(UidValidity)
    }

    pub fn get(self) -> u32 {
        self.0.get()
    }
}

impl fmt::Display for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for UidValidity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A folder's reading position: every UID below `next` has its outcome committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub validity: UidValidity,
    pub next: Uid,
}

impl Cursor {
    /// Where to read from in a folder whose UIDVALIDITY is `validity`: the stored position, or
    /// the start when the folder is new or its UIDs were renumbered.
    pub fn resume(stored: Option<Cursor>, validity: UidValidity) -> Cursor {
        match stored {
            Some(cursor) if cursor.validity == validity => cursor,
            _ => Cursor {
                validity,
                next: Uid::FIRST,
            },
        }
    }

    /// The cursor after every UID up to and including `last` is committed. Never moves back.
    pub fn after(self, last: Uid) -> Cursor {
        match last.next() {
            Some(next) if next > self.next => Cursor { next, ..self },
            _ => self,
        }
    }

    /// The cursor once every UID below `next` needs nothing more: the folder's UIDNEXT after
    /// a complete pass, when the mail below it that the pass did not see was deleted before
    /// it was read. Never moves back.
    pub fn reaching(self, next: Uid) -> Cursor {
        if next > self.next {
            Cursor { next, ..self }
        } else {
            self
        }
    }

    /// The ledger location of a message read under this cursor's UIDVALIDITY.
    pub fn location(&self, uid: Uid) -> String {
        format!("{}/{}", self.validity, uid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(n: u32) -> UidValidity {
        UidValidity::new(n).unwrap()
    }

    #[test]
    fn reaching_a_uidnext_never_moves_the_cursor_back() {
        let at = |n| Cursor {
            validity: v(7),
            next: Uid::new(n).unwrap(),
        };
        assert_eq!(at(3).reaching(Uid::new(9).unwrap()), at(9));
        assert_eq!(at(9).reaching(Uid::new(3).unwrap()), at(9));
        assert_eq!(at(9).reaching(Uid::new(9).unwrap()), at(9));
    }

    #[test]
    fn a_new_uidvalidity_restarts_from_the_first_uid() {
        let stored = Cursor {
            validity: v(7),
            next: Uid::new(42).unwrap(),
        };
        assert_eq!(Cursor::resume(Some(stored), v(7)), stored);
        assert_eq!(Cursor::resume(Some(stored), v(8)).next, Uid::FIRST);
        assert_eq!(Cursor::resume(None, v(8)).next, Uid::FIRST);
    }

    #[test]
    fn the_cursor_only_moves_forward() {
        let c = Cursor {
            validity: v(1),
            next: Uid::new(10).unwrap(),
        };
        assert_eq!(c.after(Uid::new(12).unwrap()).next.get(), 13);
        assert_eq!(c.after(Uid::new(3).unwrap()).next.get(), 10);
        assert_eq!(c.after(Uid::new(u32::MAX).unwrap()), c);
        assert_eq!(c.location(Uid::new(5).unwrap()), "1/5");
    }
}
