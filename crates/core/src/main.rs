//! `gridmate`: a headless client over the same store as the app, for scripting, tests and load
//! generation. Exit codes: 0 ok, 2 invalid input (nothing written), 3 not found, 1 anything else.
#![forbid(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
