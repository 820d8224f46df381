//! Small schema-carrying types shared by the CRDs.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One administrative role name.
#[derive(
    Deserialize, Serialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
#[serde(transparent)]
pub struct AdminRole(#[schemars(length(min = 1, max = 64))] pub String);
