//! Exercise solutions.
