use std::process::ExitCode;

fn main() -> ExitCode {
    psrt::cli::main()
}
