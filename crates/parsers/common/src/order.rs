//! The order Arkime writes the entries of a session's object field in (TLS
//! certificates, DNS queries): its object hash has 13 buckets, walked in order, each
//! sorted by descending hash value, equal values in insertion order.

/// Indexes of entries with these hash values (given in insertion order), in the order
/// Arkime writes them.
pub fn hash_order(hashes: &[u32]) -> Vec<usize> {
    let mut order: Vec<(u32, u32, usize)> = hashes
        .iter()
        .enumerate()
        .map(|(i, &h)| (h % 13, u32::MAX - h, i))
        .collect();
    order.sort_unstable();
    order.into_iter().map(|(_, _, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::hash_order;

    #[test]
    fn buckets_then_descending_hash_then_insertion() {
        assert_eq!(hash_order(&[1, 14, 2, 14]), vec![1, 3, 0, 2]);
        assert_eq!(hash_order(&[]), Vec::<usize>::new());
    }
}
