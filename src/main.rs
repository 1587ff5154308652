//! `referral-intake`: parses the command line and hands over to the library.

use clap::Parser;

/// mimalloc instead of glibc's malloc: with glibc, allocation and freeing were a tenth of the
/// daemon's CPU on the shared bench (perf, issue #9): the store driver, MIME and the readers
/// allocate many short-lived buffers from several threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = referral_intake::cli::Cli::parse();
    std::process::exit(referral_intake::cli::main_with(cli));
}
