//! stateright model of the two-member election (in progress).
