//! Built-in signals (indicators), computed incrementally.
