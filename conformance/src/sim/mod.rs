//! Deterministic simulation of N nodes and their components (in progress).
