//! The `orchsim` binary: parse flags, run the library, map errors to exit codes.
//!
//! One rule for every command: 0 ok; 2 bad input (a scenario, experiment,
//! trace or flag, or an output path that cannot be used: checked before any
//! work starts); 1 a failure during the work; 130 and 143 when stopped by
//! SIGINT and SIGTERM. clap's own errors (an unknown flag) are 2 as well.

use clap::Parser;
use orchsim::cli::{execute, Cli};

fn main() {
    // clap exits with code 2 on bad flags, printing usage.
    let cli = Cli::parse();
    // A run stopped by Ctrl-C or `kill` leaves no `.tmp` file behind.
    if let Err(e) = orchsim::cli::remove_temp_files_on_signal() {
        eprintln!("warning: cannot handle SIGINT and SIGTERM ({e}); an interrupted run may leave .tmp files");
    }
    if let Err(failure) = execute(cli) {
        eprintln!("error: {}", failure.message());
        std::process::exit(failure.code);
    }
}
