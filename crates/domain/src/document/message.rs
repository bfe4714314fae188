//! The message a writer puts on each change it commits: `gridmate:<op>:<user>`, read back by the
//! device's history view. Client-asserted like everything in a change: the server records the
//! authenticated author separately (`sync_actors`, the pusher of each logged change).

/// The operation a change message names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeOp {
    Create,
    Edit,
    Delete,
    /// A workflow action on a dispute.
    Act,
}

impl ChangeOp {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Edit => "edit",
            Self::Delete => "delete",
            Self::Act => "act",
        }
    }
}

/// The change message of `op` by `user`.
pub fn change_message(op: ChangeOp, user: &str) -> String {
    format!("gridmate:{}:{user}", op.as_str())
}
