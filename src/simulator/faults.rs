//! Injected faults, changeable at run time: a random 5xx rate, added latency, dropped
//! connections, and rules that force the next N requests matching a method and path to a given
//! status or to a dropped connection, before or *after* the write happened (the ambiguous
//! failure a crash-safe client must survive).
use serde::{Deserialize, Serialize};

/// The simulator's fault settings. `PUT /_sim/faults` takes this as JSON, e.g.
/// `{"error5xxRate":0.1,"latencyMs":50,"dropNext":1,"rules":[{"method":"POST",
/// "path":"/G2M/rest/v2/accounts/*/organizers","action":{"status":500},"afterCommit":true}]}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Faults {
    /// Fraction (0..=1) of API requests answered 503.
    #[serde(rename = "error5xxRate")]
    pub error_5xx_rate: f64,
    /// Added before every request (API and token endpoint), in milliseconds.
    pub latency_ms: u64,
    /// Fraction (0..=1) of API requests whose connection is closed without an answer.
    pub drop_rate: f64,
    /// The next N API requests get their connection closed without an answer.
    pub drop_next: u32,
    /// Targeted faults, tried in order; the first matching rule with a count left applies.
    pub rules: Vec<FaultRule>,
}

/// Forces the next `count` requests matching `method` and `path` to `action`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRule {
    /// HTTP method to match (any when absent).
    #[serde(default)]
    pub method: Option<String>,
    /// Path pattern, matched segment by segment against the full path: `*` matches one
    /// segment, a trailing `**` the rest (e.g. `/G2M/rest/v2/organizers/*`, `/oauth/token`).
    pub path: String,
    /// How many requests it still applies to.
    #[serde(default = "one")]
    pub count: u32,
    pub action: FaultAction,
    /// Let the request do its work first, then answer with the fault.
    #[serde(default)]
    pub after_commit: bool,
    /// `Retry-After` header (seconds) to add to a forced status; a forced 429 with it counts
    /// toward the retry-after violation counter like a real one.
    #[serde(default)]
    pub retry_after: Option<u64>,
}

fn one() -> u32 {
    1
}

/// What a fault does to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultAction {
    /// Answer with this status (JSON `{"status":500}`).
    Status(u16),
    /// Close the connection without an answer (JSON `"drop"`).
    Drop,
}

impl FaultRule {
    /// The next request matching `method` and `path` is answered with `status`.
    pub fn status(method: &str, path: &str, status: u16) -> Self {
        FaultRule {
            method: Some(method.to_string()),
            path: path.to_string(),
            count: 1,
            action: FaultAction::Status(status),
            after_commit: false,
            retry_after: None,
        }
    }

    /// The next request matching `method` and `path` has its connection dropped.
    pub fn drop_connection(method: &str, path: &str) -> Self {
        FaultRule {
            action: FaultAction::Drop,
            ..FaultRule::status(method, path, 500)
        }
    }

    /// Applies to the next `count` matching requests.
    pub fn times(mut self, count: u32) -> Self {
        self.count = count;
        self
    }

    /// The request does its work first; only the answer is lost or replaced.
    pub fn after_commit(mut self) -> Self {
        self.after_commit = true;
        self
    }

    /// Adds `Retry-After: secs` to the forced answer.
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && path_matches(&self.path, path)
    }
}

impl Faults {
    /// Checks ranges, so a bad setting is refused instead of panicking later.
    pub fn validate(&self) -> Result<(), String> {
        for (name, rate) in [
            ("error5xxRate", self.error_5xx_rate),
            ("dropRate", self.drop_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be within 0..=1, got {rate}"));
            }
        }
        for rule in &self.rules {
            if let FaultAction::Status(s) = rule.action
                && !(100..=599).contains(&s)
            {
                return Err(format!("fault status {s} is not an HTTP status"));
            }
            if !rule.path.starts_with('/') {
                return Err(format!("fault path {:?} must start with /", rule.path));
            }
        }
        Ok(())
    }

    /// Decides the fault for one request and consumes one use of the rule or counter it took.
    /// `roll(p)` is true with probability `p`.
    pub(crate) fn plan(
        &mut self,
        method: &str,
        path: &str,
        is_api: bool,
        mut roll: impl FnMut(f64) -> bool,
    ) -> Plan {
        if let Some(rule) = self
            .rules
            .iter_mut()
            .find(|r| r.count > 0 && r.matches(method, path))
        {
            rule.count -= 1;
            let verdict = match rule.action {
                FaultAction::Status(status) => Verdict::Respond {
                    status,
                    retry_after: rule.retry_after,
                },
                FaultAction::Drop => Verdict::Drop,
            };
            let after_commit = rule.after_commit;
            self.rules.retain(|r| r.count > 0);
            return if after_commit {
                Plan {
                    before: Verdict::Pass,
                    after: verdict,
                }
            } else {
                Plan {
                    before: verdict,
                    after: Verdict::Pass,
                }
            };
        }
        let before = if !is_api {
            Verdict::Pass
        } else if self.drop_next > 0 {
            self.drop_next -= 1;
            Verdict::Drop
        } else if self.drop_rate > 0.0 && roll(self.drop_rate) {
            Verdict::Drop
        } else if self.error_5xx_rate > 0.0 && roll(self.error_5xx_rate) {
            Verdict::Respond {
                status: 503,
                retry_after: None,
            }
        } else {
            Verdict::Pass
        };
        Plan {
            before,
            after: Verdict::Pass,
        }
    }
}

