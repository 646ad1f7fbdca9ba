//! Wildcard and regex matches on a [`Kind::Column`](crate::Kind::Column) field: the
//! segment's column dictionary is searched with the pattern's automaton, then the
//! column is scanned for documents holding one of the matching ordinals.

use std::sync::Arc;

use tantivy::query::{ConstScorer, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TantivyError, TERMINATED};

/// Documents whose column `field` holds a value matching the whole of `regex`.
#[derive(Clone, Debug)]
pub struct ColumnRegexQuery {
    field: String,
    regex: Arc<tantivy_fst::Regex>,
}

impl ColumnRegexQuery {
    /// A query for `pattern` (regex syntax, matching whole values) on column `field`.
    pub fn new(field: &str, pattern: &str) -> Result<Self, String> {
        let regex = tantivy_fst::Regex::new(pattern).map_err(|e| e.to_string())?;
        Ok(ColumnRegexQuery {
            field: field.to_string(),
            regex: Arc::new(regex),
        })
    }
}

impl Query for ColumnRegexQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for ColumnRegexQuery {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let Some(col) = reader.fast_fields().str(&self.field)? else {
            return Ok(Box::new(EmptyScorer));
        };
        let dict = col.dictionary();
        let mut wanted = vec![false; dict.num_terms()];
        let mut any = false;
        let mut terms = dict.search(self.regex.as_ref()).into_stream()?;
        while terms.advance() {
            if let Some(w) = wanted.get_mut(terms.term_ord() as usize) {
                *w = true;
                any = true;
            }
        }
        if !any {
            return Ok(Box::new(EmptyScorer));
        }
        let docs: Vec<DocId> = (0..reader.max_doc())
            .filter(|&d| {
                col.term_ords(d)
                    .any(|o| wanted.get(o as usize).copied().unwrap_or(false))
            })
            .collect();
        Ok(docs_scorer(docs, boost))
    }

    fn explain(&self, _: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        Err(TantivyError::InvalidArgument(format!(
            "no explanation for document {doc} of a column match"
        )))
    }
}

/// A scorer of a segment's matching documents, found by a scan (ascending ids).
pub(crate) fn docs_scorer(docs: Vec<DocId>, boost: Score) -> Box<dyn Scorer> {
    Box::new(ConstScorer::new(Docs { docs, at: 0 }, boost))
}

/// Matching documents of a segment, in order.
struct Docs {
    docs: Vec<DocId>,
    at: usize,
}

impl DocSet for Docs {
    fn advance(&mut self) -> DocId {
        self.at += 1;
        self.doc()
    }

    fn doc(&self) -> DocId {
        self.docs.get(self.at).copied().unwrap_or(TERMINATED)
    }

    fn size_hint(&self) -> u32 {
        self.docs.len() as u32
    }
}

#[cfg(test)]
mod tests {
    use trawl_output::{Doc, DocOutput};
    use trawl_query::{Match, Query};

    use crate::{Kind, SearchOpts, Store, StoreOutput};

    /// Ids of the sessions `q` finds, sorted.
    fn ids(store: &Store, q: &Query) -> Vec<String> {
        let (n, hits) = store.search(q, &SearchOpts::default()).unwrap();
        let mut v: Vec<String> = hits.into_iter().map(|h| h.id).collect();
        v.sort();
        assert_eq!(n as usize, v.len());
        v
    }

    fn field(m: Match) -> Query {
        Query::Field {
            db: "network.community_id".into(),
            m,
        }
    }

    #[test]
    fn community_ids_are_a_column_and_match_exactly_by_pattern_and_existence() {
        let dir = tempfile::tempdir().unwrap();
        let fields = vec![
            ("firstPacket".to_string(), Kind::Int),
            ("lastPacket".to_string(), Kind::Int),
            ("network.community_id".to_string(), Kind::Column),
        ];
        let out = StoreOutput::start(dir.path(), fields).unwrap();
        for (id, cid) in [("a", "1:AAA+b/c="), ("b", "1:AAB="), ("c", "")] {
            let body = if cid.is_empty() {
                r#"{"firstPacket":1,"lastPacket":2}"#.to_string()
            } else {
                format!(
                    r#"{{"firstPacket":1,"lastPacket":2,"network":{{"community_id":"{cid}"}}}}"#
                )
            };
            out.emit(Doc {
                index: "sessions3-261130".into(),
                id: Some(id.into()),
                body,
            });
        }
        out.finish();
        let store = Store::open(dir.path()).unwrap();
        // The partition's schema says the field is a column.
        let p = &store.parts[0];
        assert_eq!(
            p.fields.get("network.community_id").map(|f| f.1),
            Some(Kind::Column)
        );
        assert_eq!(
            ids(&store, &field(Match::Exact("1:AAA+b/c=".into()))),
            ["a"]
        );
        assert_eq!(
            ids(&store, &field(Match::Exact("1:AA".into()))),
            Vec::<String>::new()
        );
        assert_eq!(
            ids(&store, &field(Match::Wildcard("1:AA*".into()))),
            ["a", "b"]
        );
        assert_eq!(ids(&store, &field(Match::Wildcard("*b/c=".into()))), ["a"]);
        let re = regex::Regex::new("^(?:1:AA[B-Z]=)$").unwrap();
        assert_eq!(ids(&store, &field(Match::Regex(re))), ["b"]);
        let exists = Query::Exists("network.community_id".into());
        assert_eq!(ids(&store, &exists), ["a", "b"]);
        assert_eq!(ids(&store, &Query::Not(Box::new(exists))), ["c"]);
        let not_a = Query::Not(Box::new(field(Match::Exact("1:AAA+b/c=".into()))));
        assert_eq!(ids(&store, &not_a), ["b", "c"]);
    }
}
