//! Market data: named daily series loaded from CSV.
