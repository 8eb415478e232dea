//! Controllers the simulation runs on behalf of the user, as Kubernetes'
//! controller manager does: they reconcile what exists toward what is
//! wanted. Their decision rules are pure functions here.

pub mod replicaset;
