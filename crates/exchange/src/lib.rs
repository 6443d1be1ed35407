//! The inter-agency data exchange layer.
