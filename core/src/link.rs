//! Link identities handed out by the driver.

/// One connection (component link, status client, peer link), named by the driver. The
/// machines never open or close links; they address transmits to a `LinkId` and learn of
/// links through `handle_link_*` calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkId(pub u64);

impl std::fmt::Display for LinkId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "link#{}", self.0)
    }
}
