use std::process::ExitCode;

/// mimalloc rather than glibc's allocator: see the README's dependency list.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    psrt::cli::main()
}
