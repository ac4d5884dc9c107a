//! The node's role in the election.

use std::fmt;

/// A node's role: the election's state of a node (PROTOCOL 1.3, 5.2). Never on the wire as
/// such; the service status (PROTOCOL 6.6) and the component roles a node commands follow
/// from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeRole {
    /// After every start: nothing is persisted in pair mode.
    Negotiating,
    /// Components are (being set) standby; the peer serves or will.
    Standby,
    /// Components are being set active.
    Promoting,
    /// All components confirmed `active`: this node serves.
    Active,
    /// Components are being set standby.
    Demoting,
    /// A component answered `failure` or timed out during promotion (or a fatal component
    /// failure made the promotion fail).
    PromotionFailed,
}

impl NodeRole {
    /// The role's name as the first word of a service status (PROTOCOL 5.2, 6.5):
    /// `negotiating`, `standby`, `promoting`, `active`, `demoting`, `failed`.
    pub fn status_word(self) -> &'static str {
        match self {
            NodeRole::Negotiating => "negotiating",
            NodeRole::Standby => "standby",
            NodeRole::Promoting => "promoting",
            NodeRole::Active => "active",
            NodeRole::Demoting => "demoting",
            NodeRole::PromotionFailed => "failed",
        }
    }

    /// Whether the node claims the service: `Negotiating`, `Promoting` or `Active` (PROTOCOL
    /// 5.2; the roles in which a self-nomination is valid, \[F7\], PROTOCOL 5.4).
    pub fn claims_service(self) -> bool {
        matches!(
            self,
            NodeRole::Negotiating | NodeRole::Promoting | NodeRole::Active
        )
    }

    /// `Promoting` or `Active` (PROTOCOL 5.8 property 1 counts these).
    pub fn is_promoting_or_active(self) -> bool {
        matches!(self, NodeRole::Promoting | NodeRole::Active)
    }
}

impl fmt::Display for NodeRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.status_word())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_claims() {
        use NodeRole::*;
        let all = [
            Negotiating,
            Standby,
            Promoting,
            Active,
            Demoting,
            PromotionFailed,
        ];
        let words: Vec<String> = all.iter().map(|r| r.to_string()).collect();
        assert_eq!(
            words,
            [
                "negotiating",
                "standby",
                "promoting",
                "active",
                "demoting",
                "failed"
            ]
        );
        let claim: Vec<bool> = all.iter().map(|r| r.claims_service()).collect();
        assert_eq!(claim, [true, false, true, true, false, false]);
        let serving: Vec<bool> = all.iter().map(|r| r.is_promoting_or_active()).collect();
        assert_eq!(serving, [false, false, true, true, false, false]);
    }
}
