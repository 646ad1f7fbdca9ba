//! Search on the cluster.
