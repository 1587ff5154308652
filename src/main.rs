//! `referral-intake`: parses the command line and hands over to the library.

use clap::Parser;

// mimalloc instead of glibc's malloc: the daemon makes many small, short-lived allocations
// (labels, cells, MIME parts) on several threads, and glibc's malloc and free were 15 % of its
// CPU on the shared bench; with mimalloc the CPU per message is about 12 % lower
// (docs/BENCHMARKS.md, tenth session). Built without transparent huge pages (`no_thp`): with
// them peak RSS doubled.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = referral_intake::cli::Cli::parse();
    std::process::exit(referral_intake::cli::main_with(cli));
}
