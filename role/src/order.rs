//! [`ComponentOrder`]: which components of a node take their role after which (PROTOCOL 6.1,
//! *Components in order*).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The order between the components of one node: component `x` is **after** the components
/// listed for it (`after = ["y", …]` in its `[[component]]` table). A promotion sends
/// `setRole(active)` to `x` only once every registered component it is after has confirmed
/// `active`; a demotion sends `setRole(standby)` to `x` only once every registered component
/// that is after `x` has answered (PROTOCOL 6.1). Components without an order take their role
/// all at once, as before.
///
/// Acyclic by construction ([`ComponentOrder::new`] refuses self references and cycles), so a
/// round in order always makes progress. Names that are no component of the node are allowed
/// here (such a component never registers, so it never holds anything back); the
/// configuration refuses them with the file, line and key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComponentOrder {
    /// For each component, the components it is after.
    after: BTreeMap<String, BTreeSet<String>>,
    /// For each component, the components that are after it.
    before: BTreeMap<String, BTreeSet<String>>,
}

/// Why an order was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderError {
    /// A component is after itself.
    SelfReference(String),
    /// The components form a cycle: each is after the next, the last after the first.
    Cycle(Vec<String>),
}

impl fmt::Display for OrderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderError::SelfReference(id) => write!(f, "component {id} is after itself"),
            OrderError::Cycle(ids) => {
                f.write_str("the components are after each other in a cycle: ")?;
                for id in ids {
                    write!(f, "{id} after ")?;
                }
                f.write_str(ids.first().map_or("", String::as_str))
            }
        }
    }
}

impl std::error::Error for OrderError {}

impl ComponentOrder {
    /// The order given by `(component, the components it is after)` pairs. A component listed
    /// twice has the union of its lists.
    ///
    /// # Errors
    /// [`OrderError::SelfReference`] if a component is after itself, [`OrderError::Cycle`] if
    /// the components are after each other in a cycle (the first found, in id order).
    pub fn new<I, S, A>(pairs: I) -> Result<Self, OrderError>
    where
        I: IntoIterator<Item = (S, A)>,
        S: Into<String>,
        A: IntoIterator,
        A::Item: Into<String>,
    {
        let mut order = ComponentOrder::default();
        for (id, after) in pairs {
            let id = id.into();
            for p in after {
                let p = p.into();
                if p == id {
                    return Err(OrderError::SelfReference(id));
                }
                order
                    .before
                    .entry(p.clone())
                    .or_default()
                    .insert(id.clone());
                order.after.entry(id.clone()).or_default().insert(p);
            }
        }
        if let Some(cycle) = order.find_cycle() {
            return Err(OrderError::Cycle(cycle));
        }
        Ok(order)
    }

    /// Whether no component is after another (every role goes to all at once).
    pub fn is_empty(&self) -> bool {
        self.after.is_empty()
    }

    /// The components `id` is after (its predecessors on a promotion).
    pub fn after<'a>(&'a self, id: &str) -> impl Iterator<Item = &'a str> + 'a {
        self.after.get(id).into_iter().flatten().map(String::as_str)
    }

    /// The components that are after `id` (its predecessors on a demotion).
    pub fn before<'a>(&'a self, id: &str) -> impl Iterator<Item = &'a str> + 'a {
        self.before
            .get(id)
            .into_iter()
            .flatten()
            .map(String::as_str)
    }

    /// Every `(component, components it is after)`, in id order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, impl Iterator<Item = &str>)> + '_ {
        self.after
            .iter()
            .map(|(id, a)| (id.as_str(), a.iter().map(String::as_str)))
    }

    /// The positions of `ids` in the order a demotion runs them one after another: each
    /// component after every listed component that is after it, otherwise as listed (for
    /// jobs run in sequence, such as the script components' clean-up at start and exit).
    pub fn demotion_sequence(&self, ids: &[&str]) -> Vec<usize> {
        let mut remaining: Vec<usize> = (0..ids.len()).collect();
        let mut sequence = Vec::with_capacity(ids.len());
        while !remaining.is_empty() {
            let waits = |i: usize| {
                self.before(ids[i])
                    .any(|b| remaining.iter().any(|&j| j != i && ids[j] == b))
            };
            // Acyclic: some component is free; the first listed is taken if none were.
            let at = remaining.iter().position(|&i| !waits(i)).unwrap_or(0);
            sequence.push(remaining.remove(at));
        }
        sequence
    }

    /// A cycle, as the path of components each after the next (iterative depth-first search,
    /// so a long chain cannot overflow the stack).
    fn find_cycle(&self) -> Option<Vec<String>> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Open,
            Done,
        }
        let mut marks: BTreeMap<&str, Mark> = BTreeMap::new();
        for start in self.after.keys() {
            if marks.contains_key(start.as_str()) {
                continue;
            }
            // The path from `start`, each entry with the predecessors still to visit.
            let mut path: Vec<(&str, Vec<&str>)> = vec![(start, self.after(start).collect())];
            marks.insert(start, Mark::Open);
            while let Some((id, next)) = path.last_mut() {
                let id = *id;
                let Some(p) = next.pop() else {
                    marks.insert(id, Mark::Done);
                    path.pop();
                    continue;
                };
                match marks.get(p) {
                    Some(Mark::Done) => {}
                    Some(Mark::Open) => {
                        let from = path.iter().position(|(x, _)| *x == p).unwrap_or(0);
                        return Some(path[from..].iter().map(|(x, _)| (*x).to_owned()).collect());
                    }
                    None => {
                        marks.insert(p, Mark::Open);
                        path.push((p, self.after(p).collect()));
                    }
                }
            }
        }
        None
    }
}
