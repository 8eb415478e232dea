//! The `orchsim` binary: parse flags, run the library, map errors to exit codes
//! (0 ok, 1 internal error, 2 bad input).

use clap::Parser;
use orchsim::cli::{execute, Cli};

fn main() {
    // clap exits with code 2 on bad flags, printing usage.
    let cli = Cli::parse();
    // A run stopped by Ctrl-C or `kill` leaves no `.tmp` file behind.
    if let Err(e) = orchsim::report::remove_temp_files_on_signal() {
        eprintln!("warning: cannot handle SIGINT and SIGTERM ({e}); an interrupted run may leave .tmp files");
    }
    if let Err(failure) = execute(cli) {
        eprintln!("error: {:#}", failure.error);
        std::process::exit(failure.code);
    }
}
