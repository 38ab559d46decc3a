//! Integration tests: one binary, one module per area.

mod common;
mod roster_cli;
mod roster_props;
