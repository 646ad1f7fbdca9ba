//! What a search asks of a session store and what it gets back, the same for the
//! embedded store and for a cluster: a time window with Arkime's `bounding`, a sort,
//! a number of sessions, and hits carrying their documents.

/// Which of a session's times must fall in the window (Arkime's `bounding`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Bounding {
    /// The last packet is in the window (Arkime's default).
    #[default]
    Last,
    /// The first packet is in the window.
    First,
    /// Both are.
    Both,
    /// The session overlaps the window: it started before the window ended and ended
    /// after it started.
    Either,
    /// The time the document was written (`@timestamp`) is in the window.
    Database,
}

impl Bounding {
    /// From the API's or command line's text (`last`, `first`, `both`, `either`,
    /// `database`); `None` for anything else.
    pub fn parse(s: &str) -> Option<Bounding> {
        Some(match s {
            "last" => Bounding::Last,
            "first" => Bounding::First,
            "both" => Bounding::Both,
            "either" => Bounding::Either,
            "database" => Bounding::Database,
            _ => return None,
        })
    }

    /// The (field, lower bound, upper bound) conditions a window `[start, stop]` (ms,
    /// either end optional) puts on a session's time fields. An empty list when there
    /// is no bound.
    pub fn conditions(
        self,
        start_ms: Option<i64>,
        stop_ms: Option<i64>,
    ) -> Vec<(&'static str, Option<i64>, Option<i64>)> {
        if start_ms.is_none() && stop_ms.is_none() {
            return Vec::new();
        }
        match self {
            Bounding::Last => vec![("lastPacket", start_ms, stop_ms)],
            Bounding::First => vec![("firstPacket", start_ms, stop_ms)],
            Bounding::Both => vec![
                ("firstPacket", start_ms, stop_ms),
                ("lastPacket", start_ms, stop_ms),
            ],
            Bounding::Either => {
                let mut v = Vec::new();
                if stop_ms.is_some() {
                    v.push(("firstPacket", None, stop_ms));
                }
                if start_ms.is_some() {
                    v.push(("lastPacket", start_ms, None));
                }
                v
            }
            Bounding::Database => vec![("@timestamp", start_ms, stop_ms)],
        }
    }
}

/// How to search.
#[derive(Clone, Debug)]
pub struct SearchOpts {
    /// Start of the time window (ms), if any.
    pub start_ms: Option<i64>,
    /// End of the time window (ms), if any.
    pub stop_ms: Option<i64>,
    /// Which session times must fall in the window.
    pub bounding: Bounding,
    /// Most hits returned.
    pub limit: usize,
    /// Numeric database field to sort by, and descending.
    pub sort: (String, bool),
}

impl Default for SearchOpts {
    fn default() -> Self {
        SearchOpts {
            start_ms: None,
            stop_ms: None,
            bounding: Bounding::Last,
            limit: 100,
            sort: ("firstPacket".into(), false),
        }
    }
}

/// One matching session.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// Its partition (embedded store) or index (cluster).
    pub partition: String,
    /// Its id.
    pub id: String,
    /// The document as written (Arkime's `_source`).
    pub source: String,
    /// The value it was sorted by.
    pub sort_value: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        let (a, b) = (Some(10), Some(20));
        assert_eq!(Bounding::Last.conditions(a, b), [("lastPacket", a, b)]);
        assert_eq!(
            Bounding::Either.conditions(a, b),
            [("firstPacket", None, b), ("lastPacket", a, None)]
        );
        assert_eq!(
            Bounding::Either.conditions(None, b),
            [("firstPacket", None, b)]
        );
        assert_eq!(Bounding::Both.conditions(a, None).len(), 2);
        assert!(Bounding::First.conditions(None, None).is_empty());
        assert_eq!(Bounding::parse("database"), Some(Bounding::Database));
        assert_eq!(Bounding::parse("Last"), None);
    }
}
