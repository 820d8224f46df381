//! The operator's CustomResourceDefinitions. Filled in by the controller issue.

/// Every CRD of the operator as one YAML stream.
pub fn all_yaml() -> String {
    String::new()
}
