//! `referral-intake`: parses the command line and hands over to the library.

use clap::Parser;

fn main() {
    let cli = referral_intake::cli::Cli::parse();
    std::process::exit(referral_intake::cli::main_with(cli));
}