/// What happens to a request, before and after its handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plan {
    pub before: Verdict,
    pub after: Verdict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Pass,
    Respond {
        status: u16,
        retry_after: Option<u64>,
    },
    Drop,
}

/// Segment-wise glob: `*` is one segment, a trailing `**` is any rest.
fn path_matches(pattern: &str, path: &str) -> bool {
    let mut pat = pattern.trim_end_matches('/').split('/');
    let mut segs = path.trim_end_matches('/').split('/');
    loop {
        match (pat.next(), segs.next()) {
            (Some("**"), _) => return true,
            (Some(p), Some(s)) if p == "*" || p == s => continue,
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREATE: &str = "/G2M/rest/v2/accounts/42/organizers";

    #[test]
    fn globs() {
        assert!(path_matches("/G2M/rest/v2/accounts/*/organizers", CREATE));
        assert!(path_matches("/G2M/**", CREATE));
        assert!(!path_matches("/G2M/rest/v2/accounts/*", CREATE));
        assert!(!path_matches(
            "/G2M/rest/v2/accounts/*/organizers/*",
            CREATE
        ));
        assert!(path_matches("/oauth/token", "/oauth/token"));
    }

    #[test]
    fn rule_applies_n_times_then_disappears() {
        let mut f = Faults {
            rules: vec![
                FaultRule::status("POST", "/G2M/rest/v2/accounts/*/organizers", 500).times(2),
            ],
            ..Faults::default()
        };
        let forced = Verdict::Respond {
            status: 500,
            retry_after: None,
        };
        assert_eq!(f.plan("GET", CREATE, true, |_| false).before, Verdict::Pass);
        assert_eq!(f.plan("POST", CREATE, true, |_| false).before, forced);
        assert_eq!(f.plan("post", CREATE, true, |_| false).before, forced);
        assert_eq!(
            f.plan("POST", CREATE, true, |_| false).before,
            Verdict::Pass
        );
        assert!(f.rules.is_empty());
    }

    #[test]
    fn after_commit_rules_act_after_the_handler() {
        let mut f = Faults {
            rules: vec![FaultRule::drop_connection("POST", "/G2M/**").after_commit()],
            ..Faults::default()
        };
        let plan = f.plan("POST", CREATE, true, |_| false);
        assert_eq!(
            plan,
            Plan {
                before: Verdict::Pass,
                after: Verdict::Drop
            }
        );
    }

    #[test]
    fn counters_and_rates_apply_to_the_api_only() {
        let mut f = Faults {
            drop_next: 1,
            error_5xx_rate: 1.0,
            ..Faults::default()
        };
        assert_eq!(
            f.plan("POST", "/oauth/token", false, |_| true).before,
            Verdict::Pass
        );
        assert_eq!(f.plan("GET", CREATE, true, |_| true).before, Verdict::Drop);
        let five_oh_three = Verdict::Respond {
            status: 503,
            retry_after: None,
        };
        assert_eq!(f.plan("GET", CREATE, true, |_| true).before, five_oh_three);
    }

    #[test]
    fn validation() {
        assert!(Faults::default().validate().is_ok());
        assert!(
            Faults {
                drop_rate: 1.5,
                ..Faults::default()
            }
            .validate()
            .is_err()
        );
        let bad_status = Faults {
            rules: vec![FaultRule::status("GET", "/x", 42)],
            ..Faults::default()
        };
        assert!(bad_status.validate().is_err());
        let bad_path = Faults {
            rules: vec![FaultRule::status("GET", "x", 500)],
            ..Faults::default()
        };
        assert!(bad_path.validate().is_err());
    }

    #[test]
    fn json_form() {
        let json = r#"{"rules":[{"method":"POST","path":"/G2M/**","action":{"status":500},"afterCommit":true},
                      {"path":"/oauth/token","action":"drop","count":3}],"error5xxRate":0.5}"#;
        let f: Faults = serde_json::from_str(json).unwrap();
        assert_eq!(f.rules[0].action, FaultAction::Status(500));
        assert!(f.rules[0].after_commit);
        assert_eq!(f.rules[1].action, FaultAction::Drop);
        assert_eq!(f.rules[1].count, 3);
        assert_eq!(f.error_5xx_rate, 0.5);
    }
}
