//! One module per subcommand, each with its own `Args` and `run()`.

pub mod bench;
