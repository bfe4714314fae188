//! `gridmate-server`: parses the command line and hands over to the library; all logic lives in
//! `gridmate_server::cli`.
#![forbid(unsafe_code)]

use clap::Parser;
use gridmate_server::cli::{self, Cli};

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    gridmate_server::telemetry::init(cli.log_format)?;
    cli::run(cli)?;
    Ok(())
}
